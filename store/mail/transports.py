"""Transports: `file` writes one .eml per mail into TENANTCTL_HOME/outbox (the demo needs no
server); `smtp` keeps one connection for a whole run (STARTTLS or TLS, login, timeout). Both raise
the failures of store/mail/retry.py."""

from __future__ import annotations

import contextlib
import smtplib
import socket
import ssl
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from tenantctl.store.mail.retry import ConnectionFailure, PermanentFailure, TemporaryFailure, classify, reply_text

if TYPE_CHECKING:
    from tenantctl.store.settings import Settings


class Transport(Protocol):
    name: str

    def describe(self) -> str: ...

    def send(self, from_addr: str, to_addr: str, message: bytes, mail_id: int | None) -> None: ...

    def close(self) -> None: ...


class FileTransport:
    name = "file"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def describe(self) -> str:
        return f"the folder {self.folder}"

    def send(self, from_addr: str, to_addr: str, message: bytes, mail_id: int | None) -> None:
        from tenantctl.store.files import private_dir, write_private

        stem = f"{mail_id:08d}" if mail_id is not None else "test"
        final = self.folder / f"{stem}-{uuid.uuid4().hex[:8]}.eml"
        try:
            private_dir(self.folder)
            # 0600: the mail holds a live link. Written under a hidden .tmp name and renamed, so a
            # reader never sees half a mail; a failed write (disk full) removes its partial file.
            write_private(final, lambda fh: fh.write(message), fsync=True)
        except OSError as exc:
            raise ConnectionFailure(f"cannot write to the outbox folder {self.folder}: {exc.strerror}") from None

    def close(self) -> None:
        pass


class SmtpTransport:
    name = "smtp"

    def __init__(self, host: str, port: int, *, security: str = "none", user: str | None = None,
                 password: str | None = None, timeout: float = 10.0, local_hostname: str | None = None) -> None:
        self.host, self.port, self.security = host, port, security
        self.user, self.password, self.timeout = user, password, timeout
        self.local_hostname = local_hostname or socket.gethostname()  # getfqdn() can stall on DNS
        self.conn: smtplib.SMTP | None = None

    def describe(self) -> str:
        return f"the SMTP server {self.host}:{self.port}"

    def _open(self) -> smtplib.SMTP:
        try:
            conn: smtplib.SMTP
            if self.security == "tls":
                conn = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                        local_hostname=self.local_hostname, context=ssl.create_default_context())
            else:
                conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout, local_hostname=self.local_hostname)
                if self.security == "starttls":
                    conn.starttls(context=ssl.create_default_context())
            conn.ehlo_or_helo_if_needed()
            if self.user:
                conn.login(self.user, self.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise ConnectionFailure(f"{self.describe()} refused the login of {self.user}: "
                                    f"{exc.smtp_code} {reply_text(exc.smtp_error)}") from None
        except smtplib.SMTPResponseException as exc:
            raise ConnectionFailure(f"{self.describe()} answered {exc.smtp_code} "
                                    f"{reply_text(exc.smtp_error)}") from None
        except (OSError, smtplib.SMTPException) as exc:  # refused, DNS, TLS, timeout
            raise ConnectionFailure(f"cannot reach {self.describe()}: {_reason(exc)}") from None
        return conn

    def send(self, from_addr: str, to_addr: str, message: bytes, mail_id: int | None) -> None:
        for attempt in (1, 2):
            reused = self.conn is not None
            if self.conn is None:
                self.conn = self._open()
            stage = _Stage()
            try:
                refused = _sendmail(self.conn, from_addr, to_addr, message, stage)
            except smtplib.SMTPServerDisconnected as exc:
                self._drop()
                # Reconnect once only when a reused connection was closed before DATA (a server
                # dropping an idle connection). After DATA the server may have taken the mail:
                # sending it again would deliver a second copy; the next attempt follows the backoff.
                if attempt == 2 or not reused or stage.data:
                    after = " after the message was sent; not sent again now" if stage.data else ""
                    raise ConnectionFailure(f"{self.describe()} closed the connection{after}: "
                                            f"{_reason(exc)}") from None
                continue
            except smtplib.SMTPRecipientsRefused as exc:
                code, text = exc.recipients.get(to_addr, (None, b"recipient refused"))
                self._check_alive()
                raise _recipient(code, reply_text(text)) from None
            except smtplib.SMTPResponseException as exc:  # sender refused, data refused
                self._check_alive()
                raise classify(exc.smtp_code, reply_text(exc.smtp_error)) from None
            except (OSError, smtplib.SMTPException) as exc:  # timeout, reset
                self._drop()
                raise ConnectionFailure(f"{self.describe()} failed: {_reason(exc)}") from None
            if refused:
                code, text = refused.get(to_addr, (None, b""))
                raise _recipient(code, reply_text(text))
            return

    def _check_alive(self) -> None:
        if self.conn is not None and getattr(self.conn, "sock", None) is None:
            self.conn = None

    def _drop(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(Exception):  # already broken
                self.conn.close()
        self.conn = None

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self.conn.quit()
            self._drop()


class _Stage:
    data = False  # DATA was sent: the server may have the message


def _sendmail(conn: smtplib.SMTP, from_addr: str, to_addr: str, message: bytes, stage: _Stage) -> dict[str, Any]:
    """smtplib.SMTP.sendmail for one recipient, step by step, so that a failure is known to lie
    before or after DATA. Raises what sendmail raises."""
    conn.ehlo_or_helo_if_needed()
    options = [f"size={len(message)}"] if conn.does_esmtp and conn.has_extn("size") else []
    code, resp = conn.mail(from_addr, options)
    if code != 250:
        _reset(conn, code)
        raise smtplib.SMTPSenderRefused(code, resp, from_addr)
    code, resp = conn.rcpt(to_addr)
    if code not in (250, 251):
        _reset(conn, code)
        raise smtplib.SMTPRecipientsRefused({to_addr: (code, resp)})
    stage.data = True
    code, resp = conn.data(message)
    if code != 250:
        _reset(conn, code)
        raise smtplib.SMTPDataError(code, resp)
    return {}


def _reset(conn: smtplib.SMTP, code: int) -> None:
    if code == 421:
        conn.close()
    else:
        with contextlib.suppress(smtplib.SMTPServerDisconnected):
            conn.rset()


def _recipient(code: int | None, text: str) -> PermanentFailure | TemporaryFailure:
    err = classify(code, text)
    reason = f"recipient refused: {err.reason}".rstrip()
    return TemporaryFailure(reason) if isinstance(err, TemporaryFailure) else PermanentFailure(reason)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return " ".join(str(text).split())


def make_transport(settings: Settings) -> Transport:
    if settings.mail_transport == "smtp":
        return SmtpTransport(settings.smtp_host, int(settings.smtp_port), security=settings.smtp_security,
                             user=settings.smtp_user, password=settings.smtp_secret,
                             timeout=float(settings.smtp_timeout))
    return FileTransport(settings.home_path / "outbox")
