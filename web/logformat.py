"""`--log-format json`: one JSON object per line, for log shippers. Each line has time, level,
logger and message; a line logged while a request is handled also has the request id, route
template, method, status, duration and the actor (a login or `token:<id>`). Nothing here reads
a body, header or query string, so no token, password or query string can reach the log (the
access line's path is already cut by web.security.loggable_path)."""

from __future__ import annotations

import contextvars
import json
import logging
import time
from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass
class RequestInfo:
    """The request being handled (web.observe.Observe sets it): what its log lines carry."""

    id: str
    method: str
    scope: MutableMapping[str, Any]
    started: float
    status: int = 0

    @property
    def route(self) -> str:
        return route_of(self.scope)

    @property
    def actor(self) -> str | None:
        """Who the request acted as (web.runtime sets it): a login, or `token:<id>`, never a secret."""
        return self.scope.get("state", {}).get("actor")

    @property
    def duration(self) -> float:
        return time.perf_counter() - self.started


CURRENT: contextvars.ContextVar[RequestInfo | None] = contextvars.ContextVar("tenantctl_request", default=None)

def route_of(scope: MutableMapping[str, Any]) -> str:
    """The matched route's template (/api/v1/users/{ident}), never the path itself (which can hold
    a token or an address): the path with each path parameter's value put back as its name.
    `unmatched` when no route matched."""
    if scope.get("route") is None:
        return "unmatched"
    segments = str(scope.get("path", "")).split("/")
    for name, value in (scope.get("path_params") or {}).items():
        text = str(value)
        width = text.count("/") + 1  # a {path:path} parameter spans segments
        for i in range(len(segments) - width, -1, -1):
            if "/".join(segments[i:i + width]) == text and not segments[i].startswith("{"):
                segments[i:i + width] = ["{" + name + "}"]
                break
    return "/".join(segments)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        info = CURRENT.get()
        if info is not None:
            out.update({"request_id": info.id, "route": info.route, "method": info.method,
                        "status": info.status or None, "duration_ms": round(info.duration * 1000, 1),
                        "actor": info.actor})
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def config(fmt: str) -> dict[str, object]:
    """The logging configuration of `serve` and `worker`: text (a terminal's default) or json."""
    formatters: dict[str, object] = {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": JsonFormatter},
    }
    handler = {"class": "logging.StreamHandler", "formatter": fmt, "stream": "ext://sys.stderr"}
    return {"version": 1, "disable_existing_loggers": False, "formatters": {fmt: formatters[fmt]},
            "handlers": {"stderr": handler},
            "loggers": {"uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
                        "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
                        "tenantctl": {"handlers": ["stderr"], "level": "INFO", "propagate": False}}}
