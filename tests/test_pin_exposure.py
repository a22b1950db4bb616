"""What a lost device gives away, and what the backend checks again (issue 15): a device set up
for some roles downloads only their PIN hashes (the snapshot and the changes both), and its
other people are told plainly that they do not log in there; `backend add-device --roles`;
a line let go short at packing is a lead's decision, checked by the backend from the person on
the event (a packer's is refused), while a picker may still short a line sent back to them."""

from __future__ import annotations

import httpx
import pytest

from picker_app.cli import main
from picker_app.domain.auth import check_login
from picker_app.errors import PickerError
from picker_app.store.db import LocalStore
from picker_app.store.people import users as load_users
from picker_app.sync.client import SyncClient, SyncSettings
from tests.appkit import STORE
from tests.test_slot_moves import send


def device(rig, tmp_path, name: str, roles) -> tuple[LocalStore, SyncClient]:
    store = LocalStore.open(tmp_path / f"{name}.db", device=name)
    token = rig.backend.add_device(STORE, name, roles)
    return store, SyncClient(store, SyncSettings(rig.server.url, STORE, token))


def hashes(store: LocalStore) -> dict[str, str]:
    """Role of each user whose PIN hash this device holds (user id -> role)."""
    return dict(store.conn.execute("SELECT id, role FROM users WHERE pin_hash != ''").fetchall())


def test_a_pickers_handheld_holds_the_pickers_hashes_only(rig, tmp_path):
    store, client = device(rig, tmp_path, "pick-7", ["picker"])
    try:
        client.download_changes()  # the snapshot
        held = hashes(store)
        assert held and set(held.values()) == {"picker"}
        everyone = dict(store.conn.execute("SELECT id, role FROM users").fetchall())
        assert {"lead", "packer"} <= set(everyone.values())  # names for the board, no hashes
        users = load_users(store)
        lead, why = check_login(users, "BD4117", "573605")
        assert lead is None and why == (
            "Naveen Krishnamurthy (lead) does not log in on this device: it is set up for other "
            "roles; use a device of yours, or ask the lead to add your role to it."
        )
        picker, why = check_login(users, "BD4101", "7051")
        assert picker is not None and why == ""
        # A change to a lead comes down the changes feed the same way: without the hash.
        assert send(rig, "count_permission_set", {"user": "U118", "allowed": True},
                    "U117")[0] == "applied"  # fmt: skip
        assert client.download_changes() >= 1
        assert set(hashes(store).values()) == {"picker"}
        row = store.conn.execute("SELECT may_count, pin_hash FROM users WHERE id = 'U118'")
        assert row.fetchone() == (1, "")
    finally:
        store.close()


def test_a_device_for_every_role_and_one_for_packers_and_leads(rig, tmp_path):
    every, client = device(rig, tmp_path, "kiosk-1", None)
    both, client2 = device(rig, tmp_path, "pack-2", ["packer", "lead"])
    try:
        client.download_changes()
        client2.download_changes()
        assert set(hashes(every).values()) == {"picker", "packer", "lead", "rider"}
        assert set(hashes(both).values()) == {"packer", "lead"}
        user, _ = check_login(load_users(both), "BD4117", "573605")
        assert user is not None and user["role"] == "lead"
    finally:
        every.close()
        both.close()


def test_unknown_or_no_roles_are_refused_with_a_sentence(rig):
    for roles in (["picker", "chef"], []):
        with pytest.raises(PickerError) as err:
            rig.backend.add_device(STORE, "x", roles)
        assert "a device's roles are some of picker, packer, lead, rider" in str(err.value)


def test_cli_add_device_with_roles(tmp_path, capsys):
    db = str(tmp_path / "backend.db")
    assert main(["backend", "--db", db, "add-device", "--store", STORE, "--device", "pick-9",
                 "--roles", "picker"]) == 0  # fmt: skip
    out, err = capsys.readouterr()
    assert out.strip() and "device pick-9 of store" in err and "for picker only" in err
    assert main(["backend", "--db", db, "add-device", "--store", STORE, "--roles", "boss"]) == 2
    assert "not 'boss': e.g. --roles picker,lead" in capsys.readouterr().err


def order_at_packing(rig) -> tuple[str, int, str]:
    order, line, sku = rig.backend.conn.execute(
        "SELECT order_id, line_no, sku FROM order_lines WHERE store = ? ORDER BY order_id LIMIT 1",
        (STORE,),
    ).fetchone()
    assert send(rig, "tote_closed", {"order": order, "tote": "TT0001"}, "U101")[0] == "applied"
    return order, line, sku


def test_a_short_at_packing_is_a_leads_and_the_backend_checks_it(rig):
    order, line, sku = order_at_packing(rig)
    short = {"order": order, "line": line, "sku": sku, "qty": 1}
    status, reason = send(rig, "pick_shorted", short, "U113")  # a packer, as if a lead let it
    assert status == "rejected"
    assert reason == "only a store lead may let a line go short at packing: U113 is a packer"
    status, reason = send(rig, "pick_shorted", short, "U117")  # the lead
    assert (status, reason) == ("applied", None)


def test_a_line_sent_back_to_picking_may_be_shorted_by_its_picker(rig):
    order, line, sku = order_at_packing(rig)
    rig.backend.conn.execute(
        "UPDATE order_lines SET qty_picked = 1 WHERE store = ? AND order_id = ? AND line_no = ?",
        (STORE, order, line),
    )
    back = {"order": order, "line": line, "sku": sku, "qty": 1, "why": "not in the tote"}
    assert send(rig, "line_repick_requested", back, "U113")[0] == "applied"  # the picker's again
    status, reason = send(rig, "pick_shorted", {"order": order, "line": line, "sku": sku,
                                                "qty": 1}, "U101")  # fmt: skip
    assert (status, reason) == ("applied", None)


def test_a_lost_device_is_revoked_and_can_no_longer_sync(rig, tmp_path, capsys):
    store, client = device(rig, tmp_path, "pick-8", ["picker"])
    try:
        client.download_changes()
        url = f"{rig.server.url}/v1/stores/{STORE}/snapshot"
        token = {"Authorization": f"Bearer {client.settings.token}"}
        assert httpx.get(url, headers=token).status_code == 200
        assert main(["backend", "--db", str(tmp_path / "backend.db"), "revoke-device",
                     "--store", STORE, "--device", "pick-8"]) == 0  # fmt: skip
        assert "pick-8 of store BLR-KOR-01: 1 token(s) revoked" in capsys.readouterr().err
        assert httpx.get(url, headers=token).status_code == 401
        assert rig.client.download_changes() >= 0  # the other devices go on
        assert main(["backend", "--db", str(tmp_path / "backend.db"), "revoke-device",
                     "--store", STORE, "--device", "pick-8"]) == 2  # fmt: skip
        assert "has no device 'pick-8': nothing revoked" in capsys.readouterr().err
    finally:
        store.close()
