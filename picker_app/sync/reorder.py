"""The reorder list from the backend (`GET /v1/stores/{store}/reorder`), through a device's sync
client: its token and its errors (SyncError when the backend cannot answer)."""

from __future__ import annotations

from pydantic import ValidationError

from picker_app.domain.reorder import BELOW_DAYS, COVER_DAYS, SALES_DAYS
from picker_app.sync.client import BackendFaulty, SyncClient
from picker_app.wire import ReorderList

TIMEOUT_S = 30.0  # the list reads a month of sales (seconds)


def fetch_reorder(
    client: SyncClient, days: int = SALES_DAYS, below: float = BELOW_DAYS,
    cover: float = COVER_DAYS,
) -> ReorderList:  # fmt: skip
    """The backend's reorder list for this device's store, or a SyncError saying why not."""
    params = {"days": days, "below": below, "cover": cover}
    response = client._request("GET", "reorder", params=params, timeout=TIMEOUT_S)
    if response.status_code != 200:
        raise BackendFaulty(f"backend answered {response.status_code}, expected a reorder list")
    try:
        return ReorderList.model_validate_json(response.content)
    except ValidationError:
        raise BackendFaulty("backend sent a reply that is not a reorder list") from None
