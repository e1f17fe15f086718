"""The public channel's guards, with no CAPTCHA: a time-based signed token and a per-address throttle.

- **Form token.** The form page carries a token signed with the application's secret that holds the moment it was
  handed out (`issue_form_token`). A submission is refused without it, with a forged or altered one, sooner than
  `INTAKE_FORM_MIN_SECONDS` after it was handed out (a script posting at once; a person takes longer to describe
  an event) or later than `INTAKE_FORM_MAX_SECONDS` (an old page: reload it). A hidden field that people never see
  (`website`) must stay empty. An API client (`POST /api/v1/public/reports`) asks for the same token
  (`GET /api/v1/public/reports/token`) and sends it back in the header `X-Report-Token`, with the same two bounds
  (`check_api_token`); the hidden field has no meaning there.
- **Throttle.** Each client address may send `INTAKE_PUBLIC_PER_HOUR` reports an hour, and may look up
  `INTAKE_TRACK_MISSES` tracking codes that do not exist in `INTAKE_TRACK_WINDOW_MINUTES` before every lookup from it
  is refused for the rest of the window (guessing codes); counted in the database (`intake_throttles`), so every
  worker and host shares the count. Answers 429 with `Retry-After`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import case, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.core.clock import epoch_seconds, utcnow
from app.db import db
from app.errors import TooManyRequests, ValidationFailed
from app.models.intake import IntakeThrottle

SALT = "intake-public-form"
HONEYPOT = "website"
TOKEN_FIELD = "form_started"  # noqa: S105 - a form field's name, not a secret

DEFAULTS = {
    "INTAKE_FORM_MIN_SECONDS": 3,
    "INTAKE_FORM_MAX_SECONDS": 4 * 3600,
    "INTAKE_PUBLIC_PER_HOUR": 5,
    "INTAKE_TRACK_MISSES": 10,
    "INTAKE_TRACK_WINDOW_MINUTES": 15,
}


def setting(name: str) -> int:
    return int(current_app.config.get(name, DEFAULTS[name]))


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def issue_form_token() -> str:
    return _serializer().dumps({"t": round(epoch_seconds(), 3)})


def _token_age(token: str) -> float | None:
    """Seconds since the token was handed out, or None when it is missing, forged or altered."""
    try:
        return epoch_seconds() - float(_serializer().loads(token or "")["t"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


def check_form(form: Any) -> None:
    """Refuse a public submission that fails the form token or fills the hidden field (422, `_schema`)."""
    message = "Formulir tidak dapat diterima. Muat ulang halaman formulir, isi kembali, lalu kirim."
    if (form.get(HONEYPOT) or "").strip():
        raise ValidationFailed(message, details={"fields": {"_schema": [message]}})
    age = _token_age(form.get(TOKEN_FIELD) or "")
    if age is None:
        raise ValidationFailed(message, details={"fields": {"_schema": [message]}})
    if age < setting("INTAKE_FORM_MIN_SECONDS"):
        too_fast = "Formulir dikirim terlalu cepat. Periksa kembali isian Anda, lalu kirim lagi."
        raise ValidationFailed(too_fast, details={"fields": {"_schema": [too_fast]}})
    if age > setting("INTAKE_FORM_MAX_SECONDS"):
        old = "Halaman formulir sudah terlalu lama dibuka. Isian Anda tetap di sini; kirim lagi sekarang."
        raise ValidationFailed(old, details={"fields": {"_schema": [old]}, "expired": True})


def check_api_token(token: str) -> None:
    """The same time token for an API client (`GET /api/v1/public/reports/token`, sent back in the header
    `X-Report-Token`): refused when missing or altered, used sooner than `INTAKE_FORM_MIN_SECONDS` after it was
    handed out, or later than `INTAKE_FORM_MAX_SECONDS` (422, field `token`)."""
    age = _token_age(token)
    if age is None:
        message = "Token laporan tidak ada atau tidak sah: minta token di GET /api/v1/public/reports/token."
    elif age < setting("INTAKE_FORM_MIN_SECONDS"):
        message = (
            f"Token laporan dipakai terlalu cepat: kirim paling cepat {setting('INTAKE_FORM_MIN_SECONDS')} detik "
            "setelah token diminta."
        )
    elif age > setting("INTAKE_FORM_MAX_SECONDS"):
        message = "Token laporan sudah kedaluwarsa: minta token baru."
    else:
        return
    raise ValidationFailed(message, details={"fields": {"token": [message]}})


def _count(address: str, channel: str, window: timedelta, now: datetime, *, add: int) -> int:
    """Add `add` to the address's count in its window (a new window once the last one ended); the count after."""
    cut = now - window
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = IntakeThrottle.__table__
    stmt = insert(IntakeThrottle).values(address=address[:64], channel=channel, window_start=now, count=add)
    stale = table.c.window_start < cut
    stmt = stmt.on_conflict_do_update(
        index_elements=["address", "channel"],
        set_={
            "count": case((stale, add), else_=table.c.count + add),
            "window_start": case((stale, now), else_=table.c.window_start),
        },
    ).returning(IntakeThrottle.count, IntakeThrottle.window_start)
    count, _start = db.session.execute(stmt).one()
    return int(count)


def _peek(address: str, channel: str, window: timedelta, now: datetime) -> tuple[int, datetime | None]:
    row = db.session.execute(
        select(IntakeThrottle.count, IntakeThrottle.window_start).where(
            IntakeThrottle.address == address[:64], IntakeThrottle.channel == channel
        )
    ).first()
    if row is None or row.window_start < now - window:
        return 0, None
    return int(row.count), row.window_start


def _refuse(start: datetime | None, window: timedelta, now: datetime, message: str) -> TooManyRequests:
    retry = max(int(((start or now) + window - now).total_seconds()) + 1, 1)
    return TooManyRequests(message, details={"retry_after": retry})


def count_submission(address: str, now: datetime | None = None) -> None:
    """Count a public report from `address`; 429 past the hourly limit (the refused one counts too). Flushes."""
    now = now or utcnow()
    window = timedelta(hours=1)
    limit = setting("INTAKE_PUBLIC_PER_HOUR")
    if _count(address, "submit", window, now, add=1) > limit:
        _, start = _peek(address, "submit", window, now)
        raise _refuse(
            start, window, now, f"Terlalu banyak laporan dari alamat ini: paling banyak {limit} laporan per jam."
        )


def check_lookups(address: str, now: datetime | None = None) -> None:
    """429 while `address` has looked up too many codes that do not exist in the window."""
    now = now or utcnow()
    window = timedelta(minutes=setting("INTAKE_TRACK_WINDOW_MINUTES"))
    misses, start = _peek(address, "track", window, now)
    if misses >= setting("INTAKE_TRACK_MISSES"):
        raise _refuse(start, window, now, "Terlalu banyak kode lacak yang salah dari alamat ini. Coba lagi nanti.")


def count_miss(address: str, now: datetime | None = None) -> None:
    """Count a lookup of a code that does not exist. Flushes."""
    now = now or utcnow()
    _count(address, "track", timedelta(minutes=setting("INTAKE_TRACK_WINDOW_MINUTES")), now, add=1)
