"""The shrinkage report (issue 14): a small store made through the backend's own code (its
migrations, its store loading, its events: counts approved by a lead, write-offs, picks), and
`picker-app shrinkage` on it, with every figure worked out by hand below."""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from picker_app.backend import batches
from picker_app.backend.repository import StoreData
from picker_app.backend.server import BackendDB
from picker_app.cli import main
from picker_app.domain.shrinkage import CountRecord, Sale, WriteOff, shrinkage_report
from tests.conftest import LAYOUTS

STORE = "TEST-01"
NOW = "2026-11-25T12:00:00+00:00"  # 30 days: from 2026-10-26 12:00 UTC

# sku: (price, bin, pick lines in the order history). Velocity classes from the pick lines: A is
# MILK (tolerance 1% of the book), B RICE and SOAP (3%), C DAL and ICE (5%); at least 1 unit.
PRODUCTS = {
    "MILK": (25.0, "H01-1", 5),  # aisle H, zone chilled
    "RICE": (50.0, "A01-1", 4),  # aisle A, ambient
    "SOAP": (50.0, "A02-1", 3),  # aisle A, ambient
    "DAL": (80.0, "B03-2", 2),  # aisle B, ambient
    "ICE": (100.0, "R01-1", 1),  # aisle R, frozen
}
STOCK = {"MILK": 300.0, "RICE": 150.0, "SOAP": 30.0, "DAL": 10.0, "ICE": 60.0}


def send(db: BackendDB, type_: str, payload: dict, user: str = "P1", created_at: str = NOW):
    event = {
        "event_id": str(uuid.uuid4()), "device": "dev-1", "seq": 1, "type": type_, "user": user,
        "created_at": created_at, "payload": payload,
    }  # fmt: skip
    from picker_app.wire import EventBatch, WireEvent

    batch = EventBatch(device="dev-1", batch_id=event["event_id"], events=[WireEvent(**event)])
    result = db.apply_batch(STORE, batch).results[0]
    assert result.status == "applied", result.reason
    return event["event_id"]


def count(db, monkeypatch, task: str, sku: str, counted: float, reason: str | None, at: str):
    """A cycle count of `sku`'s bin counted by P1 (and recounted by P2 when it is off the book
    beyond its tolerance), approved by the lead L1 at `at`."""
    bin_ = PRODUCTS[sku][1]
    with db.event_writes(STORE) as writes:
        writes.open_count_task(task, bin_, sku, "cycle")
    send(db, "count_submitted", {"task": task, "counted": counted, "counter": "P1"})
    decided = task
    if db.conn.execute("SELECT 1 FROM count_tasks WHERE id = ?", (f"{task}-R",)).fetchone():
        decided = f"{task}-R"
        send(db, "count_submitted", {"task": decided, "counted": counted, "counter": "P2"}, "P2")
    approval = {"task": decided, "lead": "L1"} | ({"reason": reason} if reason else {})
    with monkeypatch.context() as m:
        m.setattr(batches, "now", lambda: at)  # the time the variance is recorded at
        send(db, "count_approved", approval, user="L1")
    return decided


@pytest.fixture
def store(tmp_path, monkeypatch) -> tuple[Path, dict[str, str]]:
    """The backend database of a five-product store with counts, write-offs and picks; the ids
    of its counts and write-offs by name."""
    from picker_app.domain.layout import parse_layout

    layout = parse_layout((LAYOUTS / "demo-store.toml").read_text(), "demo-store.toml")
    db = BackendDB(tmp_path / "backend.db")
    db.load_store(
        STORE,
        StoreData(
            catalog=[
                (sku, sku.title(), "each", 100.0, bin_, "Test", price, None, None, 1.0)
                for sku, (price, bin_, _) in PRODUCTS.items()
            ],
            stock=[(PRODUCTS[sku][1], sku, qty) for sku, qty in STOCK.items()],
            users=[
                ("L1", "Lead", "lead", "B1", "x"),
                ("P1", "Picker", "picker", "B2", "x"),
                ("P2", "Picker 2", "picker", "B3", "x"),
            ],
            history=[
                (f"O{sku}{i}", "2026-10-01T10:00:00+00:00", sku, 1.0)  # before the period
                for sku, (_, _, lines) in PRODUCTS.items()
                for i in range(lines)
            ],
            layout="layouts/demo-store.toml",
            layout_hash=layout.content_hash,
        ),
    )
    for counter in ("P1", "P2"):  # the lead lets the pickers count
        send(db, "count_permission_set", {"user": counter, "allowed": True}, user="L1")
    at = "2026-{}:00.000+00:00".format  # as the backend's clock writes a time
    ids = {
        # Before the period: left out.
        "old_ice": count(db, monkeypatch, "CT-0", "ICE", 50, "theft", at("10-01T10:00")),
        # 150 -> 145: 5 lost (Rs 250), beyond B's 4.5: recounted.
        "rice": count(db, monkeypatch, "CT-1", "RICE", 145, "theft", at("11-20T10:00")),
        # 30 -> 35: 5 found (-Rs 250) in the same aisle: aisle A nets 0, but is 10 off.
        "soap": count(db, monkeypatch, "CT-2", "SOAP", 35, "misplaced", at("11-20T11:00")),
        # 300 -> 297: 3 lost (Rs 75), within A's 1% (3 units).
        "milk": count(db, monkeypatch, "CT-3", "MILK", 297, "miscount", at("11-21T09:00")),
        # On the book: approved without a reason.
        "dal": count(db, monkeypatch, "CT-4", "DAL", 10, None, at("11-22T09:00")),
    }
    ids["expired"] = send(
        db, "stock_expired", {"sku": "MILK", "bin": "H01-1", "qty": 4},
        created_at="2026-11-21T08:00:00+05:30",  # 02:30 UTC: Rs 100
    )  # fmt: skip
    ids["damaged"] = send(
        db, "stock_damaged", {"sku": "ICE", "bin": "R01-1", "qty": 2},
        created_at="2026-11-22T10:00:00+00:00",  # Rs 200
    )  # fmt: skip
    send(db, "stock_damaged", {"sku": "ICE", "bin": "R01-1", "qty": 1},
         created_at="2026-09-01T10:00:00+00:00")  # fmt: skip
    # Sales: Rs 5,000 + 5,000 + 3,000 = 13,000 in the period (330 units).
    send(db, "stock_picked", {"sku": "MILK", "bin": "H01-1", "qty": 200},
         created_at="2026-11-23T10:00:00+00:00")  # fmt: skip
    send(db, "stock_picked", {"sku": "RICE", "bin": "A01-1", "qty": 100},
         created_at="2026-11-23T11:00:00+00:00")  # fmt: skip
    send(db, "stock_picked", {"sku": "ICE", "bin": "R01-1", "qty": 30},
         created_at="2026-11-24T11:00:00+00:00")  # fmt: skip
    send(db, "stock_picked", {"sku": "MILK", "bin": "H01-1", "qty": 10},
         created_at="2026-10-20T10:00:00+00:00")  # before the period  # fmt: skip
    db.conn.execute(  # a refused pick is no sale
        "INSERT INTO events VALUES (?, 'dev-1', 'X1', 9, 'stock_picked', ?, ?, ?, 'rejected',"
        " 'no')",
        (STORE, json.dumps({"sku": "RICE", "bin": "A01-1", "qty": 50}), NOW, NOW),
    )
    db.conn.close()  # the backend stopped
    return db.path, ids


def report(capsys, path: Path, *extra: str) -> dict:
    assert main(["shrinkage", "--database", str(path), "--now", NOW, "--json", *extra]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return json.loads(out)


def rows(groups: list[dict]) -> list[tuple]:
    return [(g["key"], g["units"], g["value"], g["abs_units"], g["abs_value"]) for g in groups]


def test_totals_net_and_absolute_as_a_share_of_sales(store, capsys):
    got = report(capsys, store[0])
    assert got["store"] == STORE and got["days"] == 30
    assert got["since"] == "2026-10-26T12:00:00+00:00" and got["until"] == NOW
    # Net: 5 - 5 + 3 + 0 (counts) + 4 + 2 (write-offs); absolute: 5 + 5 + 3 + 4 + 2.
    assert (got["units"], got["value"]) == (9, 375)
    assert (got["abs_units"], got["abs_value"]) == (19, 875)
    assert (got["sales_units"], got["sales_value"]) == (330, 13000)
    assert got["loss_pct"] == round(100 * 375 / 13000, 3) == 2.885
    assert (got["target_pct"], got["over_target"]) == (2.0, True)
    assert report(capsys, store[0], "--target", "3")["over_target"] is False


def test_the_seeded_order_history_in_the_period_counts_as_sales(store, capsys):
    conn = sqlite3.connect(store[0])
    with conn:  # 4 of RICE (Rs 50) in the period, 9 of MILK before it
        conn.execute("INSERT INTO order_history VALUES (?, 'OH1', '2026-11-10T09:00:00+05:30',"
                     " 'RICE', 4)", (STORE,))  # fmt: skip
        conn.execute("INSERT INTO order_history VALUES (?, 'OH2', '2026-10-25T09:00:00+00:00',"
                     " 'MILK', 9)", (STORE,))  # fmt: skip
    conn.close()
    got = report(capsys, store[0])
    assert (got["sales_units"], got["sales_value"]) == (334, 13200)


def test_by_bin_aisle_zone_reason_and_day(store, capsys):
    got = report(capsys, store[0])
    assert rows(got["by_bin"]) == [
        ("A01-1", 5, 250, 5, 250),
        ("R01-1", 2, 200, 2, 200),
        ("H01-1", 7, 175, 7, 175),  # a count 3 short and 4 expired
        ("A02-1", -5, -250, 5, 250),  # found stock
    ]  # B03-2 was counted on the book: no loss
    assert [g["pct_of_sales"] for g in got["by_bin"]] == [1.923, 1.538, 1.346, -1.923]
    # Aisle A's two bins cancel out in the net figures, not in the absolute ones.
    assert rows(got["by_aisle"]) == [("R", 2, 200, 2, 200), ("H", 7, 175, 7, 175),
                                     ("A", 0, 0, 10, 500)]  # fmt: skip
    assert rows(got["by_zone"]) == [
        ("frozen", 2, 200, 2, 200), ("chilled", 7, 175, 7, 175), ("ambient", 0, 0, 10, 500),
    ]  # fmt: skip
    assert rows(got["by_reason"]) == [
        ("theft", 5, 250, 5, 250),
        ("damaged", 2, 200, 2, 200),
        ("expired", 4, 100, 4, 100),
        ("miscount", 3, 75, 3, 75),
        ("misplaced", -5, -250, 5, 250),
    ]
    assert rows(got["by_day"]) == [
        ("2026-11-20", 0, 0, 10, 500),
        ("2026-11-21", 7, 175, 7, 175),  # the write-off at 08:00 +05:30 is 02:30 UTC
        ("2026-11-22", 2, 200, 2, 200),
    ]


def test_top_losses_by_value_and_count_accuracy(store, capsys):
    path, ids = store
    got = report(capsys, path, "--top", "3")
    assert [(t["source"], t["ref"], t["bin"], t["reason"], t["units"], t["value"])
            for t in got["top"]] == [
        ("count", ids["rice"], "A01-1", "theft", 5, 250),
        ("write_off", ids["damaged"], "R01-1", "damaged", 2, 200),
        ("write_off", ids["expired"], "H01-1", "expired", 4, 100),
    ]  # fmt: skip
    assert ids["rice"] == "CT-1-R" and ids["milk"] == "CT-3"  # RICE was recounted, MILK not
    acc = got["accuracy"]
    # Four bins counted; MILK (3 off 300, class A) and DAL are within tolerance.
    assert (acc["bins"], acc["accurate_bins"], acc["pct"]) == (4, 2, 50.0)
    assert (acc["counts"], acc["counts_within"]) == (4, 2)
    assert (acc["abs_units"], acc["abs_value"]) == (13, 575)  # 5 + 5 + 3 + 0
    assert (acc["net_units"], acc["net_value"]) == (3, 75)  # RICE and SOAP cancel
    assert [(b["bin"], b["accurate"], b["abs_units"], b["net_units"]) for b in acc["by_bin"]] == [
        ("A01-1", False, 5, 5), ("A02-1", False, 5, -5), ("H01-1", True, 3, 3),
        ("B03-2", True, 0, 0),
    ]  # fmt: skip
    assert got["unpriced"] == []


def test_json_is_one_object_with_every_section(store, capsys):
    assert main(["shrinkage", "--database", str(store[0]), "--now", NOW, "--json"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert set(json.loads(out)) == {
        "store", "days", "since", "until", "units", "value", "abs_units", "abs_value",
        "sales_units", "sales_value", "loss_pct", "target_pct", "over_target", "by_bin",
        "by_aisle", "by_zone", "by_reason", "by_day", "top", "accuracy", "unpriced",
    }  # fmt: skip


def test_text_report_fits_a_handheld(store, capsys):
    assert main(["shrinkage", "--database", str(store[0]), "--now", NOW, "--days", "7"]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0] == "shrinkage at TEST-01, 7 days"
    assert "lost (net): 9 units, Rs 375" in lines
    assert "absolute: 19 units, Rs 875" in lines
    assert "loss: 2.88% of sales, target 2%" in lines
    assert "OVER TARGET" in lines
    assert "counts: 2 of 4 bins accurate (50.00%)" in lines
    assert " 1. Rs 250, 5 x Rice" in lines
    assert max(len(line) for line in lines) <= 40, max(lines, key=len)
    assert err == ""


def test_the_database_is_only_read_beside_a_busy_writer(store, capsys):
    path = store[0]
    before = path.read_bytes()
    report(capsys, path)
    assert path.read_bytes() == before
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # the backend in the middle of a batch
    writer.execute("DELETE FROM losses")
    assert report(capsys, path)["units"] == 9  # not held up, and the batch is not seen
    writer.execute("COMMIT")  # nor was the writer held up
    writer.close()
    assert report(capsys, path)["units"] == 3  # the write-offs are gone now


def test_no_database_is_one_sentence(tmp_path, capsys, monkeypatch):
    missing = tmp_path / "nope.db"
    assert main(["shrinkage", "--database", str(missing)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"picker-app: no backend database at {missing}: start the app once (make run) or give "
        "--database\n"
    )
    assert not missing.exists()  # not made by opening it
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert main(["shrinkage"]) == 2
    assert f"no backend database at {tmp_path / 'xdg' / 'picker_app' / 'backend.db'}:" in (
        capsys.readouterr().err
    )


def test_a_database_without_the_backends_tables_is_the_same_sentence(tmp_path, capsys):
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    not_sqlite = tmp_path / "text.db"
    not_sqlite.write_text("hello\n" * 100)
    for path in (other, not_sqlite):
        assert main(["shrinkage", "--database", str(path)]) == 2
        assert capsys.readouterr().err == (
            f"picker-app: no backend database at {path}: start the app once (make run) or "
            "give --database\n"
        )


def test_an_unknown_store_is_named(store, capsys):
    assert main(["shrinkage", "--database", str(store[0]), "--store", "NOPE"]) == 2
    assert capsys.readouterr().err == (
        f"picker-app: store NOPE is not in {store[0]} (its stores: TEST-01): give --store\n"
    )


@pytest.mark.parametrize("days", ["0", "x", "2.5", "-3", "400"])
def test_bad_days_are_refused_in_one_line(capsys, days):
    with pytest.raises(SystemExit) as info:
        main(["shrinkage", "--days", days])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [
        f"picker-app shrinkage: argument --days: must be a whole number from 1 to 366, got "
        f"{days!r} (see picker-app shrinkage --help)"
    ]


def test_no_sales_any_loss_is_over_target_and_unplaced_bins_are_unknown():
    at = datetime(2026, 11, 20, 10, tzinfo=UTC)
    since, until = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC)
    counts = [CountRecord("T1", "Z09-1", "X", None, 0.0, at, None)]  # no book, none found
    offs = [WriteOff("E1", "damaged", "Z09-1", "X", 1.0, at)]
    got = shrinkage_report(counts, offs, [Sale("X", 5, datetime(2026, 10, 1, tzinfo=UTC))],
                           {}, {}, since, until)  # fmt: skip
    assert (got.units, got.value, got.sales_value, got.loss_pct) == (1, 0, 0, None)
    assert [(g.key, g.units) for g in got.by_aisle] == [("Z", 1)]
    assert [(g.key, g.units) for g in got.by_zone] == [("unknown", 1)]
    assert got.unpriced == ("X",)
    assert got.over_target is False  # a loss valued at 0 is not over any target
    priced = shrinkage_report(counts, offs, [], {"X": 10.0}, {}, since, until)
    assert (priced.value, priced.over_target, priced.accuracy.pct) == (10, True, 100.0)
