"""The typed events (domain/events.py): one model per type, read through one union on `type` by
the device and the backend alike, and stored and sent with the payload's JSON as it always was."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from picker_app.domain.events import (
    EVENT_TYPES,
    EVENTS,
    PAYLOADS,
    BadEvent,
    StockPicked,
    dump_payload,
    parse_event,
    payload_problem,
)
from picker_app.domain.picking import PickLine, PickSession
from picker_app.domain.scan import interpret
from picker_app.store.db import LocalStore

SAMPLES = {
    "pick_started": {"task": "PT-1", "orders": ["OR1", "OR2"], "totes": ["T1", "T2"]},
    "stock_picked": {"order": "OR1", "line": 1, "sku": "S", "bin": "A01-1", "qty": 1.0,
                     "gtin": "08901234567890", "batch": None, "expiry": None, "weight_kg": None},
    "pick_shorted": {"order": "OR1", "line": 1, "sku": "S", "qty": 0.0},
    "out_of_stock_flagged": {"order": "OR1", "line": 1, "sku": "S", "bin": "A01-1",
                             "qty_found": 0.0},
    "stock_expired": {"sku": "S", "bin": "A01-1", "qty": 2.0, "batch": "B12", "for_order": "OR1"},
    "stock_damaged": {"sku": "S", "bin": "A01-1", "qty": 1.0, "batch": None, "for_order": "OR1"},
    "stock_returned": {"order": "OR1", "line": 1, "sku": "S", "bin": "A01-1", "qty": 1.0,
                       "why": "scanned by mistake"},
    "substitution_made": {"order": "OR1", "line": 1, "from_sku": "S", "to_sku": "T", "qty": 1.0},
    "tote_closed": {"order": "OR1", "tote": None},
    "qc_completed": {"order": "OR1", "result": "fail",
                     "discrepancies": [{"line": 2, "sku": "S", "qty": 1.0, "note": "crushed"}]},
    "line_repick_requested": {"order": "OR1", "line": 2, "sku": "S", "qty": 1.0, "why": "missing"},
    "label_printed": {"order": "OR1", "bag": 1, "bags": 2},
    "order_dispatched": {"order": "OR1", "rider": "Ravi", "bags": 2},
    "count_submitted": {"task": "CT-1", "bin": "A01-1", "sku": "S", "counted": 4.0},
    "count_approved": {"task": "CT-1", "lead": "U900"},
    "count_requested": {"bins": ["A01-1", "A01-2"]},
    "count_permission_set": {"user": "U101", "allowed": True},
    "stock_near_expiry": {"sku": "S", "bin": "H01-1", "qty": 1.0, "batch": "L1",
                          "expiry": "2026-11-26", "verdict": "pull"},
    "slot_move_accepted": {"move": "SM-1", "sku": "S", "from_bin": "A09-1", "to_bin": "A01-1",
                           "swap_sku": None},
    "slot_moved": {"move": "SM-1", "sku": "S", "from_bin": "A09-1", "to_bin": "A01-1",
                   "qty": 6.0, "swap_sku": "T", "swap_qty": 2.0},
    "count_rejected": {"task": "CT-1"},
    "stock_replenished": {"task": "RP-1", "bin": "A01-1", "sku": "S", "qty": 12.0},
}  # fmt: skip


def test_the_union_reads_each_type_as_its_model_and_dumps_its_payload_unchanged():
    assert set(SAMPLES) == EVENT_TYPES
    for type_, payload in SAMPLES.items():
        event = parse_event(type_, payload)
        assert type(event) is PAYLOADS[type_] and event.type == type_
        assert EVENTS.validate_python({"type": type_, **payload}) == event
        assert dump_payload(event) == payload  # the same keys, never a `type` among them


def test_a_payload_that_does_not_fit_is_refused_naming_its_field():
    bad = {"bin": "A07-2", "sku": "SKU-1", "qty": 0}
    with pytest.raises(BadEvent) as refused:
        parse_event("stock_picked", bad)
    assert refused.value.type == "stock_picked" and [e["loc"] for e in refused.value.errors] == [
        ("qty",)
    ]
    assert str(refused.value) == "qty: Input should be greater than 0"
    assert payload_problem("stock_picked", bad) == "qty: Input should be greater than 0"
    nested = {"order": "OR1", "result": "pass", "discrepancies": [{"line": 0}]}
    assert payload_problem("qc_completed", nested) == (
        "discrepancies.0.line: Input should be greater than or equal to 1"
    )
    assert payload_problem("stock_picked", {"bin": "A07-2", "sku": "SKU-1"}) == (
        "qty: Field required"
    )
    assert payload_problem("stock_teleported", {}) == "unknown event type 'stock_teleported'"
    assert payload_problem("stock_picked", {"bin": "A07-2", "sku": "SKU-1", "qty": 1}) is None


def test_an_event_the_device_records_reads_back_through_the_backends_parser_unchanged(tmp_path):
    """What the domain makes is stored as the JSON the device always stored (sorted keys, None
    kept, no type), and the backend's reader gives back the same model."""
    line = PickLine("OR52000001", 1, "SKU-000462", "Toor Dal 1 kg", "A19-4", 2,
                    gtins=frozenset({"08907074025873"}))  # fmt: skip
    session = PickSession([line], require_bin_scan=False)
    picked = session.scan(interpret("8907074025873"))
    short = session.flag_short(0.0)
    assert picked.accepted and short.accepted, (picked.message, short.message)
    store = LocalStore.open(tmp_path / "device.db", device="dev-1")
    try:
        with store.write():
            for event in picked.events + short.events:
                store.record(event, user="U101")
        stored = store.conn.execute("SELECT type, payload FROM outbox ORDER BY seq").fetchall()
    finally:
        store.close()
    assert stored[0] == (
        "stock_picked",
        '{"batch":null,"bin":"A19-4","expiry":null,"gtin":"08907074025873","line":1,'
        '"order":"OR52000001","qty":1.0,"sku":"SKU-000462","weight_kg":null}',
    )
    assert [row[0] for row in stored] == ["stock_picked", "out_of_stock_flagged", "pick_shorted"]
    for (type_, payload), made in zip(stored, picked.events + short.events, strict=True):
        read = parse_event(type_, json.loads(payload))
        assert read == made and dump_payload(read) == json.loads(payload)


def test_a_model_made_with_a_bad_field_says_which_event_and_field():
    with pytest.raises(ValidationError) as err:
        StockPicked(bin="A07-2", sku="SKU-1", qty=-1)
    assert BadEvent.built(err.value).refusal == (
        "this app made a stock_picked event the backend would refuse (qty: Input should be "
        "greater than 0); nothing was saved: tell your store lead"
    )
