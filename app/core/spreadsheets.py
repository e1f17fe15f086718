"""What a file for spreadsheets must hold to be opened safely: one home for the case exports and the ministries'
digest attachment.

A cell whose text begins like a formula (`=`, `+`, `-`, `@`, a tab or a carriage return) is written with a leading
apostrophe, so that a spreadsheet shows it instead of running it (CSV injection). A CSV begins with the UTF-8 byte
order mark, by which spreadsheets read it as UTF-8 (names with diacritics)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
UTF8_BOM = b"\xef\xbb\xbf"


def csv_cell(value: Any) -> str:
    """`value` as the text of a CSV cell: empty for None, ISO 8601 for dates and instants (to the second), and
    never a formula."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_START):
        return "'" + text  # a spreadsheet must not run a cell as a formula (CSV injection)
    return text
