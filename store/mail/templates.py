"""Rendering a mail template for the store and the CLI: mail_templates' own error becomes the
store's (an unknown template is not found; a broken or refused one is invalid input)."""

from __future__ import annotations

from typing import Any

from tenantctl.store.errors import InvalidInput, NotFound


def render(template: str, language: str, context: dict[str, Any],
           templates_dir: str | None = None) -> tuple[str, str, str]:
    from tenantctl.mail_templates import TemplateError
    from tenantctl.mail_templates import render as render_template

    try:
        return render_template(template, language, context, templates_dir)
    except TemplateError as exc:
        kind = NotFound if exc.missing else InvalidInput
        raise kind(exc.message, hint=exc.hint) from None
