"""A flat contact list (one row per person, the company repeated on each row) planned as companies,
people and memberships: the rows are grouped into companies (one per distinct customer number,
else per name), names are split where the list has one name column, and the result is a tenants
table and a users table for the usual planners. Rows that disagree about their company, and names
that cannot be split with certainty, are problems naming their rows."""

from __future__ import annotations

from dataclasses import dataclass, field

from tenantctl.store.imports.rows import Problem, Table
from tenantctl.store.imports.titles import without_titles

# the company's columns, compared across its rows
COMPANY_FIELDS = ("company", "customer_number", "external_id", "currency", "billing", "reseller")
USER_FIELDS = ("email", "role", "language", "access")
# a reference to the company planned from row N of the same table (not a text a cell can hold)
ROW_REF = "\x00row:"
_PARTICLES = {"von", "van", "de", "der", "den", "zu", "vom", "zum", "zur", "ter", "ten", "du", "da", "di", "del",
              "le", "la", "dos", "das", "mc"}


@dataclass
class Split:
    tenants: Table
    users: Table
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def split_name(text: str, last_first: bool) -> tuple[str, str] | str:
    """(first, last), or why the name cannot be split for certain. `Müller, Anna` is always
    certain; `Anna Müller` and `Karl von Müller` too; `Anna Maria Schulz` is not (a double first
    name or a double last name?)."""
    if "," in text:
        last, _, first = text.partition(",")
        if "," in first or not first.strip() or not last.strip():
            return f"name {text!r}: write it as 'Nachname, Vorname'"
        return without_titles(" ".join(first.split())), without_titles(" ".join(last.split()))
    if last_first:
        return f"name {text!r} has no comma: the column holds 'Nachname, Vorname'"
    words = without_titles(" ".join(text.replace("\u00a0", " ").split())).split()  # titles are dropped
    if len(words) < 2:
        return f"name {text!r} is one word: first and last name are needed"
    if len(words) == 2:
        return words[0], words[1]
    particle = next((i for i, w in enumerate(words) if i > 0 and w.casefold() in _PARTICLES), None)
    if particle is not None:  # `Karl von Müller`, `Anna Maria van der Berg`
        return " ".join(words[:particle]), " ".join(words[particle:])
    return (f"name {text!r} can be split more than one way (a double first or last name?): write it as "
            "'Nachname, Vorname', or use the columns Vorname and Nachname")


@dataclass
class _Cells:
    """The flat table's cells by field name, and its problems (each naming its row)."""

    table: Table
    pos: dict[str, int] = field(init=False)
    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.pos = {n: i for i, n in enumerate(self.table.names)}

    def problem(self, row: int, name: str, message: str) -> None:
        self.problems.append(Problem(self.table.sheet, row, self.table.header_of(name), message))

    def get(self, values: tuple[str | None, ...], name: str) -> str | None:
        i = self.pos.get(name)
        return values[i] if i is not None else None


def split_contacts(table: Table) -> Split:
    cells = _Cells(table)
    company_of = _group_companies(cells)
    attrs = _company_fields(cells, company_of)
    tenants, firsts = _tenants_table(cells, attrs, company_of)
    users, notes = _users_table(cells, company_of)
    people = len({(cells.get(v, "email") or f"row {r}").casefold() for r, v in table.rows})
    notes.insert(0, f"read as a flat contact list: {len(firsts)} companies, {people} people")
    notes.extend(table.notes)
    return Split(tenants, users, notes, cells.problems)


def _group_companies(cells: _Cells) -> dict[int, int]:
    """row → the first row of its company: one company per distinct customer number, else per name."""
    groups: dict[tuple[str, str], int] = {}    # (number|name, value) → first row
    by_name: dict[str, set[int]] = {}          # company name → first rows of numbered groups
    company_of: dict[int, int] = {}            # row → first row of its company
    for rownum, values in cells.table.rows:
        number, company = cells.get(values, "customer_number"), cells.get(values, "company")
        if number:
            ident = ("number", number)
        elif company:
            ident = ("name", company.casefold())
        else:
            cells.problem(rownum, "company", "no company: the company name and the customer number are empty")
            continue
        first = groups.setdefault(ident, rownum)
        company_of[rownum] = first
        if number and company:
            by_name.setdefault(company.casefold(), set()).add(first)
    # rows naming a company without its number join the one numbered company of that name
    for ident, first in list(groups.items()):
        if ident[0] == "name" and len(numbered := by_name.get(ident[1], set())) == 1:
            (target,) = numbered
            for row, f in company_of.items():
                if f == first:
                    company_of[row] = target
            del groups[ident]
    return company_of


def _company_fields(cells: _Cells, company_of: dict[int, int]) -> dict[int, dict[str, tuple[str, int]]]:
    """first row → field → (value, row it came from); a row that disagrees with its company's
    earlier rows is a problem."""
    h, get = cells.table.header_of, cells.get
    attrs: dict[int, dict[str, tuple[str, int]]] = {}
    for rownum, values in cells.table.rows:
        head = company_of.get(rownum)
        if head is None:
            continue
        known = attrs.setdefault(head, {})
        for name in COMPANY_FIELDS:
            value = get(values, name)
            if not value:
                continue
            seen = known.get(name)
            if seen is None:
                known[name] = (value, rownum)
            elif seen[0] != value and not (name == "company" and seen[0].casefold() == value.casefold()):
                which = f"customer number {get(values, 'customer_number')}" if get(
                    values, "customer_number") else "the same company"
                cells.problem(rownum, name, f"{h(name)} {value!r} differs from row {seen[1]} ({seen[0]!r}) for "
                              f"{which}: one company has one value")
    return attrs


def _tenants_table(cells: _Cells, attrs: dict[int, dict[str, tuple[str, int]]],
                   company_of: dict[int, int]) -> tuple[Table, list[int]]:
    """The companies as a tenants table (one row each, at its first row), and those first rows."""
    table = cells.table
    firsts = sorted(set(company_of.values()))
    t_names = tuple(n for n in COMPANY_FIELDS if n in cells.pos)
    t_fields = {("name" if n == "company" else n): table.fields[n] for n in t_names}
    tenants = Table("tenants", table.sheet, table.header_row, table.headers,
                    {**t_fields, "kind": next(iter(t_fields.values()), 0)})  # every company is a customer
    for first in firsts:
        known = attrs.get(first, {})
        tenants.rows.append((first, (*(known[n][0] if n in known else None for n in t_names), "customer")))
        if (first, "customer_number") in table.numbers:
            tenants.numbers.add((first, "customer_number"))
    # companies named by their number only have no name: a look-up of stored customers (a number
    # is never made a company's name)
    return tenants, firsts


def _users_table(cells: _Cells, company_of: dict[int, int]) -> tuple[Table, list[str]]:
    """The people as a users table, each naming its company's row; names split where the list has
    one name column (the notes say how)."""
    table, pos, get = cells.table, cells.pos, cells.get
    name_col = "last_first" if "last_first" in pos else "full_name" if "full_name" in pos else None
    split_from = None if {"first_name", "last_name"} <= set(pos) else name_col
    u_fields = {"first_name": table.fields.get("first_name", table.fields.get(split_from or "", 0)),
                "last_name": table.fields.get("last_name", table.fields.get(split_from or "", 0))}
    u_fields.update({n: table.fields[n] for n in USER_FIELDS if n in pos})
    u_fields["tenant"] = table.fields.get("company", table.fields.get("customer_number", 0))
    users = Table("users", table.sheet, table.header_row, table.headers, u_fields)
    split_rows, unclear, example = 0, 0, ""
    titled: list[str] = []
    rest = [n for n in USER_FIELDS if n in pos]
    for rownum, values in table.rows:
        first_name, last_name = get(values, "first_name"), get(values, "last_name")
        raw = get(values, split_from) if split_from is not None else None
        if split_from is not None and raw:
            parts = split_name(raw, split_from == "last_first")
            if isinstance(parts, str):
                cells.problem(rownum, split_from, parts)
                unclear += 1
                first_name = last_name = raw  # refused by its problem, not also as an "empty name"
            else:
                first_name, last_name = parts
                split_rows += 1
                example = example or f"row {rownum}: {raw!r} → {first_name} | {last_name}"
                if len(raw.replace(",", " ").split()) > len(f"{first_name} {last_name}".split()):
                    titled.append(f"row {rownum}: {raw!r} → {first_name} | {last_name}")
        company_row = company_of.get(rownum)
        ref = f"{ROW_REF}{company_row}" if company_row is not None else None
        users.rows.append((rownum, (first_name, last_name, *(get(values, n) for n in rest), ref)))
    notes: list[str] = []
    if split_from is not None:
        notes.append(f"column {table.header_of(split_from)!r} split into first and last names in {split_rows} rows "
                     f"({example})" + (f"; {unclear} could not be split for certain (reported)" if unclear else ""))
    if titled:
        notes.append(f"titles dropped from {len(titled)} names ({', '.join(titled[:3])}"
                     f"{', …' if len(titled) > 3 else ''}); tenantctl keeps no titles, and logins never contain them")
    return users, notes
