"""The API's contract is its behaviour: every route of the OpenAPI document is driven with data
generated from the document itself (Hypothesis, from the JSON schemas in it), as an authorised and an
unauthorised caller. No answer is a 500, every status is one the route declares, and every error
answer is the declared envelope (with Retry-After where the document says so)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXAMPLES = 4  # each example calls every route twice (bounded: the suite stays fast)
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)


@pytest.fixture
def api(world: Any, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    from fastapi.testclient import TestClient

    from tenantctl.store.settings import load_settings
    from tenantctl.web.app import create_app
    from tenantctl.web.limits import Limits

    monkeypatch.setenv("TENANTCTL_BASE_URL", "http://testserver")
    app = create_app(load_settings(), limits=Limits.unlimited())
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        yield client
    app.state.runtime.close()


def from_schema(doc: dict[str, Any], schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values for the JSON schemas FastAPI writes (objects, scalars, enums, anyOf, arrays, $ref),
    mostly valid, sometimes at and beyond their bounds (the bounds are what is being tested)."""
    if "$ref" in schema:
        return from_schema(doc, doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "const" in schema:
        return st.just(schema["const"])
    if "anyOf" in schema or "oneOf" in schema:
        return st.one_of([from_schema(doc, s) for s in schema.get("anyOf") or schema["oneOf"]])
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([from_schema(doc, {**schema, "type": k}) for k in kind])
    if kind == "integer":
        low, high = schema.get("minimum"), schema.get("maximum")
        return st.one_of(st.integers(low, high), st.sampled_from([0, -1, 2**31, 2**63, 10**30]))
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "string":
        return TEXT
    if kind == "array":
        return st.lists(from_schema(doc, schema.get("items", {})), max_size=3)
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        return st.fixed_dictionaries({k: from_schema(doc, v) for k, v in props.items() if k in required},
                                     optional={k: from_schema(doc, v) for k, v in props.items() if k not in required})
    return st.one_of(st.none(), st.booleans(), st.integers(), TEXT)


def _value(doc: dict[str, Any], param: dict[str, Any]) -> st.SearchStrategy[Any]:
    values = from_schema(doc, param.get("schema", {}))
    # an empty path segment names another route (/tenants/ is /tenants)
    return values.filter(lambda v: str(v) != "") if param["in"] == "path" else values


def _body(doc: dict[str, Any], op: dict[str, Any]) -> st.SearchStrategy[tuple[str, bytes] | None]:
    content = op.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        return from_schema(doc, content["application/json"]["schema"]).map(
            lambda v: ("application/json", json.dumps(v).encode()))
    if "application/yaml" in content:
        return st.sampled_from([b"tenants: []\n", b"users: [{email: x}]\n", b"a: &a [1]\nb: *a\n", b"[[["]).map(
            lambda v: ("application/yaml", v))
    if content:
        return st.binary(max_size=64).map(lambda v: ("application/octet-stream", v))
    return st.none()


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, ops in sorted(doc["paths"].items()) for method, op in sorted(ops.items())]


@pytest.mark.slow
@pytest.mark.usefixtures("backend")
@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_every_route_keeps_its_contract(api: Any, token: Any, data: Any) -> None:
    doc = api.get("/api/v1/openapi.json").json()
    assert len(_operations(doc)) > 30
    for path, method, op in _operations(doc):
        url = path
        query: dict[str, Any] = {}
        headers: dict[str, str] = {}
        for param in op.get("parameters", []):
            if param["in"] == "path":
                url = url.replace("{" + param["name"] + "}", quote(str(data.draw(_value(doc, param))), safe=""))
            elif param["in"] == "query" and (param.get("required") or data.draw(st.booleans())):
                query[param["name"]] = data.draw(_value(doc, param))
            elif param["in"] == "header" and data.draw(st.booleans()):
                headers[param["name"]] = data.draw(st.text(st.characters(min_codepoint=33, max_codepoint=126),
                                                           min_size=1, max_size=20))
        body = data.draw(_body(doc, op))
        if body is not None:
            headers["Content-Type"] = body[0]
        for caller in ("authorised", "unauthorised"):
            sent = dict(headers)
            if caller == "authorised":
                sent["Authorization"] = f"Bearer {token(None, 'contract')}"  # fresh: a route may revoke it
            r = api.request(method.upper(), url, params=query, headers=sent, content=body[1] if body else None)
            where = f"{caller} {method.upper()} {url} {query} -> {r.status_code} {r.text[:300]}"
            assert r.status_code != 500, where
            declared = op["responses"].get(str(r.status_code))
            assert declared is not None, f"undocumented status: {where}"
            if r.status_code >= 400:
                jsonschema.validate(r.json(), doc["components"]["schemas"]["Error"])
                for header in declared.get("headers", {}):
                    assert header.lower() in r.headers, where
            elif r.headers.get("content-type", "").startswith("application/json"):
                assert isinstance(r.json(), dict) and "data" in r.json(), where
