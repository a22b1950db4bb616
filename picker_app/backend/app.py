"""The backend's ASGI app (one factory, for the CLI, the embedded demo and the tests alike),
and serving it from a background thread."""

from __future__ import annotations

import threading

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from picker_app.backend.intake import guard
from picker_app.backend.refusals import STORE_REFUSALS, refusals
from picker_app.backend.repository import Repository, StorageUnavailable
from picker_app.backend.routes import board, health, reorder, shrinkage, slotting, sync

RETRY_AFTER_S = 5  # a store's database unreachable: when its devices should try again


def create_app(db: Repository) -> FastAPI:
    """The backend's ASGI app over `db`."""
    app = FastAPI(title="picker_app reference order backend", version="0.1")
    app.state.repository = db
    app.include_router(health.router, responses=refusals(413))
    for store_routes in (sync, board, slotting, reorder, shrinkage):
        app.include_router(store_routes.router, responses=STORE_REFUSALS)
    guard(app)

    @app.exception_handler(StorageUnavailable)
    async def unavailable(request: Request, err: StorageUnavailable) -> JSONResponse:
        return JSONResponse({"detail": str(err)}, 503, {"Retry-After": str(RETRY_AFTER_S)})

    return app


class ServerThread:
    """The backend served by uvicorn in a background thread on a loopback port (0: any free
    one), for tests, benchmarks and the app's embedded default."""

    def __init__(
        self,
        db: Repository,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: tuple[str, str] | None = None,
    ) -> None:
        """`tls`: (certificate file, key file) to serve https instead of http."""
        import time

        import uvicorn

        self.db = db
        config = uvicorn.Config(
            create_app(db), host=host, port=port, log_level="warning",
            ssl_certfile=tls[0] if tls else None, ssl_keyfile=tls[1] if tls else None,
        )  # fmt: skip
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="backend", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"the backend did not start on {host}:{port}")
            time.sleep(0.01)
        bound = self.server.servers[0].sockets[0].getsockname()
        self.url = f"{'https' if tls else 'http'}://{host}:{bound[1]}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
