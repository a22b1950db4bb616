"""The routes' dependencies: the repository the app was made over, and the device a request's
bearer token belongs to, scoped to the store its path names (401 without a known token, 403 for
another store's device). The token is read by FastAPI's HTTPBearer, so the OpenAPI names the
bearer scheme and each store route's `security`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from picker_app.backend.repository import Repository, Sharded
from picker_app.errors import PickerError


@dataclass(frozen=True)
class StoreDevice:
    """The device a request comes from, of the store the request is about."""

    device: str
    store: str


async def repository(request: Request, store: str) -> Repository:
    """The repository of the path's `store`: the one the app serves (set by create_app), or,
    sharded by city, that store's city's (404 for a store of no city)."""
    repo: Repository = request.app.state.repository
    if isinstance(repo, Sharded):
        try:
            return repo.for_store(store)
        except PickerError as err:
            raise HTTPException(404, str(err)) from None
    return repo


# auto_error=False: a request without a token is answered here, with the backend's own words.
device_token = HTTPBearer(
    scheme_name="DeviceToken",
    description="The device token issued by `picker-app backend add-device`.",
    auto_error=False,
)


def store_device(
    store: str,
    repo: Annotated[Repository, Depends(repository)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(device_token)],
) -> StoreDevice:
    """The device of the request's bearer token, which must belong to the path's `store`."""
    if bearer is None:
        raise HTTPException(401, "missing bearer token", {"WWW-Authenticate": "Bearer"})
    found = repo.device_for(bearer.credentials, store)
    if found is None:
        raise HTTPException(401, "unknown device token", {"WWW-Authenticate": "Bearer"})
    device, token_store = found
    if token_store != store:
        raise HTTPException(403, f"this device belongs to store {token_store}, not {store}")
    return StoreDevice(device, store)


Repo = Annotated[Repository, Depends(repository)]
Scoped = Annotated[StoreDevice, Depends(store_device)]
