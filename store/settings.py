"""Settings with provenance: flag > environment > the file named by --config / TENANTCTL_CONFIG >
the user config file > default. `config show` prints each value and where it came from; secrets
are masked there.

Configuration can redirect links (base_url) and load code (templates_dir), so it is read only from
places the operator controls: never from the current directory (support staff run the tool inside
customers' upload folders), and a settings file that others could write is refused."""

from __future__ import annotations

import os
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tenantctl.store.errors import InvalidInput


@dataclass(frozen=True)
class Spec:
    name: str
    default: Any
    kind: type = str
    secret: bool = False
    help: str = ""

    @property
    def env(self) -> str:
        return "TENANTCTL_" + self.name.upper()


SPECS: tuple[Spec, ...] = (
    Spec("home", None, help="folder for the SQLite store and the file outbox (default: user data dir)"),
    Spec("database_url", None, secret=True, help="store URL; default sqlite file in home"),
    Spec("actor", None, help="login to act as (--as)"),
    Spec("default_language", "de", help="language of mails when neither user nor tenant has one"),
    Spec("registration_approval", True, bool, help="new organisations wait for operator approval"),
    Spec("exclusive_reseller", True, bool, help="a customer has at most one non-rejected connection"),
    Spec("initial_link_days", 7, int, help="lifetime of an initial password link (1-30 days)"),
    Spec("reset_link_hours", 24, int, help="lifetime of a reset password link (1-168 hours)"),
    Spec("base_url", "https://platform.example", help="public address the links in mails point to"),
    Spec("mail_transport", "file", help="file (one .eml per mail in home/outbox) or smtp"),
    Spec("mail_from", "noreply@platform.example", help="sender address of every mail"),
    Spec("mail_from_name", "Partnerportal", help="the platform's name: sender display name, page and mail header"),
    Spec("mail_reply_to", None, help="where replies to the platform's mails go (a reseller can set its own)"),
    Spec("mail_signature", None, help="contact line under every mail (a reseller can set its own)"),
    Spec("mail_imprint", None, help="company details in every mail's footer (imprint; lines separated by |)"),
    Spec("imprint_url", None, help="address of the imprint (Impressum), linked in every page's and mail's footer"),
    Spec("privacy_url", None, help="address of the privacy notice, linked in every page's and mail's footer"),
    Spec("login_url", None, help="the platform's login page: the next step after a password is set or an "
                                 "invitation accepted"),
    Spec("time_zone", "Europe/Berlin", help="time zone of the times in mails and on the pages, unless the "
                                            "recipient's user or tenant sets its own, and in the CLI's list "
                                            "tables and CSV"),
    Spec("mail_rate", 0.0, float, help="mails per second when sending (0: unthrottled)"),
    Spec("smtp_host", "127.0.0.1"),
    Spec("smtp_port", 25, int),
    Spec("smtp_security", "none", help="none, starttls or tls"),
    Spec("smtp_user", None),
    Spec("smtp_password", None, secret=True, help="from the environment only (or smtp_password_file)"),
    Spec("smtp_password_file", None, help="file holding the SMTP password"),
    Spec("smtp_timeout", 10.0, float, help="seconds per SMTP operation"),
    Spec("templates_dir", None, help="folder with mail template overrides"),
    Spec("mail_max_attempts", 10, int, help="attempts before a temporarily failing mail is marked failed (1-100)"),
    Spec("mail_retry_seconds", 60, int, help="first retry delay; doubles per attempt, at most 6 hours (1-3600)"),
    Spec("mail_lease_seconds", 300, int,
         help="a mail whose delivery was interrupted is sent again after this many seconds (10-86400)"),
    Spec("import_max_mb", 100, int, help="largest spreadsheet an import reads (MB)"),
    Spec("retention_mail_days", 30, int,
         help="db prune: days after delivery until a mail's body and .eml file are deleted (0: keep)"),
    Spec("retention_link_days", 30, int,
         help="db prune: days after use or expiry until password links and invitations are deleted (0: keep)"),
    Spec("retention_audit_days", 0, int,
         help="db prune: audit entries older than this many days are pseudonymised (0: off)"),
    Spec("metrics_token", None, secret=True,
         help="bearer token /metrics asks for (from the environment only); needed to bind it beyond 127.0.0.1"),
)
SPEC_BY_NAME = {s.name: s for s in SPECS}
CONFIG_ENV = "TENANTCTL_CONFIG"  # an explicit settings file, like --config FILE
# Secrets are never read from files that are likely to be committed.
ENV_ONLY = {"smtp_password", "metrics_token"}


def user_config_path() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("tenantctl")) / "config.toml"


def default_home() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("tenantctl"))


def _convert(spec: Spec, raw: Any, source: str) -> Any:
    if raw is None:
        return None
    try:
        if spec.kind is bool:
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off"}:
                return False
            raise ValueError(text)
        return spec.kind(raw)
    except (TypeError, ValueError):
        raise InvalidInput(
            f"setting {spec.name} from {source} has an invalid value {raw!r}",
            hint=f"expected {spec.kind.__name__}",
        ) from None


def check_trusted_file(path: Path, fh: Any) -> None:
    """Refuse a settings file that someone other than the current user could have written: owned by
    another user, or group- or world-writable. (POSIX only; checked on the open file, so a swap
    between check and read does not help.)"""
    if os.name != "posix":
        return
    info = os.fstat(fh.fileno())
    if info.st_uid != os.getuid():
        raise InvalidInput(f"settings file {path} is owned by another user, refused",
                           hint=f"chown $(id -un) {path} (or remove it)")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise InvalidInput(f"settings file {path} is writable by others, refused", hint=f"chmod 600 {path}")


def _read_toml(path: Path, *, required: bool = False) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            check_trusted_file(path, fh)
            data = tomllib.load(fh)
    except FileNotFoundError:
        if required:
            raise InvalidInput(f"settings file {path} does not exist",
                               hint="fix --config / TENANTCTL_CONFIG or create the file") from None
        return {}
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read settings file {path}: {exc}", hint="fix or remove the file") from None
    # accept both a flat file and a [tenantctl] table
    section = data.get("tenantctl", data)
    return {k.replace("-", "_"): v for k, v in section.items()}


@dataclass
class Settings:
    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    # the explicit settings file (--config / TENANTCTL_CONFIG) and where it was named
    config_file: tuple[str | None, str] = (None, "none")

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["values"][name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def home_path(self) -> Path:
        return Path(self.values["home"]).expanduser()

    @property
    def smtp_secret(self) -> str | None:
        if self.values.get("smtp_password"):
            return str(self.values["smtp_password"])
        file = self.values.get("smtp_password_file")
        if file:
            try:
                return Path(file).expanduser().read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise InvalidInput(f"cannot read smtp_password_file {file}: {exc.strerror}") from None
        return None

    def masked(self) -> list[dict[str, Any]]:
        path, source = self.config_file
        rows: list[dict[str, Any]] = [{"name": "config", "value": path, "source": source if path else "default"}]
        for spec in SPECS:
            value = self.values.get(spec.name)
            if spec.secret and value:
                value = mask_secret(str(value)) if spec.name == "database_url" else "********"
            rows.append({"name": spec.name, "value": value, "source": self.sources[spec.name]})
        return rows


def mask_secret(url: str) -> str:
    """A store URL with its password replaced, for messages and `config show`."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # a malformed URL: still never print its password
        import re

        return re.sub(r"(//[^:/@]*:)[^@]*@", r"\1***@", url)


def explicit_config(flags: dict[str, Any], environ: dict[str, str]) -> tuple[Path | None, str]:
    """The settings file named by --config (flag) or TENANTCTL_CONFIG (environment), if any."""
    if flags.get("config"):
        return Path(str(flags["config"])).expanduser(), "flag"
    if environ.get(CONFIG_ENV):
        return Path(environ[CONFIG_ENV]).expanduser(), "environment"
    return None, "none"


def load_settings(flags: dict[str, Any] | None = None, environ: dict[str, str] | None = None) -> Settings:
    environ = dict(os.environ) if environ is None else environ
    flags = {k: v for k, v in (flags or {}).items() if v is not None}
    config_file, config_source = explicit_config(flags, environ)
    layers: list[tuple[str, dict[str, Any]]] = [
        ("flag", flags),
        ("environment", {s.name: environ[s.env] for s in SPECS if environ.get(s.env) not in (None, "")}),
    ]
    if config_file is not None:
        layers.append((str(config_file), _read_toml(config_file, required=True)))
    layers.append((str(user_config_path()), _read_toml(user_config_path())))
    settings = Settings()
    settings.config_file = (str(config_file) if config_file else None, config_source)
    for spec in SPECS:
        for source, layer in layers:
            if spec.name in layer and not (spec.name in ENV_ONLY and source not in {"flag", "environment"}):
                settings.values[spec.name] = _convert(spec, layer[spec.name], source)
                settings.sources[spec.name] = source
                break
        else:
            settings.values[spec.name] = spec.default
            settings.sources[spec.name] = "default"
    if settings.values["home"] is None:
        settings.values["home"] = str(default_home())
    if settings.values["database_url"] is None:
        settings.values["database_url"] = "sqlite:///" + str(settings.home_path / "tenantctl.db")
        settings.sources["database_url"] = "default (sqlite in home)"
    _check_bounds(settings)
    return settings


def _check_bounds(settings: Settings) -> None:
    bounds = {"initial_link_days": (1, 30), "reset_link_hours": (1, 168), "mail_max_attempts": (1, 100),
              "mail_retry_seconds": (1, 3600), "mail_lease_seconds": (10, 86400),
              "retention_mail_days": (0, 36500), "retention_link_days": (0, 36500),
              "retention_audit_days": (0, 36500)}
    for name, (low, high) in bounds.items():
        value = settings.values[name]
        if not low <= value <= high:
            raise InvalidInput(
                f"setting {name}={value} ({settings.sources[name]}) is out of bounds",
                hint=f"choose a value from {low} to {high}",
            )
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(str(settings.values["time_zone"]))
    except (ValueError, KeyError, OSError):
        raise InvalidInput(f"time_zone {settings.values['time_zone']!r} ({settings.sources['time_zone']}) is not a "
                           "known time zone", hint="use a name like Europe/Berlin or UTC") from None
    for name in ("imprint_url", "privacy_url", "login_url"):
        url = settings.values[name]
        if url is not None and not str(url).startswith(("https://", "http://")):
            raise InvalidInput(f"setting {name}={url!r} ({settings.sources[name]}) is not a web address",
                               hint="give a full address starting with https://")
    if settings.values["mail_transport"] not in {"file", "smtp"}:
        raise InvalidInput(f"mail_transport must be file or smtp, not {settings.values['mail_transport']!r}")
    if settings.values["smtp_security"] not in {"none", "starttls", "tls"}:
        raise InvalidInput(
            f"smtp_security must be none, starttls or tls, not {settings.values['smtp_security']!r}"
        )
