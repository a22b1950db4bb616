"""The picking rules, without a screen, a database or a network."""

from __future__ import annotations

from datetime import date

from picker_app.domain.picking import PickLine, PickSession
from picker_app.domain.scan import interpret


def ean13(body12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body12))
    return body12 + str((10 - total % 10) % 10)


MILK = ean13("890545500232")
ATTA = ean13("890123400011")
TOMATO_LABEL = ean13("210123400750")  # store code 01234, 0.750 kg
TOMATO_LOOKUP = "0" + ean13("210123400000")


def session(**kw) -> PickSession:
    lines = [
        PickLine("OR1", 1, "SKU-1", "Nandini Toned Milk 500 ml", "H06-2", 2,
                 gtins=frozenset({"0" + MILK}), zone="chilled"),
        PickLine("OR1", 2, "SKU-2", "Aashirvaad Atta 5 kg", "A07-1", 1,
                 gtins=frozenset({"0" + ATTA})),
        PickLine("OR1", 3, "SKU-3", "Tomato Hybrid (loose)", "S12-1", 0.7, unit="kg",
                 gtins=frozenset({TOMATO_LOOKUP})),
    ]  # fmt: skip
    return PickSession(lines, **kw)


def scan(raw: str):
    return interpret(raw)


def test_bin_then_items_tick_the_line_and_record_each_pick():
    s = session()
    assert not s.scan(scan(MILK)).accepted  # bin first
    assert s.scan(scan("h6-2")).accepted
    first = s.scan(scan(MILK))
    assert first.accepted and "1 unit to go" in first.message and not first.line_done
    (event,) = first.events
    assert event[0] == "stock_picked" and event[1]["bin"] == "H06-2" and event[1]["qty"] == 1
    second = s.scan(scan(MILK))
    assert second.line_done and s.current.sku == "SKU-2"
    assert not s.bin_confirmed  # the next stop needs its own bin scan


def test_wrong_bin_wrong_item_later_item_and_unreadable_change_nothing():
    s = session()
    wrong_bin = s.scan(scan("A07-1"))
    assert not wrong_bin.accepted and "go to H06-2" in wrong_bin.message
    s.scan(scan("H06-2"))
    later = s.scan(scan(ATTA))
    assert not later.accepted and "later stop" in later.message
    other = s.scan(scan(ean13("890999900001")))
    assert not other.accepted and "expected Nandini" in other.message
    bad = s.scan(scan(MILK[:-1] + str((int(MILK[-1]) + 1) % 10)))
    assert not bad.accepted and "check digit" in bad.message.lower()
    tote = s.scan(scan("TT000042"))
    assert not tote.accepted and "tote label" in tote.message
    assert s.picked == {} and all(not d for d in (later.events, other.events, bad.events))


def test_weighed_item_takes_its_weight_from_the_label():
    s = session(require_bin_scan=False)
    for _ in range(2):
        s.scan(scan(MILK))
    s.scan(scan(ATTA))
    assert s.current.unit == "kg"
    plain = s.scan(scan(TOMATO_LOOKUP[1:]))  # the zeroed look-up code carries no weight
    assert not plain.accepted and "weight label" in plain.message and not plain.events
    weighed = s.scan(scan(TOMATO_LABEL))
    assert weighed.accepted and weighed.events[0][1]["qty"] == 0.75
    assert weighed.line_done and weighed.order_done and s.finished


def test_short_pick_records_the_flag_and_moves_on():
    s = session(require_bin_scan=False)
    s.scan(scan(MILK))
    d = s.flag_short(qty_found=0)
    assert d.accepted and d.line_done and "short by 1" in d.message
    assert [e[0] for e in d.events] == ["out_of_stock_flagged", "pick_shorted"]
    assert d.events[1][1]["qty"] == 1
    assert s.current.sku == "SKU-2"


def test_skip_comes_back_at_the_end():
    s = session(require_bin_scan=False)
    s.skip()
    assert s.current.sku == "SKU-2"
    s.scan(scan(ATTA))
    s.flag_short(0)  # tomato
    assert s.current.sku == "SKU-1"  # the skipped milk, last


def test_expired_item_is_refused():
    s = session(require_bin_scan=False, today=date(2026, 11, 25))
    gs1 = f"]C101{'0' + MILK}\x1d17261120"
    d = s.scan(scan(gs1))
    assert not d.accepted and "Expired on 2026-11-20" in d.message


def test_put_back_an_item_scanned_by_mistake():
    s = session(require_bin_scan=False)
    s.scan(scan(MILK))
    d = s.put_back(scan(MILK))
    assert d.accepted and d.events[0][0] == "stock_returned" and s.picked[("OR1", 1)] == 0
    assert not s.put_back(scan(ATTA)).accepted
