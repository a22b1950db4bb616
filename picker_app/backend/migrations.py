"""The backend's schema as ordered, named migrations, run by picker_app/schema.py's runner."""

import sqlite3
from pathlib import Path

from picker_app.errors import PickerError
from picker_app.schema import migrate

# The backend's schema as ordered, named migrations (recorded in `_migrations`, as the device's
# cache does). 0001 is written with IF NOT EXISTS: databases made before migrations were recorded
# take it as already there. Never edit or reorder a released one; add new ones at the end.
SCHEMA = """
CREATE TABLE IF NOT EXISTS devices (
    token_hash TEXT PRIMARY KEY, device TEXT NOT NULL, store TEXT NOT NULL, created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    event_id TEXT PRIMARY KEY, store TEXT NOT NULL, device TEXT NOT NULL, seq INTEGER NOT NULL,
    type TEXT NOT NULL, payload TEXT NOT NULL, created_at TEXT NOT NULL, received_at TEXT NOT NULL,
    status TEXT NOT NULL, reason TEXT
);
CREATE TABLE IF NOT EXISTS catalog (
    store TEXT NOT NULL, sku TEXT NOT NULL, name TEXT NOT NULL, unit TEXT NOT NULL,
    weight_g REAL, bin TEXT, category TEXT, price REAL, gtin TEXT, store_code TEXT,
    demand REAL NOT NULL DEFAULT 1, PRIMARY KEY (store, sku)
);
CREATE TABLE IF NOT EXISTS store_meta (
    store TEXT PRIMARY KEY, layout TEXT, layout_hash TEXT
);
CREATE TABLE IF NOT EXISTS order_history (
    store TEXT NOT NULL, order_id TEXT NOT NULL, placed_at TEXT NOT NULL, sku TEXT NOT NULL,
    qty REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS count_tasks (
    store TEXT NOT NULL, id TEXT NOT NULL, bin TEXT NOT NULL, sku TEXT, reason TEXT NOT NULL,
    state TEXT NOT NULL, counted REAL, recount_of TEXT, PRIMARY KEY (store, id)
);
CREATE TABLE IF NOT EXISTS losses (
    store TEXT NOT NULL, event_id TEXT NOT NULL, kind TEXT NOT NULL, bin TEXT, sku TEXT,
    qty REAL, batch TEXT
);
CREATE TABLE IF NOT EXISTS substitutions (
    store TEXT NOT NULL, event_id TEXT NOT NULL, order_id TEXT NOT NULL, line_no INTEGER,
    from_sku TEXT, to_sku TEXT, qty REAL
);
CREATE TABLE IF NOT EXISTS variances (
    store TEXT NOT NULL, task_id TEXT NOT NULL, bin TEXT NOT NULL, sku TEXT, expected REAL,
    counted REAL, at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    store TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL,
    badge TEXT NOT NULL, pin_hash TEXT NOT NULL, PRIMARY KEY (store, id)
);
CREATE TABLE IF NOT EXISTS orders (
    store TEXT NOT NULL, id TEXT NOT NULL, promised_at TEXT, state TEXT NOT NULL,
    priority INTEGER NOT NULL DEFAULT 0, area TEXT, claimed_by TEXT, PRIMARY KEY (store, id)
);
CREATE TABLE IF NOT EXISTS order_lines (
    store TEXT NOT NULL, order_id TEXT NOT NULL, line_no INTEGER NOT NULL, sku TEXT NOT NULL,
    qty REAL NOT NULL, qty_picked REAL NOT NULL DEFAULT 0, qty_short REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (store, order_id, line_no)
);
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, store TEXT NOT NULL, kind TEXT NOT NULL,
    key TEXT NOT NULL, at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS stock (
    store TEXT NOT NULL, bin TEXT NOT NULL, sku TEXT NOT NULL, on_hand REAL NOT NULL,
    PRIMARY KEY (store, bin, sku)
);
"""
MIGRATIONS: list[tuple[str, str]] = [
    ("0001_initial", SCHEMA),
    # Each line keeps its substitutes as ranked when the order was placed, and what would change
    # them (backend/suggest.py); lines from before have NULL and are ranked when read.
    (
        "0002_order_line_suggestions",
        """
        ALTER TABLE order_lines ADD COLUMN suggestions TEXT;
        ALTER TABLE order_lines ADD COLUMN suggestions_watch TEXT;
        CREATE INDEX IF NOT EXISTS changes_by_store ON changes (store, seq);
        CREATE INDEX IF NOT EXISTS orders_by_state ON orders (store, state);
        """,
    ),
    # Exactly-once per store and device: an event_id of one store (or device) is not a
    # duplicate in another. Rows are copied in their order (rowid is the order received).
    (
        "0003_events_keyed_by_store_and_device",
        """
        CREATE TABLE events_keyed (
            store TEXT NOT NULL, device TEXT NOT NULL, event_id TEXT NOT NULL,
            seq INTEGER NOT NULL, type TEXT NOT NULL, payload TEXT NOT NULL,
            created_at TEXT NOT NULL, received_at TEXT NOT NULL, status TEXT NOT NULL,
            reason TEXT, PRIMARY KEY (store, device, event_id)
        );
        INSERT INTO events_keyed (store, device, event_id, seq, type, payload, created_at,
            received_at, status, reason)
            SELECT store, device, event_id, seq, type, payload, created_at, received_at, status,
            reason FROM events ORDER BY rowid;
        DROP TABLE events;
        ALTER TABLE events_keyed RENAME TO events;
        """,
    ),
    # Stock an infinite quantity once drove to +-Infinity (sent as null, refused by every
    # device): unknown, so 0 until it is counted.
    (
        "0004_finite_stock",
        "UPDATE stock SET on_hand = 0 WHERE on_hand IN (9e999, -9e999)",
    ),
    # Packing (issue 13): the customer's substitution preference, the tote an order waits in,
    # the bags QC packed it into; QC results (a picker's error rate follows from them), labels
    # printed and dispatches to riders.
    (
        "0005_packing",
        """
        ALTER TABLE orders ADD COLUMN substitutes TEXT NOT NULL DEFAULT 'allow';
        ALTER TABLE orders ADD COLUMN tote TEXT;
        ALTER TABLE orders ADD COLUMN bags TEXT;
        ALTER TABLE orders ADD COLUMN picked_by TEXT;
        CREATE TABLE IF NOT EXISTS qc_results (
            store TEXT NOT NULL, event_id TEXT NOT NULL, order_id TEXT NOT NULL,
            packer TEXT, picker TEXT, result TEXT NOT NULL, discrepancies TEXT NOT NULL,
            lines INTEGER NOT NULL, at TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS labels (
            store TEXT NOT NULL, event_id TEXT NOT NULL, order_id TEXT NOT NULL, bag TEXT,
            n INTEGER, m INTEGER, reprint INTEGER NOT NULL DEFAULT 0, at TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS dispatches (
            store TEXT NOT NULL, event_id TEXT NOT NULL, order_id TEXT NOT NULL, rider TEXT,
            bags TEXT NOT NULL, at TEXT NOT NULL
        );
        """,
    ),
    # A line packing sent back: how much of it is to be picked again (a targeted re-pick).
    (
        "0006_repick",
        "ALTER TABLE order_lines ADD COLUMN repick REAL NOT NULL DEFAULT 0",
    ),
    # Cycle counts (issue 14): each counter's count of a task (several counters add up), whether
    # the task waits for a recount by someone else, and the lead's reason for a decision.
    (
        "0007_counts",
        """
        CREATE TABLE IF NOT EXISTS count_entries (
            store TEXT NOT NULL, task_id TEXT NOT NULL, event_id TEXT NOT NULL, counter TEXT,
            counted REAL NOT NULL, at TEXT NOT NULL
        );
        ALTER TABLE count_tasks ADD COLUMN needs_recount INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE count_tasks ADD COLUMN decided_why TEXT;
        """,
    ),
    # Stock as of any moment (issue 14: picks during a count): every change of a bin's stock by
    # an event, at the moment the device recorded it; when each counter's first and last unit
    # was scanned; and the book a submitted count is compared with.
    (
        "0008_stock_moves",
        """
        CREATE TABLE IF NOT EXISTS stock_moves (
            store TEXT NOT NULL, bin TEXT NOT NULL, sku TEXT NOT NULL, delta REAL NOT NULL,
            at TEXT NOT NULL, event_id TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS stock_moves_by_bin ON stock_moves (store, bin, sku, at);
        ALTER TABLE count_entries ADD COLUMN first_at TEXT;
        ALTER TABLE count_entries ADD COLUMN last_at TEXT;
        ALTER TABLE count_tasks ADD COLUMN expected REAL;
        """,
    ),
    # The store board (issue 14): the events each device said it still holds (the upload's
    # X-Pending-Events header), when it said so.
    (
        "0009_device_reports",
        """
        CREATE TABLE IF NOT EXISTS device_reports (
            store TEXT NOT NULL, device TEXT NOT NULL, pending INTEGER NOT NULL,
            at TEXT NOT NULL, PRIMARY KEY (store, device)
        );
        """,
    ),
    # Slotting moves (issue 14): a move a lead accepted is a task (take from one bin, put to
    # another, the swapped product back), `open` until a device reports it done.
    (
        "0010_slot_moves",
        """
        CREATE TABLE IF NOT EXISTS slot_moves (
            store TEXT NOT NULL, id TEXT NOT NULL, sku TEXT NOT NULL, from_bin TEXT NOT NULL,
            to_bin TEXT NOT NULL, swap_sku TEXT, state TEXT NOT NULL, accepted_by TEXT,
            accepted_at TEXT NOT NULL, done_at TEXT, qty REAL, swap_qty REAL,
            PRIMARY KEY (store, id)
        );
        """,
    ),
    # Pick-face replenishment (issue 14): a task to bring stock to a bin a pick left under its
    # minimum, `open` until done; the store's settings (the minimum, in days of sales); and the
    # indexes that read a product's sales (order history, picks) when a pick is applied.
    (
        "0011_replenish_tasks",
        """
        CREATE TABLE IF NOT EXISTS replenish_tasks (
            store TEXT NOT NULL, id TEXT NOT NULL, bin TEXT NOT NULL, sku TEXT NOT NULL,
            qty REAL NOT NULL, state TEXT NOT NULL, opened_at TEXT NOT NULL, done_at TEXT,
            brought REAL, PRIMARY KEY (store, id)
        );
        CREATE INDEX IF NOT EXISTS replenish_tasks_open ON replenish_tasks (store, bin, sku, state);
        CREATE TABLE IF NOT EXISTS store_settings (
            store TEXT PRIMARY KEY, replenish_days REAL
        );
        CREATE INDEX IF NOT EXISTS order_history_by_sku ON order_history (store, sku);
        CREATE INDEX IF NOT EXISTS stock_moves_by_sku ON stock_moves (store, sku, at);
        CREATE TABLE IF NOT EXISTS sales_by_day (
            store TEXT NOT NULL, sku TEXT NOT NULL, day TEXT NOT NULL, qty REAL NOT NULL,
            PRIMARY KEY (store, sku, day)
        );
        INSERT INTO sales_by_day (store, sku, day, qty)
            SELECT store, sku, date(placed_at), SUM(qty) FROM order_history
            WHERE date(placed_at) IS NOT NULL GROUP BY store, sku, date(placed_at);
        INSERT INTO sales_by_day (store, sku, day, qty)
            SELECT m.store, m.sku, date(m.at), -SUM(m.delta) FROM stock_moves m
            JOIN events e ON e.store = m.store AND e.event_id = m.event_id
            WHERE e.type = 'stock_picked' AND e.status = 'applied' AND m.delta < 0
            GROUP BY m.store, m.sku, date(m.at)
            ON CONFLICT (store, sku, day) DO UPDATE SET qty = qty + excluded.qty;
        """,
    ),
    # Counts by others than leads (issue 14): whom a store lead let take count tasks.
    (
        "0012_count_permission",
        "ALTER TABLE users ADD COLUMN may_count INTEGER NOT NULL DEFAULT 0",
    ),
    # Who uses a device (issue 15): its downloads carry the PIN hashes of those roles only
    # (comma-separated; NULL: every role, as devices made before this).
    (
        "0013_device_roles",
        "ALTER TABLE devices ADD COLUMN roles TEXT",
    ),
    # The effects' lookups of one order's or one bin's rows (issue 15): without these, each
    # pick of an order line read every substitution the store ever made, each pick that
    # emptied a bin every count task, each QC every result (tests/test_backend_batches.py).
    (
        "0014_hot_path_indexes",
        """
        CREATE INDEX IF NOT EXISTS substitutions_by_line
            ON substitutions (store, order_id, line_no);
        CREATE INDEX IF NOT EXISTS count_tasks_by_bin ON count_tasks (store, bin, sku, state);
        CREATE INDEX IF NOT EXISTS count_entries_by_task ON count_entries (store, task_id);
        CREATE INDEX IF NOT EXISTS qc_results_by_order ON qc_results (store, order_id);
        """,
    ),
]


def run(conn: sqlite3.Connection, path: Path) -> None:
    """Bring the backend's SQLite database at `path` up to the last of MIGRATIONS."""
    migrate(conn, path, MIGRATIONS, PickerError)
