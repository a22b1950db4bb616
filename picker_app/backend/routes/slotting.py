"""The slotting advice (`GET /v1/stores/{store}/slotting`, read-only, for a device of that
store as deps.store_device says): moves of fast movers nearer the pack station, each with what
it saves, measured on the backend's order history (backend/slotting.py; kept for a while)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response

from picker_app.backend.deps import Repo, Scoped
from picker_app.backend.refusals import refusals
from picker_app.backend.repository.sqlite_slotting import SlottingStorage
from picker_app.backend.slotting import advice
from picker_app.wire import SlottingAdvice

router = APIRouter()


@router.get("/v1/stores/{store}/slotting", response_model=SlottingAdvice, responses=refusals(501))
def get_slotting(store: str, who: Scoped, repo: Repo) -> Response:
    """The moves advised for the store now, less those touching a move already accepted."""
    if not isinstance(repo, SlottingStorage):
        raise HTTPException(501, "this backend's storage has no slotting advice")
    return Response(advice(repo, store).model_dump_json(), media_type="application/json")
