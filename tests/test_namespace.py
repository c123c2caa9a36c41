"""The wheel installs one package, `tenantctl`, with the repository's five folders under it
(tenantctl.cli, tenantctl.store, …): nothing generic lands in site-packages. Every import in the
project names the namespace, so the code never depends on the checkout being the working directory."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[1]
FOLDERS = ("cli", "store", "importers", "web", "mail_templates")
BARE = re.compile(rf"^\s*(?:from|import)\s+(?:{'|'.join(FOLDERS)})(?:\.|\s|$)", re.M)


def test_the_wheel_holds_only_the_tenantctl_namespace() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert all(name.startswith("tenantctl.") for name in config["packages"]), config["packages"]
    assert config["package-dir"] == {f"tenantctl.{name}": name for name in FOLDERS}
    listed = {name.removeprefix("tenantctl.").replace(".", "/") for name in config["packages"]}
    on_disk = {str(p.parent.relative_to(ROOT)) for name in FOLDERS for p in (ROOT / name).rglob("__init__.py")}
    assert on_disk <= listed, f"packages missing from pyproject.toml: {sorted(on_disk - listed)}"


def test_no_module_imports_a_folder_by_its_bare_name() -> None:
    offenders = []
    for folder in (*FOLDERS, "tests", "bench"):
        for path in (ROOT / folder).rglob("*.py"):
            for match in BARE.finditer(path.read_text(encoding="utf-8")):
                offenders.append(f"{path.relative_to(ROOT)}: {match.group(0).strip()}")
    assert offenders == []


def test_the_namespace_rule_sees_a_bare_import() -> None:
    bare = ".".join(("store", "models"))  # spelled apart: the rename script must not rewrite it
    assert BARE.search(f"from {bare} import User\n")
    assert BARE.search("    import " + "cli\n")
    assert not BARE.search("from tenantctl.store.models import User\n")
