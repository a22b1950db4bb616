"""The sync protocol (DESIGN.md): a store's snapshot, its changes after a cursor, and the
upload of a device's events; each for a device of that store only (deps.store_device)."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Response

from picker_app.backend.batches import apply_batch
from picker_app.backend.clock import iso
from picker_app.backend.deps import Repo, Scoped
from picker_app.backend.intake import BATCH_BODY_OPENAPI, clip, read_batch, request_body
from picker_app.backend.refusals import refusals
from picker_app.backend.repository.sqlite_board import BoardStorage, record_report
from picker_app.domain.events import INT64_MAX
from picker_app.wire import BatchResult, ChangesPage, Snapshot, UserWire

router = APIRouter()

REPORT_REFRESH_S = 30.0  # a download's report of an unchanged outbox is kept at most this often

PendingHeader = Annotated[
    str | None,
    Header(description="how many events the device still holds (after this batch, for an "
           "upload): for the store board; a value that is not a whole number is ignored, never "
           "refused"),
]


# The reads are built as models and sent as their JSON in one pass (pydantic's own
# serializer), not validated again and re-encoded by FastAPI: less time holding the GIL
# while uploads wait for it. `response_model` keeps them in the OpenAPI contract.
@router.get("/v1/stores/{store}/snapshot", response_model=Snapshot)
def get_snapshot(store: str, who: Scoped, repo: Repo) -> Response:
    snap = repo.snapshot(store)
    roles = repo.device_roles(store, who.device)
    if roles is not None:
        snap = snap.model_copy(update={"users": [_for(u, roles) for u in snap.users]})
    return Response(snap.model_dump_json(), media_type="application/json")


def _for(user: UserWire, roles: frozenset[str]) -> UserWire:
    """`user` as a device used by people of `roles` gets it: without the PIN hash unless the
    user has one of those roles (they cannot log in there, and a lost device holds fewer)."""
    return user if user.role in roles else user.model_copy(update={"pin_hash": ""})


@router.get("/v1/stores/{store}/changes", response_model=ChangesPage, responses=refusals(410))
def get_changes(
    store: str,
    who: Scoped,
    repo: Repo,
    cursor: Annotated[int, Query(ge=0, le=INT64_MAX)] = 0,
    limit: Annotated[int, Query(ge=0, le=INT64_MAX)] = 500,
    x_pending_events: PendingHeader = None,
) -> Response:
    page = repo.changes(store, cursor, max(1, min(limit, 5000)))
    # A device that only downloads (a board, a packing kiosk) shows on the board too: its
    # polls report, at most every REPORT_REFRESH_S unless what it holds changes.
    _report(repo, store, who.device, x_pending_events, REPORT_REFRESH_S)
    if page is None:
        raise HTTPException(410, "cursor unknown or too old: take a snapshot")
    roles = (
        repo.device_roles(store, who.device)
        if any(c.user is not None for c in page.changes)
        else None  # no person in the page: the device's roles do not matter (one read less)
    )
    if roles is not None:
        changes = [
            c.model_copy(update={"user": _for(c.user, roles)}) if c.user is not None else c
            for c in page.changes
        ]
        page = page.model_copy(update={"changes": changes})
    return Response(page.model_dump_json(), media_type="application/json")


# The body is read here, event by event (backend/intake.py), not by FastAPI as one
# EventBatch: one event it cannot read is refused on its own, not the whole batch with 422.
@router.post(
    "/v1/stores/{store}/events", openapi_extra=BATCH_BODY_OPENAPI, responses=refusals(400)
)
def upload(
    store: str,
    who: Scoped,
    repo: Repo,
    body: Annotated[bytes, Depends(request_body)],
    x_pending_events: PendingHeader = None,
) -> BatchResult:
    batch = read_batch(body)
    if batch.device != who.device:
        raise HTTPException(
            403,
            f"this token belongs to device {who.device!r}, but the batch names device "
            f"{clip(batch.device)!r}: register this device under its own name",
        )
    result = apply_batch(repo, store, batch, who.device)
    _report(repo, store, who.device, x_pending_events)
    return result


def _report(
    repo: object, store: str, device: str, header: str | None, refresh_s: float = 0
) -> None:
    """Keep what the device says it holds, for the store board; a value that is not a whole
    number is ignored, never refused."""
    pending = header or ""
    if pending.isascii() and pending.isdigit() and len(pending) < 10 and isinstance(
        repo, BoardStorage
    ):
        record_report(repo, store, device, int(pending), iso(datetime.now(UTC)), refresh_s)
