"""The document reader on its own: schema checks (against jsonschema as the reference), variables,
paths, YAML safety, export's format."""

import pytest

from tenantctl.importers import document
from tenantctl.importers.document.validation import doc_path
from tenantctl.importers.variables import missing_message

VALID = {
    "version": 1,
    "tenants": [
        {"name": "A GmbH", "reseller": "acme", "customer_number": "0042", "applications": ["lohn"],
         "users": [{"email": "a@a.example", "first_name": "A", "last_name": "B", "role": "admin",
                    "access": ["lohn"]}]},
        {"key": "acme", "name": "ACME", "kind": "reseller", "currency": "EUR"},
    ],
    "users": [{"email": "x@y.example", "first_name": "X", "last_name": "Y",
               "memberships": [{"tenant": "acme"}, {"tenant": "a-gmbh", "role": "member"}]}],
}

INVALID = [
    {"tenants": [{"name": "A", "customer_number": 42}]},
    {"tenants": [{"name": "A", "colour": "blue"}]},
    {"tenants": [{"customer_number": "1"}]},
    {"tenants": [{"name": "A", "users": [{"email": "a@b.example", "first_name": "A"}]}]},
    {"tenants": [{"name": "A", "kind": "partner", "billing": "nobody", "language": "fr"}]},
    {"tenants": [{"name": "A", "applications": ["x", "x"], "currency": "EURO"}]},
    {"tenants": "not a list"},
    {"users": [{"email": "a@b.example", "first_name": "A", "last_name": "B", "memberships": []}]},
    {"users": [{"email": "a@b.example", "first_name": "A", "last_name": "B", "memberships": [{"role": "admin"}]}]},
    {"version": 2, "extra": True},
    {"tenants": [{"name": ""}]},
    {"tenants": [None, {"name": True}]},
]


def _reference_paths(doc):
    from jsonschema import Draft202012Validator

    return sorted(doc_path(e.absolute_path) for e in Draft202012Validator(document.SCHEMA).iter_errors(doc))


@pytest.mark.parametrize("doc", [VALID, *INVALID])
def test_the_compiled_checker_finds_what_jsonschema_finds(doc):
    assert sorted(p.sheet for p in document.validate(doc)) == _reference_paths(doc)


def test_the_schema_is_valid_json_schema():
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(document.SCHEMA)


def test_variables_defaults_and_literal_dollars():
    problems, used = [], []
    out = document.substitute({"a": "${X}-${Y:-d}", "b": ["$${X}", "${Z}"]}, {"X": "x"}, problems, used)
    assert out == {"a": "x-d", "b": ["${X}", "${Z}"]}
    assert used == ["X", "Y", "Z"]
    (p,) = problems
    assert (p.sheet, p.message) == ("b[1]", missing_message("Z"))


def test_yaml_is_read_safely():
    from tenantctl.store.errors import InvalidInput

    with pytest.raises(InvalidInput, match="not valid YAML"):
        document.parse("!!python/object/apply:os.system ['echo pwned']", "x.yaml")
    # YAML 1.1 would read 0042 as an octal number: the checker asks for quotes instead
    doc = document.load("tenants:\n  - {name: A, customer_number: 0042}\n", "x.yaml", env={})
    assert [p.message for p in doc.source.problems] == [
        '34 is a number: write it in quotes ("34") so that it stays as written']


def test_rows_and_paths():
    doc = document.load(__import__("json").dumps(VALID), "x.json", env={})
    assert doc.source.file_type == "json" and doc.source.problems == []
    users = doc.source.tables["users"]
    assert [values[2] for _, values in users.rows] == ["a@a.example", "x@y.example", "x@y.example"]
    # nested users name their tenant by its row (the engine's row reference); the others by key
    assert [values[3] for _, values in users.rows] == ["\x00row:1", "acme", "a-gmbh"]
    where = doc.source.locate
    assert where("users", 1, "email") == "tenants[0].users[0].email"
    assert where("users", 1, "tenant") == "tenants[0].users[0]"  # the user listed under it: a problem of its tenant
    assert where("users", 3, "role") == "users[0].memberships[1].role"
    assert where("users", 3, "first_name") == "users[0].first_name"
    assert where("tenants", 2, "key") == "tenants[1].key"
    assert [(m.email, m.tenant_row, m.tenant_key) for m in doc.desired.memberships()] == [
        ("a@a.example", 1, None), ("x@y.example", None, "acme"), ("x@y.example", None, "a-gmbh")]


def test_one_email_is_one_person():
    doc = document.load("tenants:\n"
                        "  - {name: A, users: [{email: a@b.example, first_name: Ann, last_name: B}]}\n"
                        "  - {name: C, users: [{email: A@B.example, first_name: Anna, last_name: B}]}\n", "x.yaml",
                        env={})
    assert [(p.sheet, p.message) for p in doc.source.problems] == [
        ("tenants[1].users[0].first_name", "'Anna' differs from 'Ann' at tenants[0].users[0].first_name "
                                           "(the same e-mail is one person)")]


def test_export_document_round_trips_through_the_reader():
    tenants = [{"key": "acme", "name": "ACME", "kind": "reseller", "reseller": None, "customer_number": None,
                "currency": None, "billing": None, "language": "de", "external_id": None, "applications": ""}]
    users = [{"first_name": "A", "last_name": "B", "email": "a@b.example", "tenant": "acme", "role": "admin",
              "language": "de", "login": "a.b", "access": ""}]
    text = document.dump(document.document_of(tenants, users), "yaml")
    doc = document.load(text, "x.yaml", env={})
    assert doc.source.problems == []
    assert doc.source.tables["tenants"].rows[0][1][:3] == ("acme", "ACME", "reseller")
