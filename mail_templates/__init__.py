"""The one Jinja2 Environment that renders every mail, and `render()`.

Layout: `mail_templates/<lang>/<name>.subject.txt`, `<name>.txt`, `<name>.html` (lang de, en).
An operator can override any of these files by putting a file with the same relative path into
the folder named by the `templates_dir` setting. Templates render in Jinja2's SandboxedEnvironment:
an override is data, not code (no attribute walk to `__globals__`, no calls of unsafe methods).
StrictUndefined: a variable the context lacks is
an error (named with file and line), never an empty string. HTML is autoescaped, text is not."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinja2 import Environment

PACKAGE_DIR = Path(__file__).parent


class TemplateError(Exception):
    """A template that is missing (missing=True) or cannot be rendered. This package imports
    nothing from the project (a layer contract); store/mail/templates.py maps it to the store's
    errors (NotFound, InvalidInput)."""

    def __init__(self, message: str, hint: str, *, missing: bool = False) -> None:
        super().__init__(message)
        self.message, self.hint, self.missing = message, hint, missing
LANGUAGES = ("de", "en")
PARTS = ("subject.txt", "txt", "html")
# what the layouts show when the sender identity does not set it (delivery fills these in)
OPTIONAL: dict[str, Any] = {"signature": None, "imprint": [], "reseller_name": None, "time_zone": None,
                             "imprint_url": None, "privacy_url": None}


@cache
def environment(templates_dir: str | None = None) -> Environment:
    from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
    from jinja2.sandbox import SandboxedEnvironment

    loaders = []
    if templates_dir:
        loaders.append(FileSystemLoader(str(Path(templates_dir).expanduser())))
    loaders.append(FileSystemLoader(str(PACKAGE_DIR)))
    env = SandboxedEnvironment(
        loader=ChoiceLoader(loaders),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False, default=False),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters["when"] = pass_context(_when)
    env.filters["breakable"] = breakable
    env.filters["full_stop"] = full_stop
    return env


def full_stop(name: Any) -> str:
    """A name that ends a sentence: "Blumenhaus Sonnenschein e.K." gets no second period."""
    text = str(name)
    return text if text.endswith(".") else text + "."


def breakable(url: str) -> Any:
    """A link shown as text in HTML that wraps only after a '/', '?', '&', '=' or '.' of its path
    (a <wbr> there, nothing that copies along), never inside "https://": a narrow screen must not
    show "htt p://". Escaped like any value."""
    from markupsafe import Markup, escape

    scheme, sep, rest = str(url).partition("://")
    if not sep:
        scheme, rest = "", str(url)
    parts = re.split(r"(?<=[/?&=.])", rest)
    return Markup(escape(scheme + sep)) + Markup("<wbr>").join(escape(part) for part in parts if part)


def _when(context: Any, value: Any) -> str:
    """`{{ expires_at|when }}`: a moment in the recipient's language and the time zone setting, in
    the one format per language (mail_templates.dates). Text that is no timestamp is shown as is."""
    from tenantctl.mail_templates.dates import format_datetime

    try:
        return format_datetime(value, str(context.get("language") or "de"), context.get("time_zone"))
    except (TypeError, ValueError):
        return str(value)


def template_names(templates_dir: str | None = None) -> list[str]:
    """Every template name shipped (or added by an override folder), e.g. password_link_initial."""
    names: set[str] = set()
    for root in [PACKAGE_DIR] + ([Path(templates_dir).expanduser()] if templates_dir else []):
        for lang in LANGUAGES:
            for path in (root / lang).glob("*.subject.txt"):
                names.add(path.name[: -len(".subject.txt")])
    return sorted(names)


def _where(exc: BaseException, fallback: str) -> str:
    """file:line of the template frame that raised (Jinja rewrites tracebacks to template lines)."""
    tb = exc.__traceback__
    found = None
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.endswith((".txt", ".html")):
            found = f"{name}:{tb.tb_lineno}"
        tb = tb.tb_next
    return found or fallback


def render(template: str, language: str, context: dict[str, Any],
           templates_dir: str | None = None) -> tuple[str, str, str]:
    """(subject, text, html) of one mail. Raises TemplateError: missing for an unknown template or
    language, otherwise (with file and line) for a syntax error, an unknown variable or code the
    sandbox refused."""
    from jinja2 import TemplateNotFound, TemplateSyntaxError, UndefinedError
    from jinja2.sandbox import SecurityError

    env = environment(templates_dir)
    out: list[str] = []
    for part in PARTS:
        name = f"{language}/{template}.{part}"
        try:
            tpl = env.get_template(name)
        except TemplateNotFound:
            raise TemplateError(f"no mail template {template!r} in language {language!r} ({name} is missing)",
                                hint="see tenantctl mail preview --help for the template names",
                                missing=True) from None
        except TemplateSyntaxError as exc:
            where = f"{exc.filename or name}:{exc.lineno}"
            raise TemplateError(f"mail template {where} has a syntax error: {exc.message}",
                                hint="fix the template (or remove the override)") from None
        try:
            out.append(tpl.render({**OPTIONAL, **context, "language": language}))
        except SecurityError as exc:
            where = _where(exc, tpl.filename or name)
            raise TemplateError(f"mail template {where} was refused by the sandbox: {exc}",
                                hint="templates may use only the variables listed in docs/mail.md") from None
        except UndefinedError as exc:
            where = _where(exc, tpl.filename or name)
            raise TemplateError(f"mail template {where} uses an unknown variable: {exc.message}",
                                hint="use only the variables listed in docs/mail.md") from None
        except TemplateSyntaxError as exc:  # e.g. an {% include %} of a broken file
            where = f"{exc.filename or name}:{exc.lineno}"
            raise TemplateError(f"mail template {where} has a syntax error: {exc.message}",
                                hint="fix the template (or remove the override)") from None
    subject = " ".join(out[0].split())  # one line: no header injection through a variable
    return subject, out[1], out[2]
