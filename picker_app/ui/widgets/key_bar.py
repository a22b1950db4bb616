"""The keys of the current screen, wrapped onto as many lines as the width needs.

Textual's footer is one row that scrolls sideways; on a 40-column handheld half the function keys
would be out of sight. This bar shows every key the screen offers, all of the time.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

NAMES = {"enter": "Enter", "escape": "Esc", "ctrl+q": "Ctrl+Q"}


class KeyBar(Static):
    """`F2 Short  F3 Skip ...` for the screen it is on."""

    DEFAULT_CSS = """
    KeyBar { height: auto; background: $panel; padding: 0 1; dock: bottom; }
    """

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._changed)
        self._changed(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def on_resize(self) -> None:
        self._changed(self.screen)

    def _changed(self, screen: object) -> None:
        width = max(20, (self.size.width or self.screen.size.width or 80) - 2)
        text = Text(no_wrap=True)
        line = 0  # characters on the current line
        seen: set[str] = set()
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            if not binding.show or not binding.description or binding.action in seen:
                continue
            seen.add(binding.action)
            shown = binding.key_display or NAMES.get(key, key.upper())
            size = len(shown) + 1 + len(binding.description)
            if line and line + 2 + size > width:  # a key and its name never split
                text.append("\n")
                line = 0
            elif line:
                text.append("  ")
                line += 2
            line += size
            text.append(shown, style="bold reverse" if active.enabled else "dim")
            text.append(f" {binding.description}", style="" if active.enabled else "dim")
        self.update(text)
