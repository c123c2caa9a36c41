"""tenantctl serve: the pages the links in mails open, and the JSON API (web/)."""

from __future__ import annotations

import json
import os
from typing import Any

import typer

from tenantctl.cli import daemon, output, runtime, state


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8080, "--port", min=1, max=65535, help="Port to listen on."),
    workers: int = typer.Option(1, "--workers", min=1, max=64,
                                help="Worker processes (more than 1 needs PostgreSQL; the rate limits are then "
                                     "counted in the store, shared by all workers)."),
    behind_proxy: bool = typer.Option(False, "--behind-proxy",
                                      help="Trust X-Forwarded-For/-Proto from the proxy (FORWARDED_ALLOW_IPS, "
                                           "default 127.0.0.1) and send HSTS on HTTPS."),
    no_worker: bool = typer.Option(False, "--no-worker",
                                   help="Do not deliver mails or run housekeeping in this process (when `tenantctl "
                                        "worker` runs separately)."),
    log_format: str = daemon.LOG_FORMAT,
    metrics_port: int | None = daemon.METRICS_PORT,
    metrics_host: str = daemon.METRICS_HOST,
) -> None:
    """Serve the pages behind the links in mails (set a password, forgot password, invitations) and
    the JSON API, with uvicorn over the same store. base_url must be this server's public address.
    Unless --no-worker, it also runs the worker's loop (mail delivery with retries, housekeeping).
    GET /healthz and /readyz are the probes for a load balancer or systemd.

    Example: tenantctl serve --host 127.0.0.1 --port 8080 --behind-proxy
    """
    from tenantctl.store.db import Store

    conf = runtime.operator_only("serve")  # the server's users log in; --as is not a way in
    _check_store(conf, workers)
    fmt = daemon.log_format(log_format)
    daemon.check_metrics_listener(conf, metrics_host, metrics_port)
    import tempfile

    import uvicorn  # before the logging set-up, as uvicorn's loggers exist then

    _hand_over_flags(conf, behind_proxy=behind_proxy, workers=workers)
    with tempfile.TemporaryDirectory(prefix="tenantctl-metrics-") as counters:
        if metrics_port and workers > 1:  # every server process counts into files there, summed per scrape
            os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", counters)
        background = Store(conf.database_url)  # the worker's and the metrics' own connections
        listener = daemon.start_metrics(conf, metrics_host, metrics_port, background) if metrics_port else None
        daemon.setup_logging(fmt)
        loop = thread = None
        if not no_worker:
            from tenantctl.store.worker import Worker
            from tenantctl.web import metrics

            loop = Worker(conf, background,
                          on_tick=metrics.observe_tick)
            thread = loop.start_thread()
        daemon.stop_on_signals(loop.stop if loop is not None else lambda: None)  # exit 0 on SIGTERM
        output.status(f"serving http://{host}:{port} for {conf.base_url} ({workers} worker{'s' if workers > 1 else ''}"
                      f"{', behind a proxy' if behind_proxy else ''}"
                      f"{'' if no_worker else ', delivering mails'}"
                      f"{f', metrics on {metrics_host}:{metrics_port}' if metrics_port else ''}); Ctrl+C stops")
        try:
            uvicorn.run("tenantctl.web.app:create_app_from_env", **_uvicorn_options(host, port, workers, behind_proxy,
                                                                                   fmt))
        finally:
            if loop is not None and thread is not None:
                loop.stop()  # the batch being sent is finished and recorded
                thread.join()
            if listener is not None:
                listener.shutdown()
            background.dispose()


def _check_store(conf: Any, workers: int) -> None:
    """Refused before anything listens: several workers on SQLite, a store on an outdated schema."""
    from tenantctl.store.db import Store
    from tenantctl.store.errors import UsageError

    store = Store(conf.database_url)
    try:
        if workers > 1 and store.is_sqlite:
            raise UsageError(f"--workers {workers} needs PostgreSQL: SQLite lets one process write at a time, so "
                             "several workers would wait on each other's locks",
                             hint="use --workers 1 with SQLite, or set TENANTCTL_DATABASE_URL to PostgreSQL")
        store.require_current_schema()
    finally:
        store.dispose()


def _hand_over_flags(conf: Any, *, behind_proxy: bool, workers: int) -> None:
    """The global flags reach uvicorn's worker processes through the environment (the app is built
    there, from it); a base_url that does not look like this server's is a warning."""
    from tenantctl.store.services.system import base_url_check
    from tenantctl.web.app import FLAGS_ENV

    flags = {k: v for k, v in state.FLAGS.items() if v is not None}
    os.environ[FLAGS_ENV] = json.dumps({**flags, "behind_proxy": behind_proxy, "workers": workers})
    check = base_url_check(conf)
    if check.get("warning"):
        output.warn(f"warning: base_url {check['detail']}")


def _uvicorn_options(host: str, port: int, workers: int, behind_proxy: bool, fmt: str) -> dict[str, Any]:
    return {"factory": True, "host": host, "port": port, "workers": workers, "proxy_headers": behind_proxy,
            "forwarded_allow_ips": os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"), "access_log": False,
            "server_header": False, "log_config": log_config(fmt), "timeout_graceful_shutdown": 5}


def log_config(fmt: str = "text") -> dict[str, object]:
    """uvicorn's own access log is off (it would print query strings, i.e. tokens); ours
    (tenantctl.access, web.security.Guard) prints the path without them."""
    from tenantctl.web import logformat

    return logformat.config(fmt)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
