"""What packing reads and keeps: orders waiting at packing, an order's lines as the picker left
them, and each unit QC scanned into a bag (kept as it is scanned, so a restart resumes)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from picker_app.store.db import LocalStore


def waiting_rows(store: LocalStore) -> list[tuple[Any, ...]]:
    """Orders picked and waiting for packing, and those checked here being picked again (a
    line sent back): (id, promised_at, tote, lines, units, to pick again, state) each."""
    return store.conn.execute(
        "SELECT o.id, o.promised_at, o.tote, COUNT(l.line_no), COALESCE(SUM(l.qty_picked), 0),"
        " COALESCE(SUM(l.repick), 0), o.state"
        " FROM orders o LEFT JOIN order_line l ON l.order_id = o.id"
        " WHERE o.state = 'picked' OR (o.state = 'picking'"
        " AND EXISTS (SELECT 1 FROM qc_scan q WHERE q.order_id = o.id)) GROUP BY o.id"
    ).fetchall()


def order_of_tote(store: LocalStore, tote: str) -> str | None:
    """The order waiting in `tote`, or None."""
    row = store.conn.execute(
        "SELECT id FROM orders WHERE tote = ? AND state = 'picked'"
        " UNION SELECT order_id FROM tote WHERE code = ? AND state = 'closed'",
        (tote, tote),
    ).fetchone()
    return row[0] if row else None


def head(store: LocalStore, order_id: str) -> tuple[Any, ...] | None:
    """(state, promised_at, area, substitution preference, tote) of the order, or None."""
    row = store.conn.execute(
        "SELECT o.state, o.promised_at, o.area, o.substitutions,"
        " COALESCE(o.tote, (SELECT code FROM tote WHERE order_id = o.id)) FROM orders o"
        " WHERE o.id = ?",
        (order_id,),
    ).fetchone()
    return tuple(row) if row else None


def lines(store: LocalStore, order_id: str) -> list[tuple[Any, ...]]:
    """The order's lines as picked: (line_no, ordered sku, packed sku, name, unit, qty picked,
    qty ordered, qty short, bin, category, weight_g, qty sent back to be picked again) each, by
    line."""
    return store.conn.execute(
        "SELECT l.line_no, l.sku, COALESCE(l.substitute_sku, l.sku), COALESCE(s.name, l.sku),"
        " COALESCE(s.unit, 'each'), l.qty_picked, l.qty_ordered, l.qty_short, s.bin,"
        " s.category, s.weight_g, l.repick FROM order_line l"
        " LEFT JOIN sku s ON s.sku = COALESCE(l.substitute_sku, l.sku)"
        " WHERE l.order_id = ? ORDER BY l.line_no",
        (order_id,),
    ).fetchall()


def sku_of_gtin(store: LocalStore, gtin: str) -> str | None:
    """The product of a barcode (GTIN-8/12/13/14 read as 14 digits), or None."""
    row = store.conn.execute(
        "SELECT sku FROM sku_barcode WHERE LTRIM(gtin, '0') = LTRIM(?, '0')", (gtin,)
    ).fetchone()
    return row[0] if row else None


def scans(store: LocalStore, order_id: str) -> list[tuple[Any, ...]]:
    """The units QC accepted for the order so far: (line_no, qty), in scan order."""
    return store.conn.execute(
        "SELECT line_no, qty FROM qc_scan WHERE order_id = ? ORDER BY rowid", (order_id,)
    ).fetchall()


def shorts(store: LocalStore, order_id: str) -> list[tuple[Any, ...]]:
    """Lines approved short at packing: (line_no, qty, lead)."""
    return store.conn.execute(
        "SELECT line_no, qty, lead FROM qc_short WHERE order_id = ?", (order_id,)
    ).fetchall()


def add_scan(
    store: LocalStore, order_id: str, line_no: int, qty: float, bag: int, gtin: str | None,
    batch: str | None, expiry: str | None, weight_kg: float | None, packer: str, at: str,
) -> None:  # fmt: skip
    """Keep one accepted unit (inside `write()`)."""
    store.conn.execute(
        "INSERT INTO qc_scan (order_id, line_no, qty, bag, gtin, batch, expiry, weight_kg,"
        " packer, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (order_id, line_no, qty, bag, gtin, batch, expiry, weight_kg, packer, at),
    )


def drop_scans(store: LocalStore, order_id: str, line_nos: list[int]) -> None:
    """Forget the last accepted unit of each line in `line_nos` (inside `write()`)."""
    for line_no in line_nos:
        store.conn.execute(
            "DELETE FROM qc_scan WHERE rowid = (SELECT MAX(rowid) FROM qc_scan"
            " WHERE order_id = ? AND line_no = ?)",
            (order_id, line_no),
        )


def add_short(
    store: LocalStore, order_id: str, line_no: int, qty: float, lead: str, at: str
) -> None:
    """A lead approved the line short at packing (inside `write()`)."""
    store.conn.execute(
        "INSERT OR REPLACE INTO qc_short (order_id, line_no, qty, lead, at) VALUES (?, ?, ?, ?, ?)",
        (order_id, line_no, qty, lead, at),
    )


def packed(store: LocalStore, order_id: str) -> None:
    """QC passed: the order is packed and its tote free again (inside `write()`)."""
    store.conn.execute("UPDATE orders SET state = 'packed', tote = NULL WHERE id = ?", (order_id,))
    store.conn.execute(
        "UPDATE tote SET state = 'free', order_id = NULL WHERE order_id = ?", (order_id,)
    )


def add_bags(store: LocalStore, order_id: str, bags: list[tuple[Any, ...]]) -> None:
    """The bags of a packed order: (code, n, m, temp, packed_at, hand_over_by) each (inside
    `write()`)."""
    store.conn.executemany(
        "INSERT INTO bag (code, order_id, n, m, state, temp, packed_at, hand_over_by)"
        " VALUES (?, ?, ?, ?, 'packed', ?, ?, ?) ON CONFLICT (code) DO UPDATE SET"
        " order_id = excluded.order_id, n = excluded.n, m = excluded.m, state = 'packed',"
        " temp = excluded.temp, packed_at = excluded.packed_at,"
        " hand_over_by = excluded.hand_over_by",
        [(code, order_id, n, m, temp, at, by) for code, n, m, temp, at, by in bags],
    )


def bag(store: LocalStore, code: str) -> tuple[Any, ...] | None:
    """(order_id, n, m, state, temp, packed_at, hand_over_by, order state) of a bag, or None."""
    row = store.conn.execute(
        "SELECT b.order_id, b.n, b.m, b.state, b.temp, b.packed_at, b.hand_over_by, o.state"
        " FROM bag b LEFT JOIN orders o ON o.id = b.order_id WHERE b.code = ?",
        (code,),
    ).fetchone()
    return tuple(row) if row else None


def bags_of(store: LocalStore, order_id: str) -> list[tuple[Any, ...]]:
    """(code, n, m, temp, packed_at, hand_over_by) of each bag of the order, by n."""
    return store.conn.execute(
        "SELECT code, n, m, temp, packed_at, hand_over_by FROM bag WHERE order_id = ? ORDER BY n",
        (order_id,),
    ).fetchall()


def packed_rows(store: LocalStore) -> list[tuple[Any, ...]]:
    """Orders packed and waiting for a rider: (id, promised_at, bags, packed_at) each."""
    return store.conn.execute(
        "SELECT o.id, o.promised_at, COUNT(b.code), MIN(b.packed_at) FROM orders o"
        " LEFT JOIN bag b ON b.order_id = o.id WHERE o.state = 'packed' GROUP BY o.id"
    ).fetchall()


def dispatched(store: LocalStore, order_id: str) -> None:
    """The order left with a rider (inside `write()`)."""
    store.conn.execute("UPDATE orders SET state = 'dispatched' WHERE id = ?", (order_id,))
    store.conn.execute("UPDATE bag SET state = 'dispatched' WHERE order_id = ?", (order_id,))


def queue_label(
    store: LocalStore, bag_code: str, order_id: str, n: int, m: int, temp: str,
    area: str | None, hand_over_by: str | None, duplicate: bool, at: str,
) -> None:  # fmt: skip
    """A label to print (inside `write()`); the first label of a bag is queued once."""
    store.conn.execute(
        "INSERT OR IGNORE INTO label_job (bag, order_id, n, m, temp, area, hand_over_by,"
        " duplicate, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (bag_code, order_id, n, m, temp, area, hand_over_by, int(duplicate), at),
    )


def queued_labels(store: LocalStore) -> list[tuple[Any, ...]]:
    """Labels not printed yet, oldest first: (id, bag, order_id, n, m, temp, area,
    hand_over_by, duplicate, error)."""
    return store.conn.execute(
        "SELECT id, bag, order_id, n, m, temp, area, hand_over_by, duplicate, error"
        " FROM label_job WHERE state = 'queued' ORDER BY id"
    ).fetchall()


def label_done(store: LocalStore, job_id: int) -> None:
    """The printer took the label (inside `write()`)."""
    store.conn.execute(
        "UPDATE label_job SET state = 'printed', error = NULL WHERE id = ?", (job_id,)
    )


def label_failed(store: LocalStore, job_id: int, error: str) -> None:
    """Why the label is not printed yet (inside `write()`)."""
    store.conn.execute("UPDATE label_job SET error = ? WHERE id = ?", (error, job_id))


def refused_results(store: LocalStore) -> list[tuple[Any, ...]]:
    """This device's QC results the backend refused (e.g. another station packed the order
    first): (order_id, reason) each, oldest first."""
    return store.conn.execute(
        "SELECT json_extract(o.payload, '$.order'), r.reason FROM outbox o"
        " JOIN rejected r ON r.event_id = o.event_id"
        " WHERE o.type = 'qc_completed' AND o.state = 'rejected' ORDER BY o.seq"
    ).fetchall()
