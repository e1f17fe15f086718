"""Template filters and globals: Indonesian dates in the reader's zone (or the one a caller names: a case's agency),
numbers in the reader's language, translated labels of the vocabularies."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, request
from flask_babel import get_locale, gettext

from app.agencies.authority import role_labels
from app.core import vocab
from app.core.states import EVENT_LABELS, STATUS_LABELS
from app.i18n import format_day, format_instant, format_number, tz_abbreviation

_NEUTRALITY = vocab.NEUTRALITY_SUBCATEGORIES


def label(mapping: dict[Any, str], value: Any) -> str:
    """The label of `value` in a vocabulary (keys may be enums or strings), translated for the reader."""
    if value is None or value == "":
        return "-"
    for key, text in mapping.items():
        if key == value or getattr(key, "value", None) == value:
            return gettext(text)
    return str(value)


def has_endpoint(name: str) -> bool:
    """Optional pages (index, exports ...) are linked only when their module is installed."""
    return name in current_app.view_functions


def current_locale() -> str:
    return str(get_locale() or "id")


def next_target() -> str:
    """The current path, for forms that return here (language switch)."""
    return request.full_path.rstrip("?") if request else "/"


def filesize(value: int | None) -> str:
    if value is None:
        return "-"
    size = float(value)
    for unit in ("B", "KB", "MB"):
        if size < 1024 or unit == "MB":
            digits = 0 if unit == "B" else 1
            return f"{format_number(size, digits, locale=current_locale())} {unit}"
        size /= 1024
    return str(value)


FILTERS: dict[str, Any] = {
    "instant": lambda value, tz_name=None, with_time=True: format_instant(
        value, tz_name, with_time=with_time, locale=current_locale()
    ),
    "day": lambda value, weekday=False: format_day(value, weekday=weekday, locale=current_locale()),
    "number": lambda value, digits=2: format_number(value, digits, locale=current_locale()),
    "tzabbr": tz_abbreviation,
    "status_label": lambda v: label(STATUS_LABELS, v),
    "event_label": lambda v: label(EVENT_LABELS, v),
    "category_label": lambda v: label(vocab.CATEGORY_LABELS, v),
    "subcategory_label": lambda v: label(_NEUTRALITY, v),
    "source_label": lambda v: label(vocab.SOURCE_LABELS, v),
    "sanction_label": lambda v: label(vocab.SANCTION_LABELS, v),
    "sanction_form_label": lambda v: label(vocab.SANCTION_FORMS, v),
    "role_label": lambda v: label(role_labels(), v),
    "kind_label": lambda v: label(vocab.AGENCY_KIND_LABELS, v),
    "body_label": lambda v: label(vocab.BODY_LABELS, v),
    "target_label": lambda v: label(vocab.ESCALATION_TARGET_LABELS, v),
    "filesize": filesize,
    "translated": lambda v: gettext(v) if v else v,
}


def register(app: Flask) -> None:
    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.globals.update(has_endpoint=has_endpoint, current_locale=current_locale, next_target=next_target)
