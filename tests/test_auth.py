"""Login rules (plain logic, a fixed clock): after 3 wrong PINs in a row a badge waits, longer
after each further wrong PIN; the right PIN starts over; other badges are not held up."""

from __future__ import annotations

from datetime import timedelta

from picker_app.domain.auth import PinGuard, hash_pin
from tests.appkit import Clock

USERS = [
    {"id": "U101", "name": "Ravi Kumar", "role": "picker", "badge": "BD4101",
     "pin_hash": hash_pin("7051", salt="s", iterations=1)},
    {"id": "U102", "name": "Priya Nair", "role": "picker", "badge": "BD4102",
     "pin_hash": hash_pin("9438", salt="s", iterations=1)},
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
