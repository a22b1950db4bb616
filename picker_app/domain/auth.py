"""PINs: stored only as salted PBKDF2 hashes (downloaded to devices so login works offline)."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

ITERATIONS = 60_000


def hash_pin(pin: str, salt: str | None = None, iterations: int = ITERATIONS) -> str:
    """`pbkdf2_sha256$iterations$salt$hex` for a PIN."""
    salt = salt or secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt.encode(), iterations).hex()
    return f"pbkdf2_sha256${iterations}${salt}${digest}"


def verify_pin(pin: str, stored: str) -> bool:
    """Whether `pin` matches a hash made by `hash_pin` (False for anything malformed)."""
    try:
        scheme, iterations, salt, digest = stored.split("$")
        if scheme != "pbkdf2_sha256":
            return False
        again = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt.encode(), int(iterations))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(again.hex(), digest)


def check_login(
    users: list[dict[str, str]], who: str, pin: str
) -> tuple[dict[str, str] | None, str]:
    """(the user, "") when `who` (a badge code or a user id) and `pin` match; else (None, why)."""
    who = who.strip().upper()
    user = next((u for u in users if u["badge"].upper() == who or u["id"].upper() == who), None)
    if user is None:
        return None, f"No one has badge or id {who!r} in this store; scan your badge again."
    if not verify_pin(pin.strip(), user["pin_hash"]):
        return None, "Wrong PIN; try again."
    return user, ""


FREE_TRIES = 3  # wrong PINs in a row before a badge has to wait
FIRST_WAIT_S = 5  # the wait after the third; doubled after each further wrong PIN
MAX_WAIT_S = 300


class PinGuard:
    """`check_login` with a growing wait per badge: after 3 wrong PINs in a row, 5 s before the
    next try, then 10, 20, ... up to 5 minutes; the right PIN starts over. The time comes from
    `clock`; nothing is stored (a restart of the app forgets)."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self._wrong: dict[str, int] = {}  # user id -> wrong PINs in a row
        self._until: dict[str, datetime] = {}  # user id -> no try before then
        self._users: list[dict[str, str]] = []  # the people last checked against

    def wait_s(self, who: str) -> int:
        """Whole seconds `who` (badge or user id) must still wait before keying a PIN."""
        until = self._until.get(self._key(who))
        if until is None:
            return 0
        return max(0, math.ceil((until - self.clock()).total_seconds()))

    def check(
        self, users: list[dict[str, str]], who: str, pin: str
    ) -> tuple[dict[str, str] | None, str]:
        """As `check_login`, but a badge that must wait is told how long, its PIN not tried."""
        self._users = users
        key = self._key(who)
        left = self.wait_s(key)
        if left:
            return None, f"Too many wrong PINs: wait {left} s, then key the PIN again."
        user, why = check_login(users, who, pin)
        if user is not None:
            self._wrong.pop(user["id"], None)
            self._until.pop(user["id"], None)
            return user, why
        if key not in {u["id"] for u in users}:  # no such badge: nothing to hold
            return None, why
        wrong = self._wrong[key] = self._wrong.get(key, 0) + 1
        if wrong < FREE_TRIES:
            return None, why
        wait = min(MAX_WAIT_S, FIRST_WAIT_S * 2 ** (wrong - FREE_TRIES))
        self._until[key] = self.clock() + timedelta(seconds=wait)
        return None, f"Wrong PIN, {wrong} times in a row: wait {wait} s before the next try."

    def _key(self, who: str) -> str:
        """The user id `who` names (a badge or an id), as far as is known; else `who`."""
        who = who.strip().upper()
        for u in self._users:
            if u["badge"].upper() == who or u["id"].upper() == who:
                return u["id"]
        return who


# What each role may do on a device (a lead can stand in for anyone).
ROLE_MAY: dict[str, frozenset[str]] = {
    "picker": frozenset({"pick"}),
    "packer": frozenset({"pack"}),
    "lead": frozenset({"pick", "pack", "count", "approve"}),
}


def may(role: str, action: str) -> bool:
    """Whether someone with `role` may do `action` (`pick`, `pack`, `count`, `approve`: a
    short at packing, later a count)."""
    return action in ROLE_MAY.get(role, frozenset())
