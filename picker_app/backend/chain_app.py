"""The chain backend's app for `backend serve --workers N` (issue 16): uvicorn starts each
worker process on this factory, which opens that process's own pools on what the serving
command named (the environment's PICKER_APP_CHAIN: a PostgreSQL address, or `shards:FILE`).
Nothing is shared between the workers but the databases: each store's writes are ordered by
its advisory lock there (repository/postgres.py), not by any process."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI

from picker_app.backend.app import create_app
from picker_app.backend.repository import Repository

CHAIN_ENV = "PICKER_APP_CHAIN"


def repository(named: str) -> Repository:
    """The repository `named` names: `shards:FILE` or a PostgreSQL address."""
    if named.startswith("shards:"):
        from picker_app.backend.repository.sharded import ShardedDB
        from picker_app.backend.shards import load_shards

        # The cities down are said by the serving command, once.
        return ShardedDB(load_shards(Path(named.removeprefix("shards:")))).ready()
    from picker_app.backend.repository.postgres import PostgresDB

    return PostgresDB(named).ready()


def app() -> FastAPI:
    """uvicorn's factory: the app over the chain's databases the environment names."""
    return create_app(repository(os.environ[CHAIN_ENV]))
