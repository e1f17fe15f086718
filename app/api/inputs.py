"""Limits every API request shares, checked in one place before any view reads its input.

- No NUL character ("\\x00") in a query string, a path segment, a form field or a JSON string (keys
  included): PostgreSQL text cannot hold it, and no legitimate value contains it. Answered 422 with the
  JSON error envelope, naming the offending fields.
- Row ids in paths are PostgreSQL `integer` columns: the `id` URL converter accepts 1 … 2**31 - 1 only, so
  any other id (which cannot exist) is a 404 from the router, whatever the method, and never reaches the
  database. Cursors holding an id are checked by `app.core.pagination.keyset_cursor` in each query schema.
"""

from __future__ import annotations

from typing import Any

from flask import request
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from app.db import MAX_ROW_ID, valid_row_id
from app.errors import ValidationFailed

NUL = "\x00"
NUL_MESSAGE = "Tidak boleh memuat karakter NUL (\\x00)."


class RowIdConverter(IntegerConverter):
    """`<id:name>`: a row id; one no row can have (0, beyond the `integer` primary keys) is 404 Not Found.

    The bounds (documented in the OpenAPI parameter) are `app.db.valid_row_id`'s. Refused with werkzeug's
    NotFound rather than a failed match: a failed match on a path served by several routes (GET and POST of
    `/cases/<id>/attachments`) would answer 405 Method Not Allowed for an id that merely names no row."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002 - werkzeug's signature
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ROW_ID)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> int:
        row_id = int(value)  # the regex admits digits only
        if not valid_row_id(row_id):
            raise NotFound()
        return row_id


def _json_fields_with_nul(data: Any) -> list[str]:
    """The dotted paths of the JSON strings (or keys) holding a NUL, walked without recursion."""
    found: list[str] = []
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if NUL in value:
                found.append(path or "_schema")
        elif isinstance(value, dict):
            for key, item in value.items():
                name = f"{path}.{key}" if path else str(key)
                if NUL in str(key):
                    found.append(name)
                else:
                    stack.append((name, item))
        elif isinstance(value, list):
            stack.extend((f"{path}.{index}" if path else str(index), item) for index, item in enumerate(value))
    return found


def fields_with_nul() -> list[str]:
    """Every input of the current request that holds a NUL character, by name."""
    found: list[str] = []
    for source in (request.args, request.form if request.mimetype in _FORM_TYPES else None):
        if source is None:
            continue
        for key, values in source.lists():
            name = key if isinstance(key, str) else ""  # a multipart part may come without a name
            if NUL in name or any(isinstance(value, str) and NUL in value for value in values):
                found.append(name or "_schema")
    for key, value in (request.view_args or {}).items():
        if isinstance(value, str) and NUL in value:
            found.append(key)
    if request.is_json:
        data = request.get_json(silent=True)  # malformed JSON is the view's 400, not checked here
        if data is not None:
            found.extend(_json_fields_with_nul(data))
    return sorted(set(found))


_FORM_TYPES = {"multipart/form-data", "application/x-www-form-urlencoded"}


def reject_nul_characters() -> None:
    """422 `validation_error` when any input holds a NUL character."""
    if request.url_rule is None or request.method == "OPTIONS":
        return  # no route: 404/405 follow and nothing reaches the database
    found = fields_with_nul()
    if found:
        raise ValidationFailed(
            "Data yang dikirim memuat karakter NUL (\\x00) yang tidak diizinkan.",
            details={"fields": {name.replace(NUL, "\\x00"): [NUL_MESSAGE] for name in found}},
        )
