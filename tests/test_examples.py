"""Every command example in README.md and docs/*.md runs, in the order a reader meets them, against
one demo store; the remote-mode ones against the test API server. An example that breaks fails this
test with its file and line.

What counts as an example, and the markers (they read as ordinary Markdown):

- The lines of ```sh and ```bash blocks that call `tenantctl`, and the `export VAR=…` / `VAR=…`
  lines they rely on. Other lines (`make`, `$EDITOR`, curl) are not run; unlabelled blocks are
  synopses (`tenantctl import run FILE [--dry-run]`) and are not run either.
- `# fails (exit N)` in a line's comment: a deliberate failure; the test expects exactly exit N.
- `<!-- examples: not run: REASON -->` on the line before a block: production set-up a test cannot
  have (a PostgreSQL server elsewhere, `serve` in the foreground). The reason is required.

The `Example:` line of every command's --help runs too, after the documents, on one more machine
(HELP_NOT_RUN names the ones that cannot, and why; text after three spaces and a parenthesis is a
remark). Each file is read on its own machine: a fresh working folder and user config folder (saved logins),
the environment of the file's earlier lines; the store is the same throughout. The test fills the
placeholders a reader would: the example servers (https://admin.platform.example, https://staging…)
are the test's server, `tctl_…` and token.txt hold a token of rita.schroeder, $LOGIN / $PASSWORD
are hers, a `tenantctl login` that asks gets them typed in; a file whose examples read kunden.xlsx
without writing it first gets a small filled-in workbook.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parents[1]
FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
RUN_LANGS = {"sh", "bash"}
FAILS = re.compile(r"#.*\bfails \(exit (\d+)\)")
NOT_RUN = re.compile(r"<!-- examples: not run: (\S.*?) -->")
SERVERS = re.compile(r"https://(?:admin|staging)\.platform\.example")
PASSWORD = "Sehr-geheimes-Passwort-17"
# --help examples a test cannot run, with the reason (the Markdown marks its own in the file)
HELP_NOT_RUN = {"serve": "serves in the foreground until stopped", "worker": "the same",
                "db copy": "needs a PostgreSQL server at db.internal", "db backup": "writes under /var/backups"}
# --help examples that name an object by its number or need what only a mail hands over: they are
# parsed (every option and argument must exist), not run
INVITATION_ID, MAIL_LINK = "names an invitation by its number", "needs the link from a mail (link.txt)"
HELP_PARSED_ONLY = {
    "tenant approve": "needs a registration waiting for approval", "tenant reject": "the same",
    "invite show": INVITATION_ID, "invite revoke": INVITATION_ID, "invite reissue": INVITATION_ID,
    "invite accept": MAIL_LINK, "password set": MAIL_LINK, "auth login": "needs the user's password in a file",
    "connection show": "names a connection by its number", "connection approve": "the same",
    "connection request-info": "the same", "connection answer": "the same", "connection reject": "the same",
    "connection delete": "the same", "mail show": "names a mail by its number",
    "import show": "names an import run by its number", "import undo": "the same",
}
CALLS = re.compile(r"(?:^|[\s|&;(\"$])tenantctl(?=\s|$|\))")  # the command, not ./tenantctl or a wheel
SHELL_SYNTAX = re.compile(r"[$|;`]|&&|<\(")


@dataclass
class Example:
    file: str
    line: int
    text: str
    expected: int
    parse_only: bool = False

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


def examples_of(path: Path, root: Path = ROOT) -> list[Example]:
    """The runnable lines of one Markdown file, continuation lines joined, in order."""
    name = str(path.relative_to(root))
    lines = path.read_text(encoding="utf-8").splitlines()
    out: list[Example] = []
    fence: str | None = None
    skip = False
    previous = ""
    pending: tuple[int, str] | None = None
    for number, line in enumerate(lines, 1):
        opening = re.match(r"^\s*```(\w*)\s*$", line)
        if fence is None and opening:
            fence = opening.group(1)
            marker = NOT_RUN.search(previous)
            if "<!-- examples:" in previous and not marker:
                raise AssertionError(f"{name}:{number - 1}: write <!-- examples: not run: REASON -->")
            skip = marker is not None
            previous = line
            continue
        if fence is not None and line.strip().startswith("```"):
            fence, pending = None, None
            previous = line
            continue
        previous = line if line.strip() else previous
        if fence is None or fence not in RUN_LANGS or skip:
            continue
        start, text = pending if pending else (number, "")
        text += line.rstrip()
        if text.endswith("\\"):
            pending = (start, text[:-1] + " ")
            continue
        pending = None
        stripped = text.strip()
        if not stripped or stripped.startswith("#") or stripped.startswith("#!"):
            continue
        command = next((w for w in stripped.split() if not re.match(r"^\w+=", w)), "export")
        shell_call = SHELL_SYNTAX.search(stripped.split(" #", 1)[0]) and CALLS.search(stripped)
        if command not in {"tenantctl", "export"} and not shell_call and re.match(r"^\w+=", stripped) is None:
            continue  # make, pipx, $EDITOR, curl, createdb: not tenantctl's examples
        failing = FAILS.search(stripped)
        out.append(Example(name, start, stripped, int(failing.group(1)) if failing else 0))
    return out


def test_the_extraction_reads_blocks_markers_and_continuations(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text("\n".join([
        "```sh", "tenantctl tenant list   # all", "make demo", "key=$(tenantctl tenant create X \\",
        "  --json | jq -r .data.key)", "tenantctl tenant show nope   # fails (exit 8)", "```",
        "```", "tenantctl import run FILE [--dry-run]", "```",
        "<!-- examples: not run: needs a PostgreSQL server -->", "", "```sh", "tenantctl db upgrade", "```",
    ]), encoding="utf-8")
    got = [(e.where, e.text, e.expected) for e in examples_of(doc, root=tmp_path)]
    assert got == [("doc.md:2", "tenantctl tenant list   # all", 0),
                   ("doc.md:4", "key=$(tenantctl tenant create X    --json | jq -r .data.key)", 0),
                   ("doc.md:6", "tenantctl tenant show nope   # fails (exit 8)", 8)]


class Reader:
    """One reader's machine: working folder, environment, saved logins; the CLI in this process
    for plain `tenantctl …` lines, bash for the lines that need a shell."""

    def __init__(self, base: Path, server_url: str) -> None:
        self.base = base
        self.cwd = base / "work"
        self.cwd.mkdir(parents=True)
        self.server_url = server_url
        self.env: dict[str, str | None] = {"XDG_CONFIG_HOME": str(base / "config"), "HOME": str(base),
                                           "LOGIN": "rita.schroeder", "PASSWORD": PASSWORD,
                                           "TENANTCTL_CI_TOKEN": "tctl_none"}

    def provide_workbook(self, examples: list[Example]) -> None:
        """kunden.xlsx, the reseller's filled-in workbook, where a file's examples read one that none
        of its earlier lines wrote (an `import template` or `export` writes its own)."""
        from tests.imports.conftest import TENANT_HEADER, USER_HEADER, write_xlsx

        first = next((e.text for e in examples if "kunden.xlsx" in e.text), None)
        if first is None or "import template kunden.xlsx" in first or "export kunden.xlsx" in first:
            return
        write_xlsx(self.cwd / "kunden.xlsx", {
            "Mandanten": [TENANT_HEADER, [None, "Kanzlei Vogel & Partner", "customer", "acme", "10003", "EUR", "de"]],
            "Benutzer": [USER_HEADER, ["Vera", "Vogel", "vera@vogel.example", "10003", "admin"]]})

    def hand_token(self, token: str) -> None:
        """rita's token, where the examples expect one: $TENANTCTL_CI_TOKEN, ~/.secrets, token.txt."""
        self.env["TENANTCTL_CI_TOKEN"] = token
        (self.base / ".secrets").mkdir(exist_ok=True)
        (self.base / ".secrets" / "tenantctl-ci").write_text(token + "\n")
        (self.cwd / "token.txt").write_text(token + "\n")

    def fill(self, text: str) -> str:
        return SERVERS.sub(self.server_url, text).replace("tctl_…", str(self.env["TENANTCTL_CI_TOKEN"]))

    def run(self, example: Example) -> tuple[int, str]:
        text = self.fill(example.text)
        if SHELL_SYNTAX.search(text.split(" #", 1)[0]):
            return self._bash(text)
        words = shlex.split(text, comments=True)
        while words and re.match(r"^\w+=", words[0]) and words[0].split("=", 1)[0] != "tenantctl":
            if len(words) == 1 or words[0] == "export":
                break
            name, value = words.pop(0).split("=", 1)
            return self._cli(words, extra={name: value})
        if words and words[0] == "export":
            for word in words[1:]:
                name, value = word.split("=", 1)
                self.env[name] = value
            return 0, ""
        if len(words) == 1 and "=" in words[0]:
            name, value = words[0].split("=", 1)
            self.env[name] = value
            return 0, ""
        return self._cli(words)

    def _cli(self, words: list[str], extra: dict[str, str] | None = None) -> tuple[int, str]:
        from typer.testing import CliRunner

        from tenantctl.cli.main import app

        assert words[0] == "tenantctl", words
        argv, stdin, stdout_to = [], None, None
        it = iter(words[1:])
        for word in it:
            if word == "<":
                source = self.cwd / next(it)
                if not source.exists():
                    return 127, f"no file {source.name} to read from (no earlier example writes it)"
                stdin = source.read_text(encoding="utf-8")
            elif word == ">":
                stdout_to = self.cwd / next(it)
            else:
                argv.append(word)
        if stdin is None and argv[:1] == ["login"] and "--with-token" not in argv:
            stdin = f"{self.env['LOGIN']}\n{self.env['PASSWORD']}\n"  # the reader answers the prompts
        old = Path.cwd()
        os.chdir(self.cwd)
        try:
            result = CliRunner().invoke(app.for_args(argv), argv, input=stdin, env={**self.env, **(extra or {})})
        finally:
            os.chdir(old)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        if stdout_to is not None:
            stdout_to.write_text(result.stdout, encoding="utf-8")
        return result.exit_code, (result.stderr or result.stdout)[-600:]

    def _bash(self, text: str) -> tuple[int, str]:
        """A line that needs a shell: run by bash with the reader's environment; what it assigns
        or exports is kept for the next lines (`set -a`)."""
        env = {k: v for k, v in {**os.environ, **self.env}.items() if v is not None}
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        dump = self.cwd / ".env-after"
        script = f"set -a -o pipefail\n{text}\n__rc=$?\nenv -0 > {shlex.quote(str(dump))}\nexit $__rc\n"
        done = subprocess.run(["bash", "-c", script], cwd=self.cwd, env=env, capture_output=True, text=True,
                              timeout=300)
        if dump.exists():
            for item in dump.read_text().split("\0"):
                name, _, value = item.partition("=")
                if name and env.get(name) != value and name not in {"_", "SHLVL", "PWD", "OLDPWD", "__rc"}:
                    self.env[name] = value
            dump.unlink()
        return done.returncode, (done.stderr or done.stdout)[-600:]


def test_every_example_in_the_readme_and_the_docs_runs(_api_server: Any, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from apiserver import token_for

    from tenantctl.store.settings import load_settings
    from tests.api.test_http import _set_password

    monkeypatch.setenv("TENANTCTL_BASE_URL", "http://127.0.0.1:8080")
    failures: list[str] = []
    token: str | None = None
    readme_world: Path | None = None
    for path in FILES:
        reader = Reader(tmp_path / path.stem, _api_server.url)
        examples = examples_of(path)
        reader.provide_workbook(examples)
        for example in examples:
            if token is None and (SERVERS.search(example.text) or "tctl_…" in example.text):
                # the store exists by now (README's first lines): serve it, give rita a password and a token
                _api_server.use(load_settings())
                _set_password("rita.schroeder", PASSWORD)
                token = token_for(_api_server.runtime.store, "rita.schroeder", "docs")
            if token is not None and reader.env["TENANTCTL_CI_TOKEN"] != token:
                reader.hand_token(token)
            code, said = reader.run(example)
            if code != example.expected:
                failures.append(f"{example.where}: `{example.text}` exited {code}, expected {example.expected}: "
                                + " ".join(said.split()))
        if path.name == "README.md":
            readme_world = _snapshot(tmp_path / "help-home")
    # the --help examples act on README's world, not on what the documents did to it since (an
    # erasure in docs/privacy.md): a copy of the store as README left it, served as well
    assert readme_world is not None, "README.md has no examples to build the demo world"
    monkeypatch.setenv("TENANTCTL_HOME", str(readme_world))
    _api_server.use(load_settings())
    reader = Reader(tmp_path / "help", _api_server.url)
    for example in help_examples():
        if example.parse_only:
            words = shlex.split(example.text.split(" < ")[0], comments=True)[1:]
            if (why := parses(words)) is not None:
                failures.append(f"{example.where}: `{example.text}` does not parse: {why}")
            continue
        # a fresh token each time: the login and logout examples revoke the one before
        reader.hand_token(token_for(_api_server.runtime.store, "rita.schroeder", "help"))
        code, said = reader.run(example)
        if code != example.expected:
            failures.append(f"{example.where}: `{example.text}` exited {code}, expected {example.expected}: "
                            + " ".join(said.split()))
    _api_server.runtime.close()
    assert not failures, "examples that do not run as written:\n" + "\n".join(failures)


def _snapshot(home: Path) -> Path:
    """A consistent copy of the store in a new home (SQLite's backup API: the WAL included)."""
    import sqlite3

    from tenantctl.store.settings import load_settings

    source = Path(load_settings().database_url.removeprefix("sqlite:///"))
    home.mkdir()
    with sqlite3.connect(source) as src, sqlite3.connect(home / "tenantctl.db") as dst:
        src.backup(dst)
    return home


def help_examples() -> list[Example]:
    """The `Example:` line of every command's --help, named by where it is written."""
    from typer.main import get_command

    from tenantctl.cli.main import app

    sources = {p: p.read_text(encoding="utf-8").splitlines() for p in sorted((ROOT / "cli").rglob("*.py"))}

    def where(text: str) -> tuple[str, int]:
        for path, lines in sources.items():
            for number, line in enumerate(lines, 1):
                if text in line:
                    return str(path.relative_to(ROOT)), number
        raise AssertionError(f"cannot find the example {text!r} in cli/")

    def walk(cmd: Any, path: list[str]) -> Any:
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                yield from walk(sub, [*path, name])
        else:
            yield " ".join(path), cmd

    out = []
    for command, cmd in walk(get_command(app), []):
        if command in HELP_NOT_RUN:
            continue
        for found in re.finditer(r"Example:\s*(.+)", cmd.help or ""):
            text = re.split(r"\s{3,}\(", found.group(1).strip())[0]  # "   (zsh: …)": a remark, not the command
            file, line = where(text)
            failing = FAILS.search(text)
            out.append(Example(file, line, text, int(failing.group(1)) if failing else 0,
                               parse_only=command in HELP_PARSED_ONLY))
    return out


def parses(argv: list[str]) -> str | None:
    """None when the command line names a command with options and arguments it has; else why not."""
    from typer.main import get_command

    from tenantctl.cli.main import app

    cmd: Any = get_command(app)
    try:
        ctx = cmd.make_context("tenantctl", list(argv))
        while hasattr(cmd, "commands"):
            name, cmd, rest = cmd.resolve_command(ctx, [*ctx._protected_args, *ctx.args])
            ctx = cmd.make_context(name, rest, parent=ctx)
    except Exception as exc:  # click's usage errors
        return str(getattr(exc, "message", exc))
    return None
