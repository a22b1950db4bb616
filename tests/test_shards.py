"""The chain's shard map (backend/shards.py, issue 16): each store in one city's database, a
file that is wrong is one sentence naming it, and `backend migrate --shards` migrates every
city's database, saying which could not be reached and migrating the others."""

from __future__ import annotations

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from picker_app.backend import pg_migrations
from picker_app.backend.shards import load_shards
from picker_app.cli import main
from picker_app.errors import PickerError, UserError

TWO_CITIES = """
[cities.BLR]
database = "{blr}"
stores = ["BLR-KOR-01", "BLR-IND-02"]

[cities.HYD]
database = "{hyd}"
stores = ["HYD-MAD-01"]
"""


def write(tmp_path, text: str):
    path = tmp_path / "shards.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_each_store_goes_to_its_citys_database(tmp_path):
    shards = load_shards(write(tmp_path, TWO_CITIES.format(
        blr="postgresql://picker@10.0.1.5/blr", hyd="postgresql://picker@10.0.2.5/hyd"
    )))  # fmt: skip
    assert shards.city_of("BLR-IND-02") == "BLR"
    assert shards.database_of("HYD-MAD-01") == "postgresql://picker@10.0.2.5/hyd"
    with pytest.raises(PickerError, match="store PUN-01 is in no city of the shard map"):
        shards.city_of("PUN-01")


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        (TWO_CITIES.format(blr="postgresql://a/b", hyd="postgresql://c/d").replace(
            '"HYD-MAD-01"', '"BLR-KOR-01"'),
         "store BLR-KOR-01 is in two cities (BLR and HYD)"),
        ('[cities.BLR]\ndatabase = "mysql://a/b"\nstores = ["S"]\n', "cities.BLR.database"),
        ('[cities.BLR]\ndatabase = "postgresql://a/b"\nstores = []\n', "cities.BLR.stores"),
        ('[cities.BLR]\ndatabase = "postgresql://a/b"\nstores = ["S"]\nport = 5\n',
         "cities.BLR.port"),
        ("[cities]\n", "cities"),
        ("[cities.BLR\n", "cannot read the shard map"),
        ('[cities."a b"]\ndatabase = "postgresql://a/b"\nstores = ["S"]\n', "cities.a b"),
    ],
)  # fmt: skip
def test_a_wrong_shard_map_is_one_sentence_naming_the_file(tmp_path, text, sentence):
    path = write(tmp_path, text)
    with pytest.raises(UserError) as err:
        load_shards(path)
    assert str(err.value).startswith(f"{path}: ") and sentence in str(err.value)
    assert "\n" not in str(err.value)


def test_no_such_file(tmp_path):
    with pytest.raises(UserError, match="no such shard map"):
        load_shards(tmp_path / "none.toml")


def test_migrate_shards_migrates_every_city_and_says_which_it_could_not(
    pg_server, tmp_path, capsys
):
    blr, hyd = pg_server.new_database(), pg_server.new_database()
    path = write(tmp_path, TWO_CITIES.format(blr=blr, hyd=hyd))
    assert main(["backend", "migrate", "--shards", str(path)]) == 0
    said = capsys.readouterr().err
    assert "city BLR: " in said and "city HYD: " in said and said.count("migrated") == 2
    for dsn in (blr, hyd):
        with psycopg.connect(dsn) as conn:
            assert conn.execute("SELECT name FROM _migrations ORDER BY id").fetchall() == [
                (name,) for name, _ in pg_migrations.MIGRATIONS
            ]
    down = "postgresql://picker@127.0.0.1:1/hyd"
    path = write(tmp_path, TWO_CITIES.format(blr=blr, hyd=down))
    assert main(["backend", "migrate", "--shards", str(path)]) == 2
    said = capsys.readouterr().err
    assert "city BLR: " in said and "up to date" in said  # the other city is still done
    assert "city HYD: cannot reach PostgreSQL at postgresql://picker@127.0.0.1:1/hyd" in said
    assert said.rstrip().endswith("1 of 2 cities were not migrated (above)")
    assert "Traceback" not in said


@given(st.text(max_size=300))
@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_text_is_a_shard_map_or_one_sentence(tmp_path, text):
    path = write(tmp_path, text)
    try:
        load_shards(path)
    except UserError as err:
        assert str(err).startswith(f"{path}: ") and "\n" not in str(err)


@given(st.dictionaries(st.text(max_size=8), st.dictionaries(
    st.sampled_from(["database", "stores", "x"]),
    st.one_of(st.text(max_size=20), st.lists(st.text(max_size=8), max_size=3), st.integers()),
), max_size=3))
@settings(max_examples=300, deadline=None)
def test_any_table_of_cities_is_a_shard_map_or_one_sentence(cities):
    from pydantic import ValidationError

    from picker_app.backend.shards import ShardMap

    try:
        shards = ShardMap.model_validate({"cities": cities})
    except ValidationError:
        return
    stores = [s for c in shards.cities.values() for s in c.stores]
    assert len(stores) == len(set(stores))
    assert all(shards.database_of(s) == shards.cities[shards.city_of(s)].database for s in stores)
