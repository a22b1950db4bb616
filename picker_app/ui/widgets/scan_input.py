"""An input for keyboard-wedge scanners: a scan typed ending with Enter, or a code keyed by hand.

It is a Textual `Input` that notes when each character arrived and, on Enter, posts
`ScanInput.Scanned` with the text and whether it was `scanned` (a scanner's burst) or `keyed`
(typed, edited or pasted), as `picker_app.scanner.wedge.classify` decides. Both are accepted.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import _time, events
from textual.message import Message

from picker_app.scanner.wedge import DEFAULT_WEDGE_CONFIG, Source, WedgeConfig, classify
from picker_app.ui.widgets.steady_input import SteadyInput


class ScanInput(SteadyInput):
    """Where a wedge scanner types; Enter ends a scan."""

    class Scanned(Message):
        """A line ended with Enter."""

        def __init__(self, scan_input: ScanInput, text: str, source: Source) -> None:
            super().__init__()
            self.scan_input = scan_input
            self.text = text
            self.source = source

        @property
        def control(self) -> ScanInput:
            return self.scan_input

    def __init__(
        self,
        *,
        config: WedgeConfig = DEFAULT_WEDGE_CONFIG,
        clock: Callable[[], float] | None = None,
        placeholder: str = "scan, or key a code + Enter",
        empty_lines: bool = False,
        **kwargs: object,
    ) -> None:
        super().__init__(placeholder=placeholder, **kwargs)  # type: ignore[arg-type]
        self.empty_lines = empty_lines  # post Enter on an empty line too (as text "")
        self.wedge_config = config
        self._clock = clock or _time.get_time
        self._times: list[float] = []
        self._typed: list[str] = []
        self._edited = False

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            # Submitted here, in the order the keys came, not through the binding: a binding
            # runs only once the key has gone round the app, by when the keys of a second code
            # in the same burst (a bin label and an item in one read) are already typed in.
            event.stop()
            event.prevent_default()
            await self.action_submit()
            return
        if event.is_printable and event.character is not None:
            self._times.append(self._clock())
            self._typed.append(event.character)
        elif event.key in ("backspace", "delete", "ctrl+u", "ctrl+w", "ctrl+k"):
            self._edited = True
        await super()._on_key(event)

    def _on_paste(self, event: events.Paste) -> None:
        self._edited = True
        super()._on_paste(event)

    async def action_submit(self) -> None:
        text = self.value.strip()
        times = [*self._times, self._clock()]
        edited = self._edited or self.value != "".join(self._typed)
        self._times, self._typed, self._edited = [], [], False
        self.value = ""
        if not text:
            if self.empty_lines:
                self.post_message(self.Scanned(self, "", "keyed"))
            return
        source: Source = "keyed" if edited else classify(times, self.wedge_config)
        self.post_message(self.Scanned(self, text, source))
