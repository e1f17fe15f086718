"""What an email address is, for every place that takes one from configuration or data (one rule).

The rule is marshmallow's `validate.Email` (the one the agency form's `ppk_email` uses) and the length of the
outbox's `recipient` column: a bare address (`nama@instansi.go.id`), never a display name, a list or a
fragment of one.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from marshmallow import ValidationError, validate

MAX_LENGTH = 254  # RFC 5321 path limit; the width of every email column
_EMAIL = validate.Email()


def is_email_address(value: object) -> bool:
    """True for one bare email address (already stripped)."""
    return isinstance(value, str) and 0 < len(value) <= MAX_LENGTH and _valid(value)


@lru_cache(maxsize=4096)  # the same few mailboxes come back in every batch of the sweep
def _valid(value: str) -> bool:
    try:
        _EMAIL(value)
    except ValidationError:
        return False
    return True


class InvalidAddresses(ValueError):
    """Some values are not email addresses; `invalid` lists them as given."""

    def __init__(self, invalid: list[str]):
        super().__init__(", ".join(repr(v) for v in invalid))
        self.invalid = invalid


def address_list(value: str | Iterable[str] | None) -> list[str]:
    """Addresses from a comma-separated string or a list (of strings, each possibly comma-separated): stripped,
    lower-cased, each once, in the order given. Raises InvalidAddresses naming every value that is not an
    address; empty items are skipped. A string is never read one character at a time."""
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    found: list[str] = []
    invalid: list[str] = []
    for item in items:
        if not isinstance(item, str):
            invalid.append(str(item))
            continue
        for part in item.split(","):
            address = part.strip().lower()
            if not address:
                continue
            if not is_email_address(address):
                invalid.append(part.strip())
            elif address not in found:
                found.append(address)
    if invalid:
        raise InvalidAddresses(invalid)
    return found
