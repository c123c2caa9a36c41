"""tenantctl serve: the pages the links in mails open, and the JSON API (web/)."""

from __future__ import annotations

import json
import os

import typer

from cli import output, runtime, state


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8080, "--port", min=1, max=65535, help="Port to listen on."),
    workers: int = typer.Option(1, "--workers", min=1, max=64,
                                help="Worker processes (more than 1 needs PostgreSQL; the rate limits are then "
                                     "counted in the store, shared by all workers)."),
    behind_proxy: bool = typer.Option(False, "--behind-proxy",
                                      help="Trust X-Forwarded-For/-Proto from the proxy (FORWARDED_ALLOW_IPS, "
                                           "default 127.0.0.1) and send HSTS on HTTPS."),
) -> None:
    """Serve the pages behind the links in mails (set a password, forgot password, invitations) and
    the JSON API, with uvicorn over the same store. base_url must be this server's public address.

    Example: tenantctl serve --host 127.0.0.1 --port 8080 --behind-proxy
    """
    from store.db import Store
    from store.errors import UsageError

    conf = runtime.operator_only("serve")  # the server's users log in; --as is not a way in
    store = Store(conf.database_url)
    try:
        if workers > 1 and store.is_sqlite:
            raise UsageError(f"--workers {workers} needs PostgreSQL: SQLite lets one process write at a time, so "
                             "several workers would wait on each other's locks",
                             hint="use --workers 1 with SQLite, or set TENANTCTL_DATABASE_URL to PostgreSQL")
        store.require_current_schema()
    finally:
        store.dispose()
    import uvicorn

    from web.app import FLAGS_ENV

    flags = {k: v for k, v in state.FLAGS.items() if v is not None}
    os.environ[FLAGS_ENV] = json.dumps({**flags, "behind_proxy": behind_proxy, "workers": workers})
    from store.services.system import base_url_check

    check = base_url_check(conf)
    if check.get("warning"):
        output.warn(f"warning: base_url {check['detail']}")
    output.status(f"serving http://{host}:{port} for {conf.base_url} ({workers} worker{'s' if workers > 1 else ''}"
                  f"{', behind a proxy' if behind_proxy else ''}); Ctrl+C stops")
    uvicorn.run("web.app:create_app_from_env", factory=True, host=host, port=port, workers=workers,
                proxy_headers=behind_proxy, forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
                access_log=False, server_header=False, log_config=log_config(), timeout_graceful_shutdown=5)


def log_config() -> dict[str, object]:
    """uvicorn's own access log is off (it would print query strings, i.e. tokens); ours
    (tenantctl.access, web.security.Guard) prints the path without them."""
    fmt = {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    handler = {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}
    return {"version": 1, "disable_existing_loggers": False, "formatters": {"plain": fmt},
            "handlers": {"stderr": handler},
            "loggers": {"uvicorn": {"handlers": ["stderr"], "level": "INFO"},
                        "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
                        "tenantctl": {"handlers": ["stderr"], "level": "INFO"}}}


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
