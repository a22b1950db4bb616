"""PINs: stored only as salted PBKDF2 hashes (downloaded to devices so login works offline)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

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


# What each role may do on a device (a lead can stand in for anyone).
ROLE_MAY: dict[str, frozenset[str]] = {
    "picker": frozenset({"pick"}),
    "packer": frozenset({"pack"}),
    "lead": frozenset({"pick", "pack", "count"}),
}


def may(role: str, action: str) -> bool:
    """Whether someone with `role` may do `action` (`pick`, `pack`, `count`)."""
    return action in ROLE_MAY.get(role, frozenset())
