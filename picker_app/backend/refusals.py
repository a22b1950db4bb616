"""The backend's refusals as OpenAPI responses: each status a route can answer with, why, and
its body (wire.Refusal, `{"detail": "..."}`), so that the schema is the whole contract. The
routers are included with STORE_REFUSALS (app.py); a route adds what is its own."""

from __future__ import annotations

from typing import Any

from picker_app.backend.intake import MAX_BODY_BYTES
from picker_app.wire import Refusal

Responses = dict[int | str, dict[str, Any]]

REASONS: dict[int, str] = {
    400: "The body did not arrive whole: the device went away while sending it (nothing of it "
    "was applied; the device sends the batch again).",
    401: "No bearer token, or one the backend does not know.",
    403: "The token is of another store's device (or, for an upload, the batch names another "
    "device).",
    404: "No such path: the store in it is not one path segment, or not a store this backend"
    " serves (sharded by city: in no city of its shard map).",
    410: "The cursor is unknown or too old: take a snapshot.",
    413: f"The request body is over {MAX_BODY_BYTES} bytes (any route: the guard's limit).",
    422: "A parameter or the body cannot be read: one sentence says which, never quoting it.",
    501: "This backend's storage does not keep what the route reads.",
    503: "The store's database cannot be reached now (a chain backend's city database is "
    "down or out of connections): nothing was applied; try again after `Retry-After` seconds.",
}

_CHALLENGE = {
    "WWW-Authenticate": {
        "description": "`Bearer`: send the device token as a bearer token.",
        "required": True,
        "schema": {"type": "string"},
    }
}


_RETRY = {
    "Retry-After": {
        "description": "Seconds to wait before sending again.",
        "required": True,
        "schema": {"type": "integer"},
    }
}


def refusals(*codes: int) -> Responses:
    """The responses for `codes`, each with its reason and the Refusal body."""
    return {
        code: {"model": Refusal, "description": REASONS[code]}
        | ({"headers": _CHALLENGE} if code == 401 else {})
        | ({"headers": _RETRY} if code == 503 else {})
        for code in codes
    }


STORE_REFUSALS = refusals(401, 403, 404, 413, 422, 503)
"""What any route under /v1/stores/{store} can answer besides its own: deps.store_device's 401
and 403, the router's 404, the guard's 413 and 422, and the storage's 503 (app.py)."""
