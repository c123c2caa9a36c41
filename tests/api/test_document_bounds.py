"""Documents are bounded on every face by the one reader (importers.document.parse): aliases, depth,
nodes and size. The 312-byte alias bomb posted by a customer's member (no rights at all) is refused
in well under a second with a small answer, and the store keeps nothing large."""

from __future__ import annotations

import itertools
import json
import time
import tracemalloc
from typing import Any

import pytest
from sqlmodel import select

from tenantctl.store.models import ImportRun
from tests.api.conftest import bearer

LEVELS = "abcdefghi"
BOMB = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{c}: &{c} [{','.join(['*' + p] * 9)}]\n" for p, c in itertools.pairwise(LEVELS))


def test_the_bomb_is_the_one_from_the_report():
    assert 300 <= len(BOMB.encode()) <= 350 and BOMB.count("*") == 72


@pytest.mark.usefixtures("backend")
def test_the_alias_bomb_over_http_is_refused_at_once_and_stores_nothing_large(world, http, token, store):
    t = token("mia.meier")
    headers = {**bearer(t), "Content-Type": "application/yaml"}
    assert http.get("/apps", headers=bearer(t)).status_code == 200  # the connection pool is warm
    started = time.monotonic()
    r = http.post("/apply", content=BOMB.encode(), headers=headers)
    took = time.monotonic() - started
    tracemalloc.start()  # again, with every allocation of this process (the server thread's) traced
    try:
        assert http.post("/apply", content=BOMB.encode(), headers=headers).status_code == 422
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert r.status_code == 422, r.text
    assert took < 1.0
    assert len(r.content) < 1000
    assert peak < 50 * 1024 * 1024  # the whole test process (server thread included) during the request
    assert r.json()["error"]["message"] == ("stdin has more than 5,000,000 values (aliases counted as what "
                                           "they repeat)")
    assert r.headers["x-content-type-options"] == "nosniff"
    with store.transaction(write=False) as s:
        assert s.exec(select(ImportRun)).all() == []  # refused before a run was planned


@pytest.mark.parametrize(("text", "message"), [
    ("[" * 100_000 + "]" * 100_000, "x.json is nested more than 64 levels deep"),
    ('{"a":' * 100_000 + "1" + "}" * 100_000, "x.json is nested more than 64 levels deep"),
    ("t:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 80)) + "  " * 80 + "v: 1\n",
     "x.json is nested more than 64 levels deep"),
    ("a: &x [1, *x]\n", "x.json has a YAML alias inside the value it names"),
    ("a: &x 1\n" + "".join(f"b{i}: *x\n" for i in range(1001)), "x.json uses more than 1000 YAML aliases (*name)"),
])
def test_the_reader_refuses_with_one_clear_line(text, message):
    from tenantctl.importers import document
    from tenantctl.store.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        document.parse(text, "x.json")
    assert str(refused.value.message) == message


def test_a_fair_document_with_aliases_and_depth_still_reads():
    from tenantctl.importers import document

    text = "base: &b {role: member}\nusers:\n" + "".join("  - *b\n" for _ in range(1000))
    assert document.parse(text, "x.yaml")["users"][999] == {"role": "member"}


def test_apply_locally_refuses_the_bomb_with_exit_4(world, cli, tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB)
    started = time.monotonic()
    r = cli("apply", "-f", str(path), "--dry-run", "--json", as_="mia.meier")
    assert time.monotonic() - started < 2
    assert r.exit_code == 4, r.stdout
    assert json.loads(r.stdout)["error"]["message"].startswith("bomb.yaml has more than 5,000,000 values")


def test_a_refused_run_keeps_at_most_n_problems_and_counts_the_rest(ctx_for):
    from tenantctl.store.imports.runs import MAX_PROBLEM_CHARS, MAX_STORED_PROBLEMS, stored_problems

    problems: list[dict[str, Any]] = [{"sheet": "users", "row": i, "column": "email", "message": "x" * 5000}
                                      for i in range(MAX_STORED_PROBLEMS + 7)]
    kept, rest = stored_problems(problems)
    assert len(kept) == MAX_STORED_PROBLEMS and rest == 7
    assert len(kept[0]["message"]) == MAX_PROBLEM_CHARS and kept[0]["message"].endswith("…")
    assert kept[5]["row"] == 5


def test_a_refused_apply_stores_n_problems_and_the_count_of_the_rest(world, cli, store, tmp_path):
    from tenantctl.store.imports.runs import MAX_STORED_PROBLEMS

    users = "".join(f"  - {{email: p{i}@acme.example, first_name: P, last_name: '{i}', "
                    f"memberships: [{{tenant: nowhere}}]}}\n" for i in range(MAX_STORED_PROBLEMS + 5))
    path = tmp_path / "many.yaml"
    path.write_text("users:\n" + users)
    r = cli("apply", "-f", str(path), "--json")
    assert r.exit_code == 4
    with store.transaction(write=False) as s:
        run = s.exec(select(ImportRun)).one()
    assert run.state == "rejected" and len(run.problems) == MAX_STORED_PROBLEMS
    assert run.counts["problems_not_stored"] == 5
