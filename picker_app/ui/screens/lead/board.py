"""The store lead's live board, for a kiosk (100x30) or larger: orders by state against the
promise (at risk first), the people at work, today's out-of-stock flags, the count tasks open
and the devices' sync. Its widgets are made once and their content replaced on each refresh
(nothing is removed or mounted again), so the board never flickers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from picker_app.domain.board import STATES, Board, BoardRow
from picker_app.domain.queue import clock_text
from picker_app.services.board import BoardService, BoardView
from picker_app.ui import messages as msg
from picker_app.ui.guard import Guarded, sentence

ORDER_COLUMNS = f"{'order':<12}{'state':<8}{'due':>6}{'left':>8}{'needs':>7}  "
PEOPLE_COLUMNS = f"{'person':<16}{'role':<8}{'l/h':>5}{'QC err':>8}"


def span(seconds: float) -> str:
    """A duration's size in at most 6 characters: `m:ss` under 100 minutes, then hours, days."""
    size = abs(seconds)
    if size < 6000:
        return clock_text(size)
    return f"{size / 3600:.0f}h" if size < 360000 else f"{size / 86400:.0f}d"


def _left(row: BoardRow) -> str:
    if row.left_s is None:
        return "-"
    return ("-" if row.left_s < 0 else "") + span(row.left_s)


def _local(when: datetime | None, tz: tzinfo | None = None) -> str:
    """`HH:MM` of `when` in `tz` (default: this machine's time zone)."""
    return "--:--" if when is None else f"{when.astimezone(tz):%H:%M}"


def heading(view: BoardView, tz: tzinfo | None = None) -> str:
    """Whose view the board is, as of when; offline, why."""
    when = _local(view.board.as_of, tz)
    if view.offline is None:
        return f"online: the store's view, as of {when}"
    return f"offline: this device's view, as of {when} ({view.offline})"


def orders_text(board: Board, height: int, tz: tzinfo | None = None) -> Text:
    """The open orders, at risk first, as many as `height` lines hold (and how many more)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(ORDER_COLUMNS + "\n", style="bold underline")
    rows = board.rows
    room = max(1, height - 1)
    shown = rows if len(rows) <= room else rows[: room - 1]
    for r in shown:
        line = (
            f"{r.id[:11]:<12}{r.state:<8}{_local(r.promised_at, tz):>6}{_left(r):>8}"
            f"{span(r.need_s):>7}  {'AT RISK' if r.at_risk else ''}"
        )
        late = r.left_s is not None and r.left_s < 0
        style = "bold reverse red" if late else "bold red" if r.at_risk else ""
        text.append(line + "\n", style=style)
    if len(shown) < len(rows):
        text.append(f"... and {len(rows) - len(shown)} more orders", style="dim")
    elif not rows:
        text.append("No open orders.", style="dim")
    return text


def summary_text(view: BoardView) -> Text:
    """The counts by state, the orders at risk and today's pace."""
    board = view.board
    text = Text(no_wrap=True, overflow="ellipsis")
    for state in STATES:
        text.append(f"{state} ", style="dim")
        text.append(f"{board.by_state.get(state, 0)}   ", style="bold")
    text.append("at risk ", style="dim")
    text.append(f"{board.at_risk}", style="bold red" if board.at_risk else "bold")
    text.append(f"   pace x{board.pace:.2f}", style="dim")
    return text


def side_text(board: Board, height: int, tz: tzinfo | None = None) -> Text:
    """People, out-of-stock flags, count tasks and devices, fitted to `height` lines."""
    text = Text(no_wrap=True, overflow="ellipsis")
    people = board.people
    devices = board.devices
    oos = board.oos
    # Lines: 2 headings each for people and devices, 1 for flags, 1 for counts, 3 blank.
    room = max(3, height - 9)
    n_dev = min(len(devices), max(1, room // 4))
    n_oos = min(len(oos), max(1, room // 4))
    n_people = max(1, room - n_dev - n_oos)
    text.append("At work this hour\n", style="bold")
    text.append(PEOPLE_COLUMNS + "\n", style="underline")
    for p in people[:n_people]:
        rate = "-" if p.error_rate is None else f"{p.error_rate:.0%}"
        text.append(f"{p.name[:15]:<16}{p.role:<8}{p.lines_hour:>5}{rate:>8}\n")
    if not people:
        text.append("no one has picked or packed\n", style="dim")
    elif len(people) > n_people:
        text.append(f"... and {len(people) - n_people} more\n", style="dim")
    text.append(f"\nOut of stock today: {len(oos)}\n", style="bold")
    for f in oos[:n_oos]:
        text.append(f"  {_local(f.at, tz)} {f.sku[:14]:<15}{f.bin}\n")
    text.append(f"\nCount tasks open: {board.counts_open}\n", style="bold")
    text.append("\nDevices\n", style="bold")
    text.append(f"{'device':<20}{'waiting':>8}{'last sync':>11}\n", style="underline")
    for d in devices[:n_dev]:
        waiting = "?" if d.pending is None else str(d.pending)
        text.append(f"{d.device[:19]:<20}{waiting:>8}{_local(d.last_sync, tz):>11}\n")
    if len(devices) > n_dev:
        text.append(f"... and {len(devices) - n_dev} more", style="dim")
    return text


class BoardScreen(Guarded, Screen[None]):
    """The live board: read again every `interval_s` and when the cache changes."""

    DEFAULT_CSS = """
    BoardScreen #head { height: 1; background: $panel; padding: 0 1; text-style: bold; }
    BoardScreen #head.offline { background: $warning 40%; }
    BoardScreen #summary { height: 1; padding: 0 1; }
    BoardScreen #body { height: 1fr; }
    BoardScreen #orders { width: 1fr; min-width: 52; height: 1fr; padding: 0 1; }
    BoardScreen #side-text { height: 1fr; }
    BoardScreen #side { width: 48; padding: 0 1; border-left: vkey $panel-lighten-2; }
    BoardScreen #keys { height: 1; background: $panel; padding: 0 1; }
    """
    BINDINGS = [
        Binding("r", "refresh_board", "Refresh"),
        Binding("q", "quit", "Quit"),
        Binding("escape", "quit", "Back", show=False),
    ]

    def __init__(
        self,
        service: BoardService,
        title: str = "",
        interval_s: float = 5.0,
        tz: tzinfo | None = None,
        closes: bool = False,
    ) -> None:
        """`closes`: q (or Escape) goes back to the screen under it instead of ending the app
        (the board opened from the lead's home)."""
        super().__init__()
        self.closes = closes
        self.tz = tz  # the times shown are in this time zone (default: this machine's)
        self.service = service
        self.title_text = title
        self.interval_s = interval_s
        self.view: BoardView | None = None
        self.renders = 0  # how many times the board was drawn (tests, bench)
        self._on_commit: Callable[[frozenset[str]], None] = msg.poster(
            self.post_message, msg.StoreChanged
        )

    def compose(self) -> ComposeResult:
        yield Static(f"Store board {self.title_text}  reading...", id="head")
        yield Static(id="summary")
        with Horizontal(id="body"):
            yield Static(id="orders")
            with Vertical(id="side"):
                yield Static(id="side-text")
        keys = "r refresh   q back" if self.closes else "r refresh   q quit"
        yield Static(f"{keys}   (the board reads again by itself)", id="keys")

    def on_mount(self) -> None:
        self.service.watch(self._on_commit)
        self.set_interval(self.interval_s, self.action_refresh_board)
        self.action_refresh_board()

    def on_unmount(self) -> None:
        self.service.unwatch(self._on_commit)

    def on_store_changed(self, message: msg.StoreChanged) -> None:
        self.action_refresh_board()

    def on_resize(self) -> None:
        if self.view is not None:
            self.show(self.view)

    def action_refresh_board(self) -> None:
        self._read()

    def action_quit(self) -> None:
        if self.closes:
            self.dismiss(None)
        else:
            self.app.exit()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _read(self) -> BoardView:
        return self.service.read()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.SUCCESS and isinstance(event.worker.result, BoardView):
            self.show(event.worker.result)
        elif event.state == WorkerState.ERROR and event.worker.error is not None:
            error = event.worker.error
            text = sentence(error) if isinstance(error, Exception) else str(error)
            self.query_one("#head", Static).update(f"Store board: cannot read it ({text})")

    def show(self, view: BoardView) -> None:
        """Draw `view` in the widgets there are (their content replaced, nothing mounted)."""
        self.view = view
        self.renders += 1
        head = self.query_one("#head", Static)
        head.set_class(view.offline is not None, "offline")
        line = " ".join(
            t for t in ("Store board", self.title_text, "·", heading(view, self.tz)) if t
        )
        head.update(Text(line, no_wrap=True, overflow="ellipsis"))
        self.query_one("#summary", Static).update(summary_text(view))
        orders = self.query_one("#orders", Static)
        orders.update(orders_text(view.board, orders.size.height or self.size.height - 3, self.tz))
        side = self.query_one("#side-text", Static)
        side.update(side_text(view.board, side.size.height or self.size.height - 3, self.tz))
