"""Entry point: the root command, global options, and the one place where errors become output."""

from __future__ import annotations

import copy
import os
import sys
from collections.abc import Sequence
from typing import Any

import typer
from typer.core import TyperGroup

from tenantctl.cli import output, state
from tenantctl.cli.process import exit_now
from tenantctl.store.errors import DeliveryPending, TenantctlError, UsageError, from_store_exception

HELP = """Administer a B2B platform: tenants, users, invitations, password links, migrations.

Example: tenantctl tenant create "Müller & Söhne GmbH" --kind customer --reseller acme
"""


def _plain_help(command: Any) -> None:
    """Help is formatted by click, not by typer's Rich renderer: that one imports rich.markdown and
    markdown-it on every `--help` (~0.1 s of a 0.2 s start-up, measured; bench/startup_bench.py)."""
    command.rich_markup_mode = None
    text = getattr(command, "help", None)
    if text and "Example:" in text and "\b\nExample:" not in text:
        # an example is copied as it stands: never rewrapped (click's \b marks such a paragraph)
        command.help = text.replace("Example:", "\b\nExample:")
    for param in getattr(command, "params", ()):
        _plain_param(param)
    for sub in getattr(command, "commands", {}).values():
        _plain_help(sub)


def _plain_param(param: Any) -> None:
    """Typer's help shows a required argument as `{LOGIN}` in the usage line and every range as
    `0<=x<=9223372036854775807`; ours read `LOGIN` (click's and man pages' convention) and
    `between 1 and 30`, and the store's 64-bit ceiling is not shown. Both hooks are private to
    typer (pinned below 0.30 in pyproject.toml); without them the help is merely less plain."""
    from tenantctl.cli.options import MAX_INT

    if getattr(param, "param_type_name", None) == "argument" and hasattr(param, "_usage_display_name"):
        name = param.display_name_raw if param.required else f"[{param.display_name_raw}]"
        param._usage_display_name = lambda: name + ("..." if param.nargs != 1 else "")
    if hasattr(param, "_get_number_range_help_str"):
        low, high = getattr(param, "min", None), getattr(param, "max", None)
        high = None if high == MAX_INT else high
        text = (None if low in (None, 0) and high is None else f"at least {low}" if high is None
                else f"at most {high}" if low is None else f"between {low} and {high}")
        param._get_number_range_help_str = lambda: text


class TenantctlGroup(TyperGroup):
    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, windows_expand_args: bool = True,
             **extra: Any) -> Any:
        from typer._click import exceptions as click_exc  # typer vendors click (>=0.29)

        from tenantctl.store.nfc import nfc

        # text enters here: arguments in NFC (a name typed on a Mac is decomposed, see store/nfc.py)
        argv = [nfc(a) for a in (sys.argv[1:] if args is None else args)]
        from tenantctl.cli import completion

        if completion.requested():
            completion.prepare()  # only now: completion classes cost start-up time
        _plain_help(self)
        from tenantctl.cli.options import json_requested

        state.JSON_MODE = json_requested(argv)
        state.SILENT = False
        state.ZONE = None
        state.FLAGS = {}
        state.REMOTE = None
        state.WARNINGS = []
        state.JSON_EMITTED = False
        state.COMMITTED = None
        state.DELIVERY_PENDING = False
        try:
            if "apply" in argv:
                from tenantctl.cli.commands.apply import rewrite_argv

                argv = rewrite_argv(argv)
            rv = super().main(args=argv, prog_name=prog_name or "tenantctl", complete_var=complete_var,
                              standalone_mode=False, **extra)
            code = rv if isinstance(rv, int) else 0
            if code == INTERRUPTED:  # typer turns Ctrl-C into a silent exit 130: say what was written
                code = _aborted(True)
            if code == 0 and state.DELIVERY_PENDING:  # the result is printed, with the warning
                code = DeliveryPending.exit_code
        except TenantctlError as exc:
            code = output.fail(exc, state.JSON_MODE)
        except click_exc.NoArgsIsHelpError as exc:
            # `tenantctl` and `tenantctl tenant` ask for the group's help (as bare `gh` does): on
            # stdout, exit 0. Click raises this instead of printing when not in standalone mode.
            sys.stdout.write(exc.format_message().rstrip("\n") + "\n")
            code = 0
        except click_exc.ClickException as exc:
            ctx = getattr(exc, "ctx", None)
            where = f"{ctx.command_path} --help" if ctx else "tenantctl --help"
            code = output.fail(UsageError(exc.format_message(), hint=f"see {where}"), state.JSON_MODE)
        except typer.Abort as exc:
            code = _aborted(isinstance(exc.__cause__, KeyboardInterrupt) or isinstance(exc.__context__,
                                                                                         KeyboardInterrupt))
        except KeyboardInterrupt:
            code = _aborted(True)
        except Exception as exc:
            mapped = from_store_exception(exc)
            if mapped is None:
                if os.environ.get("TENANTCTL_DEBUG"):
                    raise
                mapped = TenantctlError(f"internal error: {type(exc).__name__}: {exc}",
                                        hint="this is a bug; rerun with TENANTCTL_DEBUG=1 and report the traceback")
            code = output.fail(mapped, state.JSON_MODE)
        if standalone_mode:
            sys.exit(code)
        return code


def _aborted(interrupted: bool) -> int:
    """Ctrl-C (click turns it into Abort) or a refused prompt. After the commit, what was committed
    is said (an import's run and its undo) and the exit code is 130 as for any interrupted program;
    before it, nothing was written."""
    if state.COMMITTED:
        output.fail(TenantctlError(f"interrupted after the commit: {state.COMMITTED}",
                                   hint="it is written; check it with the command shown"), state.JSON_MODE)
        return INTERRUPTED
    output.fail(TenantctlError("interrupted; nothing changed" if interrupted else "aborted; nothing changed"),
                state.JSON_MODE)
    return INTERRUPTED if interrupted else 1


INTERRUPTED = 130  # 128 + SIGINT, as the shell reports an interrupted program


# the root's options that take a value: the noun is the first word after them
ROOT_VALUE_OPTIONS = frozenset({"--db", "--as", "--server", "--config", "--context"})
ROOT_FLAGS = frozenset({"--insecure-http"})


def called_noun(argv: Sequence[str]) -> str | None:
    """The noun (or root command) a command line calls; None for the root's own help or version, or
    for anything unclear (an unknown option before the noun), which then gets the whole tree."""
    words = iter(argv)
    for word in words:
        if word in ROOT_VALUE_OPTIONS:
            next(words, None)
        elif word in ROOT_FLAGS:
            continue
        elif word.split("=", 1)[0] not in ROOT_VALUE_OPTIONS or "=" not in word:
            return None if word.startswith("-") else word
    return None


class CommandLineTyper(typer.Typer):
    def for_args(self, argv: Sequence[str]) -> typer.Typer:
        """The app with only the called noun's commands: Typer builds a click command for every
        registered function on each call, ~38 ms for all of ours against ~9 ms for one noun (a
        twentieth of `tenant list`'s start-up, measured). The whole tree for the root's help, an
        unknown noun (click then names the known ones) and shell completion."""
        from tenantctl.cli import completion

        noun = called_noun(argv)
        if noun is None or completion.requested():
            return self
        only = copy.copy(self)
        only.registered_groups = [g for g in self.registered_groups if g.name == noun]
        only.registered_commands = [c for c in self.registered_commands if c.name == noun]
        return only if only.registered_groups or only.registered_commands else self

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        argv = kwargs.get("args", args[0] if args else None)
        return typer.Typer.__call__(self.for_args(sys.argv[1:] if argv is None else list(argv)), *args, **kwargs)


app = CommandLineTyper(cls=TenantctlGroup, help=HELP, no_args_is_help=True, add_completion=False,
                       pretty_exceptions_enable=False, context_settings={"help_option_names": ["-h", "--help"]})


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"tenantctl {version('tenantctl')}")
        except PackageNotFoundError:
            typer.echo("tenantctl (not installed)")
        raise typer.Exit()


# Commands that work on the store itself and have no API counterpart (refused in remote mode;
# the others that use the store directly are refused by runtime.command).
LOCAL_ONLY = {"init", "db", "serve", "worker", "config", "export", "completion"}


@app.callback()
def root(
    ctx: typer.Context,
    db: str | None = typer.Option(None, "--db", metavar="URL",
                                  help="Store URL (default: SQLite in the data folder). Env: TENANTCTL_DATABASE_URL."),
    as_: str | None = typer.Option(None, "--as", metavar="LOGIN",
                                   help="Act as this user (login or e-mail). Env: TENANTCTL_ACTOR."),
    server: str | None = typer.Option(None, "--server", metavar="URL",
                                      help="Work through this tenantctl server's API (remote mode; needs a token: "
                                           "tenantctl login). Env: TENANTCTL_SERVER."),
    insecure_http: bool = typer.Option(False, "--insecure-http",
                                       help="Remote mode: allow a plain http:// server that is not this machine "
                                            "(the token then travels unencrypted)."),
    config: str | None = typer.Option(None, "--config", metavar="FILE",
                                      help="Settings file to read (never ./tenantctl.toml). Env: TENANTCTL_CONFIG."),
    context: str | None = typer.Option(None, "--context", metavar="NAME",
                                       help="Use this saved login (tenantctl context list) for this command. "
                                            "Env: TENANTCTL_CONTEXT."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    from tenantctl.cli import remote

    state.FLAGS = {"database_url": db, "actor": as_, "config": config, "server": server, "context": context,
                   "insecure_http": insecure_http or None}
    if ctx.invoked_subcommand == "context":
        return  # manages the saved logins themselves: a file here, no server, no store
    try:
        state.REMOTE = remote.configured()
    except UsageError:
        if ctx.invoked_subcommand != "login":
            raise
        state.REMOTE = None  # `--context new login --server URL` saves a context that does not exist yet
    if state.REMOTE is not None:
        remote.refuse_local_options()
        if ctx.invoked_subcommand in LOCAL_ONLY:
            raise UsageError(f"`tenantctl {ctx.invoked_subcommand}` is local-only: it works on the store directly, "
                             "not through a server",
                             hint="run it on the store's machine without --server (tenantctl logout ends a "
                                  "saved login)")


def completion_script(
    shell: str = typer.Argument(..., metavar="SHELL", help="bash, zsh or fish."),
) -> None:
    """Print the shell completion script: nouns, verbs, options, tenant keys and logins (those you
    may see). Put it in your shell's start-up file.

    Example: eval "$(tenantctl completion bash)"   (zsh: the same with zsh; fish: tenantctl completion fish | source)
    """
    from tenantctl.cli import completion

    if shell not in completion.SHELLS:
        raise UsageError(f"no completion for {shell!r}", hint="use one of " + ", ".join(completion.SHELLS))
    sys.stdout.write(completion.script(shell).rstrip("\n") + "\n")


def _register() -> None:
    from tenantctl.cli.commands import app as app_
    from tenantctl.cli.commands import apply as apply_
    from tenantctl.cli.commands import (
        audit,
        auth,
        config,
        connection,
        context,
        db,
        doctor,
        export,
        import_,
        init,
        invite,
        login,
        mail,
        member,
        password,
        serve,
        tenant,
        token,
        user,
        whoami,
        worker,
    )

    init.register(app)
    db.register(app)
    tenant.register(app)
    user.register(app)
    member.register(app)
    invite.register(app)
    connection.register(app)
    audit.register(app)
    config.register(app)
    doctor.register(app)
    password.register(app)
    auth.register(app)
    mail.register(app)
    import_.register(app)
    export.register(app)
    app_.register(app)
    token.register(app)
    login.register(app)
    serve.register(app)
    worker.register(app)
    apply_.register(app)
    whoami.register(app)
    context.register(app)
    app.command("completion")(completion_script)


_register()


def main() -> None:
    """The console script (and `python -m cli`)."""
    exit_now(app(standalone_mode=False))
