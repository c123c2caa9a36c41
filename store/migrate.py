"""Alembic, driven from code: the migration scripts ship inside the package, so no alembic.ini
is needed in the working directory."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alembic.config import Config

    from tenantctl.store.db import Store

MIGRATIONS = Path(__file__).parent / "migrations"


def _config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


@cache
def known_revisions() -> frozenset[str]:
    """Every revision this tenantctl ships."""
    return frozenset(str(names["revision"]) for path in (MIGRATIONS / "versions").glob("*.py")
                     if "revision" in (names := _assigned_literals(path)))


def check_not_newer(store: Store, current: set[str]) -> None:
    """A store upgraded by a newer tenantctl cannot be used (nor "upgraded" back) by this one."""
    from tenantctl.store.errors import SchemaError

    unknown = current - known_revisions()
    if unknown:
        raise SchemaError(f"the store at {store.safe_url} has a newer schema ({', '.join(sorted(unknown))}) "
                          "than this tenantctl knows", hint="use the newer tenantctl that upgraded it")


@cache
def head_revisions() -> set[str]:
    """The newest revision(s), read from the scripts' `revision` / `down_revision` assignments.
    Every command checks the schema against this, and importing Alembic for it would cost
    ~0.2 s per command; a test keeps it equal to Alembic's own answer."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        names = _assigned_literals(path)
        if "revision" in names:
            revisions.add(str(names["revision"]))
            down = names.get("down_revision")
            parents.update([down] if isinstance(down, str) else list(down or ()))
    return revisions - parents


def _assigned_literals(path: Path) -> dict[str, Any]:
    import ast

    out: dict[str, Any] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        target: ast.expr
        if isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id in {"revision", "down_revision"}:
            out[target.id] = ast.literal_eval(value)
    return out


def upgrade(store: Store) -> tuple[set[str], set[str]]:
    """Upgrade to the newest schema; returns (revisions before, revisions after)."""
    from alembic import command

    before = store.current_revisions()
    check_not_newer(store, before)
    with store.connect() as conn, conn.begin():
        conn.info["write"] = True
        cfg = _config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")
    return before, store.current_revisions()
