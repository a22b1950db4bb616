"""Small questions asked over a screen: a quantity, or one choice of a numbered list.

Keys only: digits and Enter answer, Escape goes back without changing anything.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from picker_app.ui.guard import Guarded
from picker_app.ui.widgets.steady_input import SteadyInput


class QuantityDialog(Guarded, ModalScreen[float | None]):
    """Ask for a number (units or kg); None when the picker presses Escape."""

    DEFAULT_CSS = """
    QuantityDialog { align: center middle; }
    QuantityDialog > Vertical {
        width: 90%; max-width: 60; height: auto; border: thick $accent; background: $surface;
        padding: 0 1;
    }
    QuantityDialog #question { height: auto; }
    QuantityDialog #problem { color: $error; height: auto; }
    QuantityDialog #hint { color: $text-muted; height: auto; }
    """

    BINDINGS = [Binding("escape", "dismiss_none", "Back")]

    def __init__(
        self,
        question: str,
        default: float | None = None,
        allow_zero: bool = True,
        most: float | None = None,
        whole: bool = False,
    ) -> None:
        super().__init__()
        self.question = question
        self.default = default
        self.allow_zero = allow_zero
        self.most = most  # the largest answer that makes sense (e.g. what is left to pick)
        self.whole = whole  # whole units only

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, id="question")
            value = "" if self.default is None else f"{self.default:g}"
            yield SteadyInput(value=value, placeholder="quantity, then Enter", id="qty")
            yield Static("", id="problem")
            yield Static("Enter: OK   Esc: back", id="hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        problem = self._problem(event.value.strip().replace(",", "."))
        if problem:
            self.query_one("#problem", Static).update(problem)
            return
        self.dismiss(float(event.value.strip().replace(",", ".")))

    def _problem(self, text: str) -> str:
        """Why `text` is not an answer, or "" if it is one."""
        low = 0 if self.allow_zero else 1
        top = self.most if self.most is not None else 10_000
        try:
            qty = float(text)
        except ValueError:
            qty = -1.0
        if not low <= qty <= 10_000 or (qty == 0 and not self.allow_zero):
            return f"Key a number from {low} up, then Enter (Esc to go back)."
        if self.whole and qty != int(qty):
            return "Key a whole number of pieces, then Enter (Esc to go back)."
        if qty > top:
            need = "is" if top == 1 else "are"
            return f"Only {top:g} {need} needed: key {top:g} or fewer (Esc to go back)."
        return ""

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class ChoiceDialog(Guarded, ModalScreen[int | None]):
    """Pick one of up to 9 numbered options with its digit; None on Escape."""

    DEFAULT_CSS = """
    ChoiceDialog { align: center middle; }
    ChoiceDialog > Vertical {
        width: 95%; max-width: 80; height: auto; border: thick $accent; background: $surface;
        padding: 0 1;
    }
    ChoiceDialog #question { text-style: bold; height: auto; }
    ChoiceDialog #options { height: auto; }
    """

    BINDINGS = [Binding("escape", "dismiss_none", "Back")]

    def __init__(
        self, question: str, options: Sequence[str], empty: str = "", note: str = ""
    ) -> None:
        super().__init__()
        self.question = question
        self.options = list(options)[:9]
        self.empty = empty
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, id="question")
            text = "\n".join(f"{i}  {o}" for i, o in enumerate(self.options, 1))
            yield Static(text or self.empty, id="options")
            if self.note:
                yield Static(self.note, id="note")
            yield Static("Press its number; Esc to go back.", id="hint")

    def on_key(self, event) -> None:  # type: ignore[no-untyped-def]
        if event.character and event.character.isdigit():
            n = int(event.character)
            if 1 <= n <= len(self.options):
                event.stop()
                self.dismiss(n - 1)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class NoticeDialog(Guarded, ModalScreen[bool]):
    """Something the picker must act on (e.g. a cancelled order): Enter when done."""

    DEFAULT_CSS = """
    NoticeDialog { align: center middle; }
    NoticeDialog > Vertical {
        width: 95%; max-width: 80; height: auto; border: thick $error; background: $surface;
        padding: 0 1;
    }
    NoticeDialog #title { text-style: bold; color: $error; height: auto; }
    NoticeDialog #body { height: auto; }
    """

    BINDINGS = [Binding("enter", "done", "Done")]

    def __init__(self, title: str, body: str, done: str = "Press Enter when done.") -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.done_text = done

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, id="title")
            yield Static(self.body, id="body")
            yield Static(self.done_text, id="hint")

    def action_done(self) -> None:
        self.dismiss(True)
