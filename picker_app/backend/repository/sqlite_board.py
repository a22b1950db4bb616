"""The store board's reads in SQLite (one read transaction on a reader connection, never the
writer's lock), and the devices' reports of the events they still hold."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from picker_app.backend.clock import iso
from picker_app.backend.repository.sqlite_reads import OPEN_STATES
from picker_app.domain.board import (
    Board,
    DeviceRecord,
    OosRecord,
    OrderRecord,
    QcRecord,
    WorkRecord,
    build_board,
    day_start,
)


@runtime_checkable
class BoardStorage(Protocol):
    """What the board needs of the backend's storage (BackendDB has it)."""

    def reading(self) -> AbstractContextManager[sqlite3.Connection]: ...

    def transaction(
        self, store: str | None = None
    ) -> AbstractContextManager[sqlite3.Connection]: ...


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _orders(conn: sqlite3.Connection, store: str) -> Iterator[OrderRecord]:
    marks = ", ".join("?" for _ in OPEN_STATES)
    for id_, state, promised, lines, left in conn.execute(
        "SELECT o.id, o.state, o.promised_at, COUNT(l.line_no),"
        " COALESCE(SUM(l.qty_picked + l.qty_short < l.qty OR l.repick > 0), 0)"
        " FROM orders o LEFT JOIN order_lines l ON l.store = o.store AND l.order_id = o.id"
        f" WHERE o.store = ? AND o.state IN ({marks}) GROUP BY o.id",
        (store, *OPEN_STATES),
    ):
        yield OrderRecord(id_, state, _when(promised), lines, left)


def _work(conn: sqlite3.Connection, store: str, since: str) -> Iterator[WorkRecord]:
    # Lines picked, counted when the picker closes the order's tote (the backend keeps no
    # user per pick); lines checked, when the packer's QC result comes in.
    for at, picker, lines in conn.execute(
        "SELECT e.received_at, o.picked_by, (SELECT COUNT(*) FROM order_lines l"
        "  WHERE l.store = o.store AND l.order_id = o.id AND l.qty_picked > 0)"
        " FROM events e JOIN orders o ON o.store = e.store"
        "  AND o.id = json_extract(e.payload, '$.order')"
        " WHERE e.store = ? AND e.type = 'tote_closed' AND e.status = 'applied'"
        "  AND e.received_at >= ? AND o.picked_by IS NOT NULL",
        (store, since),
    ):
        yield WorkRecord(picker, "picker", datetime.fromisoformat(at), lines)
    for at, packer, lines in conn.execute(
        "SELECT at, packer, lines FROM qc_results WHERE store = ? AND at >= ?"
        " AND packer IS NOT NULL",
        (store, since),
    ):
        yield WorkRecord(packer, "packer", datetime.fromisoformat(at), lines)


def _qc(conn: sqlite3.Connection, store: str, since: str) -> Iterator[QcRecord]:
    for picker, at, lines, found in conn.execute(
        "SELECT picker, at, lines, discrepancies FROM qc_results WHERE store = ? AND at >= ?"
        " AND picker IS NOT NULL",
        (store, since),
    ):
        yield QcRecord(picker, datetime.fromisoformat(at), lines, len(json.loads(found or "[]")))


def _oos(conn: sqlite3.Connection, store: str, since: str) -> Iterator[OosRecord]:
    for sku, bin_, at in conn.execute(
        "SELECT json_extract(payload, '$.sku'), json_extract(payload, '$.bin'), received_at"
        " FROM events WHERE store = ? AND type = 'out_of_stock_flagged' AND status = 'applied'"
        " AND received_at >= ?",
        (store, since),
    ):
        yield OosRecord(str(sku), str(bin_), datetime.fromisoformat(at))


def _devices(conn: sqlite3.Connection, store: str) -> list[DeviceRecord]:
    last: dict[str, str] = dict(
        conn.execute(
            "SELECT device, MAX(received_at) FROM events WHERE store = ? GROUP BY device",
            (store,),
        ).fetchall()
    )
    pending: dict[str, int] = {}
    for device, n, at in conn.execute(
        "SELECT device, pending, at FROM device_reports WHERE store = ?", (store,)
    ):
        pending[device] = n
        last[device] = max(last.get(device, at), at)
    return [DeviceRecord(d, _when(at), pending.get(d)) for d, at in last.items()]


def read_board(db: BoardStorage, store: str, now: datetime) -> Board:
    """The store-wide board of `store` as of `now` (the backend's clock), in one read."""
    since = iso(day_start(now))
    with db.reading() as conn:
        orders = list(_orders(conn, store))
        work = list(_work(conn, store, since))
        qc = list(_qc(conn, store, since))
        oos = list(_oos(conn, store, since))
        counts_open = conn.execute(
            "SELECT COUNT(*) FROM count_tasks WHERE store = ? AND state IN ('open', 'submitted')",
            (store,),
        ).fetchone()[0]
        devices = _devices(conn, store)
        names = dict(conn.execute("SELECT id, name FROM users WHERE store = ?", (store,)))
    return build_board(now, "store", orders, work, qc, oos, counts_open, devices, names)


def record_report(
    db: BoardStorage, store: str, device: str, pending: int, at: str, refresh_s: float = 0
) -> None:
    """A device says it holds `pending` events (as of `at`): the last report is kept. With
    `refresh_s` (a download's report, sent on every poll) a report that says what the kept one
    says, less than `refresh_s` after it, is not written again."""
    if refresh_s:
        with db.reading() as conn:
            kept = conn.execute(
                "SELECT pending, at FROM device_reports WHERE store = ? AND device = ?",
                (store, device),
            ).fetchone()
        if kept is not None and kept[0] == pending:
            age = datetime.fromisoformat(at) - datetime.fromisoformat(kept[1])
            if timedelta(0) <= age < timedelta(seconds=refresh_s):
                return
    with db.transaction(store) as conn:
        conn.execute(
            "INSERT INTO device_reports (store, device, pending, at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (store, device) DO UPDATE SET pending = excluded.pending,"
            " at = excluded.at",
            (store, device, pending, at),
        )
