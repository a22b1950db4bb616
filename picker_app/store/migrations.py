"""Ordered, named schema migrations of the local cache (as simonw/llm does): each runs once, in
order, and is recorded in the `_migrations` table with the time it ran. Never edit or reorder a
released migration; add a new one at the end."""

from __future__ import annotations

MIGRATIONS: list[tuple[str, str]] = [
    (
        "0001_initial",
        """
        CREATE TABLE store_info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE sku (
            sku TEXT PRIMARY KEY, name TEXT NOT NULL,
            unit TEXT NOT NULL CHECK (unit IN ('each', 'kg')), weight_g REAL,
            bin TEXT, category TEXT, price REAL
        );
        CREATE TABLE sku_barcode (gtin TEXT PRIMARY KEY, sku TEXT NOT NULL REFERENCES sku(sku));
        CREATE TABLE stock (
            bin TEXT NOT NULL, sku TEXT NOT NULL, on_hand REAL NOT NULL, as_of TEXT,
            PRIMARY KEY (bin, sku)
        );
        CREATE TABLE orders (
            id TEXT PRIMARY KEY, promised_at TEXT, state TEXT NOT NULL, priority INTEGER DEFAULT 0,
            area TEXT, substitutions TEXT
        );
        CREATE TABLE order_line (
            order_id TEXT NOT NULL REFERENCES orders(id), line_no INTEGER NOT NULL,
            sku TEXT NOT NULL, qty_ordered REAL NOT NULL, qty_picked REAL NOT NULL DEFAULT 0,
            qty_short REAL NOT NULL DEFAULT 0, substitute_sku TEXT, state TEXT NOT NULL,
            PRIMARY KEY (order_id, line_no)
        );
        CREATE TABLE pick_task (
            id TEXT PRIMARY KEY, picker TEXT, order_ids TEXT NOT NULL, totes TEXT,
            route TEXT, started_at TEXT, finished_at TEXT
        );
        CREATE TABLE tote (code TEXT PRIMARY KEY, order_id TEXT, state TEXT NOT NULL);
        CREATE TABLE bag (
            code TEXT PRIMARY KEY, order_id TEXT NOT NULL, n INTEGER, m INTEGER, state TEXT NOT NULL
        );
        CREATE TABLE count_task (
            id TEXT PRIMARY KEY, bins TEXT NOT NULL, reason TEXT NOT NULL, assignee TEXT,
            state TEXT NOT NULL, counts TEXT, recount_of TEXT
        );
        CREATE TABLE users (
            id TEXT PRIMARY KEY, name TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('picker', 'packer', 'lead')),
            badge TEXT UNIQUE NOT NULL, pin_hash TEXT NOT NULL
        );
        CREATE TABLE pick_history (at TEXT NOT NULL, bin TEXT NOT NULL, sku TEXT, qty REAL);
        CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT);
        CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY, event_id TEXT UNIQUE NOT NULL, device TEXT NOT NULL,
            type TEXT NOT NULL, user TEXT, created_at TEXT NOT NULL, payload TEXT NOT NULL,
            batch_id TEXT, state TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'sent', 'rejected'))
        );
        CREATE TABLE rejected (
            event_id TEXT PRIMARY KEY REFERENCES outbox(event_id), reason TEXT NOT NULL,
            seen_at TEXT NOT NULL, dismissed_by TEXT
        );
        """,
    ),
    (
        "0002_indexes",
        """
        CREATE INDEX outbox_pending ON outbox(state, seq);
        CREATE INDEX pick_history_bin ON pick_history(bin, at);
        CREATE INDEX order_line_sku ON order_line(sku);
        """,
    ),
    (
        "0003_sku_store_code",
        """
        ALTER TABLE sku ADD COLUMN store_code TEXT;
        """,
    ),
    (
        "0004_order_line_suggestions",
        """
        ALTER TABLE order_line ADD COLUMN suggestions TEXT;
        """,
    ),
    # Packing (issue 13): the tote an order waits in, riders among the people (their badges
    # are scanned at the handover), and each unit QC scanned into a bag, kept as it is scanned
    # so that a restart resumes the check where it was.
    (
        "0005_packing",
        """
        ALTER TABLE orders ADD COLUMN tote TEXT;
        CREATE TABLE users_new (
            id TEXT PRIMARY KEY, name TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('picker', 'packer', 'lead', 'rider')),
            badge TEXT UNIQUE NOT NULL, pin_hash TEXT NOT NULL
        );
        INSERT INTO users_new SELECT id, name, role, badge, pin_hash FROM users;
        DROP TABLE users;
        ALTER TABLE users_new RENAME TO users;
        CREATE TABLE qc_scan (
            order_id TEXT NOT NULL, line_no INTEGER NOT NULL, qty REAL NOT NULL,
            bag INTEGER NOT NULL, gtin TEXT, batch TEXT, expiry TEXT, weight_kg REAL,
            packer TEXT, at TEXT NOT NULL
        );
        CREATE INDEX qc_scan_order ON qc_scan(order_id);
        CREATE TABLE qc_short (
            order_id TEXT NOT NULL, line_no INTEGER NOT NULL, qty REAL NOT NULL,
            lead TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (order_id, line_no)
        );
        """,
    ),
    # Bags and their labels (issue 13): each bag of a packed order with its temperature class
    # and when it must be with the rider; each label to print, kept until the printer took it
    # (offline too), a reprint marked as one; how much of a line packing sent back to picking.
    (
        "0006_bags_and_labels",
        """
        ALTER TABLE bag ADD COLUMN temp TEXT;
        ALTER TABLE bag ADD COLUMN packed_at TEXT;
        ALTER TABLE bag ADD COLUMN hand_over_by TEXT;
        CREATE TABLE label_job (
            id INTEGER PRIMARY KEY, bag TEXT NOT NULL, order_id TEXT NOT NULL,
            n INTEGER NOT NULL, m INTEGER NOT NULL, temp TEXT NOT NULL, area TEXT,
            hand_over_by TEXT, duplicate INTEGER NOT NULL DEFAULT 0,
            state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'printed')),
            error TEXT, at TEXT NOT NULL
        );
        CREATE UNIQUE INDEX label_job_first ON label_job(bag) WHERE duplicate = 0;
        ALTER TABLE order_line ADD COLUMN repick REAL NOT NULL DEFAULT 0;
        """,
    ),
    # Blind counts (issue 14): the product a count task counts, and each unit a counter scanned
    # (kept as it is scanned, so a restart resumes the count).
    (
        "0007_counts",
        """
        ALTER TABLE count_task ADD COLUMN sku TEXT;
        CREATE TABLE count_scan (
            task TEXT NOT NULL, bin TEXT NOT NULL, sku TEXT NOT NULL, qty REAL NOT NULL,
            gtin TEXT, batch TEXT, expiry TEXT, counter TEXT NOT NULL, at TEXT NOT NULL
        );
        CREATE INDEX count_scan_task ON count_scan(task, counter);
        """,
    ),
    # A count waiting for the lead's decision: what was counted and the book it is held against
    # (the backend sends both only then; NULL while the bin is counted).
    (
        "0008_count_decisions",
        """
        ALTER TABLE count_task ADD COLUMN counted REAL;
        ALTER TABLE count_task ADD COLUMN book REAL;
        """,
    ),
    # Slotting moves (issue 14): each move a lead accepted (`accepted` here until the backend
    # has it, then `open`; `done` once moved), a task of take from one bin, put to another.
    (
        "0009_slot_moves",
        """
        CREATE TABLE slot_move (
            id TEXT PRIMARY KEY, sku TEXT NOT NULL, from_bin TEXT NOT NULL,
            to_bin TEXT NOT NULL, swap_sku TEXT, state TEXT NOT NULL
        );
        """,
    ),
    # Reorder and replenishment (issue 14): the last reorder list fetched from the backend
    # (its JSON, shown offline with when it was fetched), and the pick faces to replenish
    # (`open` as the backend has them, `done` here once reported).
    (
        "0010_reorder",
        """
        CREATE TABLE reorder_kept (
            id INTEGER PRIMARY KEY CHECK (id = 1), fetched_at TEXT NOT NULL, body TEXT NOT NULL
        );
        CREATE TABLE replenish_task (
            id TEXT PRIMARY KEY, bin TEXT NOT NULL, sku TEXT NOT NULL, qty REAL NOT NULL,
            state TEXT NOT NULL
        );
        """,
    ),
    # Whom a store lead let take count tasks (issue 14), as the backend sends it.
    (
        "0011_count_permission",
        "ALTER TABLE users ADD COLUMN may_count INTEGER NOT NULL DEFAULT 0",
    ),
    # The shrinkage report (issue 14): the last one fetched from the backend (its JSON, shown
    # offline with when it was fetched).
    (
        "0012_shrinkage",
        """
        CREATE TABLE shrinkage_kept (
            id INTEGER PRIMARY KEY CHECK (id = 1), fetched_at TEXT NOT NULL, body TEXT NOT NULL
        );
        """,
    ),
    # A multi-scan task under way (a slotting move, a replenishment): its progress (the JSON of
    # its domain state), saved with each scan accepted so that Esc, a restart or a crash
    # resumes it where it was; deleted with the event that reports the task done.
    (
        "0013_task_progress",
        """
        CREATE TABLE task_progress (
            kind TEXT NOT NULL CHECK (kind IN ('slot_move', 'replenish')), task TEXT NOT NULL,
            state TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (kind, task)
        );
        """,
    ),
    # The outbox keeps every event (sent ones too): the board's reads of today's events of a
    # type (picks, QC results, out-of-stock flags) use this instead of reading all of it.
    (
        "0014_outbox_by_type",
        """
        CREATE INDEX outbox_type_time ON outbox(type, created_at);
        """,
    ),
]
