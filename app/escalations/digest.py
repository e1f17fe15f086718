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

The email gives the totals — open cases overall, per level and per province (Kemendagri: a kabupaten/kota counts
under its province, `Agency.rollup_id`) or central agency (Menpan-RB), and the cases that ended — and lists at
most `DIGEST_TOP` (default 50) open cases, the latest first, and as many ended ones, the most recent first, with
a link to the full list in the app (`/cases?escalated=true`: an overseer's case list is its ministry's escalated
cases, with every filter of the list). Each case shows its number, agency, the highest level reached and the day
it was reached, the working days late (up to now, to the pause of a clarification, or to the day the escalation
ended) and a link to the case (`BASE_URL`). Nothing about the reporter is read, let alone sent.

It is read with SQL aggregates and LIMIT: its memory and its email stay the same size whatever the number of
cases (at 1,000,000 cases, Kemendagri had 44,762 open escalations, all once listed). "Latest" is ordered in SQL by
the time elapsed since the due instant (to the pause of a clarification); the working days late, which need the
calendar, are counted for the listed cases only. The email names no recipient: rendered once per body.

A body named in DIGEST_CSV wants the whole list too: its email then carries every open escalation (the latest
first) and every one that ended in the week as a CSV file (`full_list_csv`), read a thousand rows at a time into a
temporary file (zipped over `CSV_ZIP_ABOVE`), and stored once for all the body's mailboxes (`outbox_attachments`).
It is built only when a mailbox still waits for the week's digest.

An empty week — nothing open and nothing ended — sends nothing to that body (no "nothing to report" email).

The email goes through the outbox to the body's escalation mailboxes (`target_recipients`: the admin's rows,
else `ESCALATION_RECIPIENTS_<BODY>`), one row per recipient under the key `digest:<body>:<ISO week>`
(e.g. `digest:kemendagri:2026-W48`, the week of `now` in WIB): a second run in the same week, by the scheduler
of another host or by hand, adds nothing; the next week queues again. It waits for the ministries' working
hours (WIB) like the other escalation emails. `run_digest` flushes only; its caller (the scheduler job, the
CLI command) commits. The content is the state of the database when it runs; `now` picks the week, the
seven-day window and the "days late" figure.

Why it is long: this docstring states the rule the SQL implements (about a third of the module); the rest is
one job, the aggregates, the two lists of one email per body and their CSV file.
"""

from __future__ import annotations

import csv
import io
import logging
import shutil
import tempfile
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Select, and_, func, literal, or_, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import aliased

from app.calendar.working_days import Calendar, local_date
from app.core.spreadsheets import UTF8_BOM, csv_cell
from app.core.states import STATUS_LABELS, TERMINAL_STATUSES, CaseStatus
from app.core.vocab import BODY_LABELS, Body
from app.db import UTCDateTime, db, in_chunks, on_postgresql
from app.escalations.ladder import load_ladder, working_hours
from app.escalations.routing import CENTRAL_TIMEZONE, target_recipients
from app.escalations.services import ESCALATED_LEVEL
from app.i18n import day_name, format_day, format_instant
from app.letters.mail import enqueue
from app.models.agencies import Agency
from app.models.cases import Case, Recommendation
from app.models.escalations import EscalationStep
from app.models.outbox import OutboxMessage
from config import ConfigError
from notifications.outbox import MailAttachment, normalize_recipients, row_key

log = logging.getLogger(__name__)

KIND = "digest"
BODIES: tuple[str, ...] = tuple(body.value for body in Body)
WINDOW = timedelta(days=7)
DEFAULT_TOP = 50  # DIGEST_TOP: the open cases (latest first) and the ended ones an email lists
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
    digest_top(config)  # a scheduler refuses to start on a wrong DIGEST_TOP or DIGEST_CSV too, not on Monday
    digest_csv_bodies(config)
    return DigestSchedule(weekday=WEEKDAYS[raw_day], hour=hour)


def digest_top(config: Any | None = None) -> int:
    """`DIGEST_TOP` (≥ 1): how many open cases, the latest first, and ended ones each email lists; raises
    ConfigError."""
    config = current_app.config if config is None else config
    raw = config.get("DIGEST_TOP", DEFAULT_TOP)
    try:
        top = int(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"DIGEST_TOP must be a whole number ≥ 1, got {raw!r}") from exc
    if top < 1:
        raise ConfigError(f"DIGEST_TOP must be a whole number ≥ 1, got {top}")
    return top


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
class GroupTotal:
    """The open cases of one province (Kemendagri) or central agency (Menpan-RB): `Agency.rollup_id`."""

    name: str
    open: int


@dataclass
class BodyDigest:
    """What one body's digest holds and what became of it: the totals, and at most `top` cases of each list."""

    body: str
    label: str
    week: str
    top: int = DEFAULT_TOP
    open_cases: list[DigestCase] = field(default_factory=list)
    ended_cases: list[DigestCase] = field(default_factory=list)
    open_total: int = 0
    ended_total: int = 0
    open_by_level: dict[int, int] = field(default_factory=dict)
    groups: list[GroupTotal] = field(default_factory=list)
    list_link: str = ""
    attachment_name: str | None = None  # the full list as CSV (DIGEST_CSV), and its rows
    attachment_rows: int = 0
    recipients: list[str] = field(default_factory=list)
    queued: int = 0
    already_queued: int = 0
    skipped: str | None = None

    @property
    def empty(self) -> bool:
        return not self.open_total and not self.ended_total

    @property
    def group_label(self) -> str:
        return group_label(self.body)

    def as_dict(self) -> dict[str, Any]:
        return {
            "body": self.body,
            "week": self.week,
            "open_total": self.open_total,
            "ended_total": self.ended_total,
            "open": [c.number for c in self.open_cases],
            "ended": [c.number for c in self.ended_cases],
            "recipients": list(self.recipients),
            "attachment": self.attachment_name,
            "queued": self.queued,
            "already_queued": self.already_queued,
            "skipped": self.skipped,
        }


def group_label(body: str) -> str:
    """What a body's totals are grouped by: Kemendagri's by province, Menpan-RB's by central agency."""
    return "Provinsi" if body == Body.KEMENDAGRI.value else "Instansi"


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


# Every read of the email below is an aggregate or a LIMIT: the digest's memory and its email do not grow with the
# number of cases (44,762 open escalations at 1,000,000 cases used to be listed in full, built in memory); the CSV
# file (DIGEST_CSV) streams its rows.


def _open_escalations(body: str) -> Any:
    """The body's open escalations, one row per case (a case has one recommendation; only its current cycle can
    be open): the highest level reached, when (levels are reached in order) and the cycle's due instant."""
    step = EscalationStep
    return (
        select(
            step.case_id.label("case_id"),
            func.max(step.level).label("level"),
            func.max(step.reached_at).label("reached_at"),
            func.max(step.due_at).label("due_at"),
        )
        .join(Recommendation, and_(Recommendation.id == step.recommendation_id, Recommendation.cycle == step.cycle))
        .join(Case, Case.id == step.case_id)
        .where(
            step.level >= ESCALATED_LEVEL,
            step.body == body,
            step.resolved_at.is_(None),
            Case.status.not_in(_TERMINAL),
        )
        .group_by(step.case_id)
        .subquery("open_escalation")
    )


def _ended_escalations(body: str, since: datetime, now: datetime, open_cases: Any) -> Any:
    """The body's escalations that ended in [since, now] — the PPK reported (the steps' `resolved_at`) or the case
    was closed while escalated (`closed_at`) — one row per case, its latest, for the cases not open (a case with
    an open escalation is listed as open)."""
    step = EscalationStep
    ended_at = func.coalesce(func.max(step.resolved_at), Case.closed_at)
    cycles = (
        select(
            step.case_id.label("case_id"),
            step.cycle.label("cycle"),
            func.max(step.level).label("level"),
            func.max(step.reached_at).label("reached_at"),
            func.max(step.due_at).label("due_at"),
            func.max(step.resolved_at).label("resolved_at"),
            ended_at.label("ended_at"),
        )
        .join(Case, Case.id == step.case_id)
        .where(
            step.level >= ESCALATED_LEVEL,
            step.body == body,
            or_(
                and_(step.resolved_at >= since, step.resolved_at <= now),
                and_(
                    step.resolved_at.is_(None),
                    Case.status.in_(_TERMINAL),
                    Case.closed_at >= since,
                    Case.closed_at <= now,
                ),
            ),
            step.case_id.not_in(select(open_cases.c.case_id)),
        )
        .group_by(step.case_id, step.cycle, Case.closed_at)
        .subquery("ended_cycle")
    )
    latest_first = (cycles.c.ended_at.desc(), cycles.c.cycle.desc())
    ranked = select(
        cycles, func.row_number().over(partition_by=cycles.c.case_id, order_by=latest_first).label("rank")
    ).subquery("ranked_cycle")
    return select(ranked).where(ranked.c.rank == 1).subquery("ended_escalation")


def _span(later: Any, earlier: Any) -> Any:
    """`later - earlier` in SQL, comparable across rows (an interval on PostgreSQL, days on SQLite)."""
    if on_postgresql():
        return later - earlier
    return func.julianday(later) - func.julianday(earlier)


def _count(subquery: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(subquery)) or 0)


@dataclass(frozen=True)
class _Reader:
    """What turns a row of the digest's lists into a DigestCase: the calendar, the ladder, the app's address."""

    calendar: Calendar
    ladder: Any
    base_url: str

    def item(self, row: Any, until: datetime) -> DigestCase:
        due_day = local_date(row.due_at, row.timezone)
        _, late = self.calendar.days_left_and_late(local_date(until, row.timezone), due_day, row.agency_id)
        rung = self.ladder.rung(row.level) if row.level <= self.ladder.top else None
        return DigestCase(
            case_id=row.case_id,
            number=row.number,
            agency=row.agency_name,
            level=row.level,
            level_label=rung.label if rung else "",
            reached_on=format_instant(row.reached_at, row.timezone, with_time=False),
            days_late=late,
            link=f"{self.base_url}/cases/{row.case_id}",
        )

    def open_item(self, row: Any, now: datetime) -> DigestCase:
        # The clock stops at a clarification's pause: lateness counts up to it.
        stop = min(now, row.paused_at) if not row.rec_open and row.paused_at is not None else now
        entry = self.item(row, stop)
        if row.status != CaseStatus.AWAITING_FOLLOW_UP.value:
            entry.note = STATUS_LABELS.get(CaseStatus(row.status), row.status)
        return entry

    def ended_item(self, row: Any) -> DigestCase:
        entry = self.item(row, row.ended_at)
        entry.ended_on = format_instant(row.ended_at, row.timezone, with_time=False)
        entry.note = "Tindak lanjut dilaporkan PPK" if row.resolved_at is not None else "Perkara ditutup"
        return entry


_GROUP = aliased(Agency, name="rollup_agency")
_CASE_COLUMNS = (
    Case.number,
    Case.status,
    Agency.id.label("agency_id"),
    Agency.name.label("agency_name"),
    Agency.timezone,
    _GROUP.name.label("group_name"),
)


def _open_list(opened: Any, now: datetime) -> Select[Any]:
    """The body's open escalations with their case, agency and province (or central agency), the latest first:
    ordered by the time elapsed since the due instant (to the pause of a clarification), then the level."""
    rec = Recommendation
    at = literal(now, UTCDateTime())
    paused = and_(rec.is_open.is_(False), rec.paused_at.is_not(None), rec.paused_at < at)
    until = sql_case((paused, rec.paused_at), else_=at)
    return (
        select(opened, *_CASE_COLUMNS, rec.is_open.label("rec_open"), rec.paused_at)
        .join(Case, Case.id == opened.c.case_id)
        .join(Agency, Agency.id == Case.agency_id)
        .join(_GROUP, _GROUP.id == Agency.rollup_id)
        .join(rec, rec.case_id == opened.c.case_id)
        .order_by(_span(until, opened.c.due_at).desc(), opened.c.level.desc(), Case.number)
    )


def _ended_list(ended: Any) -> Select[Any]:
    """The body's escalations that ended in the week, the most recent first."""
    return (
        select(ended, *_CASE_COLUMNS)
        .join(Case, Case.id == ended.c.case_id)
        .join(Agency, Agency.id == Case.agency_id)
        .join(_GROUP, _GROUP.id == Agency.rollup_id)
        .order_by(ended.c.ended_at.desc(), Case.number)
    )


def _reader(calendar: Calendar) -> _Reader:
    return _Reader(calendar, load_ladder(), str(current_app.config.get("BASE_URL", "")).rstrip("/"))


def collect(body: str, now: datetime, *, calendar: Calendar | None = None, top: int | None = None) -> BodyDigest:
    """The content of `body`'s digest at `now` (aware): the totals (overall, per level, per province or central
    agency) and the `top` (DIGEST_TOP) latest open cases and latest ended ones. Reads only."""
    if body not in BODIES:
        raise ValueError(f"unknown ministry body {body!r}")
    reader = _reader(calendar or Calendar.load(all_agencies=True))
    top = digest_top() if top is None else top
    since = now - WINDOW
    digest = BodyDigest(
        body=body,
        label=BODY_LABELS[Body(body)],
        week=iso_week(now),
        top=top,
        # The case list an overseer reads is its ministry's escalated cases: the same scope, every filter.
        list_link=f"{reader.base_url}/cases?escalated=true",
    )
    opened = _open_escalations(body)
    ended = _ended_escalations(body, since, now, opened)
    _totals(digest, opened)
    digest.ended_total = _count(ended)
    if digest.empty:
        return digest
    for row in db.session.execute(_open_list(opened, now).limit(top)):
        digest.open_cases.append(reader.open_item(row, now))
    for row in db.session.execute(_ended_list(ended).limit(top)):
        digest.ended_cases.append(reader.ended_item(row))
    digest.open_cases.sort(key=lambda c: (-c.days_late, -c.level, c.number))
    return digest


# -- the full list as CSV (DIGEST_CSV) ------------------------------------------------------------------------

CSV_ZIP_ABOVE = 5 * 1024 * 1024  # a larger CSV goes zipped: base64 makes it a third larger, and many ministries'
# mail servers refuse a message over 10 MB (a CSV of 45,000 cases is about 7 MB; zipped, under 1 MB)
CSV_YIELD_PER = 1000


def digest_csv_bodies(config: Any | None = None) -> frozenset[str]:
    """`DIGEST_CSV`: the bodies whose digest carries its full list as a CSV attachment — `menpanrb`,
    `kemendagri`, separated by commas (empty: none); raises ConfigError on another name."""
    config = current_app.config if config is None else config
    raw = config.get("DIGEST_CSV") or ""
    names = raw if isinstance(raw, list | tuple | set | frozenset) else str(raw).split(",")
    bodies = frozenset(str(name).strip().lower() for name in names if str(name).strip())
    unknown = sorted(bodies - set(BODIES))
    if unknown:
        raise ConfigError(f"DIGEST_CSV names ministry bodies ({', '.join(BODIES)}), got {', '.join(unknown)}")
    return bodies


def _csv_headers(group_label: str) -> list[str]:
    return [
        "Keadaan", "Nomor perkara", "Instansi", group_label, "Level", "Nama level", "Level sejak",
        "Hari kerja terlambat", "Berakhir pada", "Keterangan", "Tautan",
    ]  # fmt: skip


def _csv_row(state: str, item: DigestCase, group: str) -> list[str]:
    values = (state, item.number, item.agency, group, item.level, item.level_label, item.reached_on,
              item.days_late, item.ended_on, item.note, item.link)  # fmt: skip
    return [csv_cell(value) for value in values]


def full_list_csv(body: str, now: datetime, *, calendar: Calendar | None = None) -> tuple[MailAttachment, int]:
    """Every open escalation of `body` (the latest first) and every one that ended in the week (the most recent
    first) as a CSV file, with the rows' count. The rows are read `CSV_YIELD_PER` at a time and written to a
    temporary file that stays in memory only while small; a file over `CSV_ZIP_ABOVE` bytes is sent zipped.
    Reads only; nothing about the reporter."""
    reader = _reader(calendar or Calendar.load(all_agencies=True))
    opened = _open_escalations(body)
    ended = _ended_escalations(body, now - WINDOW, now, opened)
    name = f"eskalasi-{body}-{iso_week(now)}"
    rows = 0
    with tempfile.SpooledTemporaryFile(max_size=CSV_ZIP_ABOVE) as spool:
        text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
        text.write(UTF8_BOM.decode("utf-8"))
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(_csv_headers(group_label(body)))
        lists = (
            ("Menunggu tindak lanjut", _open_list(opened, now), lambda row: reader.open_item(row, now)),
            ("Berakhir sepekan terakhir", _ended_list(ended), reader.ended_item),
        )
        for state, statement, make in lists:
            result = db.session.execute(statement.execution_options(yield_per=CSV_YIELD_PER))
            for row in result:
                writer.writerow(_csv_row(state, make(row), row.group_name))
                rows += 1
        text.flush()
        size = spool.tell()
        spool.seek(0)
        if size <= CSV_ZIP_ABOVE:
            data = spool.read()
            text.detach()
            return MailAttachment(f"{name}.csv", "text/csv; charset=utf-8", data), rows
        packed = io.BytesIO()
        member = zipfile.ZipInfo(f"{name}.csv", date_time=_zip_time(now))
        member.compress_type = zipfile.ZIP_DEFLATED
        with zipfile.ZipFile(packed, "w") as archive, archive.open(member, "w") as out:
            shutil.copyfileobj(spool, out)
        text.detach()
        return MailAttachment(f"{name}.zip", "application/zip", packed.getvalue()), rows


def _zip_time(now: datetime) -> tuple[int, int, int, int, int, int]:
    local = now.astimezone(ZoneInfo(CENTRAL_TIMEZONE))
    return (local.year, local.month, local.day, local.hour, local.minute, local.second)


def _totals(digest: BodyDigest, opened: Any) -> None:
    """The open totals of `digest`: overall, per level, and per province (a kabupaten/kota counts under its
    province) or central agency, largest first. One GROUP BY; as many rows as agencies, whatever the cases."""
    rollup = Agency.rollup_id
    per_group: dict[int, int] = {}
    for group_id, level, count in db.session.execute(
        select(rollup, opened.c.level, func.count())
        .select_from(opened)
        .join(Case, Case.id == opened.c.case_id)
        .join(Agency, Agency.id == Case.agency_id)
        .group_by(rollup, opened.c.level)
    ):
        per_group[group_id] = per_group.get(group_id, 0) + count
        digest.open_by_level[level] = digest.open_by_level.get(level, 0) + count
    digest.open_total = sum(per_group.values())
    names: dict[int, str] = {}
    for chunk in in_chunks(sorted(per_group)):
        names.update(
            (row.id, row.name) for row in db.session.execute(select(Agency.id, Agency.name).where(Agency.id.in_(chunk)))
        )
    digest.groups = sorted(
        (GroupTotal(name=names.get(group_id, "-"), open=count) for group_id, count in per_group.items()),
        key=lambda g: (-g.open, g.name),
    )


def _send_after(now: datetime, calendar: Calendar) -> datetime | None:
    """The next start of the ministries' working hours (None when `now` is within them)."""
    start, end = working_hours()
    return calendar.next_working_moment(now, CENTRAL_TIMEZONE, None, start, end)


def _extra(digest: BodyDigest, now: datetime) -> dict[str, Any]:
    """The render context of the templates (`extra.*`); `body` gives `body_label` to the layout."""
    ladder = load_ladder()
    return {
        "body": digest.body,
        "week": digest.week,
        "as_of": format_day(local_date(now, CENTRAL_TIMEZONE)),
        "since": format_day(local_date(now - WINDOW, CENTRAL_TIMEZONE)),
        "open_total": digest.open_total,
        "ended_total": digest.ended_total,
        "open_by_level": [
            {"level": level, "label": ladder.rung(level).label if level <= ladder.top else "", "count": count}
            for level, count in sorted(digest.open_by_level.items())
        ],
        "group_label": digest.group_label,
        "groups": [asdict(group) for group in digest.groups],
        "list_link": digest.list_link,
        "attachment": {"name": digest.attachment_name, "rows": digest.attachment_rows}
        if digest.attachment_name
        else None,
        "open_cases": [c.as_dict() for c in digest.open_cases],
        "ended_cases": [c.as_dict() for c in digest.ended_cases],
    }


def _queued(keys: list[str]) -> int:
    """How many of these outbox keys are queued already (the outbox skips them again on enqueue)."""
    return len(
        db.session.scalars(select(OutboxMessage.idempotency_key).where(OutboxMessage.idempotency_key.in_(keys))).all()
    )


def run_digest(now: datetime, *, dry_run: bool = False, bodies: tuple[str, ...] = BODIES) -> DigestReport:
    """Queue this week's digest of every body (`now` aware). Flushes only (nothing with `dry_run`)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("run_digest needs an aware `now`")
    calendar = Calendar.load(all_agencies=True)
    csv_bodies = digest_csv_bodies()
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
        keys = [row_key(key, r) for r in digest.recipients]
        if dry_run:
            digest.already_queued = _queued(keys)
            continue
        attachment = None
        if body in csv_bodies and _queued(keys) < len(keys):  # built only for a mailbox still waiting for it
            attachment, digest.attachment_rows = full_list_csv(body, now, calendar=calendar)
            digest.attachment_name = attachment.filename
        added = enqueue(
            KIND,
            case=None,
            recipients=digest.recipients,
            key=key,
            extra=_extra(digest, now),
            send_after=_send_after(now, calendar),
            attachment=attachment,
        )
        digest.queued = len(added)
        digest.already_queued = len(digest.recipients) - digest.queued  # the outbox skipped their keys
    log.info(
        "escalation digest %s%s: %s",
        report.week,
        " (dry run)" if dry_run else "",
        {b.body: (b.open_total, b.ended_total, b.queued) for b in report.bodies},
    )
    return report
