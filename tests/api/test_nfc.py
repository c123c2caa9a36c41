"""Issue 17, section 2: text that enters over HTTP is NFC (a Mac sends decomposed umlauts), in JSON
bodies, `\\u` escapes included, and in query strings; so is a remote command's search."""

from __future__ import annotations

import json
import unicodedata

from sqlalchemy import text

from tests.api.conftest import bearer


def _nfd(s: str) -> str:
    return unicodedata.normalize("NFD", s)


def test_json_bodies_and_searches_are_nfc(world, http, token, store):
    auth = {**bearer(token("rita.reseller")), "Content-Type": "application/json"}
    body = json.dumps({"name": _nfd("Bäckerei Kühn GmbH"), "kind": "customer"})  # \u escapes (ensure_ascii)
    r = http.post("/tenants", content=body, headers=auth)
    assert r.status_code == 201, r.text
    key = r.json()["data"]["key"]
    raw = json.dumps({"tenant": key, "first_name": _nfd("Jürgen"), "last_name": _nfd("Größ"),
                      "email": "juergen@kuehn.example"}, ensure_ascii=False).encode("utf-8")  # raw UTF-8
    assert http.post("/users", content=raw, headers=auth).status_code == 201
    with store.engine.connect() as conn:
        assert conn.execute(text(f"SELECT name FROM tenant WHERE key = '{key}'")).scalar_one() == "Bäckerei Kühn GmbH"
        assert tuple(conn.execute(text("SELECT first_name, last_name FROM user_account WHERE "
                                       "email = 'juergen@kuehn.example'")).one()) == ("Jürgen", "Größ")
    found = http.get("/tenants", params={"search": _nfd("Kühn")}, headers=auth).json()["data"]
    assert [t["key"] for t in found] == [key]
    # the same tenant again, in NFD, is a conflict with the stored one, not a look-alike second tenant
    again = http.post("/tenants", content=json.dumps({"name": _nfd("Bäckerei Kühn GmbH"), "kind": "customer",
                                                      "key": key}), headers=auth)
    assert again.status_code == 409
