"""The backend's OpenAPI is the whole contract: the device token as a bearer scheme, every
refusal a route can answer declared with its body, the upload's body as the backend reads it.

Then the backend against that OpenAPI (schemathesis, on the real server on loopback): no 5xx, no
status the schema does not declare, every body as its schema says, every refusal a 4xx with a
sentence in `detail`. Once with a device token of the store (so the deep paths are reached) and
once without."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import settings

from picker_app.backend.intake import MAX_BODY_BYTES
from picker_app.backend.server import create_app
from picker_app.wire import Refusal
from tests.appkit import STORE


def store_operations(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(path, operation) of every route under /v1/stores/{store}."""
    return [
        (path, operation)
        for path, operations in spec["paths"].items()
        if path.startswith("/v1/stores/{store}/")
        for operation in operations.values()
    ]


def token_of(rig: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {rig.client.settings.token}"}


# The device token: schemathesis saw `authorization` as an optional header parameter.
def test_the_device_token_is_a_bearer_scheme_not_a_header_parameter(rig):
    spec = create_app(rig.backend).openapi()
    scheme = spec["components"]["securitySchemes"]["DeviceToken"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert "security" not in spec["paths"]["/v1/health"]["get"]
    operations = store_operations(spec)
    assert len(operations) == 7
    for path, operation in operations:
        assert operation["security"] == [{"DeviceToken": []}], path
        assert "authorization" not in {p["name"].lower() for p in operation["parameters"]}, path


def test_the_token_is_refused_in_the_same_words_as_before(rig):
    url = f"{rig.server.url}/v1/stores/{STORE}/board"

    def detail(headers: dict[str, str], code: int = 401) -> str:
        answer = httpx.get(url, headers=headers, timeout=10)
        assert answer.status_code == code, (headers, answer.text)
        if code == 401:
            assert answer.headers["WWW-Authenticate"] == "Bearer"
        return answer.json()["detail"]

    assert detail({}) == "missing bearer token"
    for header in ("Basic aGk6dGhlcmU=", "Bearer", "bearertoken", "Bearer\tnope"):
        assert detail({"Authorization": header}) == "missing bearer token", header
    assert detail({"Authorization": "bearer nope"}) == "unknown device token"
    assert detail({"Authorization": "Bearer  a b"}) == "unknown device token"
    shouted = {"Authorization": f"BEARER   {rig.client.settings.token}"}
    assert httpx.get(url, headers=shouted, timeout=10).status_code == 200
    other = url.replace(STORE, "OTHER-01")
    answer = httpx.get(other, headers=token_of(rig), timeout=10)
    assert answer.status_code == 403
    assert answer.json()["detail"] == f"this device belongs to store {STORE}, not OTHER-01"


# The refusals: schemathesis got 401, 403 and 410 where the schema named 200 and 422 only, and
# 422 said one sentence where the schema promised FastAPI's list of errors.
def test_every_route_declares_its_refusals_with_their_body(rig):
    spec = create_app(rig.backend).openapi()
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    assert set(spec["paths"]["/v1/health"]["get"]["responses"]) == {"200", "413"}
    own = {"/v1/stores/{store}/changes": {"410"}, "/v1/stores/{store}/snapshot": set(),
           "/v1/stores/{store}/events": {"400"}}  # fmt: skip
    for path, operation in store_operations(spec):
        codes = set(operation["responses"]) - {"200"}
        assert codes == {"401", "403", "404", "413", "422", "503"} | own.get(path, {"501"}), path
        for code in codes:
            content = operation["responses"][code]["content"]["application/json"]
            assert content["schema"] == {"$ref": "#/components/schemas/Refusal"}, (path, code)
        assert operation["responses"]["401"]["headers"]["WWW-Authenticate"]["required"]
        assert operation["responses"]["503"]["headers"]["Retry-After"]["required"]


def test_each_refusal_is_a_sentence_as_documented(rig):
    base = f"{rig.server.url}/v1/stores/{STORE}"

    def refused(code: int, url: str, method: str = "GET", **kw: Any) -> str:
        answer = httpx.request(method, url, timeout=10, **kw)
        assert answer.status_code == code, (url, answer.text)
        return Refusal.model_validate_json(answer.content).detail

    assert refused(401, f"{base}/snapshot") == "missing bearer token"
    assert "OTHER-01" in refused(403, f"{rig.server.url}/v1/stores/OTHER-01/board",
                                 headers=token_of(rig))  # fmt: skip
    refused(404, f"{rig.server.url}/v1/stores/a%2Fb/board", headers=token_of(rig))
    assert "snapshot" in refused(410, f"{base}/changes?cursor={2**62}", headers=token_of(rig))
    assert "days" in refused(422, f"{base}/shrinkage?days=0", headers=token_of(rig))
    assert "not JSON" in refused(422, f"{base}/events", "POST", headers=token_of(rig),
                                 content=b"{")  # fmt: skip
    big = b" " * (MAX_BODY_BYTES + 1)
    assert "bytes" in refused(413, f"{base}/events", "POST", headers=token_of(rig), content=big)
    assert "bytes" in refused(413, f"{rig.server.url}/v1/health", content=big)


# The upload: schemathesis sent a batch with an event that is no WireEvent, which the schema
# (EventBatch) forbade and the backend answers 200, that event `rejected` (as it must: intake.py).
def test_the_upload_body_is_documented_as_it_is_read(rig):
    spec = create_app(rig.backend).openapi()
    upload = spec["paths"]["/v1/stores/{store}/events"]["post"]["requestBody"]["content"]
    assert upload["application/json"]["schema"] == {"$ref": "#/components/schemas/EventUpload"}
    items = spec["components"]["schemas"]["EventUpload"]["properties"]["events"]["items"]
    assert [ref["$ref"].rsplit("/", 1)[1] for ref in items["anyOf"]] == ["WireEvent", "EventWithId"]
    body = {"device": rig.store.device, "batch_id": "b-1", "events": [{"event_id": "e-1"}]}
    url = f"{rig.server.url}/v1/stores/{STORE}/events"
    answer = httpx.post(url, json=body, headers=token_of(rig), timeout=10)
    assert answer.status_code == 200
    (result,) = answer.json()["results"]
    assert (result["event_id"], result["status"]) == ("e-1", "rejected") and result["reason"]
    body["events"] = [{"seq": 1}]  # no event_id: the batch cannot be answered event by event
    assert httpx.post(url, json=body, headers=token_of(rig), timeout=10).status_code == 422


# Schemathesis.
EXAMPLES = 4  # drawn per operation, mode and phase (schemathesis' coverage phase adds its own)
SLOW_READS = "/(shrinkage|reorder|slotting)$"  # about a second a call on the rig's history


def told_why(ctx: schemathesis.CheckContext, response: schemathesis.Response, case: Any) -> bool:
    """Every refusal is a 4xx that says why in a non-empty `detail`."""
    if response.status_code < 400:
        return True
    assert response.status_code < 500, f"{response.status_code}: a server error"
    body = response.json()
    detail = body.get("detail") if isinstance(body, dict) else None
    assert isinstance(detail, str) and detail.strip(), f"{response.status_code} without a reason"
    return True


@pytest.fixture(params=["with a token", "without"])
def api(request, rig):
    """The backend's OpenAPI as served, with a token of the store's device or none."""
    project: dict[str, Any] = {
        "base-url": rig.server.url,
        "request-timeout": 60,  # the first slotting advice takes seconds to measure
        "generation": {"max-examples": EXAMPLES, "deterministic": True},
        # A well-formed cursor the backend does not know is 410: the contract says so.
        "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", 401, 403, 410]}},
    }
    if request.param == "with a token":
        project["auth"] = {"openapi": {"DeviceToken": {"bearer": rig.client.settings.token}}}
        project["parameters"] = {"path.store": STORE}  # the token's store: the deep paths
        # The coverage phase's valid boundary values of the slow reads' queries (17 each) would
        # double the run; their invalid ones stay, and the fuzzing phase draws valid ones.
        slow = {"include-path-regex": SLOW_READS, "phases": {"coverage": {"generation": {
            "mode": "negative"}}}}  # fmt: skip
        project["operations"] = [slow]
    config = schemathesis.Config.from_dict(project)
    return schemathesis.openapi.from_url(f"{rig.server.url}/openapi.json", config=config)


schema = schemathesis.pytest.from_fixture("api")


@schema.parametrize()
@settings(deadline=None, derandomize=True)
def test_the_backend_keeps_its_openapi_contract(case, rig):
    named = case.body.get("device") if isinstance(case.body, dict) else None
    if isinstance(named, str) and 1 <= len(named) <= 64:
        # A batch names the token's device, or it is refused before it is read; a name that
        # breaks the schema is left as it is, for the case to stay as invalid as it was drawn.
        case.body["device"] = rig.store.device
    case.call_and_validate(additional_checks=[told_why])
