"""A device whose storage stops taking writes while the app runs: one sentence, the scan not
shown as saved, nothing acknowledged lost, the app and its sync go on, and (where the storage
can come back) saves and sync resume without a restart.

How the storage is made read-only, and why so:

- `read_only_ext4` (root, as CI runs): an ext4 file system of the test's own on a loop file,
  mounted `errors=remount-ro`, and an ext4 error raised through the kernel's own test hook
  (`/sys/fs/ext4/<dev>/trigger_fs_error`). The kernel turns the file system read-only under
  the open cache, as it does when a handheld's card fails: SQLite's next write to its WAL is
  refused by the kernel (EROFS, which SQLite reports as SQLITE_IOERR_WRITE). A plain
  `mount -o remount,ro` of a tmpfs cannot do this: the kernel refuses it (EBUSY) while the
  cache's files are open for writing, which they always are. The kernel keeps an ext4 that hit
  an error read-only until it is unmounted, so this test's recovery is a remount of the same
  file system (with the app restarted on it).
- `RefusedWrites` (anywhere, no root): every file descriptor this process holds on the cache's
  WAL (SQLite's own) is swapped, with dup2, for a read-only descriptor of the same file, and
  swapped back after. Every save of the cache is a write to its WAL, and each one is then
  refused by the kernel (EBADF: SQLITE_IOERR_WRITE, as on a read-only file system), on SQLite's
  real write path; and it can be undone under the running app, so it shows saves and sync
  resuming without a restart, in the store and in the pick screen. `PRAGMA query_only` or a
  read-only URI would not do: SQLite refuses those writes itself, before any reaches the disk,
  and on a connection the app does not use for its saves.
- Starting on storage that is already read-only is a tmpfs remounted read-only while the cache
  is closed (root), then writable again.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from picker_app.backend.server import BackendDB, ServerThread
from picker_app.domain.events import StockDamaged
from picker_app.store.db import LocalStore, StoreError
from picker_app.store.readonly import read_only
from picker_app.sync.client import SyncClient, SyncSettings
from picker_app.sync.worker import SyncStatus, SyncWorker
from tests.appkit import item_code
from tests.test_ui_flow import app_for, login_and_take, message, pick_task, wait_for

STORE = "BLR-KOR-01"
READ_ONLY = "^this device's storage is read-only: nothing new can be saved"
REFUSED = "^this device's storage failed to read or write"


def needs_root() -> None:
    """Skip a test that mounts file systems, unless this is CI (as root there: it must run)."""
    if os.geteuid() != 0 and not os.environ.get("CI"):
        pytest.skip("mounting a file system needs root (CI runs this as root)")


def run(*cmd: str) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"{' '.join(cmd)}: {done.stderr.strip()}")


class Ext4:
    """An ext4 file system on a loop file of the test's own, mounted errors=remount-ro."""

    def __init__(self, image: Path, mount: Path) -> None:
        self.image, self.mount = image, mount

    def attach(self) -> None:
        run("mount", "-o", "loop,errors=remount-ro", str(self.image), str(self.mount))

    def detach(self) -> None:
        subprocess.run(["umount", str(self.mount)], check=False, capture_output=True)

    def turn_read_only(self) -> None:
        """The kernel's reaction to an ext4 error: the file system read-only, files open."""
        source = next(
            line.split()[0] for line in Path("/proc/mounts").read_text().splitlines()
            if line.split()[1] == str(self.mount)
        )  # fmt: skip
        hook = Path("/sys/fs/ext4") / Path(os.path.realpath(source)).name / "trigger_fs_error"
        hook.write_text("test: the storage fails\n")


@pytest.fixture
def ext4(tmp_path) -> Iterator[Ext4]:
    needs_root()
    image, mount = tmp_path / "card.img", tmp_path / "card"
    mount.mkdir()
    with open(image, "wb") as f:
        f.truncate(32 * 2**20)
    run("mkfs.ext4", "-q", "-F", str(image))
    fs = Ext4(image, mount)
    fs.attach()
    yield fs
    fs.detach()


class RefusedWrites:
    """The cache's WAL stops taking writes: each of this process's descriptors of it swapped
    for a read-only one of the same file (see the module's docstring), until `restore()`."""

    def __init__(self, store: LocalStore) -> None:
        wal = store.path.with_name(store.path.name + "-wal").resolve()
        self.saved: dict[int, int] = {}
        for fd in [fd for fd in map(int, os.listdir("/proc/self/fd")) if _names(fd, wal)]:
            self.saved[fd] = os.dup(fd)
            refused = os.open(wal, os.O_RDONLY)
            os.dup2(refused, fd)
            os.close(refused)
        assert self.saved, f"SQLite holds no descriptor of {wal}"

    def restore(self) -> None:
        for fd, original in self.saved.items():
            os.dup2(original, fd)
            os.close(original)
        self.saved = {}


def _names(fd: int, path: Path) -> bool:
    try:
        return os.readlink(f"/proc/self/fd/{fd}") == str(path)
    except OSError:  # the listing's own descriptor, closed by now
        return False


def record(store: LocalStore, i: int) -> str:
    with store.write():
        event = store.record(StockDamaged(bin="A07-2", sku="SKU-1", qty=1, batch=f"B{i:05d}"))
    return event.event_id


def refused_saves(store: LocalStore, start: int, n: int = 20) -> list[StoreError]:
    errors = []
    for i in range(start, start + n):
        with pytest.raises(StoreError) as caught:
            record(store, i)
        errors.append(caught.value)
        assert not store.writer.in_transaction
    return errors


def applied_at(backend: ServerThread, device: str) -> list[str]:
    rows = backend.db.conn.execute(
        "SELECT event_id FROM events WHERE device = ? ORDER BY seq", (device,)
    )
    return [r[0] for r in rows]


def sync_all(store: LocalStore, worker: SyncWorker, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while store.counts()["pending"] and time.monotonic() < deadline:
        worker.poke()
        time.sleep(0.05)
    assert store.counts()["pending"] == 0


def a_worker(store: LocalStore, backend: ServerThread, statuses: list[SyncStatus]) -> SyncWorker:
    token = backend.db.add_device(STORE, store.device)
    client = SyncClient(store, SyncSettings(backend.url, STORE, token), sleep=lambda s: None)
    return SyncWorker(client, statuses.append, interval_s=0.05)


def test_storage_turned_read_only_is_one_sentence_the_app_goes_on_and_nothing_is_lost(
    ext4, tmp_path
):
    backend = ServerThread(BackendDB(tmp_path / "backend.db"))
    store = LocalStore.open(ext4.mount / "picker.db", device="dev-ro")
    statuses: list[SyncStatus] = []
    worker = a_worker(store, backend, statuses)
    saved = [record(store, i) for i in range(100)]
    try:
        worker.client.sync_once()
        saved += [record(store, i) for i in range(100, 200)]  # acknowledged, not yet sent
        ext4.turn_read_only()
        worker.start()
        errors = refused_saves(store, 200)
        assert all(e.kind == "read_only" for e in errors)
        said = str(errors[0])
        assert all(str(e) == said for e in errors) and "\n" not in said
        assert said.startswith(READ_ONLY[1:]) and str(store.path) in said
        assert "tell your store lead" in said
        time.sleep(0.5)  # the worker meets the read-only storage too, and lives on
        assert worker.is_alive()
        assert any("storage is read-only" in s.message for s in statuses[-3:])
        # Reads go on: the screens still show what the device has saved.
        assert [e.event_id for e in store.pending()] == saved[100:]
        assert store.counts() == {"pending": 100, "sent": 100, "rejected": 0}
    finally:
        worker.stop()
        store.close()
    ext4.detach()  # the kernel gives this ext4 back only through a new mount
    ext4.attach()
    check = read_only(ext4.mount / "picker.db")
    try:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = check.execute("SELECT event_id FROM outbox ORDER BY seq").fetchall()
        assert [r[0] for r in rows] == saved  # every acknowledged save, once, in order
    finally:
        check.close()
    store = LocalStore.open(ext4.mount / "picker.db", device="dev-ro")
    worker = a_worker(store, backend, statuses)
    worker.start()
    try:
        saved.append(record(store, 9999))
        sync_all(store, worker)
        assert applied_at(backend, store.device) == saved
    finally:
        worker.stop()
        store.close()
        backend.stop()


def test_refused_writes_are_one_sentence_and_saves_and_sync_resume_without_a_restart(tmp_path):
    backend = ServerThread(BackendDB(tmp_path / "backend.db"))
    store = LocalStore.open(tmp_path / "picker.db", device="dev-refused")
    statuses: list[SyncStatus] = []
    worker = a_worker(store, backend, statuses)
    saved = [record(store, i) for i in range(200)]
    refused = RefusedWrites(store)
    worker.start()
    try:
        errors = refused_saves(store, 200)
        assert all(e.kind == "io" for e in errors)
        said = str(errors[0])
        assert said.startswith(REFUSED[1:]) and "\n" not in said and str(store.path) in said
        assert "was not saved" in said and "tell your store lead" in said
        time.sleep(0.5)  # the worker cannot write its batch or its acknowledgement: lives on
        assert worker.is_alive()
        assert [e.event_id for e in store.pending()] == saved  # reads go on, nothing lost
        refused.restore()  # writable again: no restart, no reopening
        saved += [record(store, i) for i in range(5000, 5010)]
        sync_all(store, worker)
        assert applied_at(backend, store.device) == saved  # each once, in order
        assert store.writer.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        refused.restore()
        worker.stop()
        store.close()
        backend.stop()


def test_starting_on_read_only_storage_is_the_sentence_and_the_cache_opens_once_writable(
    small_disk,
):
    needs_root()
    path = small_disk / "picker.db"
    store = LocalStore.open(path, device="dev-ro")
    saved = [record(store, i) for i in range(10)]
    store.close()
    before = path.read_bytes()
    run("mount", "-o", "remount,ro", str(small_disk))  # no file open for writing: allowed
    try:
        with pytest.raises(StoreError, match=READ_ONLY) as caught:
            LocalStore.open(path, device="dev-ro")
        assert caught.value.kind == "read_only" and "\n" not in str(caught.value)
    finally:
        run("mount", "-o", "remount,rw", str(small_disk))
    assert path.read_bytes() == before  # left as it was
    store = LocalStore.open(path, device="dev-ro")
    saved.append(record(store, 10))
    assert [e.event_id for e in store.pending()] == saved
    store.close()


async def test_the_pick_screen_says_a_refused_save_and_takes_the_same_scan_once_writable(rig):
    app = app_for(rig)
    refused: RefusedWrites | None = None
    try:
        async with app.run_test(size=(40, 20)) as pilot:
            await login_and_take(pilot, app)
            await wait_for(pilot, lambda: rig.store.counts()["pending"] == 0)
            session = pick_task(app).session
            line = session.current
            await pilot.press(*line.bin, "enter")
            await pilot.pause()
            assert session.bin_confirmed
            events = rig.store.counts()
            refused = RefusedWrites(rig.store)
            await pilot.press(*item_code(line), "enter")
            await pilot.pause()
            said = message(app)
            assert said.startswith("Not saved: this device's storage failed") and "\n" not in said
            assert app.screen.query_one("#message").has_class("error")
            assert not session.picked and rig.store.counts() == events
            await pilot.pause(0.5)  # the sync worker meets it too, and lives on
            assert app.is_running and app.worker is not None and app.worker.is_alive()
            refused.restore()
            await pilot.press(*item_code(line), "enter")
            await pilot.pause()
            assert session.picked
            await wait_for(pilot, lambda: rig.store.counts()["pending"] == 0)
        sent = rig.backend.conn.execute(
            "SELECT COUNT(*) FROM events WHERE device = ? AND type = 'stock_picked'",
            (rig.store.device,),
        ).fetchone()[0]
        assert sent == 1
    finally:
        if refused is not None:
            refused.restore()


def test_a_read_only_sqlite_error_names_the_file_when_the_storage_is_writable(tmp_path):
    """SQLITE_READONLY on writable storage (e.g. a cache file made read-only by hand)."""
    from picker_app.store.errors import store_error

    err = sqlite3.OperationalError("attempt to write a readonly database")
    err.sqlite_errorname = "SQLITE_READONLY"  # type: ignore[attr-defined]
    said = store_error(tmp_path / "picker.db", err)
    assert said.kind == "read_only" and str(said).startswith(f"{tmp_path / 'picker.db'}: ")
