"""A chain's backend storage sharded by city (issue 16): each city's stores in that city's
PostgreSQL database (the shard map, backend/shards.py), every request of a store sent to its
city's database only. A city whose database is down answers its own stores 503; the other
cities' stores do not notice (each city has its own pool, and a token is looked up in the
city of the store its request names, never across cities)."""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

from picker_app.backend.batches import apply_batch
from picker_app.backend.intake import IncomingBatch
from picker_app.backend.repository import NewOrder, StorageUnavailable, StoreData
from picker_app.backend.repository.postgres import PostgresDB
from picker_app.backend.repository.sqlite_writes import SqliteEventWrites
from picker_app.backend.shards import ShardMap
from picker_app.errors import PickerError
from picker_app.wire import BatchResult, ChangesPage, EventBatch, Snapshot


class UnknownStore(PickerError):  # noqa: N818 - a sentence for people, as PickerError
    """A store the shard map names in no city (the backend answers 404)."""


class ShardedDB:
    """The Repository over every city of `shards`: one PostgresDB (one pool) a city."""

    def __init__(self, shards: ShardMap, pool_size: int = 8, wait: float = 2.0) -> None:
        self.shards = shards
        self.cities = {
            name: PostgresDB(city.database, pool_size, wait, name=name)
            for name, city in shards.cities.items()
        }
        self._city = {store: name for name, city in shards.cities.items() for store in city.stores}
        self.unreachable: dict[str, str] = {}  # by city, as ready() found them

    def for_store(self, store: str) -> PostgresDB:
        """The database of `store`'s city (UnknownStore for a store of no city)."""
        name = self._city.get(store)
        if name is None:
            raise UnknownStore(f"this backend serves no store {store!r}: it is in no city of its "
                               "shard map")  # fmt: skip
        return self.cities[name]

    def ready(self) -> ShardedDB:
        """Connect to (and migrate) every city's database now; `unreachable` then says, by
        city, why those that cannot be reached cannot (their stores get 503 until they are
        back, and are migrated then)."""
        self.unreachable = {}
        for name, db in self.cities.items():
            try:
                db.ready()
            except StorageUnavailable as err:
                self.unreachable[name] = str(err)
        return self

    def close(self) -> None:
        for db in self.cities.values():
            db.close()

    # The Repository, each call in the store's own city.
    def add_device(self, store: str, device: str = "", roles: Iterable[str] | None = None) -> str:
        return self.for_store(store).add_device(store, device, roles)

    def device_roles(self, store: str, device: str) -> frozenset[str] | None:
        return self.for_store(store).device_roles(store, device)

    def revoke_device(self, store: str, device: str) -> int:
        return self.for_store(store).revoke_device(store, device)

    def device_for(self, token: str, store: str) -> tuple[str, str] | None:
        return self.for_store(store).device_for(token, store)

    def snapshot(self, store: str) -> Snapshot:
        return self.for_store(store).snapshot(store)

    def changes(self, store: str, cursor: int, limit: int) -> ChangesPage | None:
        return self.for_store(store).changes(store, cursor, limit)

    @contextmanager
    def event_writes(self, store: str) -> Iterator[SqliteEventWrites]:
        with self.for_store(store).event_writes(store) as writes:
            yield writes

    def apply_batch(
        self, store: str, batch: EventBatch | IncomingBatch, device: str | None = None
    ) -> BatchResult:
        return apply_batch(self.for_store(store), store, batch, device)

    def add_orders(
        self, store: str, count: int, rng: random.Random,
        placed_at: Sequence[datetime] | None = None,
    ) -> int:  # fmt: skip
        return self.for_store(store).add_orders(store, count, rng, placed_at)

    def demand(self, store: str) -> list[tuple[str, str, float]]:
        return self.for_store(store).demand(store)

    def insert_orders(self, store: str, orders: Sequence[NewOrder]) -> int:
        return self.for_store(store).insert_orders(store, orders)

    def cancel_order(self, store: str, order_id: str) -> bool:
        return self.for_store(store).cancel_order(store, order_id)

    def has_catalog(self, store: str) -> bool:
        return self.for_store(store).has_catalog(store)

    def set_replenish_days(self, store: str, days: float) -> None:
        self.for_store(store).set_replenish_days(store, days)

    def load_store(self, store: str, data: StoreData) -> None:
        self.for_store(store).load_store(store, data)
