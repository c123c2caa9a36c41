"""Start-up stays light, every command documents an example, the installed entry point works, cells read plainly."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ["sqlalchemy", "sqlmodel", "psycopg", "openpyxl", "jinja2", "argon2", "python_calamine", "polars", "fastexcel",
         "pyarrow"]


@pytest.mark.parametrize("args", [["--help"], ["tenant", "--help"], ["user", "--help"], []])
def test_help_imports_nothing_heavy(args):
    code = (
        "import sys\n"
        "from tenantctl.cli.main import app\n"
        f"try:\n    app({args!r})\nexcept SystemExit:\n    pass\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parents[2])
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout



def test_reading_the_settings_loads_no_models(tmp_path):
    """Every command reads its settings (and checks --as) first; `import run` starts reading the
    file in the background right after, while the store's models load. Loading SQLModel for the
    settings held that start back by ~0.45 s of a 100,000-row import."""
    code = (
        "import sys\n"
        "from tenantctl.cli import runtime\n"
        "runtime.settings()\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    env = {**os.environ, "TENANTCTL_HOME": str(tmp_path), "TENANTCTL_ACTOR": "someone"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env,
                         cwd=Path(__file__).parents[2])
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout

def _all_commands():
    from typer.main import get_command

    from tenantctl.cli.main import app

    root = get_command(app)

    def walk(cmd, path):
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                yield from walk(sub, [*path, name])
        else:
            yield path

    return list(walk(root, []))


@pytest.mark.parametrize("path", _all_commands(), ids=lambda p: " ".join(p))
def test_every_command_help_has_an_example(cli, path):
    r = cli(*path, "--help")
    assert r.exit_code == 0
    assert re.search(r"Example: [^\n]*tenantctl ", " ".join(r.stdout.split())), r.stdout


def test_installed_entry_point_runs_s1_step(tmp_path):
    exe = shutil.which("tenantctl", path=str(Path(sys.executable).parent))
    assert exe, "tenantctl console script not installed next to the interpreter"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTCTL_")}
    env |= {"TENANTCTL_HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(tmp_path)}
    version = subprocess.run([exe, "--version"], capture_output=True, text=True, env=env)
    assert version.returncode == 0 and version.stdout.startswith("tenantctl ")
    subprocess.run([exe, "init"], capture_output=True, text=True, env=env, check=True)
    made = subprocess.run([exe, "tenant", "create", "Müller & Söhne GmbH", "--kind", "reseller", "--json"],
                          capture_output=True, text=True, env=env)
    assert made.returncode == 0 and made.stderr == ""
    assert json.loads(made.stdout)["data"]["key"] == "mueller-soehne-gmbh"
    as_module = subprocess.run([sys.executable, "-m", "tenantctl.cli", "tenant", "list", "--json"], capture_output=True,
                               text=True, env=env)
    assert [t["key"] for t in json.loads(as_module.stdout)["data"]] == ["platform-operator", "mueller-soehne-gmbh"]
    assert (tmp_path / "home" / "tenantctl.db").exists()


def test_entry_point_skips_teardown_but_flushes_output_and_runs_atexit(tmp_path):
    """main() ends with os._exit (no interpreter teardown): the buffered output, the exit code, the
    atexit handlers that the command's libraries registered (here one registered after `cli` is
    imported, as logging and SQLAlchemy do) and the store's files must all be complete by then;
    the teardown itself (an object's __del__ at the interpreter's exit) is skipped."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTCTL_")}
    env |= {"TENANTCTL_HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(tmp_path)}
    code = ("import atexit, sys\n"
            "from tenantctl.cli.main import main\n"
            "atexit.register(lambda: sys.stdout.write('atexit ran\\n'))\n"
            "class Left:\n"
            "    def __del__(self): sys.stdout.write('teardown ran\\n')\n"
            "left = Left()\n"
            "sys.argv = ['tenantctl'] + sys.argv[1:]\n"
            "main()\n"
            "print('not reached')\n")
    subprocess.run([sys.executable, "-c", code, "init"], capture_output=True, text=True, env=env, check=True)
    for i in range(2):
        subprocess.run([sys.executable, "-m", "tenantctl.cli", "tenant", "create", f"Kunde {i}", "--kind", "reseller"],
                       capture_output=True, env=env, check=True)
    # stdout is a pipe, so block-buffered: the JSON only arrives if main() flushed it
    listed = subprocess.run([sys.executable, "-c", code, "tenant", "list", "--json"], capture_output=True, text=True,
                            env=env)
    assert listed.returncode == 0
    body, _, tail = listed.stdout.rpartition("}")
    assert [t["key"] for t in json.loads(body + "}")["data"]] == ["platform-operator", "kunde-0", "kunde-1"]
    assert tail.strip() == "atexit ran"
    bad = subprocess.run([sys.executable, "-c", code, "tenant", "show", "nope"], capture_output=True, text=True,
                         env=env)
    assert bad.returncode == 8 and "not found" in bad.stderr and "not reached" not in bad.stdout
    home = tmp_path / "home"
    assert not (home / "tenantctl.db-wal").exists()  # the store was closed (checkpointed) before the exit


def test_cells_never_print_none_inside_lists_and_dicts():
    """A field holding a dict or list (audit details, a run's options) shows nothing as "-", as an
    empty cell does; Python's "None" and "True" never reach the table."""
    from tenantctl.cli.output import cell

    assert cell({"reseller": None, "sheet": "Benutzer", "dry_run": False}).plain == \
        "reseller: -, sheet: Benutzer, dry_run: no"
    assert cell({"external_id": [None, "CRM-7"], "tags": ["a", None, "b"]}).plain == \
        "external_id: - → CRM-7, tags: a, -, b"
    assert cell(["admin", None, True]).plain == "admin, -, yes"
    assert cell(None).plain == "-"


@pytest.mark.parametrize(("argv", "noun"), [
    (["tenant", "list"], "tenant"),
    (["--db", "sqlite:///x.db", "--as", "rita", "user", "show", "max"], "user"),
    (["--db=sqlite:///x.db", "--server", "http://h", "import", "run", "k.xlsx"], "import"),
    (["--config", "tenantctl.toml", "init"], "init"),
    (["--help"], None), (["--version"], None), ([], None), (["--json", "tenant", "list"], None),
    (["--as"], None),
])
def test_the_called_noun_is_found_after_the_root_options(argv, noun):
    from tenantctl.cli.main import called_noun

    assert called_noun(argv) == noun


def test_only_the_called_nouns_commands_are_built():
    """Typer builds a click command for every registered function on each call; a command line gets
    its noun's only. The root's help, an unknown noun and shell completion get the whole tree."""
    from typer.main import get_command

    from tenantctl.cli.main import app

    everything = set(get_command(app).commands)  # type: ignore[attr-defined]
    assert {"tenant", "user", "import", "init", "apply", "completion"} <= everything
    assert set(get_command(app.for_args(["--as", "rita", "tenant", "list"])).commands) == {"tenant"}
    assert set(get_command(app.for_args(["apply", "-f", "setup.yaml"])).commands) == {"apply"}
    assert set(get_command(app.for_args(["--help"])).commands) == everything
    assert set(get_command(app.for_args(["tenants", "list"])).commands) == everything


def test_an_unknown_noun_is_named_with_the_known_ones(cli):
    r = cli("tenants", "list")
    assert r.exit_code == 2
    assert "No such command 'tenants'" in r.stderr


def test_the_console_script_runs_a_noun_with_root_options_before_it(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTCTL_")}
    env["TENANTCTL_HOME"] = str(tmp_path)
    url = f"sqlite:///{tmp_path / 's.db'}"
    exe = [sys.executable, "-m", "tenantctl.cli"]
    subprocess.run([*exe, "--db", url, "init"], capture_output=True, text=True, env=env, check=True)
    made = subprocess.run([*exe, "--db", url, "tenant", "create", "Kunde GmbH", "--kind", "reseller", "--json"],
                          capture_output=True, text=True, env=env)
    assert made.returncode == 0, made.stderr
    listed = subprocess.run([*exe, f"--db={url}", "tenant", "list", "--kind", "reseller", "--json"],
                            capture_output=True, text=True, env=env)
    assert listed.returncode == 0, listed.stderr
    assert [t["key"] for t in json.loads(listed.stdout)["data"]] == ["kunde-gmbh"]


@pytest.mark.parametrize("args, usage", [([], "Usage: tenantctl [OPTIONS] COMMAND"),
                                         (["tenant"], "Usage: tenantctl tenant [OPTIONS] COMMAND")])
def test_a_bare_group_prints_its_help_and_exits_0(args, usage):
    """`tenantctl` and `tenantctl tenant` ask for help, as a bare `gh` does: on stdout, exit 0."""
    out = subprocess.run([sys.executable, "-m", "tenantctl.cli", *args], capture_output=True, text=True,
                         cwd=Path(__file__).parents[2])
    assert out.returncode == 0 and out.stderr == ""
    assert out.stdout.startswith(usage)
    assert ("  list " in out.stdout) if args else ("  tenant " in out.stdout and "  import " in out.stdout)
