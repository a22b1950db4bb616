"""The README's promises that can be checked: its badges and PINs, its command lines."""

from __future__ import annotations

import csv
import re

from picker_app.backend.server import BackendDB
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def users() -> dict[str, dict[str, str]]:
    with (ROOT / "fixtures" / "users.csv").open(encoding="utf-8") as f:
        return {row["badge"]: row for row in csv.DictReader(f)}


def test_every_badge_and_pin_the_readme_gives_is_a_demo_users():
    known = users()
    # `badge `BD4101`, PIN `7051`` and `` `BD4117` / `573605` ``, each with the words before it
    pairs = re.findall(r"badge `(BD\d+)`, PIN `(\d+)`", README)
    pairs += re.findall(r"`(BD\d+)` / `(\d+)`", README)
    assert len(pairs) >= 2, "the README gives a picker's and a lead's badge and PIN"
    for badge, pin in pairs:
        assert badge in known, f"{badge} is not in fixtures/users.csv"
        assert known[badge]["pin"] == pin, f"{badge}: the README says PIN {pin}"
    for name, badge in re.findall(r"\*\*(\w[\w ]+?), badge `(BD\d+)`", README):
        assert known[badge]["name"] == name, f"{badge} is {known[badge]['name']}, not {name}"
    for role, badge in re.findall(r"(picker|packer|lead)s?, e\.g\. `(BD\d+)`", README):
        assert known[badge]["role"] == role, f"{badge} is a {known[badge]['role']}"
    named = r"(picker|packer|lead) \*\*(\w[\w ]+?), badge `(BD\d+)`"
    for role, _name, badge in re.findall(named, README):
        assert known[badge]["role"] == role, f"{badge} is a {known[badge]['role']}"


def test_the_readme_shows_the_token_flag_that_takes_any_token_and_the_port():
    assert "--token=" in README and "--token T " not in README
    assert "--port" in README


def test_device_tokens_never_start_with_a_dash(tmp_path):
    """`--token T` takes T as an option when it starts with '-' (1 token in 64 of
    token_urlsafe): no token the backend issues does."""
    db = BackendDB(tmp_path / "backend.db")
    tokens = [db.add_device("S1", f"dev-{i}") for i in range(1500)]
    assert not [t for t in tokens if t.startswith("-")]
    assert len(set(tokens)) == len(tokens) and min(map(len, tokens)) >= 43
