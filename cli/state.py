"""Global options of the current invocation (set by the root callback and by main())."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tenantctl.cli.remote import Remote

FLAGS: dict[str, Any] = {}
JSON_MODE = False
# the zone times are shown in (cli/formats.py), read once per command
ZONE: Any = None
# a list's -q or -o yaml: stdout holds the keys or the document alone, stderr stays empty
SILENT = False
# set when the command runs against a server (--server, TENANTCTL_SERVER, or a saved login)
REMOTE: Remote | None = None
# warnings of the services (ctx.warnings): printed on stderr, or "warnings" in the JSON document
WARNINGS: list[str] = []
# the one JSON document of this command was written (a second one would break `| jq`)
JSON_EMITTED = False
# what the command committed, said if it is interrupted afterwards (Ctrl-C during mail delivery)
COMMITTED: str | None = None
# a committed change's mail could not be delivered (it stays queued): exit 6 with the result
DELIVERY_PENDING = False
