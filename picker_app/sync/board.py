"""The store board from the backend (`GET /v1/stores/{store}/board`), through a device's sync
client: its token, its timeouts, its errors (SyncError when the backend cannot answer)."""

from __future__ import annotations

from pydantic import TypeAdapter, ValidationError

from picker_app.domain.board import Board
from picker_app.sync.client import BackendFaulty, SyncClient

BOARD = TypeAdapter(Board)


def fetch_board(client: SyncClient) -> Board:
    """The backend's store-wide board, or a SyncError saying why not."""
    response = client._request("GET", "board")
    if response.status_code != 200:
        raise BackendFaulty(f"backend answered {response.status_code}, expected the board")
    try:
        return BOARD.validate_json(response.content)
    except ValidationError:
        raise BackendFaulty("backend sent a reply that is not the store board") from None
