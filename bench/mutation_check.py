"""Mutation check (issue 15): the suite must fail when a deliberate bug is put in. Each mutation
below is one exact change to one file (the text must be found exactly once, so a mutation that
no longer applies is said, not skipped); the repository's HEAD is copied to a temporary folder,
the change made there, and the tests that guard against it are run. A mutation the tests do not
catch is printed MISSED and the script exits 1.

    .venv/bin/python bench/mutation_check.py [--only NAME ...] [--list]

It takes a few minutes (each mutation runs its tests: the kill suite alone is about 30 s).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S = 900


@dataclass(frozen=True)
class Mutation:
    name: str
    why: str  # the guarantee it breaks
    path: str
    old: str
    new: str
    tests: tuple[str, ...]


MUTATIONS = (
    Mutation(
        "ack-before-commit", "a scan shown as accepted is not yet saved (durable)",
        "picker_app/store/db.py",
        '                    self.writer.execute("COMMIT")\n',
        '                    threading.Timer(0.2, self.writer.execute, ("COMMIT",)).start()\n',
        ("tests/test_kill_scans.py", "tests/test_store.py"),
    ),
    Mutation(
        "synchronous-off", "a commit is not on the disk when it returns (durable)",
        "picker_app/store/db.py",
        '            conn.execute("PRAGMA synchronous = FULL")\n'
        '            conn.execute("PRAGMA foreign_keys = ON")\n',
        '            conn.execute("PRAGMA synchronous = OFF")\n'
        '            conn.execute("PRAGMA foreign_keys = ON")\n',
        ("tests/test_store.py",),
    ),
    Mutation(
        "sent-before-answer", "a batch whose answer is lost is never sent again (nothing lost)",
        "picker_app/sync/client.py",
        "            result = self.send_batch(batch_id, events)\n",
        '            self.store.ack_batch(batch_id, {e.event_id: ("applied", None)'
        ' for e in events})\n'
        "            result = self.send_batch(batch_id, events)\n",
        ("tests/test_sync_upload.py",),
    ),
    Mutation(
        "new-event-id-on-retry", "a resent event is a new one to the backend (nothing doubled)",
        "picker_app/sync/client.py",
        "                    event_id=e.event_id,\n",
        "                    event_id=str(uuid.uuid4()),\n",
        ("tests/test_sync_upload.py",),
    ),
    Mutation(
        "partial-frame-as-scan", "half a barcode is taken as a scan (bad input)",
        "picker_app/scanner/framing.py",
        '            return [self._misread("no terminator (a partial or interrupted read)",'
        ' data, t)]\n',
        '            return [Frame(data.decode("latin-1"), t)]\n',
        ("tests/test_framing.py", "tests/test_serial_reader.py", "tests/test_properties.py"),
    ),
    Mutation(
        "pick-beyond-the-line", "more is picked than the order asks (the backend's rules)",
        "picker_app/backend/effects.py",
        "    elif done + p.qty > ordered + _EPSILON:\n",
        "    elif False:\n",
        ("tests/test_backend_effects.py", "tests/test_backend_guards.py"),
    ),
    Mutation(
        "batch-under-another-name", "a device speaks as another (only who may)",
        "picker_app/backend/routes/sync.py",
        "    if batch.device != who.device:\n",
        "    if False:\n",
        ("tests/test_backend_guards.py", "tests/test_sync_upload.py"),
    ),
)  # fmt: skip


def copy_head(to: Path) -> None:
    """The committed tree of HEAD (not the working copy's changes) into `to`."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "HEAD"], check=True,
                             capture_output=True).stdout  # fmt: skip
    subprocess.run(["tar", "-x", "-C", str(to)], input=archive, check=True)


def run(m: Mutation, pristine: Path) -> tuple[str, float]:
    """('caught' | 'MISSED' | why it did not apply, seconds) for one mutation."""
    with tempfile.TemporaryDirectory(prefix=f"mutant-{m.name}-") as tmp:
        tree = Path(tmp) / "repo"
        shutil.copytree(pristine, tree)
        target = tree / m.path
        text = target.read_text()
        if text.count(m.old) != 1:
            return f"NOT APPLIED: the text is found {text.count(m.old)} times in {m.path}", 0.0
        target.write_text(text.replace(m.old, m.new))
        started = time.perf_counter()
        try:
            result = subprocess.run(
                [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                 "-n", "2", *m.tests],
                cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)}, capture_output=True,
                text=True, timeout=TIMEOUT_S,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            return f"ERROR (no end in {TIMEOUT_S} s)", time.perf_counter() - started
        took = time.perf_counter() - started
        if result.returncode == 0:
            return "MISSED", took
        # 1: tests failed; 2 with a failure: xdist stopped at the first (-x); else not run.
        # "caught (errors)": the tests' set-up itself failed on the mutant (e.g. the kill
        # suite's template: a deferred COMMIT breaks its download), which fails the suite too.
        if result.returncode == 1 or (result.returncode == 2 and " failed" in result.stdout):
            return "caught", took
        if result.returncode == 2 and " error" in result.stdout:
            return "caught (errors)", took
        return f"ERROR (pytest exit {result.returncode})", took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", help="run only these mutations (by name)")
    parser.add_argument("--list", action="store_true", help="list the mutations and stop")
    args = parser.parse_args()
    chosen = [m for m in MUTATIONS if not args.only or m.name in args.only]
    if args.list:
        for m in MUTATIONS:
            print(f"{m.name:<26} {m.why}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        pristine = Path(tmp) / "head"
        pristine.mkdir()
        copy_head(pristine)
        print(f"{'mutation':<26} {'result':<16} {'seconds':>7}  tests")
        missed = 0
        for m in chosen:
            outcome, took = run(m, pristine)
            missed += not outcome.startswith("caught")
            print(f"{m.name:<26} {outcome:<16} {took:7.1f}  {' '.join(m.tests)}", flush=True)
    print("every mutation caught" if not missed else f"{missed} mutation(s) not caught")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
