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
    # Pieces and kilograms are counted apart: 9 pieces and 1.35 kg are not "10.35 units".
    amounts = [] if stats.kg and not stats.pieces else [_count(stats.pieces, "piece")]
    if stats.kg:
        amounts.append(f"{stats.kg:.2f} kg")
    return (
        f"Take to packing:\n{handed}\n\n"
        f"{_count(stats.lines, 'line')}: {' + '.join(amounts)}{short}\n"
        f"took {clock_text(took)} of {clock_text(budget)}: {verdict}\n"
        f"this task: {stats.lines_per_hour:.0f} lines/hour\n"
        f"your shift: {stats.picks_per_hour:.0f} lines/hour"
    )


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


class FinishScreen(Guarded, Screen[str]):
    """The task is done: dismissed with "next" (Enter) or "queue" (Escape)."""

    DEFAULT_CSS = """
    FinishScreen #title { padding: 0 1; text-style: bold; color: $success; height: auto; }
    FinishScreen #summary { padding: 0 1; height: 1fr; }
    """

    # Enter takes the next order, as Enter on the queue does (the picker is back from packing
    # and wants the next order, not a list); Escape shows the queue (for a batch, or a look).
    BINDINGS = [Binding("enter", "next", "Next order"), Binding("escape", "queue", "Queue")]

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
        """The queue, and on it Enter: the next order's tote is asked for (Escape there goes
        back to the queue); when no order waits, the queue says so."""
        self.dismiss("next")

    def action_queue(self) -> None:
        self.dismiss("queue")
