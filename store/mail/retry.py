"""Which failures are retried and when. Temporary (4xx replies, connection errors, timeouts):
retried with exponential backoff; permanent (5xx replies, refused recipients): failed at once."""

from __future__ import annotations

from datetime import datetime, timedelta

MAX_DELAY = timedelta(hours=6)


class DeliveryError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TemporaryFailure(DeliveryError):
    """This mail could not be sent now; try it again later."""


class PermanentFailure(DeliveryError):
    """This mail will never be accepted (5xx, recipient refused)."""


class ConnectionFailure(TemporaryFailure):
    """The transport itself is unusable (server down, timeout, folder not writable): stop the run."""


def classify(code: int | None, text: str) -> DeliveryError:
    reason = f"{code} {text}".strip() if code else text
    if code is not None and 500 <= code < 600:
        return PermanentFailure(reason)
    return TemporaryFailure(reason)


def reply_text(raw: bytes | str | None) -> str:
    if raw is None:
        return ""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return " ".join(text.split())


def next_attempt(attempts: int, base_seconds: int, now: datetime) -> datetime:
    """After the n-th failed attempt: base × 2^(n-1), at most 6 hours."""
    delay = timedelta(seconds=base_seconds * (2 ** max(attempts - 1, 0)))
    return now + min(delay, MAX_DELAY)
