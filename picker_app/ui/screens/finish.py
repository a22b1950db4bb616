"""Done: the tote is closed and goes to packing; the picker sees time and rate."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from picker_app.domain.queue import clock_text
from picker_app.services.picking import FinishStats
from picker_app.ui.guard import Guarded
from picker_app.ui.widgets.key_bar import KeyBar
from picker_app.ui.widgets.status_bar import StatusBar


def finish_text(stats: FinishStats, totes: dict[str, str]) -> str:
    handed = "\n".join(f"{tote} ({order})" for order, tote in totes.items())
    took = int(stats.took.total_seconds())  # as shown, whole seconds
    budget = int(stats.budget.total_seconds())
    margin = budget - took
    verdict = f"{clock_text(margin)} {'under' if margin >= 0 else 'over'} budget"
    short = f", {stats.short} short" if stats.short else ""
    return (
        f"Take to packing:\n{handed}\n\n"
        f"{stats.lines} lines, {stats.units:g} units{short}\n"
        f"took {clock_text(took)} of {clock_text(budget)}: {verdict}\n"
        f"your rate: {stats.picks_per_hour:.0f} picks/hour"
    )


class FinishScreen(Guarded, Screen):
    """The task is done."""

    DEFAULT_CSS = """
    FinishScreen #title { padding: 0 1; text-style: bold; color: $success; height: auto; }
    FinishScreen #summary { padding: 0 1; height: 1fr; }
    """

    BINDINGS = [Binding("enter", "next", "Next order")]

    def __init__(self, stats: FinishStats, totes: dict[str, str]) -> None:
        super().__init__()
        self.stats = stats
        self.totes = totes

    def compose(self) -> ComposeResult:
        yield StatusBar()
        closed = "Tote closed" if len(self.totes) == 1 else f"{len(self.totes)} totes closed"
        yield Static(closed if self.totes else "Task ended", id="title")
        yield Static(
            finish_text(self.stats, self.totes) if self.totes
            else "No order is left in this task (cancelled, or taken elsewhere): "
            "nothing goes to packing.",
            id="summary",
        )  # fmt: skip
        yield KeyBar()

    def action_next(self) -> None:
        self.app.show_queue()  # type: ignore[attr-defined]
