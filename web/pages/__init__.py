"""The pages a mail's recipient opens. Server-rendered HTML (Jinja2, autoescaped), usable without
JavaScript; every form carries a CSRF token (web.pages.forms)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from tenantctl.store.errors import NotFound, TenantctlError
from tenantctl.web import i18n
from tenantctl.web.errors import TooManyRequests, headers_of, status_of

if TYPE_CHECKING:
    from jinja2 import Environment

WEB_DIR = Path(__file__).resolve().parent.parent


@cache
def environment() -> Environment:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(loader=FileSystemLoader(str(WEB_DIR / "templates")), undefined=StrictUndefined,
                      autoescape=select_autoescape(default=True), trim_blocks=True, lstrip_blocks=True)
    env.globals["say"] = i18n.say
    return env


def render(request: Request, template: str, *, language: str | None = None, status: int = 200,
           reseller: str | None = None, **context: Any) -> HTMLResponse:
    from tenantctl.web.pages import forms

    lang = i18n.choose(request, language)
    settings = request.app.state.runtime.settings
    token = forms.csrf_token(request)
    html = environment().get_template(template).render(
        lang=lang, t=i18n.texts(lang), platform_name=str(settings.mail_from_name), reseller=reseller,
        csrf=token, path=request.url.path, imprint_url=settings.imprint_url, privacy_url=settings.privacy_url,
        login_url=settings.login_url, keep_lang=i18n.explicit_query(request), **context)
    response = HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})
    forms.keep_csrf_cookie(request, response, token)
    return response


def error_page(request: Request, exc: TenantctlError) -> Response:
    lang = i18n.choose(request)
    t = i18n.texts(lang)
    status = status_of(exc)
    if isinstance(exc, TooManyRequests):
        message = t["error_rate"].format(seconds=exc.retry_after)
    elif isinstance(exc, NotFound):
        message = t["error_not_found"]
    elif status >= 500:
        message = t["error_generic"]
    else:
        from tenantctl.web import refusals

        message = refusals.message(exc, lang)
    response = render(request, "error.html", status=status, message=message, title=None)
    response.headers.update(headers_of(exc))
    return response


def not_found_page(request: Request) -> Response:
    """An unknown path outside the API: the site's own page, in the visitor's language."""
    t = i18n.texts(i18n.choose(request))
    return render(request, "error.html", status=404, title=t["not_found_title"], message=t["error_not_found"])


def request_error_page(request: Request, status: int, headers: Mapping[str, str] | None) -> Response:
    """Any other refusal of the HTTP layer outside the API (a POST to a page that only shows, 405):
    the site's own page in the visitor's language, not the API's JSON; an Allow header is kept."""
    t = i18n.texts(i18n.choose(request))
    response = render(request, "error.html", status=status, title=None,
                      message=t["error_generic"] if status >= 500 else t["error_request"])
    response.headers.update(headers or {})
    return response


def mount(app: FastAPI) -> None:
    from tenantctl.web.pages import home, invite, password

    app.mount("/static", StaticFiles(directory=str(WEB_DIR / "static")), name="static")
    for module in (home, password, invite):
        app.include_router(module.router)
