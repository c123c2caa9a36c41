from __future__ import annotations

from typing import Any

import typer

from tenantctl.cli import options, output, runtime


def doctor(json: bool = options.JSON) -> None:
    """Check the store, the schema, the paths and the versions; exit 1 if a check fails. In remote
    mode: the server, the token (valid, expiry, read-only) and the saved context.

    Example: tenantctl doctor
    """
    from tenantctl.cli import state

    if state.REMOTE is not None:
        result = _remote_checks()
    else:
        from tenantctl.store.services.system import doctor as run_checks

        result = run_checks(runtime.operator_only("doctor"))

    def render(console: Any, data: dict[str, Any]) -> None:
        from tenantctl.cli.output import Text  # Rich loads here, not for --help

        for check in data["checks"]:
            mark = (Text("FAIL", style="bold red") if not check["ok"] else
                    Text("warn", style="bold yellow") if check.get("warning") else Text("ok  ", style="green"))
            console.print(mark + Text(f" {check['check']}: {check['detail']}"))
        console.print(Text("versions: " + ", ".join(f"{k} {v}" for k, v in data["versions"].items())))

    output.show(result, render, json_mode=json)
    if not result["ok"]:
        raise typer.Exit(1)


EXPIRY_WARNING_DAYS = 14


def _remote_checks() -> dict[str, Any]:
    """Remote mode: what a reseller can check from their side, without the store."""
    from datetime import UTC, datetime
    from importlib import metadata

    from tenantctl.cli import remote, state
    from tenantctl.store.errors import TenantctlError

    assert state.REMOTE is not None
    where = state.REMOTE.server + (f" (context {state.REMOTE.context!r})" if state.REMOTE.context else "")
    checks: list[dict[str, Any]] = [{"check": "server", "ok": True, "detail": where}]
    try:
        data = remote.client().request("GET", "/auth/status")["data"]
    except TenantctlError as exc:
        check = "server reachable" if exc.exit_code == 7 else "token"
        checks.append({"check": check, "ok": False, "detail": exc.message + (f" ({exc.hint})" if exc.hint else "")})
    else:
        token = data["token"]
        checks.append({"check": "server reachable", "ok": True, "detail": "answers as a tenantctl server"})
        checks.append({"check": "token", "ok": True, "detail": f"{token['name']!r} ({token['id']}) of {data['user']}"
                       + (", read-only" if token["read_only"] else "")})
        if token["expires_at"]:
            left = datetime.fromisoformat(token["expires_at"]) - datetime.now(UTC)
            soon = left.days < EXPIRY_WARNING_DAYS
            checks.append({"check": "token expiry", "ok": True, "warning": soon,
                           "detail": f"{token['expires_at']} (in {left.days} days)"
                                     + ("; create a new one: tenantctl login, or tenantctl token create" if soon
                                        else "")})
        checks.append({"check": "rights", "ok": True,
                       "detail": "; ".join(data["rights"]) or "none: the user has no active membership",
                       "warning": not data["rights"]})
    try:
        version = metadata.version("tenantctl")
    except metadata.PackageNotFoundError:
        version = "not installed"
    return {"ok": all(c["ok"] for c in checks), "checks": checks, "versions": {"tenantctl": version}}


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor)
