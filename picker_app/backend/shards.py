"""The chain's shard map (issue 16): each city an independent PostgreSQL database, each store
in one city. Read from a TOML file (`--shards shards.toml`):

    [cities.BLR]
    database = "postgresql://picker@10.0.1.5:5432/blr"
    stores = ["BLR-KOR-01", "BLR-IND-02"]

    [cities.HYD]
    database = "postgresql://picker@10.0.2.5:5432/hyd"
    stores = ["HYD-MAD-01"]

A request for a store goes to its city's database only, so a city whose database is down
stops that city alone ("blast radius, not just scale").
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails

from picker_app.errors import PickerError, UserError

Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]


class City(BaseModel):
    """One city's shard: its database and the stores in it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    database: Annotated[str, StringConstraints(pattern=r"^postgres(ql)?://", max_length=2000)]
    stores: Annotated[list[Name], Field(min_length=1)]


class ShardMap(BaseModel):
    """City -> its shard; every store in exactly one city."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cities: Annotated[dict[Name, City], Field(min_length=1)]

    @model_validator(mode="after")
    def _each_store_once(self) -> ShardMap:
        seen: dict[str, str] = {}
        for name, city in self.cities.items():
            for store in city.stores:
                if store in seen:
                    raise ValueError(
                        f"store {store} is in two cities ({seen[store]} and {name}): a store"
                        " lives in one city's database"
                    )
                seen[store] = name
        return self

    def city_of(self, store: str) -> str:
        """The city that holds `store`; a PickerError for a store of no city."""
        for name, city in self.cities.items():
            if store in city.stores:
                return name
        raise PickerError(f"store {store} is in no city of the shard map: add it to one")

    def database_of(self, store: str) -> str:
        return self.cities[self.city_of(store)].database


def load_shards(path: Path) -> ShardMap:
    """The shard map in the TOML file at `path`, or a UserError naming the file and the fault."""
    try:
        values = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{path}: no such shard map (a TOML file of [cities.NAME])") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise UserError(f"{path}: cannot read the shard map: {err}") from None
    try:
        return ShardMap.model_validate(values)
    except ValidationError as err:
        first = err.errors()[0]
        loc = [str(p) for p in first["loc"] if p != "[key]"]
        where = ".".join(loc)
        raise UserError(f"{path}: {where + ': ' if where else ''}{_said(first)}") from None


def _said(error: ErrorDetails) -> str:
    """A validation error as the person reads it (not pydantic's pattern)."""
    if error["type"] == "string_pattern_mismatch":
        if error["loc"][-1] == "database":
            return "not a PostgreSQL address: give one as postgresql://USER@HOST:PORT/DB"
        return f"{error['input']!r} is not a name: letters, digits, - and _, at most 64"
    if error["type"] == "too_short" and error["loc"] == ("cities",):
        return "no cities: add a [cities.NAME] with its database and stores"
    return str(error["msg"]).removeprefix("Value error, ")
