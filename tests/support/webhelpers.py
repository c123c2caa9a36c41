"""Helpers for the web tests (import: from webhelpers import ...)."""

from __future__ import annotations

import html
import re
from typing import Any


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def text_of(page: str) -> str:
    """The page's visible text, tags removed and entities decoded, whitespace collapsed."""
    body = re.sub(r"(?s)<(head|style)>.*?</\1>", " ", page)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def open_link(client: Any, url: str) -> Any:
    """What a browser does with a mailed link: GET it, follow the refresh to the page without the token."""
    first = client.get(url)
    assert first.status_code == 200, first.text
    target = first.headers["refresh"].split("url=", 1)[1]
    assert "token" not in target
    return client.get(target)


def set_cookie(response: Any, name: str) -> str:
    """The Set-Cookie header for one cookie."""
    found = [h for h in response.headers.get_list("set-cookie") if h.startswith(name + "=")]
    assert len(found) == 1, response.headers.get_list("set-cookie")
    return str(found[0])
