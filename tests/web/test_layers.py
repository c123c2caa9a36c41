"""The web face's layer rule (docs/architecture.md): web → store.services. Only web/runtime.py, which opens the
request's transaction as cli/runtime.py does for a command, touches the store's plumbing."""

from __future__ import annotations

import ast
from pathlib import Path

WEB = Path(__file__).parents[2] / "web"
# store.enums: the value sets, pure Python (the API's parameters offer them as choices, as the CLI does);
# store.nfc: the one text normalisation, pure Python (the API normalises query strings and bodies with it)
ALWAYS = ("tenantctl.store.services", "tenantctl.store.errors", "tenantctl.store.enums", "tenantctl.store.nfc",
           "tenantctl.web", "tenantctl.mail_templates.dates")
PLUMBING = ("tenantctl.store.db", "tenantctl.store.context", "tenantctl.store.actor", "tenantctl.store.settings")
FORBIDDEN_TOP = {"tenantctl.cli", "tenantctl.importers", "sqlalchemy", "sqlmodel", "typer", "rich"}
# The import upload reads the file as the CLI does (importers) and hands it to the one entry of the
# import engine (store.imports.engine.run): the same two steps as `tenantctl import run`; POST /apply
# reads the document as `tenantctl apply` does and hands it to the apply service.
UPLOAD = {"web/api/imports.py": ("tenantctl.importers.read", "tenantctl.store.imports.engine",
                                  "tenantctl.store.imports.runs"),
          "web/api/apply.py": ("tenantctl.importers.document",)}


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_web_reaches_the_store_only_through_its_services() -> None:
    offences = []
    for path in sorted(WEB.rglob("*.py")):
        allowed = ALWAYS + (PLUMBING if path.name == "runtime.py" or path.name == "app.py" else ())
        upload = UPLOAD.get(str(path.relative_to(WEB.parent)), ())
        for name in imported(path):
            top = ".".join(name.split(".")[:2]) if name.startswith("tenantctl.") else name.split(".")[0]
            if name in upload or (name in {"tenantctl.importers", "tenantctl.store.imports"} and upload):
                continue
            in_project = top in {"tenantctl.store", "tenantctl.mail_templates"}
            if top in FORBIDDEN_TOP or (in_project and not name.startswith(allowed)):
                offences.append(f"{path.relative_to(WEB.parent)}: {name}")
    assert offences == []


def test_the_rule_sees_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from tenantctl.store.models import User\nimport sqlalchemy\n")
    assert imported(bad) == {"tenantctl.store.models", "sqlalchemy"}
