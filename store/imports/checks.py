"""The cell rules of store/rules.py with fast paths and caches for 100,000 rows (names, roles and
languages repeat; most e-mail addresses are plain ASCII). Each fast path gives the rule's own result
(tests check both agree); anything unusual goes through the rule itself."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from contextlib import suppress
from functools import lru_cache
from itertools import chain
from typing import TYPE_CHECKING, Any

from sqlalchemy import select as _select

from tenantctl.store import rules
from tenantctl.store.choices import check_choice
from tenantctl.store.errors import InvalidInput
from tenantctl.store.imports.damage import damage_over
from tenantctl.store.imports.plan import RowPlan
from tenantctl.store.imports.rows import Table

if TYPE_CHECKING:
    import polars as pl

CHUNK = 5_000
BULK_LOAD = 20_000  # above this many keys, one scan of the table beats IN-lists
# Fast e-mail path: plain ASCII addresses that email-validator accepts unchanged except for the
# domain's case. Everything else goes through rules.normalise_email (the fast path is ~10x faster
# than email-validator per row, docs/import.md).
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
# the last label ends with a letter: email-validator refuses a top-level domain ending with a digit
_DOMAIN = r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9-]{0,61}[A-Za-z]"
_EMAIL_FAST = re.compile(rf"^(?=.{{1,64}}@){_LOCAL}@(?=.{{1,253}}$){_DOMAIN}$")
# the same for polars (Rust's regex has no look-ahead: the lengths are checked apart, see fast_emails)
_EMAIL_FAST_COLUMNS = f"^{_LOCAL}@{_DOMAIN}$"
_SPECIAL_TLDS = frozenset({"arpa", "invalid", "local", "localhost", "onion", "test"})



def select(*entities: Any) -> Any:
    """sqlalchemy.select, typed loosely: SQLModel's str-typed columns confuse its overloads."""
    return _select(*entities)


def normalise_email(value: str) -> str:
    """Same result as rules.normalise_email; ASCII addresses take a fast path (a test checks both agree)."""
    text = value.strip()
    if len(text) <= 254 and _EMAIL_FAST.match(text):
        local, _, domain = text.rpartition("@")
        lowered = domain.lower()
        # `--` (Punycode `xn--`, or a label email-validator refuses such as `ab--c`): the rule decides
        if lowered.rpartition(".")[2] not in _SPECIAL_TLDS and "--" not in lowered:
            return text if lowered == domain else f"{local}@{lowered}"  # no copy of 100,000 addresses
    return rules.normalise_email(text)


def fast_email_lists(values: list[str | None]) -> tuple[list[str | None], list[str | None]]:
    """normalise_email's fast path and rules.email_key for many values, by position, without two
    calls per value: None where the rule itself must decide."""
    fullmatch, special = _EMAIL_FAST.fullmatch, _SPECIAL_TLDS
    emails: list[str | None] = []
    keys: list[str | None] = []
    for value in values:
        # fullmatch (`$` alone passes a trailing newline): a match has no space around it, so it
        # is its own strip()
        if value and len(value) <= 254 and fullmatch(value):
            local, _, domain = value.rpartition("@")
            lowered = domain.lower()
            if lowered.rpartition(".")[2] not in special and "--" not in lowered:
                e = value if lowered == domain else f"{local}@{lowered}"
                emails.append(e)
                keys.append(e if e.islower() else rules.email_key(e))  # ASCII: its own key when lower case
                continue
        emails.append(None)
        keys.append(None)
    return emails, keys


def fast_emails(raw: pl.Series) -> pl.DataFrame:
    """normalise_email's fast path and rules.email_key in columns, one row per value of `raw`:
    `ok` (the fast path takes it), `email` and `key`, each null where it is the value itself (the
    caller keeps the value's own string) or where `ok` is false (the rule decides, per value)."""
    import polars as pl

    # a match has no space around it (the classes hold none), so it is its own strip()
    frame = pl.DataFrame({"v": raw.cast(pl.String)}).lazy().with_columns(
        local=pl.col("v").str.extract(r"^([^@]*)@", 1), domain=pl.col("v").str.extract(r"@([^@]*)$", 1))
    lowered = pl.col("domain").str.to_lowercase()
    tld = lowered.str.extract(r"([^.]*)$", 1)
    # all ASCII when it matches: bytes are characters
    ok = (pl.col("v").str.contains(_EMAIL_FAST_COLUMNS) & (pl.col("v").str.len_bytes() <= 254)
          & (pl.col("local").str.len_bytes() <= 64) & (pl.col("domain").str.len_bytes() <= 253)
          & ~tld.is_in(list(_SPECIAL_TLDS)) & ~lowered.str.contains("--", literal=True)).fill_null(False)
    email = pl.concat_str(pl.col("local"), pl.lit("@"), lowered)
    # rules.email_key is casefold(), which for ASCII text is lower()
    key = email.str.to_lowercase()
    return frame.select(
        ok.alias("ok"),
        pl.when(ok & (email != pl.col("v"))).then(email).alias("email"),
        pl.when(ok & (key != email)).then(key).alias("key"),
    ).collect()


def chunks(items: list[Any], n: int = CHUNK) -> Iterator[list[Any]]:
    for i in range(0, len(items), n):
        yield items[i:i + n]


def split_list(text: str | None) -> list[str]:
    if not text:
        return []
    return [p.strip() for p in re.split(r"[,;\n]", text) if p.strip()]


class Handles:
    """Unique tenant keys and logins for many new objects: the semantics of
    tenants.unique_tenant_key and users.unique_login (base, base-2 / base2, …, the smallest free
    one, same rules functions), but remembering per base where the search stopped, so that 250
    people called Max Müller cost 250 steps, not 250²/2 (a test checks both agree)."""

    def __init__(self, taken: set[str], sep: str, limit: int) -> None:
        self.taken, self.sep, self.limit = taken, sep, limit
        self.next: dict[str, int] = {}

    def allocate(self, base: str) -> str:
        n = self.next.get(base, 1)
        while (candidate := rules.with_suffix(base, n, self.sep, self.limit)) in self.taken:
            n += 1
        self.next[base] = n + 1  # candidate n is taken from now on
        self.taken.add(candidate)
        return candidate

    def settle(self, wanted: Mapping[str, int], others: AbstractSet[str], asks: int
               ) -> tuple[set[str], dict[str, list[str]]]:
        """Handles for whole bases at once: `wanted` counts the rows of each base that the caller
        gives the handles to, in file order; `others` are the bases further rows may ask `allocate`
        for in their turn (such a base is left to them); `asks`, how many rows may ask in all. A
        base's handles are `allocate`'s (base, base2 / base-2, …: the first free ones) in any order
        of the turns when no other base can reach its candidates: it ends with a letter, its
        suffixes stay within the limit (no cut), and no other base that ends otherwise, or is that
        long, starts with it (docs/import.md, "Keys and logins by name"). Returns the bases one row
        asks for that are their own handle (most, for distinct names), and the others' handles in
        order; the bases left out are asked for row by row."""
        reach = len(self.sep) + len(str(asks + len(self.taken) + 1))  # the longest suffix any row can reach
        taken, limit, sep, nxt = self.taken, self.limit - reach, self.sep, self.next
        edges = sorted(b for b in chain(wanted, others) if not b[-1:].isalpha() or len(b) > limit)
        ones = {b for b, n in wanted.items() if n == 1}.difference(taken, nxt, others)
        ones = {b for b in ones if b[-1:].isalpha() and len(b) <= limit and not (edges and _starts(edges, b))}
        taken.update(ones)
        nxt.update(dict.fromkeys(ones, 2))
        series: dict[str, list[str]] = {}
        for base, n in wanted.items():
            if base in ones or base in nxt or base in others or not base[-1:].isalpha() or len(base) > limit \
                    or (edges and _starts(edges, base)):
                continue
            handles = [h for h in [base, *[f"{base}{sep}{i}" for i in range(2, n + 1)]] if h not in taken]
            last = n
            while len(handles) < n:  # stored ones among the first n: the next free ones
                last += 1
                if (h := f"{base}{sep}{last}") not in taken:
                    handles.append(h)
            taken.update(handles)
            nxt[base] = last + 1  # as `allocate` leaves it after its last one
            series[base] = handles
        return ones, series


def _starts(sorted_bases: list[str], prefix: str) -> bool:
    """Whether one of the sorted bases starts with `prefix`."""
    at = bisect_left(sorted_bases, prefix)
    return at < len(sorted_bases) and sorted_bases[at].startswith(prefix)


# Names repeat in a real file (a few thousand distinct first and last names in 100,000 rows); a file
# whose names are all distinct fills a cache with entries never asked again (~150 bytes each: 65,536
# of them in each of these caches held ~40 MB at the plan's peak, measured on a refused 100,000-row
# workbook). 8,192 entries keep the repeating names at ~1 MB a cache.
NAMES_CACHED = 8_192
_slug = lru_cache(maxsize=NAMES_CACHED)(rules.slug)


@lru_cache(maxsize=NAMES_CACHED)
def login_base(first_name: str, last_name: str) -> str:
    """rules.login_base and its reserved check, cached per name pair (raises the rule's error)."""
    base = ".".join(p for p in (_slug(first_name), _slug(last_name)) if p)[:100]
    if not base:
        base = rules.login_base(first_name, last_name)  # raises with the rule's message
    # reserved: a reserved word, words that all are, or an erased person's pseudonym; a first word
    # that is none (most logins) settles it without the rule
    if base.partition(".")[0] in rules.RESERVED_LOGINS or base.startswith("erased-"):
        rules.check_login_not_reserved(base)  # raises (not cached) for a reserved login
    return base


def login_for(handles: Handles, first_name: str, last_name: str) -> str:
    """users.unique_login's derivation (rules.login_base, reserved check) with the base cached per
    name pair: 100,000 users share a few thousand first and last names."""
    return handles.allocate(login_base(first_name, last_name))


@lru_cache(maxsize=NAMES_CACHED)
def _clean_name_cached(value: str, field: str) -> str:
    text = " ".join(value.split())
    if text and len(text) <= rules.NAME_MAX and text.isprintable():
        return text  # isprintable() is False for every category rules.clean_name refuses
    return rules.clean_name(value, field)


def clean_name(value: str | None, field: str) -> str:
    """rules.clean_name with a fast path and a cache (names repeat across 100,000 rows)."""
    return _clean_name_cached(value or "", field)


_CHOICES: dict[Any, frozenset[str]] = {}


def _allowed(enum: Any) -> frozenset[str]:
    allowed = _CHOICES.get(enum)
    if allowed is None:
        allowed = _CHOICES[enum] = frozenset(e.value for e in enum)
    return allowed


def choice(value: str | None, enum: Any, field: str) -> str | None:
    """tenants.check_choice (same message) without building the set of choices per row."""
    if value is None:
        return None
    return value if value in _allowed(enum) else check_choice(value, enum, field)


def check(plan: RowPlan, column: str | None, fn: Callable[..., Any], *args: Any) -> Any:
    try:
        return fn(*args)
    except Exception as exc:  # a rule's InvalidInput/Conflict: the row's problem
        if not hasattr(exc, "message"):
            raise
        plan.error(column, exc.message)
        return None



def lost_zeros(table: Table, name: str) -> set[int]:
    """Rows whose number cell in an identifier column is shorter than the column's usual length:
    `1067` among five-digit numbers lost its leading zero when the column was formatted as number."""
    if name not in table.fields:
        return set()
    pos = table.names.index(name)
    values = [(r, str(v[pos])) for r, v in table.rows if v[pos]]
    lengths = Counter(len(v) for _, v in values if v.isdigit())
    if not lengths:
        return set()
    usual, count = lengths.most_common(1)[0]
    has_zero = any(v.startswith("0") for _, v in values)
    return {r for r, v in values if v.isdigit() and len(v) < usual and ((r, name) in table.numbers or has_zero)
            and count >= 2}


def valid(values: Iterable[Any], fn: Callable[[Any], Any]) -> dict[Any, Any]:
    """{value: fn(value)} for the distinct values that pass fn; a row whose value is missing here
    calls fn itself to get the rule's message (names, roles and languages repeat across rows)."""
    out: dict[Any, Any] = {}
    for v in set(values):
        with suppress(InvalidInput):
            out[v] = fn(v)
    return out


# a cell whose distinct value failed its rule (the row then asks the rule for its message)
INVALID: Any = object()


def normalised_or_error(i: int, value: str | None, errors: dict[int, str]) -> str | None:
    try:
        return normalise_email(value or "")
    except InvalidInput as exc:
        errors[i] = exc.message
        return None



def refuse_damaged(plan: RowPlan, column: str | None, what: str, new: str, old: str) -> bool:
    """An update may not replace a correct stored name with a damaged one (`?ukasz` over `Łukasz`,
    `MÃ¼ller` over `Müller`): the row is refused, naming both and the way out. True if refused."""
    why = damage_over(new, old)
    if why is None:
        return False
    plan.error(column, f"{what} {new!r} would replace the stored {old!r}, but it looks damaged ({why}); "
               "read the file with the right --encoding, or save it as 'CSV UTF-8' / .xlsx")
    return True
