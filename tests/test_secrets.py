"""Secrets stay secret (issue 15): a device's token and the PIN hashes it holds never reach its
log, even with every logger (httpx's and httpcore's too) at DEBUG through a sync, a refused
token and a backend that is down; nor does `picker-app sync --status` print the token."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest

from picker_app.domain.events import OutOfStockFlagged
from picker_app.sync.client import SyncClient, SyncError, SyncSettings
from tests.appkit import STORE


class Everything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def everything():
    handler = Everything()
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s %(exc_info)s"))
    root = logging.getLogger()
    loggers = [root, *(logging.getLogger(n) for n in ("httpx", "httpcore", "uvicorn.error"))]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)
    for lg, level in zip(loggers, levels, strict=True):
        lg.setLevel(level)


def test_no_token_or_pin_hash_in_the_log_at_debug(rig, everything):
    token = rig.client.settings.token
    hashes = [h for (h,) in rig.store.conn.execute("SELECT pin_hash FROM users") if h]
    assert hashes and token
    with rig.store.write():
        rig.store.record(OutOfStockFlagged(sku="SKU-000001", bin="A07-2", qty_found=0))
    rig.client.sync_once()
    with rig.store.write():  # one more, for the refused token to try
        rig.store.record(OutOfStockFlagged(sku="SKU-000002", bin="A07-3", qty_found=0))
    wrong = SyncClient(rig.store, SyncSettings(rig.server.url, STORE, token[::-1]))
    with pytest.raises(SyncError):
        wrong.upload_all(max_attempts=1)
    rig.server.stop()
    with pytest.raises(SyncError):
        rig.client.download_changes()
    text = "\n".join(everything.lines)
    assert "HTTP Request" in text or "send_request_headers" in text  # httpx did log
    assert token not in text and token[::-1] not in text
    assert not [h for h in hashes if h.split("$")[-1] in text]


def test_sync_status_does_not_print_the_token(rig, tmp_path):
    env = {
        **os.environ,
        "PICKER_APP_BACKEND": rig.server.url, "PICKER_APP_STORE": STORE,
        "PICKER_APP_TOKEN": rig.client.settings.token, "PICKER_APP_DB": str(rig.store.path),
        "PICKER_APP_CONFIG": str(tmp_path / "none.toml"),
    }  # fmt: skip
    shown = subprocess.run([sys.executable, "-m", "picker_app.cli", "sync", "--status"],
                           capture_output=True, text=True, env=env, timeout=60)  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert "(reachable)" in shown.stdout
    assert rig.client.settings.token not in shown.stdout + shown.stderr
