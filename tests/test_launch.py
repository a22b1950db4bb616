"""Starting the app: `picker-app` with nothing configured (the demo store), or with a backend,
and the plain one-line errors when it cannot start."""

from __future__ import annotations

import subprocess
import sys

import pytest

from picker_app.config import is_embedded, load_settings
from picker_app.errors import UserError
from picker_app.launch import prepare
from picker_app.ui.screens.login import LoginScreen
from tests.test_embedded import free_port


def settings_for(tmp_path, **values):
    env = {"PICKER_APP_CONFIG": str(tmp_path / "none.toml")}
    return load_settings(env, {"db": tmp_path / "picker.db", **values})


async def test_nothing_configured_starts_the_demo_store_to_the_login_screen(tmp_path):
    settings = settings_for(tmp_path, port=free_port())
    assert is_embedded(settings)
    said: list[str] = []
    prepared = prepare(settings, say=said.append)
    try:
        assert prepared.mode == "demo"
        assert said[0].startswith("Preparing the demo store") and "100%" in said[-1]
        app = prepared.app
        async with app.run_test(size=(40, 20)) as pilot:  # type: ignore[attr-defined]
            await pilot.pause()
            assert isinstance(app.screen, LoginScreen)  # type: ignore[attr-defined]
            table = app.screen.query_one("#demo")  # type: ignore[attr-defined]
            shown = str(table.render())  # every demo badge and PIN, shown in demo mode
            people = app.parts.users  # type: ignore[attr-defined]
            logs_in = [u for u in people if u["role"] != "rider"]  # riders do not log in
            assert len(logs_in) == 18 and all(u["badge"] in shown for u in logs_in)
            await pilot.press(*"BD4101", "enter", *"7051", "enter")
            await pilot.pause()
            assert type(app.screen).__name__ == "QueueScreen"  # type: ignore[attr-defined]
    finally:
        prepared.stop()


def test_a_backend_without_a_token_says_what_to_do(tmp_path):
    with pytest.raises(UserError, match="needs this device's token"):
        prepare(settings_for(tmp_path, backend_url="http://127.0.0.1:9"))


def test_no_data_and_no_backend_is_one_clear_sentence(tmp_path):
    settings = settings_for(tmp_path, backend_url=f"http://127.0.0.1:{free_port()}", token="t")
    with pytest.raises(UserError, match="no data of store BLR-KOR-01 yet"):
        prepare(settings)


def test_a_layout_that_is_not_the_backends_is_refused(tmp_path):
    other = tmp_path / "other.toml"
    other.write_text(_kiosk())
    settings = settings_for(tmp_path, port=free_port(), layout=other)
    with pytest.raises(UserError, match="not the layout the backend has"):
        prepare(settings)


def _kiosk() -> str:
    from tests.conftest import LAYOUTS

    return (LAYOUTS / "kiosk-store.toml").read_text()


def test_the_command_line_errors_are_one_line(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "picker_app.cli", "--backend", "http://127.0.0.1:9"],
        capture_output=True, text=True, timeout=60, check=False,
        env={"PICKER_APP_CONFIG": str(tmp_path / "none.toml"),
             "PICKER_APP_DB": str(tmp_path / "p.db"), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "--token" in proc.stderr
