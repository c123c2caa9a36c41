"""Every verb is described once (store/verbs.py) and both faces derive from it. These tests close
the loop: the table against the app's OpenAPI document (every route a verb, every verb a route,
with the same path, query and body parameters), each named service exists, and every CLI command
with a remote mode, run in remote mode, sends a request that an API route takes: its method and
path match a route, and every query and body key it sends is one of that route's parameters."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import pytest

from tenantctl.store import verbs
from tenantctl.store.verbs import Verb

API = "/api/v1"


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    from fastapi import FastAPI

    from tenantctl.web.api import api_router

    app = FastAPI()
    app.include_router(api_router())
    return app.openapi()


def _operations(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(method.upper(), path[len(API):]): op for path, ops in doc["paths"].items() for method, op in ops.items()}


def _params(op: dict[str, Any], where: str) -> set[str]:
    return {p["name"] for p in op.get("parameters", []) if p["in"] == where}


def _body_keys(doc: dict[str, Any], op: dict[str, Any]) -> set[str] | None:
    """The JSON body's property names (None: the route takes no JSON object body)."""
    schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        return None
    refs = [schema] if "$ref" in schema else [s for s in schema.get("anyOf", []) if "$ref" in s]
    if not refs:
        return None
    component = doc["components"]["schemas"][refs[0]["$ref"].rsplit("/", 1)[1]]
    return set(component.get("properties", {}))


def test_every_route_is_a_verb_and_every_verb_a_route(openapi):
    table = {(v.method, v.path) for v in verbs.all_verbs().values()}
    routes = set(_operations(openapi))
    assert routes - table == set(), "routes not described in store/verbs.py"
    assert table - routes == set(), "verbs without a route"
    assert len(table) == len(verbs.all_verbs()), "two verbs describe the same route"


@pytest.mark.parametrize("name", sorted(verbs.all_verbs()))
def test_the_verb_names_the_route_s_parameters(openapi, name):
    verb = verbs.all_verbs()[name]
    op = _operations(openapi)[(verb.method, verb.path)]
    assert _params(op, "path") == set(verb.path_params)
    assert _params(op, "query") == set(verb.query)
    body = _body_keys(openapi, op)
    if verb.raw_body:  # a file or document as the body
        assert verb.raw_body in op["requestBody"]["content"] and not verb.body
    else:
        assert (body or set()) == set(verb.body)


@pytest.mark.parametrize("name", sorted(verbs.all_verbs()))
def test_the_named_service_exists(name):
    module, function = verbs.all_verbs()[name].service.split(".")
    package = "tenantctl.store.imports" if module == "runs" else "tenantctl.store.services"
    assert callable(getattr(importlib.import_module(f"{package}.{module}"), function))


@pytest.mark.parametrize("name", sorted(verbs.all_verbs()))
def test_the_route_calls_the_named_service(name):
    """The route's endpoint (or the helper of its module it hands over to) calls the verb's service."""
    import inspect

    from fastapi.routing import APIRoute

    from tenantctl.web.api import routers

    verb = verbs.all_verbs()[name]
    endpoint = next(r.endpoint for router in routers() for r in router.routes if isinstance(r, APIRoute)
                    and r.path == verb.path and verb.method in r.methods)
    module = inspect.getmodule(endpoint)
    helpers = [getattr(module, n) for n in endpoint.__code__.co_names if n.startswith("_") and hasattr(module, n)]
    source = "".join(inspect.getsource(f) for f in [endpoint, *helpers])
    assert f".{verb.service.split('.')[1]}(" in source


def test_a_call_with_a_parameter_the_verb_does_not_take_is_refused():
    verbs.TENANT_APPROVE.check({"key": "acme"}, None, {"reason": "ok"})
    with pytest.raises(TypeError, match=r"POST /tenants/\{key\}/approve does not take: body key 'why'"):
        verbs.TENANT_APPROVE.check({"key": "acme"}, None, {"why": "ok"})
    with pytest.raises(TypeError, match=r"path \['name'\] is not \['key'\]"):
        verbs.TENANT_SHOW.check({"name": "acme"}, None, None)
    with pytest.raises(TypeError, match="query key 'page'"):
        verbs.TENANT_LIST.check({}, {"page": 2}, None)


# -- every CLI verb in remote mode -------------------------------------------------------------------

SERVER = "http://127.0.0.1:9"
TOKEN = "tctl_1_" + "a" * 43

# one command line per verb the CLI sends (with every option that adds a parameter), and the verb
COMMANDS: list[tuple[list[str], str]] = [
    (["tenant", "create", "Müller GmbH", "--kind", "customer", "--reseller", "acme", "--key", "m", "--customer-number",
      "1", "--currency", "EUR", "--billing", "customer", "--language", "de", "--external-id", "x", "--if-not-exists",
      "--allow-duplicate-name"], "TENANT_CREATE"),
    (["tenant", "list", "--kind", "customer", "--status", "active", "--reseller", "acme", "--search", "m"],
     "TENANT_LIST"),
    (["tenant", "show", "acme"], "TENANT_SHOW"),
    (["tenant", "show", "--customer-number", "1", "--reseller", "acme"], "TENANT_LOOKUP"),
    (["tenant", "show", "--external-id", "x"], "TENANT_LOOKUP"),
    (["tenant", "update", "acme", "--name", "N", "--language", "en", "--external-id", "x", "--customer-number", "2",
      "--currency", "EUR", "--billing", "reseller", "--reseller", "r", "--mail-sender-name", "S", "--mail-reply-to",
      "a@b.example", "--mail-signature", "sig", "--time-zone", "Europe/Berlin"], "TENANT_UPDATE"),
    (["tenant", "suspend", "acme", "--yes"], "TENANT_SUSPEND"),
    (["tenant", "activate", "acme"], "TENANT_ACTIVATE"),
    (["tenant", "approve", "acme", "--reason", "ok"], "TENANT_APPROVE"),
    (["tenant", "reject", "acme", "--reason", "no"], "TENANT_REJECT"),
    (["tenant", "erase", "acme", "--dry-run"], "TENANT_ERASE"),
    (["user", "create", "--tenant", "acme", "--first-name", "A", "--last-name", "B", "--email", "a@b.example",
      "--role", "admin", "--language", "de", "--login", "ab", "--if-not-exists"], "USER_CREATE"),
    (["user", "list", "--tenant", "acme", "--status", "active", "--search", "a"], "USER_LIST"),
    (["user", "show", "max.mueller"], "USER_SHOW"),
    (["user", "show", "--email", "a@b.example"], "USER_LOOKUP"),
    (["user", "update", "max.mueller", "--first-name", "A", "--last-name", "B", "--email", "a@b.example",
      "--language", "en"], "USER_UPDATE"),
    (["user", "disable", "max.mueller", "--yes"], "USER_DISABLE"),
    (["user", "enable", "max.mueller"], "USER_ENABLE"),
    (["user", "export", "max.mueller"], "USER_EXPORT"),
    (["user", "erase", "max.mueller", "--dry-run"], "USER_ERASE"),
    (["member", "add", "max.mueller", "--tenant", "acme", "--role", "admin"], "MEMBER_ADD"),
    (["member", "remove", "max.mueller", "--tenant", "acme", "--yes"], "MEMBER_REMOVE"),
    (["member", "list", "--tenant", "acme", "--role", "admin"], "MEMBER_LIST"),
    (["invite", "create", "--kind", "partner", "--from", "acme", "--email", "a@b.example", "--customer-name", "V",
      "--customer-number", "1", "--currency", "EUR", "--billing", "customer", "--message", "hi", "--expires-in", "7d",
      "--max-uses", "2", "--send", "--if-not-exists"], "INVITE_CREATE"),
    (["invite", "create", "--kind", "member", "--tenant", "acme", "--email", "a@b.example", "--role", "member"],
     "INVITE_CREATE"),
    (["invite", "list", "--status", "pending", "--kind", "partner", "--sent", "--received", "--search", "m"],
     "INVITE_LIST"),
    (["invite", "show", "3"], "INVITE_SHOW"),
    (["invite", "revoke", "3"], "INVITE_REVOKE"),
    (["invite", "reissue", "3", "--expires-in", "14d", "--send"], "INVITE_REISSUE"),
    (["connection", "list", "--state", "requested", "--tenant", "acme", "--search", "m"], "CONNECTION_LIST"),
    (["connection", "show", "4"], "CONNECTION_SHOW"),
    (["connection", "approve", "4"], "CONNECTION_APPROVE"),
    (["connection", "request-info", "4", "--message", "why?"], "CONNECTION_REQUEST_INFO"),
    (["connection", "answer", "4", "--message", "because"], "CONNECTION_ANSWER"),
    (["connection", "reject", "4", "--reason", "no"], "CONNECTION_REJECT"),
    (["connection", "delete", "4", "--yes"], "CONNECTION_DELETE"),
    (["password", "send-link", "max.mueller", "--purpose", "reset", "--unless-open", "--print-link", "--also-mail",
      "--no-send", "--dry-run"], "PASSWORD_LINKS"),
    (["password", "send-link", "--tenant", "acme", "--without-password"], "PASSWORD_LINKS"),
    (["token", "create", "--name", "ci", "--expires-in", "30d", "--read-only"], "TOKEN_CREATE"),
    (["token", "list", "--user", "max.mueller", "--all", "--inactive"], "TOKEN_LIST"),
    (["token", "revoke", "ci", "--user", "max.mueller", "--yes"], "TOKEN_REVOKE"),
    (["import", "run", "kunden.csv", "--dry-run", "--mode", "create", "--skip-invalid", "--send-links", "--reseller",
      "acme", "--sheet", "users", "--map", "Name=first_name", "--encoding", "utf-8", "--header-row", "1", "--layout",
      "flat", "--trust-names"], "IMPORT_RUN"),
    (["import", "list"], "IMPORT_LIST"),
    (["import", "show", "5"], "IMPORT_SHOW"),
    (["import", "undo", "5", "--dry-run"], "IMPORT_UNDO"),
    (["apply", "-f", "setup.yaml", "--dry-run", "--prune", "--send-links"], "APPLY"),
    (["app", "create", "CRM", "--key", "crm", "--if-not-exists"], "APP_CREATE"),
    (["app", "list"], "APP_LIST"),
    (["audit", "list", "--actor", "max.mueller", "--tenant", "acme", "--action", "tenant.", "--since", "7d",
      "--user", "max.mueller", "--object", "tenant:acme"], "AUDIT_LIST"),
    (["mail", "list", "--state", "failed", "--to", "a@b.example", "--user", "max.mueller"], "MAIL_LIST"),
    (["whoami"], "AUTH_STATUS"),
    (["doctor"], "AUTH_STATUS"),
]
# verbs no CLI command sends: the web pages' login check (the CLI checks a password locally)
NOT_IN_THE_CLI = {"AUTH_LOGIN"}


def _match(doc: dict[str, Any], method: str, path: str) -> tuple[str, dict[str, Any]] | None:
    """The route (template, operation) a concrete request path hits, if any."""
    for (m, template), op in _operations(doc).items():
        pattern = "^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template)) + "$"
        if m == method and re.match(pattern, path):
            return template, op
    return None


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every request the CLI sends, recorded instead of sent (the command then fails as unreachable)."""
    from tenantctl.cli import remote
    from tenantctl.store.errors import Unreachable

    log: list[dict[str, Any]] = []

    def request(self: Any, method: str, path: str, *, query: Any = None, body: Any = None, content: Any = None,
                headers: Any = None) -> dict[str, Any]:
        log.append({"method": method, "path": path, "query": dict(query or {}), "body": body,
                    "content_type": (headers or {}).get("Content-Type")})
        raise Unreachable("recorded, not sent")

    monkeypatch.setattr(remote.Client, "request", request)
    return log


def _run_remote(cli: Any, args: list[str], input: str | None = None) -> Any:
    return cli("--server", SERVER, *args, input=input,
               env={"TENANTCTL_TOKEN": TOKEN, "TENANTCTL_DATABASE_URL": None, "TENANTCTL_ACTOR": None})


def test_every_cli_verb_in_remote_mode_hits_a_route_with_the_same_parameters(cli, sent, openapi, tmp_path):
    Path("kunden.csv").write_text("Firma;Vorname;Nachname;E-Mail\nMüller GmbH;Max;Müller;max@example.com\n",
                                  encoding="utf-8")
    Path("setup.yaml").write_text("tenants: []\n", encoding="utf-8")
    hit: set[str] = set()
    for args, name in COMMANDS:
        before = len(sent)
        r = _run_remote(cli, args)
        assert r.exit_code in (7, 1) and len(sent) == before + 1, (args, r.exit_code, r.stderr)  # doctor: 1
        request = sent[-1]
        verb: Verb = getattr(verbs, name)
        found = _match(openapi, request["method"], request["path"])
        assert found is not None, (args, request)
        template, op = found
        assert template == verb.path, (args, template)
        assert set(request["query"]) <= _params(op, "query"), (args, set(request["query"]) - _params(op, "query"))
        if request["body"] is not None:
            body_keys = _body_keys(openapi, op) or set()
            assert set(request["body"]) <= body_keys, (args, set(request["body"]) - body_keys)
        if verb.raw_body:
            assert request["content_type"] in op["requestBody"]["content"], (args, request["content_type"])
        hit.add(name)
    hit |= _session_verbs(cli, sent, openapi)
    used_by_cli = set(verbs.all_verbs()) - NOT_IN_THE_CLI
    assert used_by_cli - hit == set(), "CLI verbs no command line above sends"


def _session_verbs(cli: Any, sent: list[dict[str, Any]], openapi: dict[str, Any]) -> set[str]:
    """login (with a token, and with login and password), context add and logout."""
    from tenantctl.cli import remote

    hit = set()
    r = cli("login", "--server", SERVER, "--with-token", input=TOKEN + "\n", env={"TENANTCTL_DATABASE_URL": None})
    assert r.exit_code == 7 and (sent[-1]["method"], sent[-1]["path"]) == ("GET", "/auth/status"), r.stderr
    hit.add("AUTH_STATUS")
    r = cli("login", "--server", SERVER, input="max.mueller\nGeheim-Passwort-17\n",
            env={"TENANTCTL_DATABASE_URL": None})
    assert r.exit_code == 7 and (sent[-1]["method"], sent[-1]["path"]) == ("POST", "/auth/token"), r.stderr
    assert set(sent[-1]["body"]) <= (_body_keys(openapi, _operations(openapi)[("POST", "/auth/token")]) or set())
    hit.add("AUTH_TOKEN")
    r = cli("context", "add", "work", "--server", SERVER, input=TOKEN + "\n", env={"TENANTCTL_DATABASE_URL": None})
    assert r.exit_code == 7 and sent[-1]["path"] == "/auth/status", r.stderr
    remote.save(remote.Remote(SERVER, TOKEN, "work", "max.mueller"), "work")
    r = cli("logout", env={"TENANTCTL_DATABASE_URL": None})
    assert (sent[-1]["method"], sent[-1]["path"]) == ("DELETE", "/tokens/current"), (r.exit_code, r.stderr)
    hit.add("TOKEN_REVOKE_CURRENT")
    return hit
