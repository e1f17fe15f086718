"""Locale and time-zone selection, and formatting helpers: dates in the reader's (or a case's) agency zone, numbers
in the reader's language."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date, get_day_names
from babel.numbers import format_decimal
from flask import has_request_context, request, session
from flask_login import current_user

from app.core.vocab import TIMEZONES

SUPPORTED_LOCALES = ("id", "en")
DEFAULT_TZ = "Asia/Jakarta"


def select_locale() -> str:
    chosen = session.get("locale") if request else None
    if chosen in SUPPORTED_LOCALES:
        return chosen
    return "id"


def reader_timezone() -> str:
    """The signed-in reader's agency zone; Jakarta outside a request or for an anonymous reader. A database
    error while loading the agency propagates (swallowed, it would leave the request's transaction invalid
    and turn the next statement into a 500 instead of the 503 a database outage gets)."""
    if not has_request_context():
        return DEFAULT_TZ
    user = current_user
    if user.is_authenticated and user.agency is not None:
        return user.agency.timezone
    return DEFAULT_TZ


def select_timezone() -> str:
    return reader_timezone()


def tz_abbreviation(tz_name: str) -> str:
    return TIMEZONES.get(tz_name, tz_name)


def format_instant(
    value: datetime | None, tz_name: str | None = None, *, with_time: bool = True, locale: str = "id"
) -> str:
    """`24 Desember 2026 23.59 WIB` in the given (default: the reader's) zone; `locale="en"` gives
    `24 December 2026 23:59 WIB`. Letters and emails are Indonesian; pages pass the reader's locale."""
    if value is None:
        return "-"
    tz_name = tz_name or reader_timezone()
    local = value.astimezone(ZoneInfo(tz_name))
    text = _date_text(local.date(), locale, weekday=False)
    if with_time:
        clock = f"{local:%H:%M}" if locale == "en" else f"{local:%H.%M}"
        text += f" {clock} {tz_abbreviation(tz_name)}"
    return text


def format_day(value: date | None, *, weekday: bool = False, locale: str = "id") -> str:
    if value is None:
        return "-"
    return _date_text(value, locale, weekday=weekday)


@lru_cache(maxsize=4096)  # emails and pages repeat the same few days
def _date_text(value: date, locale: str, *, weekday: bool) -> str:
    """`24 Desember 2026` (`Kamis, 24 Desember 2026`) from CLDR's month and day names of `locale`."""
    return format_date(value, "EEEE, d MMMM y" if weekday else "d MMMM y", locale=locale)


def format_short_day(value: date, locale: str = "id") -> str:
    """`Sen, 16 Nov` (`Mon, 16 Nov`): a day in a chart's or a calendar's row, where the year goes without saying."""
    return str(format_date(value, "EEE, d MMM", locale=locale))


def format_month(value: date, locale: str = "id") -> str:
    """`November 2026`: the month of `value`, in words."""
    return str(format_date(value, "LLLL y", locale=locale))


def day_name(weekday: int, locale: str = "id") -> str:
    """The name of a weekday, Monday = 0 (`Senin` … `Minggu`)."""
    return str(get_day_names("wide", locale=locale)[weekday])


MISSING_NUMBER = "\u2013"


def format_number(value: float | int | None, digits: int = 2, *, locale: str = "id") -> str:
    """`1.234,50` in Indonesian, `1,234.50` in English: always `digits` decimals, so that figures of one kind line
    up and read alike on every page (tables, charts, downloads' previews); `–` for a missing value."""
    if value is None:
        return MISSING_NUMBER
    pattern = "#,##0." + "0" * digits if digits > 0 else "#,##0"
    return str(format_decimal(value, format=pattern, locale=locale))
