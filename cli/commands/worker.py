"""tenantctl worker: mail delivery with backoff and the periodic housekeeping, unattended."""

from __future__ import annotations

import typer

from tenantctl.cli import daemon, options, output, runtime


def worker(
    interval: float = typer.Option(5.0, "--interval", min=0.2, max=3600,
                                   help="Seconds between rounds (each round sends every due mail, then runs the "
                                        "housekeeping jobs that are due)."),
    once: bool = typer.Option(False, "--once", help="One round, then exit (cron, or a check after an outage)."),
    json: bool = options.JSON,
    log_format: str = daemon.LOG_FORMAT,
    metrics_port: int | None = daemon.METRICS_PORT,
    metrics_host: str = daemon.METRICS_HOST,
) -> None:
    """Deliver due mails (retrying temporary failures with backoff) and run the periodic housekeeping,
    until SIGTERM or Ctrl+C: the batch being sent is finished, nothing is lost. Any number of
    workers (and servers) may run against one PostgreSQL store; `tenantctl serve` runs one inside
    unless --no-worker.

    Example: tenantctl worker --log-format json --metrics-port 9101
    """
    from tenantctl.store.db import Store

    conf = runtime.operator_only("worker")
    fmt = daemon.log_format(log_format)
    daemon.check_metrics_listener(conf, metrics_host, metrics_port)
    store = Store(conf.database_url)
    try:
        store.require_current_schema()
        from tenantctl.store.worker import Worker
        from tenantctl.web import metrics

        loop = Worker(conf, store, poll=interval,
                      on_tick=metrics.observe_tick)
        if once:  # the result says what happened: the log stays quiet but for errors
            import logging

            logging.getLogger("tenantctl").setLevel(logging.ERROR)
            tick = loop.tick()
            result = {"delivery": tick.delivery.as_dict() if tick.delivery else None, "error": tick.error,
                      "jobs": [{"name": r.name, "result": r.result, "error": r.error} for r in tick.jobs]}
            output.show(result, lambda c, d: c.print(output.record(d)), json_mode=json)
            return
        daemon.setup_logging(fmt)
        listener = daemon.start_metrics(conf, metrics_host, metrics_port, store) if metrics_port else None
        daemon.stop_on_signals(loop.stop)
        output.status(f"worker on {store.safe_url}, a round every {interval:g}s"
                      f"{f', metrics on {metrics_host}:{metrics_port}' if metrics_port else ''}; Ctrl+C stops")
        loop.run()
        if listener is not None:
            listener.shutdown()
    finally:
        store.dispose()


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
