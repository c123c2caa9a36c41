"""Unicode NFC for text that enters tenantctl. A Mac writes `ü` as `u` + a combining diaeresis
(NFD); stored so, a name looks like its NFC twin but compares unequal: a look-alike duplicate
company, a search for `Müller` that finds nothing. Every face normalises at its entry: command-line
arguments (cli/main.py), HTTP API bodies and query strings (web/api/nfc.py), file cells
(importers/read.py), documents (importers/document/)."""

from __future__ import annotations

from typing import Any
from unicodedata import is_normalized, normalize


def nfc(text: str) -> str:
    """`text` in NFC; ASCII and text already in NFC are returned as they are (no copy)."""
    if text.isascii() or is_normalized("NFC", text):
        return text
    return normalize("NFC", text)


def nfc_deep(value: Any) -> Any:
    """Every string inside a parsed JSON/YAML value (keys included) in NFC."""
    if isinstance(value, str):
        return nfc(value)
    if isinstance(value, dict):
        return {nfc_deep(k): nfc_deep(v) for k, v in value.items()}
    if isinstance(value, list):
        return [nfc_deep(v) for v in value]
    return value
