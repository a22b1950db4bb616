"""The facts a device reports to the backend (DESIGN.md, events device -> backend)."""

EVENT_TYPES = frozenset(
    {
        "pick_started",
        "stock_picked",
        "pick_shorted",
        "out_of_stock_flagged",
        "stock_expired",
        "stock_damaged",
        "stock_returned",
        "substitution_made",
        "tote_closed",
        "qc_completed",
        "label_printed",
        "order_dispatched",
        "count_submitted",
        "count_approved",
        "count_rejected",
    }
)
