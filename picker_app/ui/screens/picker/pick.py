"""The route screen: the next stop large and plain, the route on the map, what is left, the
countdown, and the scan input; every exception one function key away.

The screen decides nothing: each scan goes to the `PickSession` (domain); an accepted decision is
saved through `save` (its events and their state change, one transaction) and only then shown.
If saving fails, the session goes back to how it was and the picker is told to scan again.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import ProgressBar, Static

from picker_app.domain.events import AnyEvent
from picker_app.domain.layout import Cell, Layout
from picker_app.domain.map_view import LEGEND, SHORT_LEGEND, MapView, map_view
from picker_app.domain.picking import Decision, PickLine, PickSession
from picker_app.domain.queue import PICK_PACK_BUDGET, countdown
from picker_app.domain.scan import DEFAULT_SCAN_CONFIG, DoubleScanGuard, ScanConfig, interpret
from picker_app.errors import PickerError
from picker_app.ui.screens.base import WorkScreen
from picker_app.ui.screens.dialogs import ChoiceDialog, QuantityDialog
from picker_app.ui.widgets.key_bar import KeyBar
from picker_app.ui.widgets.scan_input import ScanInput
from picker_app.ui.widgets.status_bar import StatusBar

SaveEvents = Callable[[Sequence[AnyEvent]], None]
Path = Callable[[Cell, Cell], Sequence[Cell]]
Substitutes = Callable[[PickLine], list[tuple[PickLine, float]]]
WIDE = 80  # from this width on, the remaining stops are listed beside the map


def head_text(title: str, totes: Sequence[str], when: str, width: int) -> str:
    """The task and its countdown in `width` characters: the countdown always whole, the task
    shortened first (orders and totes, then the totes, then how many orders)."""
    for what in (title, ", ".join(totes), " ".join(totes), f"{len(totes)} orders"):
        if what and what != "0 orders" and len(what) + 2 + len(when) <= width:
            return f"{what}  {when}"
    return when


def stops_text(
    session: PickSession, ahead: Sequence[PickLine], current: PickLine | None, width: int
) -> str:
    """The stops left, one line each in `width` characters: bin, what is left (kg for weighed
    lines), and as much of the name as fits."""
    qty = [f"{session.remaining(ln):g}{' kg' if ln.unit == 'kg' else ''}" for ln in ahead]
    qty_width = max((len(q) for q in qty), default=1)
    name_width = max(8, width - 2 - 7 - qty_width - 2)
    rows = ["Stops left"]
    for ln, q in zip(ahead, qty, strict=True):
        name = ln.name if len(ln.name) <= name_width else ln.name[: name_width - 1] + "…"
        rows.append(f"{'>' if ln is current else ' '} {ln.bin:<6} {q:>{qty_width}}  {name}")
    return "\n".join(rows)


def map_text(view: MapView, here: Cell, target: Cell | None, width: int) -> Text:
    """The map and its legend, the picker (and in the legend its mark) shown reversed so that it
    is not taken for a shelf letter."""
    text = Text("\n".join(view.lines))
    marks = [(here, "bold reverse")] + ([(target, "bold")] if target is not None else [])
    for cell, style in marks:
        at = view.at(cell)
        if at is not None:
            start = at[0] * (len(view.lines[0]) + 1) + at[1]
            text.stylize(style, start, start + 1)
    legend = LEGEND if len(LEGEND) <= width else SHORT_LEGEND
    text.append("\n")
    text.append(legend[0], "bold reverse")
    text.append(legend[1:width], "dim")
    return text


class PickScreen(WorkScreen):
    """Picking one order (or a batch) along its route."""

    DEFAULT_CSS = """
    PickScreen #head { padding: 0 1; height: 1; }
    PickScreen #head.amber { background: $warning 40%; }
    PickScreen #head.red { background: $error 50%; text-style: bold; }
    PickScreen #stop { text-style: bold; padding: 0 1; height: auto; }
    PickScreen #body { height: 1fr; }
    PickScreen #map { width: 1fr; height: 100%; padding: 0 1; }
    PickScreen #stops { width: 1fr; height: 100%; padding: 0 1; border-left: solid $primary; }
    PickScreen #then { padding: 0 1; height: 1; color: $text-muted; }
    PickScreen #message { padding: 0 1; height: auto; max-height: 3; }
    PickScreen #message.error { color: $error; text-style: bold; }
    PickScreen #message.ok { color: $success; }
    PickScreen ProgressBar { padding: 0 1; }
    """

    BINDINGS = [
        Binding("f2", "short", "Short"),
        Binding("f3", "skip", "Skip"),
        Binding("f4", "loss", "Damaged"),
        Binding("f5", "substitute", "Substitute"),
        Binding("f6", "put_back", "Put back"),
        Binding("f7", "units", "Qty"),
        Binding("escape", "cancel_mode", "Cancel", show=False),
    ]

    def __init__(
        self,
        session: PickSession,
        layout: Layout,
        stop_cells: dict[str, Cell],
        save: SaveEvents,
        *,
        title: str = "",
        started_at: datetime | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        budget: timedelta = PICK_PACK_BUDGET,
        path: Path | None = None,
        substitutes: Substitutes | None = None,
        suggested: Callable[[PickLine], list[str]] | None = None,
        on_finished: Callable[[], None] | None = None,
        scan_config: ScanConfig = DEFAULT_SCAN_CONFIG,
    ) -> None:
        super().__init__()
        self.session = session
        self.store_layout = layout
        self.stop_cells = stop_cells  # bin code -> the access cell its route stop uses
        self.save = save
        self.task_title = title
        self.clock = clock
        self.started_at = started_at or clock()
        self.budget = budget
        self.path = path
        self.substitutes = substitutes
        self.suggested = suggested
        self.on_finished = on_finished
        self.scan_config = scan_config
        self.here: Cell = layout.pack  # where the picker last confirmed a bin
        self.units = 1  # units the next item scan counts for (F7)
        self.put_back_mode = False
        self.guard = DoubleScanGuard()
        self._finished_called = False

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Static(id="head")
        yield Static(id="stop")
        yield ProgressBar(total=max(1, len(self.session.lines)), show_eta=False, id="progress")
        with Horizontal(id="body"):
            yield Static(id="map")
            yield Static(id="stops")
        yield Static(id="then")
        yield Static(id="message")
        yield ScanInput(id="scan")
        yield KeyBar()

    def on_mount(self) -> None:
        self.refresh_stop()
        self.call_after_refresh(self.refresh_stop)  # again, once the map has its size
        self.refresh_countdown()
        self.set_interval(1, self.refresh_countdown)
        self.query_one(ScanInput).focus()

    def on_resize(self) -> None:
        self.refresh_stop()

    # --- drawing ------------------------------------------------------------------------------

    def refresh_countdown(self) -> None:
        left = countdown(self.started_at, self.clock(), self.budget)
        head = self.query_one("#head", Static)
        when = f"{left.text} {'left' if left.left.total_seconds() >= 0 else 'over'}"
        width = head.content_size.width or max(10, self.size.width - 2)
        head.update(head_text(self.task_title, self._totes(), when, width))
        head.set_class(left.level == "amber", "amber")
        head.set_class(left.level == "red", "red")

    def refresh_stop(self) -> None:
        session = self.session
        line = session.current
        done = sum(1 for ln in session.lines if session.is_done(ln))
        self.query_one(ProgressBar).update(total=max(1, len(session.lines)), progress=done)
        stop = self.query_one("#stop", Static)
        target = None
        if line is None:
            stop.update("All lines done: close the tote and take it to packing.")
        else:
            left = session.remaining(line)
            unit = " kg" if line.unit == "kg" else ""
            if self.put_back_mode:
                step = "PUT BACK: scan the item"
            elif session.require_bin_scan and not session.bin_confirmed:
                step = "scan the bin"
            else:
                step = "scan the item" + (f" ({self.units} at once)" if self.units > 1 else "")
            tote = f" -> {line.tote}" if line.tote else ""
            first = f"{line.bin}  take {left:g}{unit}  {line.zone}{tote}"
            if len(first) > self.size.width - 2:  # one line on a handheld: the zone goes first
                first = f"{line.bin}  take {left:g}{unit}{tote}"
            stop.update(f"{first}\n{line.name}\n{done}/{len(session.lines)} done; {step}")
            target = self.stop_cells.get(line.bin)
        wide = self.size.width >= WIDE
        stops_widget = self.query_one("#stops", Static)
        stops_widget.display = wide
        self.query_one("#then", Static).display = not wide
        map_widget = self.query_one("#map", Static)
        # Beside the map (as wide as the floor), the stops list takes the rest of the width.
        map_widget.styles.width = (
            min(self.store_layout.width + 2, self.size.width - 36) if wide else "1fr"
        )
        ahead = session.ahead()
        stops_width = stops_widget.content_size.width or self.size.width - 41
        stops_widget.update(stops_text(session, ahead, line, stops_width))
        later = [ln.bin for ln in ahead if ln is not line]
        self.query_one("#then", Static).update(
            ("then " + ", ".join(later[:3]) + (f" +{len(later) - 3}" if len(later) > 3 else ""))
            if later
            else ""
        )
        later_cells = [self.stop_cells[b] for b in later if b in self.stop_cells]
        walk: Sequence[Cell] = []
        if self.path is not None and target is not None:
            walk = self.path(self.here, target)
        # Before the first layout the widget has no size yet: fall back to the screen's.
        screen_width = self.size.width - (35 if wide else 0) - 2  # the map's padding
        width = max(10, map_widget.content_size.width or screen_width)
        height = max(3, map_widget.content_size.height or 5) - 1  # the last line: the legend
        view = map_view(self.store_layout, walk, target, later_cells, self.here, width, height)
        map_widget.update(map_text(view, self.here, target, width))

    def _totes(self) -> list[str]:
        """The task's totes, in order (one per order of a batch)."""
        totes = dict.fromkeys(ln.tote for ln in self.session.lines if ln.tote)
        return sorted(totes, key=lambda t: (self.task_title.find(t), t))

    def show(self, decision: Decision) -> None:
        self.say(decision.message, error=not decision.accepted)

    # --- deciding -----------------------------------------------------------------------------

    def decide(self, decision: Decision, before: PickSession | None = None) -> None:
        """Save an accepted decision, then show it; a failed save undoes it."""
        if decision.accepted:
            try:
                self.save(decision.events)  # saved before it is shown as accepted
            except PickerError as err:
                if before is not None:  # back to how it was, in place (the task holds it too)
                    self.session.__dict__.update(before.__dict__)
                self.say(f"Not saved: {err}. Scan again.", error=True)
                self.refresh_stop()
                return
        current = self.session.current
        if self.session.bin_confirmed and current is not None and current.bin in self.stop_cells:
            self.here = self.stop_cells[current.bin]
        self.show(decision)
        if decision.accepted:
            good = getattr(self.app, "good_read", None)
            if callable(good):
                good()
        self.refresh_stop()
        self.refresh_countdown()
        if self.session.finished and self.on_finished is not None and not self._finished_called:
            self._finished_called = True
            self.on_finished()

    def _attempt(self, act: Callable[[PickSession], Decision]) -> None:
        before = copy.deepcopy(self.session)
        self.decide(act(self.session), before)

    def on_scan_input_scanned(self, event: ScanInput.Scanned) -> None:
        self.handle_scan(event.text, time.monotonic())

    def take_scan(self, text: str, t: float) -> None:
        self.handle_scan(text, t)

    def handle_scan(self, text: str, t: float) -> None:
        """A scan from the keyboard wedge or a serial scanner."""
        if not self.guard.accept(text.strip(), t):
            return  # the scanner read the same code twice: counted once
        scan = interpret(text, self.scan_config)
        if self.put_back_mode:
            self.put_back_mode = False
            if scan.kind not in ("product", "variable_measure"):
                self.say(scan.reason or "Put back: scan the item itself.", error=True)
                self.refresh_stop()
                return
            self._attempt(lambda s: s.put_back(scan))
            return
        units, self.units = self.units, 1
        self._attempt(lambda s: s.scan(scan, units))

    # --- the function keys --------------------------------------------------------------------

    def action_short(self) -> None:
        line = self.session.current
        if line is None:
            return
        question = (
            f"Short / out of stock: {line.name} at {line.bin}.\n"
            "How many are in the bin? (0 if none)"
        )

        def flag(qty: float | None) -> None:
            if qty is not None:
                self._attempt(lambda s: s.flag_short(qty_found=qty))

        self.app.push_screen(QuantityDialog(question, default=0), flag)

    def action_skip(self) -> None:
        self._attempt(lambda s: s.skip())

    def action_loss(self) -> None:
        line = self.session.current
        if line is None:
            return

        def kind_chosen(choice: int | None) -> None:
            if choice is None:
                return
            kind = ("damaged", "expired")[choice]

            def qty_chosen(qty: float | None) -> None:
                if qty is not None:
                    self._attempt(lambda s: s.write_off(kind, qty))

            self.app.push_screen(
                QuantityDialog(f"How many {line.name} are {kind}?", 1, allow_zero=False),
                qty_chosen,
            )

        self.app.push_screen(
            ChoiceDialog(f"{line.name} at {line.bin} is:", ["damaged", "expired"]), kind_chosen
        )

    def action_substitute(self) -> None:
        line = self.session.current
        if line is None or self.substitutes is None:
            return
        options = self.substitutes(line)
        suggested = set(self.suggested(line)) if self.suggested is not None else set()

        def chosen(choice: int | None) -> None:
            if choice is not None:
                replacement = options[choice][0]
                self._attempt(lambda s: s.substitute(replacement))

        self.app.push_screen(
            ChoiceDialog(
                f"Instead of {line.name}:",
                [
                    f"{'* ' if sub.sku in suggested else ''}{sub.name} ({sub.bin}, "
                    f"{on_hand:g} in stock)"
                    for sub, on_hand in options
                ],
                empty="No similar product is in stock: flag it short (F2).",
                note="* suggested by the backend" if suggested & {s.sku for s, _ in options}
                else "",
            ),
            chosen,
        )

    def action_put_back(self) -> None:
        self.put_back_mode = True
        self.say("Put back: scan the item you are returning (Esc: cancel).")
        self.refresh_stop()

    def action_units(self) -> None:
        line = self.session.current
        if line is None or line.unit == "kg":
            self.say("Weighed items take their weight from the barcode.", error=line is None)
            return

        def chosen(qty: float | None) -> None:
            if qty is not None and qty >= 1:
                self.units = int(qty)
                self.say(f"Now scan one {line.name}: it counts {self.units}.")
                self.refresh_stop()

        self.app.push_screen(
            QuantityDialog(f"How many {line.name} are you taking?", self.session.remaining(line),
                           allow_zero=False, most=self.session.remaining(line), whole=True),
            chosen,
        )  # fmt: skip

    def action_cancel_mode(self) -> None:
        if self.put_back_mode or self.units > 1:
            self.put_back_mode = False
            self.units = 1
            self.say("Back to picking.")
            self.refresh_stop()
