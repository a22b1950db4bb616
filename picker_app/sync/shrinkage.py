"""The shrinkage report from the backend (`GET /v1/stores/{store}/shrinkage`), through a
device's sync client: its token and its errors (SyncError when the backend cannot answer)."""

from __future__ import annotations

from pydantic import ValidationError

from picker_app.domain.shrinkage import DAYS, TARGET_PCT, TOP
from picker_app.sync.client import BackendFaulty, SyncClient
from picker_app.wire import ShrinkageReportWire

TIMEOUT_S = 30.0  # the report reads a month of counts, write-offs and sales (seconds)


def fetch_shrinkage(
    client: SyncClient, days: int = DAYS, target: float = TARGET_PCT, top: int = TOP
) -> ShrinkageReportWire:
    """The backend's shrinkage report for this device's store, or a SyncError saying why not."""
    params = {"days": days, "target": target, "top": top}
    response = client._request("GET", "shrinkage", params=params, timeout=TIMEOUT_S)
    if response.status_code != 200:
        raise BackendFaulty(
            f"backend answered {response.status_code}, expected a shrinkage report"
        )
    try:
        return ShrinkageReportWire.model_validate_json(response.content)
    except ValidationError:
        raise BackendFaulty("backend sent a reply that is not a shrinkage report") from None
