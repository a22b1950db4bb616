"""Login rules (plain logic, a fixed clock): after 3 wrong PINs in a row a badge waits, longer
after each further wrong PIN; the right PIN starts over; other badges are not held up. The PIN
hashes (scrypt; older PBKDF2 ones still read) and the PIN rules (6 digits for a lead)."""

from __future__ import annotations

import hashlib
import shutil
from datetime import timedelta

import pytest

from picker_app.backend.server import BackendDB, seed_from_fixtures
from picker_app.domain.auth import SCRYPT_N, PinGuard, hash_pin, pin_problem, verify_pin
from picker_app.errors import UserError
from tests.appkit import ROOT, STORE, Clock

USERS = [
    {"id": "U101", "name": "Ravi Kumar", "role": "picker", "badge": "BD4101",
     "pin_hash": hash_pin("7051", salt="s", n=2)},
    {"id": "U102", "name": "Priya Nair", "role": "picker", "badge": "BD4102",
     "pin_hash": hash_pin("9438", salt="s", n=2)},
]  # fmt: skip


def test_three_wrong_pins_then_a_growing_wait_for_that_badge_only():
    clock = Clock()
    guard = PinGuard(clock)
    for _ in range(2):
        user, why = guard.check(USERS, "BD4101", "0000")
        assert user is None and why == "Wrong PIN; try again."
        assert guard.wait_s("BD4101") == 0
    user, why = guard.check(USERS, "BD4101", "0000")  # the third
    assert user is None and "wait 5 s" in why and guard.wait_s("bd4101") == 5
    # While it waits, even the right PIN is not tried (said how long is left), by badge or id.
    clock.advance(2)
    for who in ("BD4101", "U101"):
        user, why = guard.check(USERS, who, "7051")
        assert user is None and "wait 3 s" in why
    assert guard.check(USERS, "BD4102", "9438")[0]["id"] == "U102"  # another badge: no wait
    waits = []
    for _ in range(5):  # the 4th to the 8th wrong PIN, each after its wait
        clock.advance(guard.wait_s("BD4101"))
        assert guard.check(USERS, "BD4101", "1111")[0] is None
        waits.append(guard.wait_s("BD4101"))
    assert waits == [10, 20, 40, 80, 160]
    for _ in range(3):
        clock.advance(guard.wait_s("BD4101"))
        guard.check(USERS, "BD4101", "1111")
    assert guard.wait_s("BD4101") == 300  # capped at 5 minutes
    clock.advance(300)
    user, why = guard.check(USERS, "BD4101", " 7051 ")
    assert user is not None and user["id"] == "U101" and why == ""
    assert guard.check(USERS, "BD4101", "0000")[1] == "Wrong PIN; try again."  # started over
    assert guard.wait_s("BD4101") == 0


def test_unknown_badges_are_said_and_never_held():
    clock = Clock()
    guard = PinGuard(clock)
    for _ in range(5):
        user, why = guard.check(USERS, "BD9999", "0000")
        assert user is None and "scan your badge again" in why
    assert guard.wait_s("BD9999") == 0
    clock.advance(timedelta(hours=1).total_seconds())
    assert guard.check(USERS, "U101", "7051")[0] is not None


# The hashes and the PIN rules.


def test_a_hash_is_scrypt_at_the_shipped_cost_and_older_pbkdf2_ones_still_verify():
    stored = hash_pin("573605")
    scheme, n, r, p, salt, digest = stored.split("$")
    assert (scheme, int(n), int(r), int(p)) == ("scrypt", SCRYPT_N, 8, 1)
    assert 128 * SCRYPT_N * 8 == 32 << 20  # 32 MiB of memory a guess
    assert len(salt) == 32 and len(digest) == 64
    assert verify_pin("573605", stored) and not verify_pin("573604", stored)
    # One made before scrypt (PBKDF2-SHA256, 60,000 iterations), by hand:
    old = hashlib.pbkdf2_hmac("sha256", b"5736", b"0a1b2c3d", 60_000).hex()
    assert verify_pin("5736", f"pbkdf2_sha256$60000$0a1b2c3d${old}")
    assert not verify_pin("5737", f"pbkdf2_sha256$60000$0a1b2c3d${old}")


def test_a_hash_asking_for_too_much_memory_or_malformed_is_never_tried():
    cheap = hash_pin("1234", salt="s", n=2)
    assert verify_pin("1234", cheap)
    greedy = cheap.replace("scrypt$2$", f"scrypt${1 << 20}$")  # 1 GiB: refused, not run
    assert not verify_pin("1234", greedy)
    for junk in ("scrypt$3$8$1$s$00", "scrypt$2$8$1$s", "scrypt$-2$8$1$s$00", "bcrypt$x"):
        assert not verify_pin("1234", junk)


def test_pins_are_digits_at_least_four_and_six_for_a_lead():
    assert pin_problem("picker", "7051") is None and pin_problem("lead", "573605") is None
    assert pin_problem("lead", "5736") == "a store lead's PIN needs at least 6 digits, not 4"
    assert pin_problem("picker", "705") == "a PIN needs at least 4 digits, not 3"
    assert pin_problem("packer", "70a1") == "a PIN is digits only"
    assert pin_problem("packer", "٧٠٥١") == "a PIN is digits only"  # Arabic-Indic digits


def test_seeding_refuses_a_leads_short_pin_and_loads_nothing(tmp_path):
    fixtures = tmp_path / "fixtures"
    shutil.copytree(ROOT / "fixtures", fixtures)
    users = (fixtures / "users.csv").read_text().replace("BD4117,573605", "BD4117,5736")
    (fixtures / "users.csv").write_text(users)
    db = BackendDB(tmp_path / "backend.db")
    with pytest.raises(UserError) as err:
        seed_from_fixtures(db, fixtures, STORE)
    assert str(err.value) == (
        "users.csv: U117 (lead): a store lead's PIN needs at least 6 digits, not 4; "
        "nothing was loaded"
    )
    assert not db.has_catalog(STORE)
