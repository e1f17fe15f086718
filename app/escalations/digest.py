"""The weekly digest of escalated cases for each supervising ministry (DESIGN §4).

Every week each ministry body (`menpanrb`, `kemendagri`, the values of `Body`) gets one email listing the
cases escalated to it — a step of level ≥ 2 (`ESCALATED_LEVEL`) recorded with its `body`, the same rule that
lets an overseer read a case — that are

- still open: the escalated cycle is the recommendation's current one, its steps are not resolved (the PPK has
  not reported its follow-up) and the case is not closed; or
- ended in the past seven days: the PPK reported its follow-up (the steps' `resolved_at`), or KASN closed the
  case while it was escalated (`closed_at`).

A cycle replaced by a new deadline (a clarification answered) leaves the list without being listed as ended:
the PPK's clock starts again, and a new escalation of that cycle is listed anew.

Each case shows its number, agency, the highest level reached and the day it was reached, the working days
late (up to now, to the pause of a clarification, or to the day the escalation ended) and a link to the case
(`BASE_URL`). Nothing about the reporter is read, let alone sent.

An empty week — nothing open and nothing ended — sends nothing to that body (no "nothing to report" email).

The email goes through the outbox to the body's escalation mailboxes (`target_recipients`: the admin's rows,
else `ESCALATION_RECIPIENTS_<BODY>`), one row per recipient under the key `digest:<body>:<ISO week>`
(e.g. `digest:kemendagri:2026-W48`, the week of `now` in WIB): a second run in the same week, by the scheduler
of another host or by hand, adds nothing; the next week queues again. It waits for the ministries' working
hours (WIB) like the other escalation emails. `run_digest` flushes only; its caller (the scheduler job, the
CLI command) commits. The content is the state of the database when it runs; `now` picks the week, the
seven-day window and the "days late" figure.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, or_, select

from app.agencies.models import Agency
from app.calendar.working_days import Calendar, local_date
from app.cases.models import Case, Recommendation
from app.core.vocab import BODY_LABELS, Body
from app.db import in_chunks
from app.escalations.ladder import load_ladder, working_hours
from app.escalations.models import EscalationStep
from app.escalations.routing import CENTRAL_TIMEZONE, target_recipients
from app.escalations.services import ESCALATED_LEVEL
from app.extensions import db
from app.i18n import day_name, format_day, format_instant
from config import ConfigError
from workflows.states import STATUS_LABELS, TERMINAL_STATUSES, CaseStatus

log = logging.getLogger(__name__)

KIND = "digest"
BODIES: tuple[str, ...] = tuple(body.value for body in Body)
WINDOW = timedelta(days=7)
_TERMINAL = [status.value for status in TERMINAL_STATUSES]

# DIGEST_WEEKDAY: English (APScheduler's cron) or Indonesian day names; Monday is 0.
CRON_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAYS: dict[str, int] = {
    **{name: i for i, name in enumerate(CRON_DAYS)},
    **{day_name(i).lower(): i for i in range(7)},
}


# -- the schedule --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestSchedule:
    """When the scheduler sends the digest: a weekday and an hour in WIB (the ministries' zone)."""

    weekday: int
    hour: int
    tz_name: str = CENTRAL_TIMEZONE

    @property
    def cron_day(self) -> str:
        return CRON_DAYS[self.weekday]

    @property
    def label(self) -> str:
        return f"tiap {day_name(self.weekday)} pukul {self.hour:02d}.00 WIB"

    def slot_of_week(self, now: datetime) -> datetime:
        """This ISO week's sending moment (aware), for the week `now` is in (WIB)."""
        tz = ZoneInfo(self.tz_name)
        today = local_date(now, self.tz_name)
        monday = today - timedelta(days=today.weekday())
        return datetime.combine(monday + timedelta(days=self.weekday), time(self.hour), tzinfo=tz)

    def missed(self, now: datetime) -> bool:
        """Whether this week's moment has passed: a scheduler starting later sends the week's digest at start
        (once: the outbox key holds the week)."""
        return now >= self.slot_of_week(now)


def digest_schedule(config: Any | None = None) -> DigestSchedule:
    """`DIGEST_WEEKDAY` (mon … sun, or senin … minggu) and `DIGEST_HOUR` (0–23); raises ConfigError."""
    config = current_app.config if config is None else config
    raw_day = str(config.get("DIGEST_WEEKDAY") or "mon").strip().lower()
    if raw_day not in WEEKDAYS:
        raise ConfigError(f"DIGEST_WEEKDAY must be a day name (mon … sun, senin … minggu), got {raw_day!r}")
    try:
        hour = int(config.get("DIGEST_HOUR", 8))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"DIGEST_HOUR must be an hour 0–23, got {config.get('DIGEST_HOUR')!r}") from exc
    if not 0 <= hour <= 23:
        raise ConfigError(f"DIGEST_HOUR must be an hour 0–23, got {hour}")
    return DigestSchedule(weekday=WEEKDAYS[raw_day], hour=hour)


def iso_week(now: datetime) -> str:
    """`2026-W48`: the ISO week of `now` in WIB (the key of the week's digest)."""
    year, week, _ = local_date(now, CENTRAL_TIMEZONE).isocalendar()
    return f"{year}-W{week:02d}"


def digest_key(body: str, week: str) -> str:
    """The outbox key of a body's digest for a week (the outbox appends `:<recipient>`)."""
    return f"digest:{body}:{week}"


# -- the content ---------------------------------------------------------------------------------------------


@dataclass
class DigestCase:
    """One case in a digest (never anything about the reporter)."""

    case_id: int
    number: str
    agency: str
    level: int
    level_label: str
    reached_on: str
    days_late: int
    link: str
    note: str = ""
    ended_on: str = ""

    def as_dict(self) -> dict[str, Any]:
        """What the templates read (the case id only serves the link)."""
        return {key: value for key, value in asdict(self).items() if key != "case_id"}


@dataclass
class BodyDigest:
    """What one body's digest holds and what became of it."""

    body: str
    label: str
    week: str
    open_cases: list[DigestCase] = field(default_factory=list)
    ended_cases: list[DigestCase] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    queued: int = 0
    already_queued: int = 0
    skipped: str | None = None

    @property
    def empty(self) -> bool:
        return not self.open_cases and not self.ended_cases

    def as_dict(self) -> dict[str, Any]:
        return {
            "body": self.body,
            "week": self.week,
            "open": [c.number for c in self.open_cases],
            "ended": [c.number for c in self.ended_cases],
            "recipients": list(self.recipients),
            "queued": self.queued,
            "already_queued": self.already_queued,
            "skipped": self.skipped,
        }


@dataclass
class DigestReport:
    now: datetime
    week: str
    dry_run: bool
    bodies: list[BodyDigest] = field(default_factory=list)

    @property
    def queued(self) -> int:
        return sum(b.queued for b in self.bodies)

    def as_dict(self) -> dict[str, Any]:
        return {
            "now": self.now.isoformat(),
            "week": self.week,
            "dry_run": self.dry_run,
            "queued": self.queued,
            "bodies": [b.as_dict() for b in self.bodies],
        }


@dataclass
class _Escalation:
    """One escalated cycle of a recommendation, with its case and agency."""

    rec_id: int
    cycle: int
    case_id: int
    number: str
    status: str
    closed_at: datetime | None
    agency_id: int
    agency_name: str
    tz_name: str
    current_cycle: int
    rec_open: bool
    paused_at: datetime | None
    steps: list[EscalationStep] = field(default_factory=list)

    @property
    def resolved_at(self) -> datetime | None:
        return max((s.resolved_at for s in self.steps if s.resolved_at is not None), default=None)

    @property
    def top(self) -> EscalationStep:
        return max(self.steps, key=lambda s: s.level)

    @property
    def terminal(self) -> bool:
        return self.status in _TERMINAL

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None and self.cycle == self.current_cycle and not self.terminal

    def ended_at(self) -> datetime | None:
        """When the escalation ended: the PPK's follow-up report, else the closing of the case."""
        if self.resolved_at is not None:
            return self.resolved_at
        if self.terminal:
            return self.closed_at
        return None


def _escalations(body: str, since: datetime, now: datetime) -> list[_Escalation]:
    """The escalated cycles of `body` that may be open or may have ended in [since, now]."""
    step = EscalationStep
    stmt = (
        select(
            step.recommendation_id,
            step.cycle,
            Case.id,
            Case.number,
            Case.status,
            Case.closed_at,
            Agency.id,
            Agency.name,
            Agency.timezone,
            Recommendation.cycle,
            Recommendation.is_open,
            Recommendation.paused_at,
        )
        .join(Case, Case.id == step.case_id)
        .join(Agency, Agency.id == Case.agency_id)
        .join(Recommendation, Recommendation.id == step.recommendation_id)
        .where(
            step.level >= ESCALATED_LEVEL,
            step.body == body,
            or_(
                and_(
                    step.resolved_at.is_(None),
                    step.cycle == Recommendation.cycle,
                    Case.status.not_in(_TERMINAL),
                ),
                and_(step.resolved_at >= since, step.resolved_at <= now),
                and_(step.resolved_at.is_(None), Case.status.in_(_TERMINAL), Case.closed_at >= since),
            ),
        )
        .distinct()
    )
    found: dict[tuple[int, int], _Escalation] = {}
    for row in db.session.execute(stmt):
        rec_id, cycle = row[0], row[1]
        found[(rec_id, cycle)] = _Escalation(rec_id, cycle, *row[2:])
    if not found:
        return []
    for chunk in in_chunks(sorted({rec_id for rec_id, _ in found})):
        for row in db.session.scalars(select(step).where(step.recommendation_id.in_(chunk))):
            escalation = found.get((row.recommendation_id, row.cycle))
            if escalation is not None:
                escalation.steps.append(row)
    return list(found.values())


def collect(body: str, now: datetime, *, calendar: Calendar | None = None) -> BodyDigest:
    """The content of `body`'s digest at `now` (aware); reads only."""
    if body not in BODIES:
        raise ValueError(f"unknown ministry body {body!r}")
    calendar = calendar or Calendar.load(all_agencies=True)
    ladder = load_ladder()
    base_url = str(current_app.config.get("BASE_URL", "")).rstrip("/")
    since = now - WINDOW
    digest = BodyDigest(body=body, label=BODY_LABELS[Body(body)], week=iso_week(now))
    by_case: dict[int, tuple[bool, datetime, DigestCase]] = {}
    for esc in _escalations(body, since, now):
        top = esc.top
        ended = esc.ended_at()
        if esc.is_open:
            until = now
            if not esc.rec_open and esc.paused_at is not None:  # clarification: the clock stopped
                until = min(now, esc.paused_at)
        elif ended is not None and since <= ended <= now:
            until = ended
        else:
            continue
        due_day = local_date(top.due_at, esc.tz_name)
        _, late = calendar.days_left_and_late(local_date(until, esc.tz_name), due_day, esc.agency_id)
        rung = ladder.rung(top.level) if top.level <= ladder.top else None
        item = DigestCase(
            case_id=esc.case_id,
            number=esc.number,
            agency=esc.agency_name,
            level=top.level,
            level_label=rung.label if rung else "",
            reached_on=format_instant(top.reached_at, esc.tz_name, with_time=False),
            days_late=late,
            link=f"{base_url}/cases/{esc.case_id}",
        )
        if esc.is_open:
            if esc.status != CaseStatus.AWAITING_FOLLOW_UP.value:
                item.note = STATUS_LABELS.get(CaseStatus(esc.status), esc.status)
        else:
            item.ended_on = format_instant(ended, esc.tz_name, with_time=False)
            item.note = "Tindak lanjut dilaporkan PPK" if esc.resolved_at is not None else "Perkara ditutup"
        # One line per case: its open escalation if any, else the latest that ended.
        moment = now if esc.is_open or ended is None else ended
        previous = by_case.get(esc.case_id)
        if previous is None or (esc.is_open, moment) > (previous[0], previous[1]):
            by_case[esc.case_id] = (esc.is_open, moment, item)
    for is_open, _, item in by_case.values():
        (digest.open_cases if is_open else digest.ended_cases).append(item)
    digest.open_cases.sort(key=lambda c: (-c.level, -c.days_late, c.number))
    digest.ended_cases.sort(key=lambda c: c.number)
    return digest


def _send_after(now: datetime, calendar: Calendar) -> datetime | None:
    """The next start of the ministries' working hours (None when `now` is within them)."""
    start, end = working_hours()
    return calendar.next_working_moment(now, CENTRAL_TIMEZONE, None, start, end)


def _extra(digest: BodyDigest, now: datetime) -> dict[str, Any]:
    """The render context of the templates (`extra.*`); `body` gives `body_label` to the layout."""
    return {
        "body": digest.body,
        "week": digest.week,
        "as_of": format_day(local_date(now, CENTRAL_TIMEZONE)),
        "since": format_day(local_date(now - WINDOW, CENTRAL_TIMEZONE)),
        "open_cases": [c.as_dict() for c in digest.open_cases],
        "ended_cases": [c.as_dict() for c in digest.ended_cases],
    }


def run_digest(now: datetime, *, dry_run: bool = False, bodies: tuple[str, ...] = BODIES) -> DigestReport:
    """Queue this week's digest of every body (`now` aware). Flushes only (nothing with `dry_run`)."""
    from notifications.models import OutboxMessage
    from notifications.outbox import enqueue, normalize_recipients, row_key

    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("run_digest needs an aware `now`")
    calendar = Calendar.load(all_agencies=True)
    report = DigestReport(now=now, week=iso_week(now), dry_run=dry_run)
    for body in bodies:
        digest = collect(body, now, calendar=calendar)
        report.bodies.append(digest)
        digest.recipients = normalize_recipients(target_recipients(body))
        if digest.empty:
            digest.skipped = "tidak ada perkara"
            continue
        if not digest.recipients:
            digest.skipped = "tidak ada penerima"
            continue
        key = digest_key(body, digest.week)
        if dry_run:
            keys = [row_key(key, r) for r in digest.recipients]
            digest.already_queued = len(
                db.session.scalars(
                    select(OutboxMessage.idempotency_key).where(OutboxMessage.idempotency_key.in_(keys))
                ).all()
            )
            continue
        added = enqueue(
            KIND,
            case=None,
            recipients=digest.recipients,
            key=key,
            extra=_extra(digest, now),
            send_after=_send_after(now, calendar),
        )
        digest.queued = len(added)
        digest.already_queued = len(digest.recipients) - digest.queued  # the outbox skipped their keys
    log.info(
        "escalation digest %s%s: %s",
        report.week,
        " (dry run)" if dry_run else "",
        {b.body: (len(b.open_cases), len(b.ended_cases), b.queued) for b in report.bodies},
    )
    return report
