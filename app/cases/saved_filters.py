"""A user's saved case-list filters: the list's query (its filters and its order) under a name, to apply again
from the list page's menu or through the API. Only their owner lists, applies or deletes them: every read here is
by the owner's id, and another user's filter is "not found"."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from marshmallow import ValidationError
from sqlalchemy import func, select

from app.cases.listing import SORT_KEYS
from app.cases.schemas import CaseQuerySchema
from app.db import db, valid_row_id
from app.errors import NotFound, ValidationFailed
from app.models.saved_filters import SavedFilter

# What a saved filter keeps: the list's filters (the schema's fields, not its paging) and its order.
PAGING_KEYS = ("limit", "cursor")
FILTER_KEYS = tuple(name for name in CaseQuerySchema().fields if name not in PAGING_KEYS)
ORDER_KEYS = ("sort", "dir")
NAME_MAX = 80
MAX_PER_USER = 50
NOT_FOUND = "Saringan tersimpan tidak ditemukan."


def clean_query(query: Mapping[str, Any]) -> dict[str, str]:
    """The list query worth keeping: known keys with a value, each valid (ValidationFailed naming the fields
    otherwise, under `filters.<key>`); a missing or unknown order is left out (the list's default order)."""
    kept = {key: str(value).strip() for key, value in query.items() if key in FILTER_KEYS and value not in (None, "")}
    kept = {key: value for key, value in kept.items() if value}
    for key in ("overdue", "escalated"):  # the list's checkboxes send "true"; JSON clients may send a boolean
        if key in kept:
            kept[key] = "true" if kept[key].lower() in ("true", "1", "yes", "ya", "on") else "false"
    try:
        CaseQuerySchema().load(kept)
    except ValidationError as exc:
        fields = {f"filters.{key}": list(_messages(value)) for key, value in exc.messages_dict.items()}
        raise ValidationFailed("Saringan tidak sah.", details={"fields": fields}) from exc
    sort = str(query.get("sort") or "")
    if sort in SORT_KEYS:
        kept["sort"] = sort
        if query.get("dir") in ("asc", "desc"):
            kept["dir"] = str(query["dir"])
    return kept


def _messages(value: Any) -> list[str]:
    return [str(m) for m in value] if isinstance(value, list | tuple) else [str(value)]


def list_filters(user_id: int) -> list[SavedFilter]:
    stmt = select(SavedFilter).where(SavedFilter.user_id == user_id).order_by(func.lower(SavedFilter.name))
    return list(db.session.scalars(stmt))


def get_filter(user_id: int, filter_id: int) -> SavedFilter:
    """The owner's filter, else NotFound (another user's filter is not said to exist)."""
    found = db.session.get(SavedFilter, filter_id) if valid_row_id(filter_id) else None
    if found is None or found.user_id != user_id:
        raise NotFound(NOT_FOUND)
    return found


def save_filter(user_id: int, name: str, query: Mapping[str, Any]) -> SavedFilter:
    """Save `query` (see `clean_query`) under `name` for its owner; the caller commits. A name the user already
    gave another filter, an empty or too long name, or more than MAX_PER_USER filters: ValidationFailed."""
    name = " ".join(str(name or "").split())
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["Beri saringan ini nama."]
    elif len(name) > NAME_MAX:
        errors["name"] = [f"Nama saringan paling panjang {NAME_MAX} karakter."]
    elif _named(user_id, name):
        errors["name"] = ["Anda sudah punya saringan dengan nama ini; pilih nama lain atau hapus yang lama."]
    try:
        kept = clean_query(query)
    except ValidationFailed as exc:
        errors.update(exc.details["fields"])
        kept = {}
    count = db.session.scalar(select(func.count()).select_from(SavedFilter).where(SavedFilter.user_id == user_id))
    if (count or 0) >= MAX_PER_USER:
        errors.setdefault("name", []).append(f"Paling banyak {MAX_PER_USER} saringan; hapus yang tidak dipakai.")
    if errors:
        raise ValidationFailed("Saringan tidak dapat disimpan.", details={"fields": errors})
    row = SavedFilter(user_id=user_id, name=name, query=kept)
    db.session.add(row)
    db.session.flush()
    return row


def _named(user_id: int, name: str) -> bool:
    stmt = select(SavedFilter.id).where(SavedFilter.user_id == user_id, func.lower(SavedFilter.name) == name.lower())
    return db.session.scalar(stmt) is not None


def delete_filter(user_id: int, filter_id: int) -> None:
    """Delete the owner's filter (NotFound for anyone else's); the caller commits."""
    db.session.delete(get_filter(user_id, filter_id))
    db.session.flush()


def query_string(saved: SavedFilter) -> str:
    """The list's query string of a saved filter (`status=…&q=…`), keys in a stable order."""
    keys = (*FILTER_KEYS, *ORDER_KEYS)
    return urlencode([(key, saved.query[key]) for key in keys if saved.query.get(key) not in (None, "")])


def api_query_string(saved: SavedFilter) -> str:
    """The same filters for `GET /api/v1/cases` (the API lists newest first: no order)."""
    return urlencode([(key, saved.query[key]) for key in FILTER_KEYS if saved.query.get(key) not in (None, "")])
