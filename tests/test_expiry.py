"""The expiry sweep (issue 14): each unit of a category judged by the date in its GS1 barcode
against today and the shelf life its category must still give a customer; expired units are
written off as they are scanned, too-short and soon ones flagged, other categories refused."""

from __future__ import annotations

from datetime import date

import pytest

from picker_app.domain.expiry import judge
from picker_app.domain.scan import interpret
from picker_app.errors import UserError
from picker_app.services.expiry import ExpirySweeps

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("expiry", "category", "verdict", "left"),
    [
        (date(2026, 11, 24), "Milk", "expired", -1),
        (date(2026, 11, 26), "Milk", "pull", 1),  # milk must keep 2 days for a customer
        (date(2026, 11, 28), "Milk", "soon", 3),  # within 2 days of that
        (date(2026, 11, 29), "Milk", "ok", 4),
        (date(2026, 11, 25), "Biscuits", "soon", 0),  # no rule: only not expired, warned 2 days
        (date(2026, 11, 27), "Biscuits", "ok", 2),
        (None, "Milk", "undated", None),
    ],
)
def test_judged_by_the_date_and_the_categorys_shelf_life(expiry, category, verdict, left):
    judged = judge(expiry, TODAY, category)
    assert (judged.verdict, judged.days_left) == (verdict, left)


def gs1(gtin13: str, expiry: date, batch: str = "L1") -> str:
    return f"]C1010{gtin13}17{expiry:%y%m%d}10{batch}"


def product_of(rig, category: str) -> tuple[str, str, str]:
    sku, bin_, gtin = rig.store.conn.execute(
        "SELECT s.sku, s.bin, b.gtin FROM sku s JOIN sku_barcode b ON b.sku = s.sku"
        " WHERE s.category = ? AND s.unit = 'each' ORDER BY s.sku LIMIT 1", (category,)
    ).fetchone()  # fmt: skip
    return sku, bin_, gtin


def test_a_sweep_writes_off_the_expired_and_flags_the_short_as_they_are_scanned(rig):
    sweeps = ExpirySweeps(rig.store, rig.clock)
    sku, bin_, gtin = product_of(rig, "Milk")
    sweep = sweeps.begin(interpret(gs1(gtin, date(2026, 12, 5))))
    assert sweep.category == "Milk"
    said = [sweeps.judge_unit(sweep, interpret(gs1(gtin, d, b)), "U117")[1]
            for d, b in [(date(2026, 12, 5), "OK1"), (date(2026, 11, 24), "OLD"),
                         (date(2026, 11, 26), "SHORT"), (date(2026, 11, 28), "SOON")]]  # fmt: skip
    assert said[1].endswith("expired 24 Nov. Take it off the shelf: written off.")
    assert "too short for a customer" in said[2] and "sell it first" in said[3]
    events = [(e.type, e.payload.get("batch"), e.payload.get("verdict"), e.user)
              for e in rig.store.pending()]  # fmt: skip
    assert events == [
        ("stock_expired", "OLD", None, "U117"),
        ("stock_near_expiry", "SHORT", "pull", "U117"),
        ("stock_near_expiry", "SOON", "soon", "U117"),
    ]
    assert sweep.summary() == (
        "Milk: 4 units swept, 1 expired (written off), 1 off the shelf, 1 to sell first."
    )
    _, _, biscuit = product_of(rig, "Biscuits")
    with pytest.raises(UserError, match="That is Biscuits, not Milk"):
        sweeps.judge_unit(sweep, interpret(gs1(biscuit, date(2027, 1, 1))), "U117")
    with pytest.raises(UserError, match="Scan the barcode of a product"):
        sweeps.judge_unit(sweep, interpret("A07-2"), "U117")
    rig.client.sync_once()
    backend = rig.backend.conn.execute(
        "SELECT type, status FROM events WHERE type IN ('stock_expired', 'stock_near_expiry')"
        " ORDER BY rowid"
    ).fetchall()
    assert backend == [("stock_expired", "applied"), ("stock_near_expiry", "applied"),
                       ("stock_near_expiry", "applied")]  # fmt: skip
    assert rig.backend.conn.execute(
        "SELECT kind, bin, sku, qty, batch FROM losses"
    ).fetchall() == [("expired", bin_, sku, 1.0, "OLD")]


async def test_the_sweep_on_the_leads_screen(rig):
    from picker_app.bootstrap import AppOptions, make_app
    from picker_app.ui.screens.lead.expiry import ExpiryScreen
    from picker_app.ui.screens.lead.home import LeadHome
    from tests.test_ui_flow import message, wait_for

    _, _, gtin = product_of(rig, "Milk")
    app = make_app(rig.store, {"U117": "573605"}, rig.layout, options=AppOptions(),
                   clock=rig.clock)  # fmt: skip
    async with app.run_test(size=(40, 20)) as pilot:
        await pilot.press(*"BD4117", "enter", *"573605", "enter")
        await pilot.pause()
        await pilot.press("f9")
        await wait_for(pilot, lambda: isinstance(app.screen, ExpiryScreen))
        for d in (date(2026, 12, 5), date(2026, 11, 20)):
            await pilot.press(*gs1(gtin, d), "enter")
            await pilot.pause()
        assert message(app).endswith("expired 20 Nov. Take it off the shelf: written off.")
        await pilot.press("f9")
        await wait_for(pilot, lambda: isinstance(app.screen, LeadHome))
        assert message(app) == "Milk: 2 units swept, 1 expired (written off)."
