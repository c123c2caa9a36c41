"""Pure rules: no database."""

import pytest

from tenantctl.store import rules
from tenantctl.store.errors import Conflict, InvalidInput


@pytest.mark.parametrize(("name", "key"), [
    ("Müller & Söhne GmbH", "mueller-soehne-gmbh"),
    ("Bäckerei Weiß KG", "baeckerei-weiss-kg"),
    ("  ACME   Reseller AG ", "acme-reseller-ag"),
    ("Łódź Logistics Sp. z o.o.", "lodz-logistics-sp-z-o-o"),
    ("!!!", "tenant"),
])
def test_tenant_key_from_name(name, key):
    assert rules.tenant_key_base(name) == key


@pytest.mark.parametrize(("first", "last", "login"), [
    ("Max", "Müller", "max.mueller"),
    ("Zoë", "Weiß", "zoe.weiss"),
    ("José María", "García", "jose-maria.garcia"),
    ("Łukasz", "Żółć", "lukasz.zolc"),
    ("Patrick", "O'Brien", "patrick.obrien"),
    ("Thị", "Nguyễn", "thi.nguyen"),
    ("Jürgen", "Groß", "juergen.gross"),
    ("ÄRGER", "ÖL", "aerger.oel"),
])
def test_login_from_names(first, last, login):
    assert rules.login_base(first, last) == login


def test_login_needs_letters():
    with pytest.raises(InvalidInput, match="cannot derive a login"):
        rules.login_base("!!", "??")


@pytest.mark.parametrize("login", ["admin", "root", "operator", "system.admin"])
def test_reserved_logins_refused(login):
    with pytest.raises(InvalidInput, match="reserved"):
        rules.check_login_not_reserved(login)


def test_ordinary_login_with_reserved_part_allowed():
    rules.check_login_not_reserved("max.root")


def test_collision_suffixes_keep_the_limit():
    assert rules.with_suffix("max.mueller", 1, "", 100) == "max.mueller"
    assert rules.with_suffix("max.mueller", 2, "", 100) == "max.mueller2"
    assert rules.with_suffix("a" * 63, 12, "-", 63) == "a" * 60 + "-12"


def test_email_normalised_and_validated():
    assert rules.normalise_email("  Max.Mueller@Example.COM ") == "Max.Mueller@example.com"
    assert rules.email_key("Max.Mueller@example.com") == "max.mueller@example.com"
    with pytest.raises(InvalidInput, match="invalid e-mail 'max@'"):
        rules.normalise_email("max@")
    with pytest.raises(InvalidInput, match="must not be empty"):
        rules.normalise_email("  ")


def test_names_cleaned_and_bounded():
    assert rules.clean_name("  Müller \t & Söhne ", "name") == "Müller & Söhne"
    with pytest.raises(InvalidInput, match="name must not be empty"):
        rules.clean_name("   ", "name")
    with pytest.raises(InvalidInput, match="500 characters long, at most 200"):
        rules.clean_name("x" * 500, "name")
    with pytest.raises(InvalidInput, match="control characters"):
        rules.clean_name("a\x00b", "name")


def test_currency():
    assert rules.normalise_currency(" eur ") == "EUR"
    assert rules.normalise_currency("") is None
    with pytest.raises(InvalidInput, match="unknown currency 'EURO'"):
        rules.normalise_currency("EURO")
    rules.check_currency_change(None, "EUR")
    rules.check_currency_change("EUR", "EUR")
    with pytest.raises(Conflict, match="fixed at EUR"):
        rules.check_currency_change("EUR", "CHF")


def test_tenant_key_syntax():
    assert rules.check_tenant_key("acme-2") == "acme-2"
    for bad in ["Acme", "acme--x", "-acme", "a" * 64, "acme_x"]:
        with pytest.raises(InvalidInput):
            rules.check_tenant_key(bad)


def test_head_revisions_agree_with_alembic():
    from alembic.script import ScriptDirectory

    from tenantctl.store.migrate import _config, head_revisions

    heads = set(ScriptDirectory.from_config(_config()).get_heads())
    assert head_revisions() == heads and len(heads) == 1  # one line of migrations
