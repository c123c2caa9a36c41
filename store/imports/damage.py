"""A stored name replaced by a damaged copy of itself: exact comparisons with what the store holds
(the file-side detector of damaged text is store/damaged_text.py)."""

from __future__ import annotations

from tenantctl.store.damaged_text import damaged_text, is_damaged


def damaged_version_of(new: str, old: str) -> str | None:
    """How `new` is `old` damaged (a '?' for each letter Excel could not store, or a wrong
    encoding's rendering), or None. Exact: compares with the stored text, no guessing."""
    if new == old or not old or old.isascii():
        return None
    if len(new) == len(old) and "?" in new and all(
            a == b or (a == "?" and not b.isascii()) for a, b in zip(new, old, strict=True)):
        return f"{old!r} with its letters outside Windows-1252 replaced by '?'"
    for wrong, right in (("utf-8", "cp1252"), ("utf-8", "latin-1"), ("mac_roman", "cp1252"), ("cp850", "cp1252")):
        try:
            if old.encode(wrong).decode(right) == new:
                return f"{old!r} in {wrong} read as {right}"
        except UnicodeError:
            continue
    return None


def damage_over(new: str, old: str) -> str | None:
    """Why `new` must not replace the stored `old`: a damaged copy of it, or damaged text (certain)
    over a stored text that is not."""
    why = damaged_version_of(new, old)
    if why is None and is_damaged(new) and not is_damaged(old):
        found = damaged_text(new)
        why = {"lost": "a letter was replaced by '?'", "utf-8": "UTF-8 read as Windows-1252",
               "mac-roman": "Mac Roman read as Windows-1252"}[found.reading] if found else None
    return why
