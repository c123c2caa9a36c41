#!/usr/bin/env bash
# Scenario S1 through the real CLI (operator, one reseller, two customers, five users), then
# scenario S2: the migration of examples/migration.xlsx (made by examples/make_migration_workbook.py).
set -euo pipefail
echo "== store: $TENANTCTL_HOME; links in mails: ${TENANTCTL_BASE_URL:=http://127.0.0.1:8080}"
export TENANTCTL_BASE_URL
tenantctl init --admin-email ops@platform.example --admin-first-name Olga --admin-last-name Peters
tenantctl tenant create "ACME Reseller AG" --kind reseller --key acme
tenantctl user create --tenant acme --first-name Rita --last-name Schröder --email rita@acme.example --role admin
# the reseller's admin sets up its customers
export TENANTCTL_ACTOR=rita.schroeder
tenantctl tenant create "Müller & Söhne GmbH" --kind customer --customer-number 10001 --currency EUR
tenantctl tenant create "Bäckerei Weiß KG" --kind customer --customer-number 10002 --currency EUR --billing reseller
tenantctl user create --tenant mueller-soehne-gmbh --first-name Max --last-name Müller --email max@mueller.example --role admin
tenantctl user create --tenant mueller-soehne-gmbh --first-name Zoë --last-name Łukasiewicz --email zoe@mueller.example
tenantctl user create --tenant baeckerei-weiss-kg --first-name "José María" --last-name "O'Brien" --email jose@weiss.example --role admin
tenantctl member add max@mueller.example --tenant baeckerei-weiss-kg --role member
unset TENANTCTL_ACTOR
echo "== tenants"
tenantctl tenant list
echo "== users"
tenantctl user list
echo "== members of mueller-soehne-gmbh"
tenantctl member list --tenant mueller-soehne-gmbh

# -- Scenario S2: migration of two resellers' customers from a workbook ---------------------------
echo
echo "== S2: the application catalogue the workbook refers to"
for app in Lohnbuchhaltung Zeiterfassung Dokumente; do tenantctl app create "$app"; done
echo "== S2: dry-run of examples/migration.xlsx (nothing is written)"
tenantctl import run examples/migration.xlsx --dry-run
echo "== S2: the import, with initial password links for every user it creates"
tenantctl import run examples/migration.xlsx --send-links
echo "== S2: the same file again: every row unchanged, nothing written"
tenantctl import run examples/migration.xlsx
echo "== S2: summary"
tenantctl import list
tenantctl tenant list --reseller nordlicht
tenantctl tenant list --reseller suedwind
tenantctl app list

# -- A flat CRM export: one row per person, the company repeated on each row ---------------------
echo
echo "== flat contact list examples/crm-kontakte.xlsx (made by examples/make_flat_export.py): dry-run"
export TENANTCTL_ACTOR=rita.schroeder
tenantctl import run examples/crm-kontakte.xlsx --dry-run
echo "== flat contact list: the import (companies under the reseller acme, people, memberships)"
tenantctl import run examples/crm-kontakte.xlsx
unset TENANTCTL_ACTOR
tenantctl member list --tenant sanitaer-gross-e-k
echo "password-link mails in the file outbox ($TENANTCTL_HOME/outbox): $(find "$TENANTCTL_HOME/outbox" -name '*.eml' | wc -l)"

# -- The links in the mails work: base_url is the local `tenantctl serve` ------------------------
echo
echo "== the pages behind the links: a briefly started tenantctl serve on $TENANTCTL_BASE_URL"
port="${TENANTCTL_BASE_URL##*:}"
tenantctl serve --host 127.0.0.1 --port "$port" 2>"$TENANTCTL_HOME/serve.log" &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
python - "$TENANTCTL_HOME/outbox" "$TENANTCTL_BASE_URL" <<'PY'
"""Wait for the server, take the link out of one .eml, open it as a browser would (GET, then the
refresh to the page without the token) and check the set-password page answers."""
import email
import re
import sys
import time
import urllib.request
from email.policy import default
from http.cookiejar import CookieJar
from pathlib import Path

outbox, base = Path(sys.argv[1]), sys.argv[2]
for _ in range(100):
    try:
        urllib.request.urlopen(base + "/", timeout=1)
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit(f"tenantctl serve did not answer on {base} (see serve.log)")
for path in sorted(outbox.glob("*.eml")):
    mail = email.message_from_bytes(path.read_bytes(), policy=default)
    found = re.search(re.escape(base) + r"/password/set\?token=\S+", mail.get_body(("plain",)).get_content())
    if found:
        link = found.group(0)
        break
else:
    sys.exit(f"no password link to {base} in {outbox}")
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
first = opener.open(link, timeout=10)
target = first.headers["Refresh"].split("url=", 1)[1]
page = opener.open(base + target, timeout=10).read().decode()
assert first.status == 200 and "Passwort festlegen" in page, page[:500]
print(f"GET {link.split('token=')[0]}token=… -> {first.status}, then {target}: the set-password page for "
      f"{mail['To']} (nothing used: the link still works)")
PY
kill "$server"
wait "$server" 2>/dev/null || true
trap - EXIT
echo "the links in $TENANTCTL_HOME/outbox work while this runs:"
echo "  TENANTCTL_HOME=$TENANTCTL_HOME TENANTCTL_BASE_URL=$TENANTCTL_BASE_URL tenantctl serve --port $port"

# -- Desired state: a reseller's setup.yaml applied twice, then the plan of an edit -----------------
echo
echo "== apply: examples/setup.yaml for reseller nordlicht (--var RESELLER=nordlicht; CURRENCY defaults to EUR)"
tenantctl apply -f examples/setup.yaml --var RESELLER=nordlicht --dry-run
tenantctl apply -f examples/setup.yaml --var RESELLER=nordlicht --send-links
echo "== apply: the same file again (every object unchanged, exit 0)"
tenantctl apply -f examples/setup.yaml --var RESELLER=nordlicht
echo "== apply: the plan of an edit (a renamed customer, a new user), nothing written"
edited="$TENANTCTL_HOME/setup-edited.yaml"
sed -e 's/name: Gärtnerei Sonnenschein GmbH/name: Gärtnerei Sonnenschein \& Söhne GmbH/' \
    -e 's/role: billing}/role: billing}\n      - {email: mia.kraus@sonnenschein.example, first_name: Mia, last_name: Kraus}/' \
    examples/setup.yaml > "$edited"
tenantctl apply -f "$edited" --var RESELLER=nordlicht --dry-run
echo "== apply: the round trip (export -o yaml, then apply: unchanged)"
tenantctl export -o yaml --tenant nordlicht > "$TENANTCTL_HOME/export.yaml"
tenantctl apply -f "$TENANTCTL_HOME/export.yaml"
