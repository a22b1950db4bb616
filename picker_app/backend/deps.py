"""The routes' dependencies: the repository the app was made over, and the device a request's
bearer token belongs to, scoped to the store its path names (401 without a known token, 403 for
another store's device)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from picker_app.backend.repository import Repository


@dataclass(frozen=True)
class StoreDevice:
    """The device a request comes from, of the store the request is about."""

    device: str
    store: str


async def repository(request: Request) -> Repository:
    """The repository the app serves (set by create_app)."""
    repo: Repository = request.app.state.repository
    return repo


def store_device(
    store: str,
    repo: Annotated[Repository, Depends(repository)],
    authorization: Annotated[str | None, Header()] = None,
) -> StoreDevice:
    """The device of the request's bearer token, which must belong to the path's `store`."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise HTTPException(401, "missing bearer token", {"WWW-Authenticate": "Bearer"})
    found = repo.device_for(authorization[7:].strip())
    if found is None:
        raise HTTPException(401, "unknown device token", {"WWW-Authenticate": "Bearer"})
    device, token_store = found
    if token_store != store:
        raise HTTPException(403, f"this device belongs to store {token_store}, not {store}")
    return StoreDevice(device, store)


Repo = Annotated[Repository, Depends(repository)]
Scoped = Annotated[StoreDevice, Depends(store_device)]
