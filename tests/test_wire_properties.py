"""Property tests for the sync protocol's wire models, the client's reading of replies, and the
settings: whatever arrives (a reply, a settings file, the environment), the answer is a model
or one clear error of the app's own, never a traceback."""

from __future__ import annotations

import json
import string
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from picker_app import wire
from picker_app.config import Settings, load_settings
from picker_app.errors import PickerError, UserError
from picker_app.store.outbox import Event
from picker_app.sync.client import BackendFaulty, SyncClient, SyncError, SyncSettings

# Every model the device reads from the backend's replies (and the batch it sends).
REPLIES: list[type[BaseModel]] = [
    wire.BatchResult, wire.Snapshot, wire.ChangesPage, wire.Health, wire.Refusal,
    wire.SlottingAdvice, wire.ReorderList, wire.ShrinkageReportWire, wire.EventBatch,
]  # fmt: skip

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=25,
)


@st.composite
def shaped(draw, model: type[BaseModel]) -> dict:
    """A dict with the model's own field names (so validation gets past the keys) and random
    JSON-ish values, some fields left out, sometimes an unknown one."""
    names = list(model.model_fields)
    out = {n: draw(json_values) for n in names if draw(st.booleans())}
    if draw(st.integers(0, 9)) == 0:
        out[draw(st.text(max_size=8))] = draw(json_values)
    return out


@FAST
@given(model=st.sampled_from(REPLIES), data=st.data())
def test_any_json_value_validates_or_is_a_validation_error(model, data):
    value = data.draw(json_values | shaped(model))
    try:
        model.model_validate(value)
    except ValidationError:
        return  # the verdict: not this model


raw_bodies = (
    st.binary(max_size=200)
    | json_values.map(lambda v: json.dumps(v).encode())
    | st.sampled_from(REPLIES).flatmap(shaped).map(lambda v: json.dumps(v).encode())
)


@FAST
@given(model=st.sampled_from(REPLIES), body=raw_bodies)
@example(model=wire.Snapshot, body=b"\xff\xfe{")  # not UTF-8
@example(model=wire.ChangesPage, body=b'{"changes": [], "next_cursor": 1e400, "more": false}')
@example(model=wire.BatchResult, body=b'{"batch_id": "b", "results": [{"event_id": "e"')
def test_any_reply_body_is_the_model_or_a_backend_fault(model, body):
    response = httpx.Response(200, content=body)
    try:
        parsed = SyncClient._parse(response, model, "a reply")
    except BackendFaulty as err:
        assert str(err) == "backend sent a reply that is not a reply"
    else:
        assert isinstance(parsed, model)


def events(n: int) -> list[Event]:
    return [
        Event(seq=i + 1, event_id=f"e{i}", device="dev-1", type="stock_damaged", user=None,
              created_at="2026-01-01T00:00:00Z", payload={"qty": 1})
        for i in range(n)
    ]  # fmt: skip


statuses = st.sampled_from([200, 200, 200, 201, 204, 301, 400, 404, 409, 410, 413, 422, 429, 500])


@FAST
@given(status=statuses, body=raw_bodies, headers=st.dictionaries(
    st.sampled_from(["Retry-After", "Date", "Content-Type"]), st.text(string.printable, max_size=30)
))  # fmt: skip
@example(status=429, body=b"", headers={"Retry-After": "soon"})
@example(status=200, body=b'{"batch_id": "b1", "results": []}', headers={"Date": "not a date"})
def test_the_client_gives_a_batch_result_or_its_own_error_for_any_reply(status, body, headers):
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body, headers=headers)

    http = httpx.Client(transport=httpx.MockTransport(answer))
    client = SyncClient(None, SyncSettings("http://backend.test", "S1", "t"), http=http)
    try:
        result = client.send_batch("b1", events(2))
    except SyncError as err:
        assert str(err) and "\n" not in str(err)
    else:
        assert result.batch_id == "b1" and {r.event_id for r in result.results} == {"e0", "e1"}
    finally:
        http.close()


# --- valid models round-trip ------------------------------------------------------------------

short = st.text(string.ascii_letters + string.digits + "-_", min_size=1, max_size=20)
nums = st.floats(-1e9, 1e9, allow_nan=False)
wire_events = st.builds(
    wire.WireEvent, event_id=short, device=short, seq=st.integers(1, 2**63 - 1), type=short,
    user=st.none() | short, created_at=short,
    payload=st.dictionaries(short, st.none() | st.booleans() | st.integers(-(2**53), 2**53)
                            | nums | st.text(max_size=10), max_size=4),
)  # fmt: skip
skus = st.builds(
    wire.SkuWire, sku=short, name=st.text(max_size=20), unit=st.sampled_from(["each", "kg"]),
    weight_g=st.none() | nums, gtins=st.lists(short, max_size=3),
)  # fmt: skip
stock = st.builds(wire.StockWire, bin=short, sku=short, on_hand=nums)
lines = st.builds(wire.OrderLineWire, line_no=st.integers(0, 99), sku=short, qty=nums)
orders = st.builds(wire.OrderWire, id=short, state=short, lines=st.lists(lines, max_size=3))
users = st.builds(
    wire.UserWire, id=short, name=short, badge=short, pin_hash=short,
    role=st.sampled_from(["picker", "packer", "lead", "rider"]),
)  # fmt: skip
VALID: dict[type[BaseModel], st.SearchStrategy] = {
    wire.EventBatch: st.builds(
        wire.EventBatch, device=short, batch_id=short, events=st.lists(wire_events, max_size=4)
    ),
    wire.BatchResult: st.builds(
        wire.BatchResult,
        batch_id=short,
        results=st.lists(
            st.builds(
                wire.EventResult,
                event_id=short,
                status=st.sampled_from(["applied", "duplicate", "rejected"]),
                reason=st.none() | st.text(max_size=30),
            ),
            max_size=4,
        ),
    ),  # fmt: skip
    wire.Snapshot: st.builds(
        wire.Snapshot,
        cursor=st.integers(0, 2**40),
        store=short,
        skus=st.lists(skus, max_size=3),
        stock=st.lists(stock, max_size=3),
        users=st.lists(users, max_size=2),
        orders=st.lists(orders, max_size=2),
    ),  # fmt: skip
    wire.ChangesPage: st.builds(
        wire.ChangesPage,
        next_cursor=st.integers(0, 2**40),
        more=st.booleans(),
        changes=st.lists(
            st.builds(
                wire.Change,
                seq=st.integers(0, 2**40),
                order=st.none() | orders,
                stock=st.none() | stock,
                sku=st.none() | skus,
                user=st.none() | users,
            ),
            max_size=4,
        ),
    ),  # fmt: skip
}


@FAST
@given(data=st.data(), model=st.sampled_from(list(VALID)))
def test_valid_models_round_trip_through_json(data, model):
    value = data.draw(VALID[model])
    text = value.model_dump_json()
    assert model.model_validate_json(text) == value
    assert model.model_validate(json.loads(text)) == value


# --- the settings -----------------------------------------------------------------------------

ENV_VARS = [
    "PICKER_APP_BACKEND", "PICKER_APP_STORE", "PICKER_APP_TOKEN", "PICKER_APP_CA_FILE",
    "PICKER_APP_DB", "PICKER_APP_SCANNER", "PICKER_APP_PRINTER", "PICKER_APP_SCALE",
]  # fmt: skip
KEYS = list(Settings.model_fields)
toml_values = st.sampled_from(
    ['"x"', "1", "0", "-5", "99999999", "1.5", "true", "[]", '["a"]', "{}", "{a = 1}",
     "1979-05-27T07:32:00Z", '"CR"', '"LF"', '"required"', '"honeywell"', "nan", "inf", '""']
)  # fmt: skip
settings_texts = st.text(max_size=200) | st.lists(
    st.tuples(st.sampled_from([*KEYS, "nope", "[a]"]), toml_values), max_size=6
).map(lambda pairs: "\n".join(f"{k} = {v}" for k, v in pairs))
env_values = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\0"), max_size=40
)


@pytest.fixture(scope="module")
def settings_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("settings")


@FAST
@given(text=settings_texts, env=st.dictionaries(st.sampled_from(ENV_VARS), env_values, max_size=4))
@example(text="budget_s = 1e400", env={})
@example(text="scanner_baud = 1.5", env={"PICKER_APP_DB": "\udcff"})
@example(text="", env={"PICKER_APP_CA_FILE": " "})
def test_any_settings_file_and_environment_give_settings_or_one_sentence(settings_dir, text, env):
    path = settings_dir / "config.toml"
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    try:
        got = load_settings({"PICKER_APP_CONFIG": str(path), **env})
    except UserError as err:
        said = str(err)
        assert said.startswith((f"{path}: ", "the command line or environment: ")), said
        assert "\n" not in said, said
    else:
        assert isinstance(got, Settings)
        for var, key in (("PICKER_APP_STORE", "store"), ("PICKER_APP_TOKEN", "token")):
            if env.get(var):
                assert getattr(got, key) == env[var]


@FAST
@given(raw=st.binary(max_size=120))
def test_a_settings_file_of_any_bytes_is_settings_or_one_sentence(settings_dir, raw):
    path = settings_dir / "bytes.toml"
    path.write_bytes(raw)
    try:
        load_settings({"PICKER_APP_CONFIG": str(path)})
    except PickerError as err:
        assert str(err).startswith(f"{path}: ")
