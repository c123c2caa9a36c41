"""What tenantctl uses of Typer that Typer does not promise (pyproject.toml pins typer below
0.30 for it). A Typer release that moves or drops one of these fails here, by name, before the
CLI fails in an operator's hands; the help and completion tests show their effect."""

from __future__ import annotations

from typing import Any

import pytest


def _params() -> list[Any]:
    import typer

    from tenantctl.cli.main import app

    out: list[Any] = []

    def walk(cmd: Any) -> None:
        out.extend(getattr(cmd, "params", ()))
        for sub in getattr(cmd, "commands", {}).values():
            walk(sub)

    walk(typer.main.get_command(app))
    return out


def test_the_vendored_click_exceptions_that_cli_main_catches() -> None:
    from typer._click import exceptions

    assert issubclass(exceptions.NoArgsIsHelpError, exceptions.ClickException)
    assert issubclass(exceptions.UsageError, exceptions.ClickException)


def test_the_current_context_that_refuse_remote_names_the_command_by() -> None:
    from typer._click.globals import get_current_context

    assert get_current_context(silent=True) is None  # outside a command: None, never an error


@pytest.mark.parametrize("hook", ["_usage_display_name", "_get_number_range_help_str"])
def test_the_parameter_help_hooks_that_make_help_plain(hook: str) -> None:
    """cli/main.py's _plain_param replaces these two methods on Typer's parameters."""
    assert any(callable(getattr(p, hook, None)) for p in _params()), f"typer's parameters have no {hook}"


def test_completion_comes_from_typers_public_completion_module() -> None:
    from typer.completion import completion_init, get_completion_script

    completion_init()
    script = get_completion_script(prog_name="tenantctl", complete_var="_TENANTCTL_COMPLETE", shell="bash")
    assert "_TENANTCTL_COMPLETE" in script and "tenantctl" in script
