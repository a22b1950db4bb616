"""The backend's OpenAPI is the whole contract: the device token as a bearer scheme, every
refusal a route can answer declared with its body, the upload's body as the backend reads it."""

from __future__ import annotations

from typing import Any

import httpx

from picker_app.backend.server import create_app
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
