"""PINs: stored only as salted, memory-hard hashes (scrypt), which devices download so that
login works offline; the threat this answers, and what it does not, is in the README ("Who may
do what").

A hash is `scrypt$n$r$p$salt$hex`. SCRYPT_N (32 MiB of memory a guess) is tuned to about 0.1 s
(88 ms median) on this project's 2-core machine, where PBKDF2-SHA256 at 60,000 iterations took
13.5 ms, and cannot be sped up much with a GPU: scrypt's cost is its memory. Hashes made before it
(`pbkdf2_sha256$iterations$salt$hex`) are still read, so a backend seeded earlier keeps working.

PINs are digits only: at least PIN_MIN digits, at least LEAD_PIN_MIN for a store lead (whose PIN
approves counts and shorts, and whose hash is on fewer devices: README)."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

SCRYPT_N, SCRYPT_R, SCRYPT_P = 1 << 15, 8, 1
MAX_MEMORY = 64 << 20  # a stored hash asking for more than this is not tried (nor trusted)
PIN_MIN, LEAD_PIN_MIN = 4, 6
ROLES = ("picker", "packer", "lead", "rider")  # the people of a store (wire.UserWire.role)


def hash_pin(pin: str, salt: str | None = None, n: int = SCRYPT_N) -> str:
    """`scrypt$n$r$p$salt$hex` for a PIN (`n`: the cost, a power of two; tests make cheap
    ones)."""
    salt = salt or secrets.token_hex(16)
    digest = _scrypt(pin, salt, n, SCRYPT_R, SCRYPT_P)
    return f"scrypt${n}${SCRYPT_R}${SCRYPT_P}${salt}${digest}"


def _scrypt(pin: str, salt: str, n: int, r: int, p: int) -> str:
    return hashlib.scrypt(
        pin.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=MAX_MEMORY + (1 << 20), dklen=32
    ).hex()


def verify_pin(pin: str, stored: str) -> bool:
    """Whether `pin` matches a hash made by `hash_pin` (or an older PBKDF2 one); False for
    anything malformed or asking for more memory than MAX_MEMORY."""
    try:
        scheme, *fields = stored.split("$")
        if scheme == "scrypt":
            n, r, p, salt, digest = fields
            if 128 * int(n) * int(r) > MAX_MEMORY:
                return False
            again = _scrypt(pin, salt, int(n), int(r), int(p))
        elif scheme == "pbkdf2_sha256":
            iterations, salt, digest = fields
            again = hashlib.pbkdf2_hmac(
                "sha256", pin.encode(), salt.encode(), int(iterations)
            ).hex()
        else:
            return False
    except (ValueError, TypeError, OverflowError, MemoryError):
        return False
    return hmac.compare_digest(again, digest)


def pin_problem(role: str, pin: str) -> str | None:
    """Why `pin` will not do for someone of `role` (a sentence), or None: digits only, at least
    PIN_MIN of them, LEAD_PIN_MIN for a lead."""
    least = LEAD_PIN_MIN if role == "lead" else PIN_MIN
    if not pin.isascii() or not pin.isdigit():
        return "a PIN is digits only"
    if len(pin) < least:
        whose = "a store lead's PIN" if role == "lead" else "a PIN"
        return f"{whose} needs at least {least} digits, not {len(pin)}"
    return None


def check_login(
    users: list[dict[str, str]], who: str, pin: str
) -> tuple[dict[str, str] | None, str]:
    """(the user, "") when `who` (a badge code or a user id) and `pin` match; else (None, why)."""
    who = who.strip().upper()
    user = next((u for u in users if u["badge"].upper() == who or u["id"].upper() == who), None)
    if user is None:
        return None, f"No one has badge or id {who!r} in this store; scan your badge again."
    if not user["pin_hash"]:  # the backend sends this device no hash of theirs
        return None, (
            f"{user['name']} ({user['role']}) does not log in on this device: it is set up for "
            "other roles; use a device of yours, or ask the lead to add your role to it."
        )
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
