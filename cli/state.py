"""Global options of the current invocation (set by the root callback and by main())."""

from __future__ import annotations

from typing import Any

FLAGS: dict[str, Any] = {}
JSON_MODE = False
# warnings of the services (ctx.warnings): printed on stderr, or "warnings" in the JSON document
WARNINGS: list[str] = []
