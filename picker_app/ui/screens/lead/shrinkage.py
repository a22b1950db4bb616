"""Shrinkage: the stock the store lost over the last 30 days (F2: 7 or 90 days; approved
counts and write-offs), net and absolute, in units and rupees, as a share of the period's sales
against the store's target (over it in red); then by reason, by zone, the largest losses and how
accurate the counts were. The backend computes it (the same figures as `picker-app shrinkage`).
F5 asks again; up and down scroll. Offline the last report fetched is shown, with when it was
fetched."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from picker_app.services.shrinkage import ShrinkageService, ShrinkageView
from picker_app.ui.guard import sentence
from picker_app.ui.screens.lead.panel import Panel
from picker_app.wire import ShrinkageGroupWire, ShrinkageLossWire, ShrinkageReportWire

OVER = "bold red"


def num(x: float) -> str:
    """Units: whole numbers without decimals, weights to the gram."""
    return f"{x:,.3f}".rstrip("0").rstrip(".") if x % 1 else f"{x:,.0f}"


def rupees(x: float) -> str:
    return f"Rs {x:,.0f}" if x >= 0 else f"-Rs {-x:,.0f}"


def pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}%"


def cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def _period(report: ShrinkageReportWire) -> str:
    since, until = datetime.fromisoformat(report.since), datetime.fromisoformat(report.until)
    return f"{since:%d %b %H:%M} to {until:%d %b %H:%M}"


def group_rows(name: str, groups: list[ShrinkageGroupWire], width: int) -> list[Text]:
    """A table of losses by `name`: net units, net rupees, % of sales (and, when wide, the
    absolute units: stock found does not offset them)."""
    wide = width >= 60
    key_w = max(6, min(24, width - (35 if wide else 26)))  # a wide screen: not a wide gap

    def row(key: str, units: str, value: str, share: str, absolute: str) -> str:
        line = f"{cut(key, key_w):<{key_w}} {units:>6} {value:>10} {share:>7}"
        return line + (f" {absolute:>8}" if wide else "")

    header = Text(row(name, "net", "value", "%sales", "absolute"), style="bold")
    lines = [header]
    for g in groups:
        text = row(g.key, num(g.units), rupees(g.value), pct(g.pct_of_sales), num(g.abs_units))
        lines.append(Text(text))
    if not groups:
        lines.append(Text("  nothing lost"))
    return lines


def loss_row(n: int, loss: ShrinkageLossWire, width: int) -> Text:
    """One of the largest losses: its value, units and product (and, when wide, where, why
    and when)."""
    what = loss.name or loss.sku or "unknown"
    head = f"{n:>2}. {rupees(loss.value):>8} {num(loss.units):>5} "
    if width >= 60:
        head += f"{loss.bin:<8} {loss.reason:<10} {loss.day} "
    return Text(cut(head + what, width))


def report_lines(report: ShrinkageReportWire, width: int) -> list[Text]:
    """The report as lines `width` wide, in the order a lead reads it."""
    over = report.over_target
    share = (
        f"{pct(report.loss_pct)} of sales, target {report.target_pct:g}%: "
        + ("OVER" if over else "within")
    )
    lines = [
        Text(cut(_period(report), width)),
        Text(cut(f"Lost, net: {num(report.units)} units, {rupees(report.value)}", width)),
        Text(cut(f"Absolute: {num(report.abs_units)} units, {rupees(report.abs_value)}", width)),
        Text(cut(share, width), style=OVER if over else ""),
        Text(""),
        *group_rows("By reason", report.by_reason, width),
        Text(""),
        *group_rows("By zone", report.by_zone, width),
        Text(""),
        Text("Top losses", style="bold"),
    ]
    lines += [loss_row(n, loss, width) for n, loss in enumerate(report.top, 1)]
    if not report.top:
        lines.append(Text("  no stock lost in the period"))
    acc = report.accuracy
    lines.append(Text(""))
    if acc.bins:
        counted = f"Counts: {acc.accurate_bins} of {acc.bins} bins accurate ({pct(acc.pct)})"
        lines.append(Text(cut(counted, width), style="bold"))
        lines.append(Text(cut(f"  off {num(acc.abs_units)} units, {rupees(acc.abs_value)}"
                              f" (abs); net {num(acc.net_units)}", width)))  # fmt: skip
    else:
        lines.append(Text("Counts: no bin counted", style="bold"))
    return lines


class ShrinkageScreen(Panel[None]):
    first_title = "Shrinkage: asking the backend..."
    BINDINGS = [
        Binding("up", "scroll_report(-1)", "Up", show=False),
        Binding("down", "scroll_report(1)", "Down", show=False),
        Binding("pageup", "scroll_report(-10)", "Page up", show=False),
        Binding("pagedown", "scroll_report(10)", "Page down", show=False),
        Binding("f2", "period", "Period"),
        Binding("f5", "refresh_report", "Refresh"),
        Binding("escape", "back", "Back"),
    ]
    PERIODS = (30, 7, 90)  # days: the month first, then a week and a quarter

    def __init__(self, service: ShrinkageService) -> None:
        super().__init__()
        self.service = service
        self.view: ShrinkageView | None = None
        self.top = 0
        self.days = self.PERIODS[0]

    def on_mount(self) -> None:
        self.say("Asking the backend for the report...")
        self._read()

    def on_resize(self) -> None:
        self._show()

    def action_refresh_report(self) -> None:
        self.say("Asking the backend again...")
        self._read()

    def action_period(self) -> None:
        """The next period (30, 7, 90 days), asked of the backend."""
        self.days = self.PERIODS[(self.PERIODS.index(self.days) + 1) % len(self.PERIODS)]
        self.say(f"Asking the backend for {self.days} days...")
        self._read()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _read(self) -> ShrinkageView:
        return self.service.read(self.days)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.SUCCESS and isinstance(event.worker.result, ShrinkageView):
            self.view = event.worker.result
            self.top = 0
            self._show()
            if self.view.offline is None:
                self.say("Up/down: more. F2: period. F5: again.")
            elif self.view.report is None:
                self.say(f"Offline, no report kept yet: {self.view.offline}.", True)
            else:
                self.say(f"Offline: the last report fetched ({self.view.offline}).", True)
        elif event.state == WorkerState.ERROR and event.worker.error is not None:
            error = event.worker.error
            self.say(sentence(error) if isinstance(error, Exception) else str(error), True)

    def _title(self) -> str:
        view = self.view
        if view is None:
            return "Shrinkage: asking the backend..."
        if view.report is None:
            return "Shrinkage: offline, no report kept"
        title = f"Shrinkage: {view.report.days} days"
        if view.offline is None or view.fetched_at is None:
            return title
        return f"{title}, as of {view.fetched_at.astimezone():%H:%M} (offline)"

    def _lines(self, width: int) -> list[Text]:
        view = self.view
        if view is None:
            return [Text("Reading the report...")]
        if view.report is None:
            return [Text("The report needs the backend.")]
        return report_lines(view.report, width)

    def _show(self) -> None:
        if not self.is_mounted:
            return
        self.query_one("#title", Static).update(
            Text(self._title(), no_wrap=True, overflow="ellipsis")
        )
        body = self.query_one("#body", Static)
        height = body.content_size.height or 10
        width = body.content_size.width or 38
        lines = self._lines(width)
        self.top = max(0, min(self.top, len(lines) - height))
        shown = Text("\n", no_wrap=True).join(lines[self.top : self.top + height])
        shown.no_wrap = True
        body.update(shown)

    def action_scroll_report(self, step: int) -> None:
        if self.view is not None and self.view.report is not None:
            self.top = max(0, self.top + step)
            self._show()

    def action_back(self) -> None:
        self.dismiss(None)
