"""A damaged cache: whether it reads whole, and what can still be read of its outbox."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from picker_app.store.outbox import Event, event_from_row
from picker_app.store.readonly import read_only


def health(path: Path) -> str | None:
    """None if the cache at `path` reads whole (SQLite's quick_check), else what is wrong."""
    try:
        conn = read_only(path)
        try:
            found = [r[0] for r in conn.execute("PRAGMA quick_check(3)")]
        finally:
            conn.close()
    except sqlite3.DatabaseError as err:
        return str(err)
    return None if found == ["ok"] else "; ".join(found)[:200]


@dataclass(frozen=True)
class Rescue:
    """What could be read of a damaged cache's outbox, written beside it."""

    file: Path
    events: list[Event]  # every readable event, oldest first
    unsent: list[Event]  # those the backend had not acknowledged (or whose state is unknown)
    unreadable: int  # sequence numbers that could not be read
    info: dict[str, str]  # what could be read of store_info (device, token, backend_url)


def rescue(path: Path, probe_after: int = 1000) -> Rescue:
    """Read every event that can still be read from the outbox of a damaged cache at `path`,
    one by one (a damaged page loses its own events only), and write them beside it as JSON
    lines (`<file>.rescued.jsonl`, the same form they are sent in). The cache is only read."""
    conn = read_only(path)
    conn.row_factory = sqlite3.Row
    events: list[Event] = []
    unsent: list[Event] = []
    unreadable = 0
    info: dict[str, str] = {}
    try:
        with contextlib.suppress(sqlite3.DatabaseError):
            info = {r[0]: r[1] for r in conn.execute("SELECT key, value FROM store_info")}
        try:
            last = int(conn.execute("SELECT MAX(seq) FROM outbox").fetchone()[0] or 0)
        except sqlite3.DatabaseError:
            last = None  # the way to the last event is damaged: probe until none come
        seq, misses, failures = 0, 0, 0
        while seq < last if last is not None else misses + failures < probe_after:
            seq += 1
            try:
                row = conn.execute("SELECT * FROM outbox WHERE seq = ?", (seq,)).fetchone()
                event = event_from_row(dict(row)) if row is not None else None
            except (sqlite3.DatabaseError, ValueError, TypeError):
                failures += 1  # with no known end, as many failures as misses end the probe
                continue
            if event is None:
                misses += 1
                continue
            unreadable += failures
            misses = failures = 0
            events.append(event)
            if row["state"] != "sent":
                unsent.append(event)
        if last is not None:
            unreadable += failures  # the last ones (with no known end, those are the probe's)
    finally:
        conn.close()
    out = path.with_name(path.name + ".rescued.jsonl")
    partial = out.with_name(out.name + ".part")
    with open(partial, "w", encoding="utf-8") as f:
        for e in events:
            f.write(json.dumps(dataclasses.asdict(e), sort_keys=True) + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(partial, out)
    return Rescue(out, events, unsent, unreadable, info)
