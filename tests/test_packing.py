"""The packer's quality check (domain/packing.py): each scan judged on the spot, the count-down,
discrepancies, and bags split by temperature class."""

from __future__ import annotations

from datetime import date

import pytest

from picker_app.domain.packing import (
    BAG_CAPACITY_G,
    Accepted,
    Item,
    QcLine,
    QcOrder,
    QualityCheck,
    Refused,
    plan_bags,
    temp_class,
)

TODAY = date(2026, 11, 25)
MILK = QcLine(1, "SKU-MILK", "Nandini Toned Milk 500 ml", "each", 2, 2, "SKU-MILK",
              temp="chilled", category="Milk", weight_g=538)  # fmt: skip
ATTA = QcLine(2, "SKU-ATTA", "Aashirvaad Atta 5 kg", "each", 1, 1, "SKU-ATTA",
              temp="ambient", category="Atta & flours", weight_g=5100)  # fmt: skip
PEAS = QcLine(3, "SKU-PEAS", "Safal Frozen Peas 500 g", "each", 1, 1, "SKU-PEAS",
              temp="frozen", category="Frozen vegetables & snacks", weight_g=520)  # fmt: skip
SUB = QcLine(4, "SKU-BREAD2", "Modern Bread 400 g", "each", 1, 1, "SKU-BREAD",
             temp="ambient", category="Bread & buns", weight_g=420)  # fmt: skip
ONION = QcLine(5, "SKU-ONION", "Onion (loose)", "kg", 1.02, 1.0, "SKU-ONION",
               temp="ambient", category="Fresh vegetables", weight_g=None)  # fmt: skip


def check(*lines: QcLine, substitutes_ok: bool = True) -> QualityCheck:
    return QualityCheck(QcOrder("OR52000001", tuple(lines), substitutes_ok), TODAY)


def test_a_clean_check_counts_down_to_done():
    qc = check(MILK, ATTA)
    assert [(ln.line_no, n) for ln, n in qc.missing()] == [(1, 2), (2, 1)]
    first = qc.scan(Item("SKU-MILK", expiry=date(2026, 11, 28)))
    assert isinstance(first, Accepted) and first.left == 1
    qc.scan(Item("SKU-MILK"))
    assert not qc.done
    qc.scan(Item("SKU-ATTA"))
    assert qc.done and qc.discrepancies() == []


@pytest.mark.parametrize(
    ("item", "kind"),
    [
        (Item("SKU-CHIPS"), "not_in_order"),
        (Item(None, gtin="8901234567890"), "not_in_order"),
        (Item("SKU-MILK", expiry=date(2026, 11, 24)), "expired"),
        (Item("SKU-MILK", expiry=date(2026, 11, 26)), "short_life"),  # milk must keep 2 days
    ],
)
def test_refused_scans_count_nothing(item, kind):
    qc = check(MILK)
    verdict = qc.scan(item)
    assert isinstance(verdict, Refused) and verdict.kind == kind and verdict.reason.endswith(".")
    assert qc.scanned(MILK) == 0 and qc.left(MILK) == 2
    assert [d.kind for d in qc.discrepancies()] == [kind, "missing"]


def test_one_more_than_the_line_needs_is_refused():
    qc = check(ATTA)
    qc.scan(Item("SKU-ATTA"))
    over = qc.scan(Item("SKU-ATTA"))
    assert isinstance(over, Refused) and over.kind == "over"
    assert qc.scanned(ATTA) == 1 and qc.done


def test_a_substitute_the_customer_refuses_is_refused():
    assert isinstance(check(SUB).scan(Item("SKU-BREAD2")), Accepted)
    refused = check(SUB, substitutes_ok=False).scan(Item("SKU-BREAD2"))
    assert isinstance(refused, Refused) and refused.kind == "substitute_refused"


def test_a_weighed_item_must_be_within_the_lines_tolerance():
    qc = check(ONION)
    assert isinstance(qc.scan(Item("SKU-ONION")), Refused)  # no weight label read
    heavy = qc.scan(Item("SKU-ONION", weight_kg=1.25))
    assert isinstance(heavy, Refused) and heavy.kind == "weight"  # 1 kg +- 100 g
    ok = qc.scan(Item("SKU-ONION", weight_kg=1.04))
    assert isinstance(ok, Accepted) and qc.done
    assert [d.kind for d in qc.discrepancies()] == ["weight"]  # the missing label is no error


def test_an_approved_short_accounts_for_the_line():
    qc = check(MILK)
    qc.scan(Item("SKU-MILK"))
    assert qc.approve_short(1) == 1.0
    assert qc.done
    assert [(d.kind, d.qty) for d in qc.discrepancies()] == [("short_approved", 1.0)]


def test_bags_split_by_temperature_and_capacity():
    heavy = QcLine(6, "SKU-RICE", "India Gate Basmati 5 kg", "each", 2, 2, "SKU-RICE",
                   weight_g=5050)  # fmt: skip
    bags = plan_bags([MILK, ATTA, PEAS, heavy])
    assert [b.temp for b in bags] == ["frozen", "chilled", "ambient", "ambient", "ambient"]
    assert bags[0].lines == ((3, 1),)  # the peas alone: frozen never shares a bag
    assert [b.n for b in bags] == [1, 2, 3, 4, 5]
    for bag in bags:
        grams = sum(
            units * {1: 538, 2: 5100, 3: 520, 6: 5050}[line_no] for line_no, units in bag.lines
        )
        assert grams <= BAG_CAPACITY_G


def test_a_bag_is_complete_when_its_last_unit_is_scanned():
    qc = check(MILK, PEAS)
    assert [b.temp for b in qc.bags] == ["frozen", "chilled"]
    assert not qc.bag_complete(1)
    into = qc.scan(Item("SKU-PEAS"))
    assert isinstance(into, Accepted) and into.bag == 1 and qc.bag_complete(1)
    qc.scan(Item("SKU-MILK"))
    assert not qc.bag_complete(2)
    qc.scan(Item("SKU-MILK"))
    assert qc.bag_complete(2)


def test_restored_scans_resume_the_count_down():
    qc = check(MILK)
    qc.restore(1, 1.0)
    assert qc.left(MILK) == 1


@pytest.mark.parametrize(
    ("zone", "temp"), [("frozen", "frozen"), ("chilled", "chilled"), ("ambient", "ambient"),
                       (None, "ambient"), ("unzoned", "ambient")],
)  # fmt: skip
def test_temperature_class_of_a_zone(zone, temp):
    assert temp_class(zone) == temp
