"""The daily email of what the bell told: one email per person per working day, batching the notices still
unread that no earlier email carried.

Each person's moment is `NOTIFY_DIGEST_TIME` (HH:MM, default 07:00) in the person's zone (the agency's for a
PPK, Jakarta otherwise), on the working days of the calendar (app/calendar: weekends, holidays, cuti bersama and
the overrides of the person's agency). The scheduler job runs every `SCHEDULER_NOTICE_DIGEST_SECONDS` (900) and
queues, for each person whose moment of today has passed, one email through the outbox under the key
`notice-digest:<user id>:<local date>`: a second run the same day — this scheduler, another host's, or
`flask notifications digest` — adds nothing, and the notices it carried are marked emailed only when its row
was really added, so a notice is emailed once, and one that arrives after the day's email waits for the next
working day's. A person who turned the email off (their account or notifications page) or whose account is
disabled gets none; notices read in the app before the moment are not emailed. The email lists at most
`DIGEST_LIST_LIMIT` notices and links to the page for the rest; it names the case number and what happened,
never the reporter nor a staff member. Indonesian, English for a person whose language is English."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import func, select, update

from app.calendar.working_days import DEFAULT_TIMEZONE, Calendar, local_date, zone
from app.cases.access import visibility_clause
from app.db import db, in_chunks
from app.i18n import SUPPORTED_LOCALES, format_instant, tz_abbreviation
from app.inbox.words import detail, kind_label
from app.letters.context import build_context
from app.models.auth import User
from app.models.cases import Case
from app.models.notifications import Notification
from config import ConfigError
from notifications.outbox import Email, enqueue

log = logging.getLogger(__name__)

KIND = "notice_digest"
DEFAULT_TIME = "07:00"
DIGEST_LIST_LIMIT = 50


def digest_time(config: Any | None = None) -> time:
    """`NOTIFY_DIGEST_TIME` as a time of day (HH:MM, 00:00–23:59); raises ConfigError."""
    config = current_app.config if config is None else config
    raw = str(config.get("NOTIFY_DIGEST_TIME") or DEFAULT_TIME).strip()
    try:
        hours, minutes = raw.replace(".", ":").split(":")
        return time(int(hours), int(minutes))
    except ValueError as exc:
        raise ConfigError(f"NOTIFY_DIGEST_TIME must be a time of day HH:MM, got {raw!r}") from exc


def digest_key(user_id: int, day: Any) -> str:
    return f"notice-digest:{user_id}:{day.isoformat()}"


@dataclass
class DigestRun:
    people: int = 0
    emails: int = 0
    notices: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"people": self.people, "emails": self.emails, "notices": self.notices}


def run_notice_digest(now: datetime, *, dry_run: bool = False) -> DigestRun:
    """Queue the day's email of each person whose moment has passed (flushes; the job or the CLI commits)."""
    run = DigestRun()
    if not current_app.config.get("NOTIFY_DIGEST_ENABLED", True):
        return run
    at = digest_time()
    pending = select(Notification.user_id).where(Notification.read_at.is_(None), Notification.emailed_at.is_(None))
    user_ids = sorted(set(db.session.scalars(pending.distinct())))
    calendar = Calendar.load(all_agencies=True)
    for chunk in in_chunks(user_ids):
        users = db.session.scalars(
            select(User).where(User.id.in_(chunk), User.is_active.is_(True), User.notify_digest.is_(True))
        )
        for user in users:
            tz_name = user.agency.timezone if user.agency is not None else DEFAULT_TIMEZONE
            day = local_date(now, tz_name)
            if not calendar.is_working_day(day, user.agency_id):
                continue
            if now.astimezone(zone(tz_name)).time() < at:
                continue
            run.people += 1
            sent = _digest_for(user, now, day, tz_name, dry_run=dry_run)
            if sent:
                run.emails += 1
                run.notices += sent
    return run


def _digest_for(user: User, now: datetime, day: Any, tz_name: str, *, dry_run: bool) -> int:
    """Queue `user`'s email of `day`; returns how many notices it carries (0: nothing to send, or already sent)."""
    stmt = (
        select(Notification, Case.number)
        .join(Case, Case.id == Notification.case_id)
        .where(
            Notification.user_id == user.id,
            Notification.read_at.is_(None),
            Notification.emailed_at.is_(None),
            visibility_clause(user),
        )
    )
    total = int(db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    if not total:
        return 0
    rows = list(db.session.execute(stmt.order_by(Notification.id).limit(DIGEST_LIST_LIMIT)))
    ids = [row.id for row, _ in rows]
    if dry_run:
        return total
    locale = user.locale if user.locale in SUPPORTED_LOCALES else "id"
    base_url = str(current_app.config.get("BASE_URL", "")).rstrip("/")
    with force_locale(locale):
        items = [
            {
                "label": kind_label(row.kind),
                "detail": detail(row.kind, row.data or {}),
                "case_number": number,
                "when": format_instant(row.created_at, tz_name, locale=locale),
                "link": f"{base_url}/cases/{row.case_id}",
            }
            for row, number in rows
        ]
        extra = {
            "lang": locale,
            "name": user.name or user.email,
            "day": format_instant(now, tz_name, with_time=False, locale=locale),
            "items": items,
            "total": total,
            "more": total - len(items),
            "page_link": f"{base_url}/notifikasi",
            "settings_link": f"{base_url}/notifikasi#digest",
            "zone": tz_abbreviation(tz_name),
            "title": gettext(
                "Notifikasi Tindak, %(day)s", day=format_instant(now, tz_name, with_time=False, locale=locale)
            ),
        }
    context = build_context(KIND, case=None, extra=extra)
    context["tz_abbr"] = extra["zone"]  # the person's zone, not the central one of an email about no case
    added = enqueue(Email(KIND, None, [user.email], digest_key(user.id, day), context))
    if not added:
        return 0  # today's email is already queued: these notices wait for the next working day's
    carried = (
        ids
        if total <= len(ids)
        else [row_id for (row_id,) in db.session.execute(stmt.with_only_columns(Notification.id))]
    )
    for chunk in in_chunks(carried):
        db.session.execute(
            update(Notification)
            .where(Notification.id.in_(chunk))
            .values(emailed_at=now)
            .execution_options(synchronize_session=False)
        )
    db.session.flush()
    return total
