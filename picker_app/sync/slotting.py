"""The slotting advice from the backend (`GET /v1/stores/{store}/slotting`), through a device's
sync client: its token and its errors (SyncError when the backend cannot answer). The backend
measures the advice on its order history, which can take it seconds the first time."""

from __future__ import annotations

from pydantic import ValidationError

from picker_app.sync.client import BackendFaulty, SyncClient
from picker_app.wire import SlottingAdvice

TIMEOUT_S = 60.0  # the first answer is measured then (seconds); later ones are kept


def fetch_slotting(client: SyncClient) -> SlottingAdvice:
    """The backend's slotting advice for this device's store, or a SyncError saying why not."""
    response = client._request("GET", "slotting", timeout=TIMEOUT_S)
    if response.status_code != 200:
        raise BackendFaulty(f"backend answered {response.status_code}, expected slotting advice")
    try:
        return SlottingAdvice.model_validate_json(response.content)
    except ValidationError:
        raise BackendFaulty("backend sent a reply that is not slotting advice") from None
