"""The Textual app: small; screens do the work, the domain decides."""

from __future__ import annotations

from textual.app import App
from textual.widgets import Static

from picker_app.store.db import LocalStore
from picker_app.ui.screens.login import LoginScreen


class PickerApp(App):
    """picker_app on a handheld or a kiosk."""

    TITLE = "picker_app"

    def __init__(self, users: list[dict[str, str]], demo_pins: dict[str, str] | None = None):
        super().__init__()
        self.users = users
        self.demo_pins = demo_pins
        self.user: dict[str, str] | None = None

    def on_mount(self) -> None:
        self.push_screen(LoginScreen(self.users, self.demo_pins))

    def on_login_screen_logged_in(self, message: LoginScreen.LoggedIn) -> None:
        self.user = message.user
        screen = self.screen
        screen.query_one("#message", Static).update(
            f"Logged in: {message.user['name']} ({message.user['role']})."
        )


def make_app(store: LocalStore, demo_pins: dict[str, str] | None = None) -> PickerApp:
    """The one factory of the app, for the CLI and the tests: users come from the local cache
    (so login works offline)."""
    users = [
        dict(r)
        for r in store.db.query("SELECT id, name, role, badge, pin_hash FROM users ORDER BY id")
    ]
    return PickerApp(users, demo_pins)
