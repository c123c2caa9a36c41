"""What the long-running commands (`serve`, `worker`) share: the log format, the metrics listener
and a clean stop on SIGTERM / Ctrl+C. Imported only by them: the other commands never load
prometheus-client or the worker."""

from __future__ import annotations

import signal
import sys
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from tenantctl.store.settings import Settings

LOG_FORMATS = ("auto", "text", "json")

LOG_FORMAT = typer.Option("auto", "--log-format", metavar="auto|text|json",
                          help="Log lines on stderr: text, or one JSON object per line for a log shipper; "
                               "auto: text on a terminal, json otherwise.")
METRICS_PORT = typer.Option(None, "--metrics-port", min=1, max=65535,
                            help="Serve Prometheus metrics at /metrics on this port (a listener of its own, "
                                 "not the public one).")
METRICS_HOST = typer.Option("127.0.0.1", "--metrics-host",
                            help="Address of the metrics listener; beyond loopback only with TENANTCTL_METRICS_TOKEN "
                                 "(scrapers then send it as a bearer token).")


def log_format(fmt: str) -> str:
    from tenantctl.store.errors import UsageError

    if fmt not in LOG_FORMATS:
        raise UsageError(f"unknown log format {fmt!r}", hint="use --log-format text, json or auto")
    if fmt == "auto":
        return "text" if sys.stderr.isatty() else "json"
    return fmt


def setup_logging(fmt: str) -> dict[str, Any]:
    import logging.config

    from tenantctl.web import logformat

    config = logformat.config(fmt)
    logging.config.dictConfig(config)
    return config


def check_metrics_listener(conf: Settings, host: str, port: int | None) -> None:
    """Metrics tell a lot about the platform's use: beyond loopback only behind a token."""
    import ipaddress

    from tenantctl.store.errors import UsageError

    if port is None or conf.metrics_token:
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        raise UsageError(f"--metrics-host {host} would show the metrics to the network without a token",
                         hint="set TENANTCTL_METRICS_TOKEN (scrapers send it as a bearer token) or keep 127.0.0.1")


def start_metrics(conf: Settings, host: str, port: int, store: Any) -> Any:
    from tenantctl.store.errors import Unreachable
    from tenantctl.web import metrics

    try:
        return metrics.start_server(host, port, store, conf.metrics_token)
    except OSError as exc:
        raise Unreachable(f"cannot listen for metrics on {host}:{port}: {exc.strerror}",
                          hint="choose a free --metrics-port") from None


def stop_on_signals(stop: Any) -> None:
    """SIGTERM (systemd, docker stop) and SIGINT call stop(): the worker finishes its batch. uvicorn
    restores these handlers and raises the signal again once it has shut down, so they also reach
    `serve`'s in-process worker."""

    def handler(signum: int, _frame: Any) -> None:
        stop()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
