"""What to reorder (`GET /v1/stores/{store}/reorder?days=14&below=3&cover=7`, read-only, for a
device of that store as deps.store_device says): the products whose stock covers fewer than
`below` days of their average sales over the last `days`, each with the quantity that covers
`cover` days (backend/reorder.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response

from picker_app.backend.deps import Repo, Scoped
from picker_app.backend.refusals import refusals
from picker_app.backend.reorder import reorder
from picker_app.backend.repository.sqlite_reorder import ReorderStorage
from picker_app.domain.reorder import BELOW_DAYS, COVER_DAYS, SALES_DAYS
from picker_app.wire import ReorderList

router = APIRouter()

Days = Annotated[int, Query(ge=1, le=90, description="days of sales averaged (1 to 90)")]
Below = Annotated[
    float, Query(gt=0, le=90, description="reorder below this many days of stock (up to 90)")
]
Cover = Annotated[
    float, Query(gt=0, le=180, description="order enough for this many days (up to 180)")
]


@router.get("/v1/stores/{store}/reorder", response_model=ReorderList, responses=refusals(501))
def get_reorder(
    store: str, who: Scoped, repo: Repo, days: Days = SALES_DAYS, below: Below = BELOW_DAYS,
    cover: Cover = COVER_DAYS,
) -> Response:  # fmt: skip
    """The products to reorder now, fewest days of stock first."""
    if not isinstance(repo, ReorderStorage):
        raise HTTPException(501, "this backend's storage has no reorder list")
    listed = reorder(repo, store, days, below, cover)
    return Response(listed.model_dump_json(), media_type="application/json")
