"""The HTTP edge of the backend: bounded request bodies, and an event batch read one event at a
time, so that one event the backend cannot read is answered `rejected` on its own instead of
failing the whole batch (a 422 or 500 for the batch would have the device resend it for ever and
the good events behind it would never arrive).
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, HTTPException
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import ClientDisconnect, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from picker_app.wire import EventBatch, EventResult, WireEvent

# A real event is under 600 bytes of JSON (the largest, stock_picked, names order, line, SKU,
# bin, GTIN, batch, expiry and weight), so the device's batch of 500 is about 300 KB: 2 MiB
# leaves room for seven times that, and a body of 10 MB is refused before it is read.
MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_EVENTS = 5000  # per batch, as EventBatch says
CLIP = 40  # characters of anything sent that a reason may quote


def clip(text: object, limit: int = CLIP) -> str:
    """`text` as a reason may quote it: at most `limit` characters."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def explain(errors: Sequence[Any], prefix: str = "") -> str:
    """One sentence naming the first field that failed validation (and how many more did),
    never quoting what was sent."""
    first = errors[0]
    where = ".".join(clip(part) for part in ([prefix] if prefix else []) + list(first["loc"]))
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where + ': ' if where else ''}{clip(first['msg'], 120)}{more}"


def explain_error(err: ValidationError, prefix: str = "") -> str:
    return explain(err.errors(include_url=False, include_input=False), prefix)


def non_finite(value: object, path: str) -> str:
    """Where in `value` the first NaN or infinite number is (`path` if nowhere deeper)."""
    return _non_finite(value, path) or path


def _non_finite(value: object, path: str) -> str | None:
    items: list[tuple[object, object]] = []
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    elif isinstance(value, float) and not math.isfinite(value):
        return path
    for key, item in items:
        found = _non_finite(item, f"{path}.{clip(key)}")
        if found:
            return found
    return None


class _Envelope(BaseModel):
    """EventBatch with its events not yet read."""

    model_config = ConfigDict(extra="forbid")

    device: str = Field(min_length=1, max_length=64)
    batch_id: str = Field(min_length=1, max_length=64)
    events: list[Any] = Field(max_length=MAX_EVENTS)


class EventWithId(BaseModel):
    """What an upload's event must be for its batch to be read: any object with an event_id.
    One that is not a WireEvent is answered `rejected` on its own (OpenAPI only)."""

    model_config = ConfigDict(extra="allow")

    event_id: str = Field(min_length=1, max_length=64)


@dataclass(frozen=True)
class IncomingBatch:
    """A batch as read: each event valid on the wire, or already answered (refused)."""

    device: str
    batch_id: str
    events: list[WireEvent | EventResult]


def _int(text: str) -> int | float:
    # Python refuses to read integers of over 4,300 digits (and the whole body with them): such
    # a number is out of every bound anyway, so it is read as infinite and refused where it is.
    return int(text) if len(text) <= 40 else float("inf")


def read_batch(body: bytes) -> IncomingBatch:
    """The batch in `body`; HTTPException 422 when it cannot be answered event by event (not
    JSON, no batch_id or device, or an event without a readable event_id)."""
    try:
        raw = json.loads(body, parse_int=_int)
    except (ValueError, RecursionError):
        raise HTTPException(422, "the body is not JSON: send an event batch") from None
    if not isinstance(raw, dict):
        raise HTTPException(422, "the body must be a JSON object: device, batch_id and events")
    try:
        envelope = _Envelope.model_validate(raw)
    except ValidationError as err:
        raise HTTPException(422, f"not an event batch: {explain_error(err)}") from None
    events: list[WireEvent | EventResult] = []
    for n, item in enumerate(envelope.events):
        try:
            events.append(WireEvent.model_validate(item))
        except ValidationError as err:
            event_id = item.get("event_id") if isinstance(item, dict) else None
            if not isinstance(event_id, str) or not 1 <= len(event_id) <= 64:
                raise HTTPException(
                    422, f"event {n} of the batch has no readable event_id (1 to 64 characters)"
                ) from None
            reason = explain_error(err)
            events.append(EventResult(event_id=event_id, status="rejected", reason=reason))
    return IncomingBatch(envelope.device, envelope.batch_id, events)


REASON_GONE = "the device went away while sending its batch: nothing of it was applied"


async def request_body(request: Request) -> bytes:
    """The request's body (bounded by BodyLimit); a device that goes away while sending it
    (killed, or its network lost) is a 400 with a sentence, not a traceback in the log."""
    try:
        return await request.body()
    except ClientDisconnect:
        raise HTTPException(400, REASON_GONE) from None


class BodyLimit:
    """ASGI middleware: a request body over `limit` bytes is answered 413, by its
    Content-Length before it is read, or as it arrives when it has none (chunked)."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    def _too_large(self) -> str:
        return f"the request body is over {self.limit} bytes: send fewer events per batch"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await JSONResponse({"detail": self._too_large()}, 413)(scope, receive, send)
            return
        seen = 0

        async def bounded() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise HTTPException(413, self._too_large())  # answered by the app
            return message

        await self.app(scope, bounded, send)


def guard(app: FastAPI) -> None:
    """Bound `app`'s request bodies, answer its validation errors with one sentence (never
    quoting what was sent), and document the event upload's body (read by hand) in OpenAPI:
    an EventBatch whose events may also be unreadable ones with an event_id (EventUpload)."""
    app.add_middleware(BodyLimit)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, err: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": explain(list(err.errors()))}, 422)

    plain = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = plain()
            body = EventBatch.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas = schema.setdefault("components", {}).setdefault("schemas", {})
            schemas.update(body.pop("$defs", {}))
            schemas["EventBatch"] = body
            schemas["EventWithId"] = EventWithId.model_json_schema()
            schemas["EventUpload"] = _upload_schema(body)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _upload_schema(batch: dict[str, Any]) -> dict[str, Any]:
    """EventBatch's schema with each event a WireEvent or, answered `rejected`, an EventWithId."""
    upload = copy.deepcopy(batch)
    upload["title"] = "EventUpload"
    upload["description"] = (
        "An EventBatch. An event that is not a WireEvent but has an event_id is answered "
        "`rejected` on its own; an event without one is refused with its batch (422)."
    )
    refs = [{"$ref": f"#/components/schemas/{name}"} for name in ("WireEvent", "EventWithId")]
    upload["properties"]["events"]["items"] = {"anyOf": refs}
    return upload


BATCH_BODY_OPENAPI: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EventUpload"}}},
    }
}
"""The upload endpoint's `openapi_extra`: its body is an EventUpload (see guard)."""
