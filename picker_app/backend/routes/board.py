"""The store lead's board (`GET /v1/stores/{store}/board`, read-only, for a device of that
store as deps.store_device says). The devices' reports of the events they still hold come with
their uploads (routes/sync.py, the `X-Pending-Events` header)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Response
from pydantic import TypeAdapter

from picker_app.backend.deps import Repo, Scoped
from picker_app.backend.refusals import refusals
from picker_app.backend.repository.sqlite_board import BoardStorage, read_board
from picker_app.domain.board import Board

router = APIRouter()
BOARD = TypeAdapter(Board)


def _storage(repo: object) -> BoardStorage:
    if not isinstance(repo, BoardStorage):
        raise HTTPException(501, "this backend's storage has no store board")
    return repo


@router.get("/v1/stores/{store}/board", response_model=Board, responses=refusals(501))
def get_board(store: str, who: Scoped, repo: Repo) -> Response:
    """The store-wide board as of the backend's clock."""
    board = read_board(_storage(repo), store, datetime.now(UTC))
    return Response(BOARD.dump_json(board), media_type="application/json")
