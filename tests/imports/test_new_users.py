"""The fast lane of the user planner (store/imports/new_users.py): the rows that can only become a
plain new user are found by the rules' results per distinct value and planned without the rules,
with the row-by-row planner's exact result; its e-mail fast path (checks.fast_email_lists in Python,
checks.fast_emails in polars) gives the rule's own address and key."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.imports.test_columnar_planner import STORED, _as_columns, _plan, _source

# texts around the fast path's edges: case, spaces and newlines, a second @, dots, IDN and special TLDs
_PARTS = st.sampled_from(["a", "Z", "0", "-", ".", "@", "+", "_", " ", "\n", "\t", "ü", "ß", "xn--", "de", "test",
                          "Example", "K", "\x1f", "'", "!"])
email_texts = st.one_of(
    st.lists(_PARTS, max_size=12).map("".join),
    st.builds(lambda local, domain, tld: f"{local}@{domain}.{tld}",
              st.text("aZ9.-_+", min_size=1, max_size=70), st.text("aZ9-.", min_size=1, max_size=20),
              st.sampled_from(["de", "DE", "test", "Local", "x1", "c-m", "x", "ab--c", "9a", "xn--p1ai"])),
    st.builds(lambda n, m: "u" * n + "@" + "d" * m + ".de", st.integers(60, 68), st.integers(240, 256)),
)


def _outcome(rule: Any, value: str | None) -> str:
    from tenantctl.store.errors import InvalidInput

    try:
        return "ok " + rule(value or "")
    except InvalidInput as exc:
        return "refused " + exc.message


@given(values=st.lists(st.none() | email_texts, max_size=20))
@settings(max_examples=300, deadline=None, derandomize=True)
def test_the_e_mail_fast_path_in_lists_and_columns_gives_the_rule_s_result(values: list[str | None]) -> None:
    import polars as pl

    from tenantctl.store import rules
    from tenantctl.store.imports.checks import fast_email_lists, fast_emails, normalise_email

    for value in values:  # normalise_email's fast path (the same pattern) gives the rule's result
        assert _outcome(normalise_email, value) == _outcome(rules.normalise_email, value), value
    emails, keys = fast_email_lists(values)
    columns = fast_emails(pl.Series(values, dtype=pl.String))
    for value, e, key, ok, ce, ckey in zip(values, emails, keys, columns["ok"], columns["email"], columns["key"],
                                           strict=True):
        assert ok == (e is not None)  # both take the same values
        if e is None:
            continue
        assert value is not None
        assert e == (ce or value) == rules.normalise_email(value)
        assert key == (ckey or e) == rules.email_key(e)


def test_plain_addresses_take_the_fast_path_and_odd_ones_do_not() -> None:
    import polars as pl

    from tenantctl.store.imports.checks import fast_email_lists, fast_emails

    values = ["anna@kunde.example", "Anna@Kunde.EXAMPLE", "anna@kunde.example\n", " anna@kunde.example",
              "anna@bücher.example", "anna@kunde.test", "anna@xn--bcher-kva.example", "u" * 65 + "@kunde.example"]
    emails, keys = fast_email_lists(values)
    assert emails == ["anna@kunde.example", "Anna@kunde.example", None, None, None, None, None, None]
    assert keys == ["anna@kunde.example", "anna@kunde.example", None, None, None, None, None, None]
    columns = fast_emails(pl.Series(values))
    assert columns["ok"].to_list() == [True, True, False, False, False, False, False, False]
    # null where the value (or the address) is its own result: the caller keeps its string
    assert columns["email"].to_list()[:2] == [None, "Anna@kunde.example"]
    assert columns["key"].to_list()[:2] == [None, "anna@kunde.example"]


def _spy_lanes(monkeypatch: Any) -> list[list[bool]]:
    """The fast lane's rows of each plan (by position among the rows planned one by one)."""
    from tenantctl.store.imports import plan_users

    seen: list[list[bool]] = []
    real = plan_users.plain_rows

    def spy(*args: Any) -> list[bool]:
        seen.append(real(*args))
        return seen[-1]

    monkeypatch.setattr(plan_users, "plain_rows", spy)
    return seen


NEW_PEOPLE: list[tuple[str | None, ...]] = [
    ("Max", "Müller", "max2@kunde.example", "mueller", None, None, "nope"),       # 2 unknown app: by the rules
    ("Max", "Mueller", "Max3@Kunde.example", "mueller", "admin", "en", None),     # 3 fast: max.mueller3
    ("Anna", "Weiß", "anna@kunde.example", "mueller", None, None, None),          # 4 the same person twice …
    ("Anna", "Weiß", "ANNA@kunde.example", "other", None, None, None),            # 5 … by the rules (a duplicate)
    ("Max", "Müller", "max4@kunde.example", "10001", "member", "", None),         # 6 fast: max.mueller4
    ("System", "Admin", "sys@kunde.example", "mueller", None, None, None),        # 7 fast, a reserved login
    ("Max", "Müller", " max5@kunde.example", "mueller", None, None, None),        # 8 fast, the rule's address
    ("Max", "Müller", "max@mueller.example", "mueller", "member", None, None),    # 9 a stored person, changed
    ("Max", "Müller", "max6@kunde.example", "unbekannt", None, None, None),       # 10 unknown tenant
    ("Max", "Müller", "max7@kunde.example", "mueller", "boss", None, None),       # 11 unknown role
]


def test_new_people_take_the_fast_lane_with_the_row_by_row_result(world: Any, ctx_for: Any, monkeypatch: Any
                                                                  ) -> None:
    """Logins are allocated in row order across both lanes (max.mueller2 by a refused row of the
    row-by-row lane, then 3 and 4 by the fast lane, …); a repeated e-mail, a stored person, a
    problem in any cell keep the row-by-row path."""
    lanes = _spy_lanes(monkeypatch)
    old = _plan(ctx_for, None, _source(NEW_PEOPLE, None), "upsert", rowwise=True)
    for columns in (False, True):
        source = _source(NEW_PEOPLE, None)
        assert _plan(ctx_for, None, _as_columns(source) if columns else source, "upsert", rowwise=False) == old
    assert lanes == [[False, True, False, False, True, True, True, False, False, False]] * 2
    rows = {r[1]: r for r in old["rows"]}
    assert [rows[n][3] for n in (2, 3, 6, 8)] == ["max.mueller2", "max.mueller3", "max.mueller4", "max.mueller5"]
    assert rows[3][4] == "Max3@kunde.example" and rows[3][5] == "create"
    assert rows[3][9][1]["email_key"] == "max3@kunde.example" and rows[3][9][1]["role"] == "admin"
    assert rows[8][4] == "max5@kunde.example"
    assert rows[7][5] == "error" and rows[7][7] == (("Vorname", "the login 'system.admin' is reserved"),)


def test_the_fast_lane_keeps_the_file_s_tenant_and_its_language(world: Any, ctx_for: Any, monkeypatch: Any
                                                                 ) -> None:
    """A tenant the file creates: its row and language go into the new user, as row by row."""
    lanes = _spy_lanes(monkeypatch)
    tenants = [("neu-gmbh", "Neu GmbH", "customer", "acme", "20001", "EUR")]
    users: list[tuple[str | None, ...]] = [("Zoë", "Weiß", "zoe@neu.example", "Neu GmbH", None, None, None),
                                           ("Zoë", "Weiß", "zoe2@neu.example", "neu-gmbh", None, "en", "")]
    old = _plan(ctx_for, None, _source(users, tenants), "upsert", rowwise=True)
    assert _plan(ctx_for, None, _source(users, tenants), "upsert", rowwise=False) == old
    assert lanes == [[True, True]]
    new_users = [r[9][1] for r in old["rows"] if r[2] == "user"]
    assert [(u["login"], u["tenant_row"], u["tenant_id"], u["language"]) for u in new_users] == [
        ("zoe.weiss", 2, None, "de"), ("zoe.weiss2", 2, None, "en")]


# bases near each other's candidates (a, a2, a-2, a22), long ones the limit cuts, and any other
_BASE_TEXT = st.sampled_from(["a", "a", "a2", "a-2", "a22", "a12", "ab", "ab2", "b", "b-a", "a.b", "a.b2", "aaaaaaab",
                              "aaaaaaa1", "aaaaaa", "1"]) | st.text(st.sampled_from("ab1-."), min_size=1, max_size=9)


@given(asks=st.lists(st.tuples(_BASE_TEXT, st.sampled_from([True, True, True, False])), max_size=20),
       taken=st.sets(_BASE_TEXT, max_size=8), sep=st.sampled_from(["", "-"]), limit=st.integers(3, 9))
@settings(max_examples=1500, deadline=None, derandomize=True)
def test_handles_settled_per_base_are_allocate_s_in_row_order(asks: list[tuple[str, bool]], taken: set[str],
                                                              sep: str, limit: int) -> None:
    """Rows ask for handles in turn (`allocate`); a row marked True takes its base's handles from
    Handles.settle instead, when only such rows ask for that base. Every row gets the handle it
    got in turn, and the Handles end alike: bases that end in digits or dots, are cut by the
    limit, start other bases, or collide with taken handles included."""
    from collections import Counter

    from tenantctl.store.imports.checks import Handles

    # the bases callers derive: within the limit, no separator at either end
    rows = [(b, fast) for text, fast in asks if (b := text[:limit].strip("-."))]
    reference = Handles(set(taken), sep, limit)
    expected = [reference.allocate(b) for b, _ in rows]
    handles = Handles(set(taken), sep, limit)
    others = {b for b, fast in rows if not fast}
    ones, handed = handles.settle(Counter(b for b, fast in rows if fast), others, len(rows))
    got = [b if fast and b in ones else handed[b].pop(0) if fast and b in handed else handles.allocate(b)
           for b, fast in rows]
    assert got == expected
    assert (handles.taken, handles.next) == (reference.taken, reference.next)
    assert all(not hs for hs in handed.values())
    assert not ones & set(handed)


def test_settled_bases_skip_allocate_and_doubtful_ones_do_not() -> None:
    """What Handles.settle takes (so the test above compares something): a free base, a base
    several rows ask for past taken handles; not one ending in a digit, one a row outside asks
    for, one another base ending in a digit starts with, one whose suffixes the limit would cut."""
    from collections import Counter

    from tenantctl.store.imports.checks import Handles

    handles = Handles({"anna.weiss", "anna.weiss3"}, "", 16)
    wanted = Counter({"max.mueller": 1, "anna.weiss": 3, "zoe.weiss2": 1, "eva.koch": 2, "ulf.wolf": 1,
                      "x" * 15: 1})
    assert handles.settle(wanted, {"eva.koch", "ulf.wolf2"}, 10) == (
        {"max.mueller"}, {"anna.weiss": ["anna.weiss2", "anna.weiss4", "anna.weiss5"]})
    assert handles.next == {"max.mueller": 2, "anna.weiss": 6}
    assert handles.allocate("anna.weiss") == "anna.weiss6"


@pytest.fixture
def weiss(world: Any, ctx_for: Any) -> None:
    """Stored logins among the new people's candidates: anna.weiss, anna.weiss2 (max.mueller is in `world`)."""
    from tenantctl.store.services import users

    with ctx_for() as ctx:
        users.create_user(ctx, "other", "Anna", "Weiß", "anna1@other.example", role="member")
        users.create_user(ctx, "other", "Anna", "Weiss", "anna2@other.example", role="member")


colliding_people = st.lists(st.tuples(
    st.sampled_from(["Max", "Anna", "Zoë", "Zoe", "Max2", "Eva", "System", None]),
    st.sampled_from(["Müller", "Mueller", "Weiß", "Weiss 2", "Müller2", "Koch", "Admin", None]),
    st.builds(lambda n, form: form.format(n), st.integers(0, 30),
              st.sampled_from(["neu{}@kunde.example"] * 4 + ["NEU{}@kunde.example", "neu{}@@kunde.example"])),
    st.sampled_from(["mueller", "mueller", "10001", "unbekannt"]),
    st.sampled_from([None, None, None, "admin", "boss"]), st.sampled_from([None, None, None, "en", "xx"]),
    st.sampled_from([None, None, None, None, "crm"])), max_size=25)


@given(users=colliding_people, stored=st.lists(st.sampled_from(STORED), max_size=2),
       actor=st.sampled_from([None, None, "rita.reseller", "max.mueller"]), columns=st.booleans())
@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_colliding_logins_as_row_by_row(weiss: None, ctx_for: Any, backend: str, users: list[Any],
                                        stored: list[Any], actor: str | None, columns: bool) -> None:
    """Many new people whose logins collide (with each other, with stored logins, into bases
    ending in digits, reserved ones), some rows left to the rules: the plan of the row-by-row
    planner, logins in row order."""
    rows = [*users, *((f, la, e, t, r, None, None) for f, la, e, t, r in stored)]
    old = _plan(ctx_for, actor, _source(rows, None), "upsert", rowwise=True)
    source = _source(rows, None)
    assert _plan(ctx_for, actor, _as_columns(source) if columns else source, "upsert", rowwise=False) == old


def test_logins_only_fast_rows_ask_for_are_handed_out_per_name(weiss: None, ctx_for: Any,
                                                               monkeypatch: Any) -> None:
    """A base only fast rows ask for is handed out at once (past the stored anna.weiss and
    anna.weiss2); one a row of the rules asks for (max.mueller: a broken role) and one ending in
    a digit (max.mueller2) are asked for in each row's turn."""
    from tenantctl.store.imports.checks import Handles

    asked: list[str] = []
    allocate = Handles.allocate
    monkeypatch.setattr(Handles, "allocate", lambda self, base: asked.append(base) or allocate(self, base))
    users: list[tuple[str | None, ...]] = [
        ("Anna", "Weiß", "a1@kunde.example", "mueller", None, None, None),      # 2 anna.weiss3
        ("Max", "Müller", "m1@kunde.example", "mueller", "boss", None, None),   # 3 the rules: max.mueller2
        ("Anna", "Weiss", "a2@kunde.example", "mueller", None, None, None),     # 4 anna.weiss4
        ("Max", "Müller2", "m2@kunde.example", "mueller", None, None, None),    # 5 max.mueller22
        ("Max", "Mueller", "m3@kunde.example", "mueller", None, None, None),    # 6 max.mueller3
        ("Zoë", "Koch", "z1@kunde.example", "mueller", None, None, None),       # 7 zoe.koch
    ]
    old = _plan(ctx_for, None, _source(users, None), "upsert", rowwise=True)
    for columns in (False, True):
        asked.clear()
        source = _source(users, None)
        assert _plan(ctx_for, None, _as_columns(source) if columns else source, "upsert", rowwise=False) == old
        assert asked == ["max.mueller", "max.mueller2", "max.mueller"]
    assert [r[3] for r in old["rows"]] == ["anna.weiss3", "max.mueller2", "anna.weiss4", "max.mueller22",
                                           "max.mueller3", "zoe.koch"]


@given(name=st.text(st.sampled_from("aZ0 -'`&.äöüÄÖÜßẞé\u0301\u0308\x07Łﬁ") | st.characters(), max_size=80)
       | st.sampled_from(["Müller & Söhne GmbH", "O'Brien `Consulting` Ltd.", "D`Angelo", "ẞ", "-" * 70,
                          "a" * 62 + "-b", "System", "no reply", "No-Reply", "Erased", "erased-7", "root.admin"]))
@settings(max_examples=500, deadline=None, derandomize=True)
def test_ascii_spelling_and_login_bases_as_the_rules_give_them(name: str) -> None:
    """The ASCII short cut of rules.to_ascii gives anyascii's text (of the NFC text, German letters
    spelled out), and the cached login base the rules' own."""
    import unicodedata

    from anyascii import anyascii

    from tenantctl.store import rules
    from tenantctl.store.errors import InvalidInput
    from tenantctl.store.imports.checks import login_base

    assert rules.to_ascii(name) == anyascii(unicodedata.normalize("NFC", name).translate(rules.GERMAN))
    for last in ("Weiß", "Admin", "", "System Admin", "5"):
        try:
            expected = rules.login_base(name, last)
            rules.check_login_not_reserved(expected)
        except InvalidInput as exc:
            expected = exc.message
        try:
            got = login_base(name, last)
        except InvalidInput as exc:
            got = exc.message
        assert got == expected


def test_names_that_hardly_repeat_ask_for_their_logins_row_by_row(weiss: None, ctx_for: Any,
                                                                  monkeypatch: Any) -> None:
    """More distinct name pairs than the name caches hold: no base is held per pair (it would be per
    row), every fast row asks Handles.allocate in its turn, with the same logins."""
    from tenantctl.store.imports import new_users
    from tenantctl.store.imports.checks import Handles

    asked: list[str] = []
    allocate = Handles.allocate
    monkeypatch.setattr(Handles, "allocate", lambda self, base: asked.append(base) or allocate(self, base))
    monkeypatch.setattr(new_users, "NAMES_CACHED", 2)
    users: list[tuple[str | None, ...]] = [
        ("Anna", "Weiß", "a1@kunde.example", "mueller", None, None, None),
        ("Zoë", "Koch", "z1@kunde.example", "mueller", None, None, None),
        ("Anna", "Weiss", "a2@kunde.example", "mueller", None, None, None),
        ("Eva", "Koch", "e1@kunde.example", "mueller", None, None, None),
    ]
    old = _plan(ctx_for, None, _source(users, None), "upsert", rowwise=True)
    asked.clear()
    assert _plan(ctx_for, None, _as_columns(_source(users, None)), "upsert", rowwise=False) == old
    assert asked == ["anna.weiss", "zoe.koch", "anna.weiss", "eva.koch"]
    assert [r[3] for r in old["rows"]] == ["anna.weiss3", "zoe.koch", "anna.weiss4", "eva.koch"]
