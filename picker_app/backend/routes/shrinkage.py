"""The shrinkage report (`GET /v1/stores/{store}/shrinkage?days=30&target=2&top=10`, read-only,
for a device of that store as deps.store_device says): stock lost over the last `days`, net and
absolute, as a share of the period's sales against `target`; by reason, zone, aisle, bin and day;
the `top` largest losses; the counts' accuracy (backend/shrinkage.py, the same figures as
`picker-app shrinkage`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response

from picker_app.backend.deps import Repo, Scoped
from picker_app.backend.refusals import refusals
from picker_app.backend.repository.sqlite_shrinkage import ShrinkageStorage
from picker_app.backend.shrinkage import shrinkage
from picker_app.domain.shrinkage import DAYS, TARGET_PCT, TOP
from picker_app.wire import ShrinkageReportWire

router = APIRouter()

Days = Annotated[int, Query(ge=1, le=366, description="days of the period, ending now (1 to 366)")]
Target = Annotated[
    float, Query(ge=0, le=100, description="the store's target, % of sales (0 to 100)")
]
Top = Annotated[int, Query(ge=0, le=1000, description="largest losses listed (0 to 1000)")]


@router.get(
    "/v1/stores/{store}/shrinkage", response_model=ShrinkageReportWire, responses=refusals(501)
)
def get_shrinkage(
    store: str, who: Scoped, repo: Repo, days: Days = DAYS, target: Target = TARGET_PCT,
    top: Top = TOP,
) -> Response:  # fmt: skip
    """The store's shrinkage over the last `days`, against `target` % of sales."""
    if not isinstance(repo, ShrinkageStorage):
        raise HTTPException(501, "this backend's storage has no shrinkage report")
    report = shrinkage(repo, store, days, target, top)
    return Response(report.model_dump_json(), media_type="application/json")
