"""A cache that is not what it seems: an empty file, another application's database, a
custom --db in demo mode, a damaged page in the outbox. One sentence naming the file each
time, the file untouched, and for a damaged cache the readable events saved beside it (and
sent to the backend, each applied once)."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from picker_app.backend.server import BackendDB
from picker_app.domain.events import StockDamaged
from picker_app.store.db import LocalStore, StoreError
from picker_app.sync.client import SyncClient, SyncSettings
from tests.test_sync_upload import STORE, Backend


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "picker_app.cli", *args],
        capture_output=True, text=True, env={**os.environ, **env}, timeout=120, check=False,
    )  # fmt: skip


def test_an_empty_cache_file_is_refused_not_made_anew(tmp_path):
    path = tmp_path / "picker.db"
    path.touch()  # a crash or a failed copy left the name and nothing else
    with pytest.raises(StoreError) as info:
        LocalStore.open(path)
    assert str(path) in str(info.value) and "empty" in str(info.value)
    assert "\n" not in str(info.value)
    assert path.stat().st_size == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["picker.db"]


def test_another_applications_database_is_refused_and_untouched(tmp_path):
    path = tmp_path / "inventory.sqlite"
    other = sqlite3.connect(path)
    other.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)")
    other.execute("INSERT INTO items (name) VALUES ('spanner')")
    other.commit()
    other.close()
    before = digest(path)
    with pytest.raises(StoreError) as info:
        LocalStore.open(path)
    assert str(path) in str(info.value) and "another application" in str(info.value)
    assert digest(path) == before
    tables = sqlite3.connect(path).execute("SELECT name FROM sqlite_master").fetchall()
    assert tables == [("items",)]  # no table added, not switched to WAL
    env = {"PICKER_APP_CONFIG": str(tmp_path / "none.toml"), "PICKER_APP_DB": str(path),
           "PICKER_APP_BACKEND": "http://127.0.0.1:9", "PICKER_APP_TOKEN": "t"}  # fmt: skip
    done = run(env, "sync")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and str(path) in done.stderr
    assert digest(path) == before


def test_a_new_cache_is_made_whole_before_it_takes_its_place(tmp_path):
    path = tmp_path / "picker.db"
    (tmp_path / "picker.db.new").write_bytes(b"half of an earlier attempt")
    store = LocalStore.open(path)
    store.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["picker.db"]
    assert LocalStore.open(path).device == store.device


def test_demo_mode_uses_the_cache_file_it_is_given(tmp_path):
    from picker_app.embedded import start_embedded
    from tests.test_embedded import free_port

    custom = tmp_path / "custom.db"
    demo = start_embedded(tmp_path, port=free_port(), customers=False, cache=custom)
    try:
        assert demo.store.path == custom
        assert demo.store.conn.execute("SELECT COUNT(*) FROM users").fetchone()[0] == 22
    finally:
        demo.stop()
    assert not (tmp_path / "picker.db").exists()


def damage_one_outbox_page(path: Path) -> None:
    """Overwrite one leaf page of the outbox, in the middle, with garbage."""
    conn = sqlite3.connect(path)
    leaves = [r[0] for r in conn.execute(
        "SELECT pageno FROM dbstat WHERE name = 'outbox' AND pagetype = 'leaf' ORDER BY pageno"
    )]  # fmt: skip
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    page = leaves[len(leaves) * 3 // 4]
    with open(path, "r+b") as f:
        f.seek((page - 1) * size)
        f.write(bytes((i * 37) % 251 for i in range(size)))


def test_a_damaged_outbox_page_loses_only_its_own_events(tmp_path):
    backend = Backend(BackendDB(tmp_path / "backend.db"))
    path = tmp_path / "picker.db"
    store = LocalStore.open(path)  # its device id made and kept, as on a real device
    token = backend.db.add_device(STORE, store.device)
    env = {"PICKER_APP_CONFIG": str(tmp_path / "none.toml"), "PICKER_APP_DB": str(path),
           "PICKER_APP_BACKEND": backend.url, "PICKER_APP_STORE": STORE,
           "PICKER_APP_TOKEN": token}  # fmt: skip
    try:
        for i in range(2000):
            if i == 500:  # the first 500 reached the backend; the rest wait
                SyncClient(store, SyncSettings(backend.url, STORE, token)).upload_all()
            with store.write():
                store.record(StockDamaged(bin="A07-2", sku="SKU-1", qty=1, batch=f"B{i:06d}"))
        store.writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        store.close()
        damage_one_outbox_page(path)
        before = digest(path)

        status = run(env, "sync", "--status")
        assert status.returncode == 1 and "DAMAGED" in status.stdout
        assert "Traceback" not in status.stdout + status.stderr

        done = run(env, "sync")
        assert done.returncode == 1 and "Traceback" not in done.stderr
        assert done.stderr.count("\n") == 1, done.stderr
        assert str(path) in done.stderr and "damaged" in done.stderr
        assert "now at the backend" in done.stderr
        assert digest(path) == before

        rescued = path.with_name("picker.db.rescued.jsonl")
        saved = [json.loads(line) for line in rescued.read_text().splitlines()]
        assert 1000 < len(saved) < 2000  # one page lost, the rest kept
        assert [e["seq"] for e in saved] == sorted(e["seq"] for e in saved)
        at_backend = {r[0] for r in backend.db.conn.execute(
            "SELECT event_id FROM events WHERE device = ?", (store.device,)
        )}  # fmt: skip
        assert {e["event_id"] for e in saved} <= at_backend
        assert len(at_backend) == len(saved)  # nothing else, nothing twice

        again = run(env, "sync")  # a second rescue of the same file doubles nothing
        assert again.returncode == 1 and "now at the backend" in again.stderr
        count = backend.db.conn.execute(
            "SELECT COUNT(*) FROM events WHERE device = ?", (store.device,)
        ).fetchone()[0]
        assert count == len(saved)
        assert digest(path) == before
    finally:
        backend.stop()


def test_the_app_does_not_start_on_a_damaged_cache_and_says_what_to_do(tmp_path):
    path = tmp_path / "picker.db"
    store = LocalStore.open(path)
    for _ in range(300):
        with store.write():
            store.record(StockDamaged(bin="A07-2", sku="SKU-1", qty=1))
    store.writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    damage_one_outbox_page(path)
    before = digest(path)
    env = {"PICKER_APP_CONFIG": str(tmp_path / "none.toml"), "PICKER_APP_DB": str(path),
           "PICKER_APP_BACKEND": "http://127.0.0.1:9", "PICKER_APP_TOKEN": "t"}  # fmt: skip
    done = run(env)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and str(path) in done.stderr
    assert "damaged" in done.stderr and "picker-app sync" in done.stderr
    assert digest(path) == before
