"""The reference order backend: FastAPI under uvicorn, with its own SQLite database.

The names the CLI, the embedded demo, the benchmarks and the tests import from here; the code
lives in rooms: app.py (the factory, ServerThread), deps.py, routes/, batches.py, effects.py,
repository/ (the interface; sqlite.py), migrations.py, seed.py.
"""

from picker_app.backend.app import ServerThread, create_app
from picker_app.backend.clock import iso as _iso
from picker_app.backend.clock import now as _now
from picker_app.backend.migrations import MIGRATIONS, SCHEMA
from picker_app.backend.repository.sqlite import BackendDB
from picker_app.backend.repository.sqlite_reads import OPEN_STATES
from picker_app.backend.repository.sqlite_reads import read_snapshot as snapshot
from picker_app.backend.seed import (
    DEFAULT_OPEN_ORDERS,
    DELIVERY_PROMISE,
    SEED_WINDOW,
    place_orders,
    seed_from_fixtures,
)
from picker_app.backend.suggest import SUGGESTIONS
from picker_app.backend.suggest import name_words as _name_words

__all__ = [
    "DEFAULT_OPEN_ORDERS",
    "DELIVERY_PROMISE",
    "MIGRATIONS",
    "OPEN_STATES",
    "SCHEMA",
    "SEED_WINDOW",
    "SUGGESTIONS",
    "BackendDB",
    "ServerThread",
    "_iso",
    "_name_words",
    "_now",
    "create_app",
    "place_orders",
    "seed_from_fixtures",
    "snapshot",
]
