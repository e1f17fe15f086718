"""Working-day arithmetic: weekends, national holidays, cuti bersama, admin overrides, agency time zones.

A working day is Monday to Friday, minus Indonesia's public holidays and cuti bersama (the `holidays`
package, country "ID", categories public and government), corrected by the override table: a `closed` row
makes a day non-working, an `open` row makes it working; a row without agency applies nationally, a row with
one applies to that agency only and wins over a national row for the same day (DESIGN §3).

`Calendar` is built once with the overrides (one query) and memoises what it computes, so the sweep can
evaluate many recommendations cheaply; the module-level functions are conveniences that build one per call.

Why it is long: `Calendar` holds every question asked of a working day (is it one, why not, add n, count between,
with the yearly totals that keep long spans cheap), and the deadline rules in force are answered with it; the
module is the one home of "working day", and splitting it would split that rule.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays
from flask import current_app, has_app_context
from sqlalchemy import or_, select

from app.core.clock import utcnow
from app.core.vocab import TIMEZONES
from app.db import db
from app.models.agencies import Agency
from app.models.calendar import CalendarOverride, DeadlineRule

ONE_DAY = timedelta(days=1)
DEFAULT_TIMEZONE = "Asia/Jakarta"
FOLLOW_UP_RULE = "ppk_follow_up"
WEEKEND_NAMES = {5: "Sabtu", 6: "Minggu"}

# Cuti bersama are fixed each year by a joint decree of three ministers (DOMAIN §7); the package gives the
# days, not the decree, so the decrees we know are named here and the others described.
CUTI_BERSAMA_DECREES = {
    2026: "SKB Menteri Agama, Menteri Ketenagakerjaan dan Menteri PANRB Nomor 1497/2025, 2/2025, 5/2025",
}

DEFAULT_RULE_SOURCE = (
    "Nilai bawaan: 14 hari kerja sejak rekomendasi diterima PPK. Angka 14 hari kerja BELUM TERKONFIRMASI dari "
    "naskah peraturan (SKB netralitas 2020/2022 dan Peraturan KASN tidak tersedia lengkap); kewajiban PPK "
    "menindaklanjuti rekomendasi bersumber dari UU 5/2014 Pasal 32 ayat (3). Periksa kembali dan tambahkan "
    "aturan baru bila ketentuan resmi ditemukan."
)
DEFAULT_RULE_VALID_FROM = date(2014, 1, 15)  # UU 5/2014 on ASN

# Calendars used by the sweep's SQL pre-selection: "most" counts a day as working when it is working for
# any agency, "least" only when it is working for every agency (see `Calendar.add_working_days`).
MOST = "most"
LEAST = "least"


@dataclass(frozen=True)
class Override:
    day: date
    kind: str  # "closed" | "open"
    description: str
    decree: str | None
    agency_id: int | None

    @property
    def reason(self) -> str:
        text = self.description
        if self.decree:
            text += f" ({self.decree})"
        return text


def _cuti_label(name: str, year: int) -> str:
    occasion = name
    prefix = "cuti bersama"
    if occasion.lower().startswith(prefix):
        occasion = occasion[len(prefix) :].strip()
    decree = CUTI_BERSAMA_DECREES.get(year, f"SKB 3 Menteri tentang hari libur nasional dan cuti bersama {year}")
    return f"Cuti bersama ({occasion}; {decree})"


@lru_cache(maxsize=128)
def holidays_for_year(year: int) -> dict[date, str]:
    """Non-working days of `year` from the `holidays` package with their Indonesian reason (cached)."""
    reasons: dict[date, str] = {}
    public = holidays.country_holidays("ID", years=year, categories=("public",), language="id")
    for day, name in public.items():
        reasons[day] = str(name)
    government = holidays.country_holidays("ID", years=year, categories=("government",), language="id")
    for day, name in government.items():
        label = _cuti_label(str(name), year)
        reasons[day] = f"{reasons[day]}; {label}" if day in reasons else label
    return reasons


@dataclass(frozen=True)
class YearCoverage:
    """What the calendar knows of one year: whether its cuti bersama are known (from the `holidays` package or
    entered by an administrator with their decree) and how many holiday dates are still estimates."""

    year: int
    cuti_bersama_known: bool
    estimated_holidays: int
    maintained_by_admin: bool

    @property
    def complete(self) -> bool:
        """The year's decree is in: the package lists its cuti bersama, or an administrator entered them.
        (Estimated religious holidays alone do not make a year incomplete: their rows say "perkiraan".)"""
        return self.maintained_by_admin or self.cuti_bersama_known

    @property
    def message(self) -> str | None:
        """What a reader of a deadline (or an administrator) must know about this year, in Indonesian."""
        if self.complete:
            return None
        parts = [
            f"cuti bersama tahun {self.year} belum ada dalam data kalender (SKB 3 Menteri belum dimuat), "
            "sehingga tidak dikurangkan"
        ]
        if self.estimated_holidays:
            parts.append(f"{self.estimated_holidays} tanggal hari libur keagamaan tahun {self.year} masih perkiraan")
        return (
            f"Kalender {self.year} belum lengkap: "
            + "; ".join(parts)
            + ". Tenggat dapat bergeser setelah administrator menambahkan pengecualian kalender sesuai keputusan "
            "resmi."
        )


@lru_cache(maxsize=128)
def package_coverage(year: int) -> tuple[bool, int]:
    """(cuti bersama listed, holidays whose date is an estimate) for `year` in the `holidays` package."""
    government = holidays.country_holidays("ID", years=year, categories=("government",))
    public = holidays.country_holidays("ID", years=year, categories=("public",), language="id")
    estimated = sum(1 for name in public.values() if "perkiraan" in str(name).lower())
    return bool(government), estimated


@lru_cache(maxsize=64)
def zone(name: str | None) -> ZoneInfo:
    return ZoneInfo(name or DEFAULT_TIMEZONE)


def end_of_day(day: date, tz_name: str | None) -> datetime:
    """The last instant of `day` in the zone, as aware UTC (the deadline is the end of the last day)."""
    return datetime.combine(day, time.max, tzinfo=zone(tz_name)).astimezone(UTC)


def local_date(instant: datetime, tz_name: str | None) -> date:
    if instant.tzinfo is None:
        raise ValueError("naive datetime: pass an aware instant")
    return instant.astimezone(zone(tz_name)).date()


def local_today(agency: Any, now: datetime) -> date:
    """The calendar day it is at `now` in the agency's zone."""
    return local_date(now, getattr(agency, "timezone", None))


def latest_today(now: datetime | None = None) -> date:
    """The newest calendar day it is anywhere in Indonesia (WIT, UTC+9): a day entered by a user is in the
    future only after this one. The server's own date (UTC) is a day behind every Indonesian zone for the
    first hours of their morning, and would refuse "today" there."""
    now = now or utcnow()
    return max(local_date(now, tz_name) for tz_name in TIMEZONES)


SHORT_SPAN = 62  # days: a span up to this is counted day by day
# Running counts of working days per (year, calendar key, that year's overrides): `Calendar._running`.
_RUNNING_COUNTS: dict[tuple[Any, ...], list[int]] = {}


class Calendar:
    """The working-day calendar with a fixed set of overrides; every answer is memoised."""

    def __init__(self, overrides: Iterable[Override] = ()):
        self._national: dict[date, Override] = {}
        self._by_agency: dict[int, dict[date, Override]] = {}
        for item in overrides:
            if item.agency_id is None:
                self._national[item.day] = item
            else:
                self._by_agency.setdefault(item.agency_id, {})[item.day] = item
        self._agency_open = {d for days in self._by_agency.values() for d, o in days.items() if o.kind == "open"}
        self._agency_closed = {d for days in self._by_agency.values() for d, o in days.items() if o.kind == "closed"}
        self._working: dict[tuple[date, Any], bool] = {}
        self._added: dict[tuple[date, int, Any], date] = {}
        self._year_counts: dict[tuple[int, Any], list[int]] = {}
        self._versions: dict[tuple[date, date, Any], str] = {}

    # -- construction -------------------------------------------------------------------------------------
    @classmethod
    def load(cls, agency_id: int | None = None, *, all_agencies: bool = False) -> Calendar:
        """The calendar with the national overrides and those of `agency_id` (or of every agency)."""
        stmt = select(CalendarOverride)
        if not all_agencies:
            condition = CalendarOverride.agency_id.is_(None)
            if agency_id is not None:
                condition = or_(condition, CalendarOverride.agency_id == agency_id)
            stmt = stmt.where(condition)
        rows = db.session.scalars(stmt).all()
        return cls(
            Override(day=r.day, kind=r.kind, description=r.description, decree=r.decree, agency_id=r.agency_id)
            for r in rows
        )

    # -- single days --------------------------------------------------------------------------------------
    def _key(self, agency_id: Any) -> Any:
        """Agencies without overrides of their own share the national memo."""
        if agency_id in (MOST, LEAST):
            return agency_id
        return agency_id if agency_id in self._by_agency else None

    def _override(self, day: date, agency_id: int | None) -> Override | None:
        if agency_id is not None:
            own = self._by_agency.get(agency_id)
            if own is not None and day in own:
                return own[day]
        return self._national.get(day)

    @staticmethod
    def _base_reason(day: date) -> str | None:
        weekend = WEEKEND_NAMES.get(day.weekday())
        holiday = holidays_for_year(day.year).get(day)
        if weekend and holiday:
            return f"{weekend}; {holiday}"
        return weekend or holiday

    def _compute_working(self, day: date, key: Any) -> bool:
        if key == MOST:
            return self._compute_working(day, None) or day in self._agency_open
        if key == LEAST:
            return self._compute_working(day, None) and day not in self._agency_closed
        override = self._override(day, key)
        if override is not None:
            return override.kind == "open"
        return self._base_reason(day) is None

    def is_working_day(self, day: date, agency_id: Any = None) -> bool:
        key = self._key(agency_id)
        memo = (day, key)
        result = self._working.get(memo)
        if result is None:
            result = self._working[memo] = self._compute_working(day, key)
        return result

    def non_working_reason(self, day: date, agency_id: int | None = None) -> str | None:
        """Why `day` is not a working day (Indonesian), or None when it is one."""
        override = self._override(day, agency_id)
        if override is not None:
            return override.reason if override.kind == "closed" else None
        return self._base_reason(day)

    def coverage(self, year: int) -> YearCoverage:
        """What is known of `year`. A year an administrator keeps (at least one national day closed with its
        decree, e.g. the year's cuti bersama typed in from the SKB) counts as complete."""
        known, estimated = package_coverage(year)
        maintained = any(o.kind == "closed" and o.decree and o.day.year == year for o in self._national.values())
        return YearCoverage(year, known, estimated, maintained)

    def gaps(self, first: date, last: date) -> list[YearCoverage]:
        """The incomplete years among those of [first, last]."""
        years = (self.coverage(year) for year in range(first.year, max(first.year, last.year) + 1))
        return [item for item in years if not item.complete]

    # -- arithmetic ---------------------------------------------------------------------------------------
    def add_working_days(self, start: date, n: int, agency_id: Any = None) -> date:
        """The n-th working day after `start` (day 1 is the first working day after it); for a negative n the
        |n|-th working day before it; `start` itself for 0."""
        if n == 0:
            return start
        key = self._key(agency_id)
        memo = (start, n, key)
        found = self._added.get(memo)
        if found is not None:
            return found
        step = ONE_DAY if n > 0 else -ONE_DAY
        remaining = abs(n)
        day = start
        while remaining:
            day += step
            if self.is_working_day(day, key):
                remaining -= 1
        self._added[memo] = day
        return day

    def working_days_between(self, start: date, end: date, agency_id: int | None = None) -> int:
        """Working days in (start, end]; 0 when end is not after start. A span of more than SHORT_SPAN days is
        counted from each year's running totals (a deadline missed years ago is counted in a few steps, not day
        by day: the queue and the lists count it for every overdue case they show)."""
        if end <= start:
            return 0
        key = self._key(agency_id)
        counted = (start.year, key) in self._year_counts and (end.year, key) in self._year_counts
        if (end - start).days <= SHORT_SPAN and not counted:  # (a year counted already answers in two steps)
            count = 0
            day = start + ONE_DAY
            while day <= end:
                if self.is_working_day(day, agency_id):
                    count += 1
                day += ONE_DAY
            return count
        count = self._through(end, key) - self._through(start, key)
        for year in range(start.year, end.year):
            count += self._running(year, key)[-1]
        return count

    def _running(self, year: int, key: Any) -> list[int]:
        """The running count of working days of `year`: item i is the count over its first i days. Kept for the
        process too, under the overrides of that year that decide it (a calendar is loaded per request)."""
        memo = self._year_counts.get((year, key))
        if memo is None:
            shared = (year, key, self._year_overrides(year, key))
            memo = _RUNNING_COUNTS.get(shared)
            if memo is None:
                first = date(year, 1, 1)
                memo = [0]
                for offset in range((date(year + 1, 1, 1) - first).days):
                    memo.append(memo[-1] + self.is_working_day(first + timedelta(days=offset), key))
                if len(_RUNNING_COUNTS) >= 4096:
                    _RUNNING_COUNTS.clear()
                _RUNNING_COUNTS[shared] = memo
            self._year_counts[(year, key)] = memo
        return memo

    def _year_overrides(self, year: int, key: Any) -> tuple[Any, ...]:
        """The overrides of `year` that a day's answer for `key` reads (see `_compute_working`)."""
        days: list[Any] = [(o.day, o.kind) for o in self._national.values() if o.day.year == year]
        if key in (MOST, LEAST):
            days += [
                ("agency", d) for d in (self._agency_open if key == MOST else self._agency_closed) if d.year == year
            ]
        elif key is not None:
            days += [("own", o.day, o.kind) for o in self._by_agency.get(key, {}).values() if o.day.year == year]
        return tuple(sorted(days, key=repr))

    def _through(self, day: date, key: Any) -> int:
        """Working days from the 1st of January of `day`'s year through `day`."""
        return self._running(day.year, key)[day.timetuple().tm_yday]

    def days_left_and_late(self, today: date, due_day: date, agency_id: int | None = None) -> tuple[int, int]:
        """(working days left, working days late) on `today` for a deadline at the end of `due_day`.

        Left counts the working days from today to the due day, both included (1 on the due day itself: the
        PPK still has it); late counts the working days after the due day up to today (1 on the first working
        day after it). One of the two is always 0.
        """
        if today > due_day:
            return 0, self.working_days_between(due_day, today, agency_id)
        left = self.working_days_between(today, due_day, agency_id)
        return left + (1 if self.is_working_day(today, agency_id) else 0), 0

    def next_working_moment(
        self, now: datetime, tz_name: str | None, agency_id: int | None, start: time, end: time
    ) -> datetime | None:
        """None when `now` is within working hours [start, end) of a working day in the zone; else the next
        start of working hours, as aware UTC."""
        local = now.astimezone(zone(tz_name))
        day = local.date()
        if self.is_working_day(day, agency_id):
            if start <= local.time().replace(tzinfo=None) < end:
                return None
            if local.time().replace(tzinfo=None) < start:
                return datetime.combine(day, start, tzinfo=zone(tz_name)).astimezone(UTC)
        day = self.add_working_days(day, 1, agency_id)
        return datetime.combine(day, start, tzinfo=zone(tz_name)).astimezone(UTC)

    # -- deadlines ----------------------------------------------------------------------------------------
    def version(self, agency_id: int | None, first: date, last: date) -> str:
        """Calendar version of a computation over [first, last]: package version + digest of the overrides
        (memoised: an import computes it for thousands of deadlines over the same days)."""
        memo = (first, last, self._key(agency_id))
        found = self._versions.get(memo)
        if found is None:
            found = self._versions[memo] = self._version(agency_id, first, last)
        return found

    def _version(self, agency_id: int | None, first: date, last: date) -> str:
        used = []
        day = first
        while day <= last:
            override = self._override(day, agency_id)
            if override is not None:
                used.append(f"{override.day.isoformat()}:{override.kind}:{override.agency_id or ''}")
            day += ONE_DAY
        digest = hashlib.sha256("|".join(used).encode()).hexdigest()[:12]
        return f"holidays-{holidays.__version__}+ovr-{digest}"

    def due_at(self, agency: Any, received_on: date, working_days: int) -> tuple[datetime, str]:
        if working_days < 1:
            raise ValueError("working_days must be at least 1")
        agency_id = getattr(agency, "id", None)
        due_day = self.add_working_days(received_on, working_days, agency_id)
        instant = end_of_day(due_day, getattr(agency, "timezone", None))
        return instant, self.version(agency_id, received_on + ONE_DAY, due_day)

    def explain(self, agency: Any, received_on: date, working_days: int) -> list[dict[str, Any]]:
        agency_id = getattr(agency, "id", None)
        due_day = self.add_working_days(received_on, working_days, agency_id)
        rows: list[dict[str, Any]] = []
        number = 0
        day = received_on + ONE_DAY
        while day <= due_day:
            if self.is_working_day(day, agency_id):
                number += 1
                rows.append({"day": day, "counted": True, "number": number, "reason": None})
            else:
                rows.append(
                    {"day": day, "counted": False, "number": None, "reason": self.non_working_reason(day, agency_id)}
                )
            day += ONE_DAY
        return rows


# -- conveniences (one Calendar per call; the sweep and pages that need many answers build their own) ----------


def _as_day(value: date, agency_id: int | None) -> date:
    """Dates pass through; an aware datetime becomes its calendar day in the agency's zone."""
    if isinstance(value, datetime):
        tz_name = None
        if agency_id is not None:
            tz_name = db.session.scalar(select(Agency.timezone).where(Agency.id == agency_id))
        return local_date(value, tz_name)
    return value


def is_working_day(day: date, agency_id: int | None = None) -> bool:
    return Calendar.load(agency_id).is_working_day(_as_day(day, agency_id), agency_id)


def non_working_reason(day: date, agency_id: int | None = None) -> str | None:
    return Calendar.load(agency_id).non_working_reason(_as_day(day, agency_id), agency_id)


def add_working_days(start: date, n: int, agency_id: int | None = None) -> date:
    return Calendar.load(agency_id).add_working_days(_as_day(start, agency_id), n, agency_id)


def working_days_between(start: date, end: date, agency_id: int | None = None) -> int:
    return Calendar.load(agency_id).working_days_between(_as_day(start, agency_id), _as_day(end, agency_id), agency_id)


def due_at_for(agency: Any, received_on: date, working_days: int) -> tuple[datetime, str]:
    """The UTC instant ending the N-th working day after receipt in the agency's zone, and the calendar
    version it was computed with (stored beside the due date)."""
    return Calendar.load(getattr(agency, "id", None)).due_at(agency, received_on, working_days)


def explain_deadline(agency: Any, received_on: date, working_days: int) -> list[dict[str, Any]]:
    """Every calendar day from the day after receipt to the due day: counted or not, and why."""
    return Calendar.load(getattr(agency, "id", None)).explain(agency, received_on, working_days)


def deadline_gaps(agency: Any, received_on: date, working_days: int) -> list[YearCoverage]:
    """The years counted towards this deadline whose calendar is incomplete (say so beside the due date)."""
    calendar = Calendar.load(getattr(agency, "id", None))
    due_day = calendar.add_working_days(received_on, working_days, getattr(agency, "id", None))
    return calendar.gaps(received_on, due_day)


def calendar_gaps(now: datetime, *, horizon_days: int = 60) -> list[YearCoverage]:
    """Incomplete years among this year and the days ahead within `horizon_days` (a deadline issued today
    ends within it), by the national calendar in WIB: what the health check reports."""
    today = local_date(now, DEFAULT_TIMEZONE)
    return Calendar.load().gaps(today, today + timedelta(days=horizon_days))


# -- deadline rules -------------------------------------------------------------------------------------------


def follow_up_rule(on: date) -> tuple[int, str, str]:
    """(working days, rule code, legal source) for a recommendation received on `on`.

    From the DeadlineRule row of code "ppk_follow_up" valid on that date (the latest start wins); without
    one, the configured FOLLOW_UP_WORKING_DAYS.
    """
    rule = db.session.scalar(
        select(DeadlineRule)
        .where(
            DeadlineRule.code == FOLLOW_UP_RULE,
            DeadlineRule.unit == "working_days",
            DeadlineRule.valid_from <= on,
            or_(DeadlineRule.valid_to.is_(None), DeadlineRule.valid_to >= on),
        )
        .order_by(DeadlineRule.valid_from.desc(), DeadlineRule.id.desc())
        .limit(1)
    )
    if rule is not None:
        return rule.days, rule.code, rule.legal_source
    days = int(current_app.config.get("FOLLOW_UP_WORKING_DAYS", 14)) if has_app_context() else 14
    return days, FOLLOW_UP_RULE, "konfigurasi FOLLOW_UP_WORKING_DAYS"


# KASN's answer to a PPK's objection (sanggahan, `clarification_requested`): no regulation found sets its time, so
# no default row is made. Once an administrator adds one (`flask calendar rules add --code clarification_answer`),
# the deadline calendar and its feed show each pending objection's answer day by it.
CLARIFICATION_RULE = "clarification_answer"


def rules_of(code: str) -> list[DeadlineRule]:
    """Every row of a rule code, the latest start first (one query; `rule_valid_on` picks a day's)."""
    return list(
        db.session.scalars(
            select(DeadlineRule)
            .where(DeadlineRule.code == code)
            .order_by(DeadlineRule.valid_from.desc(), DeadlineRule.id.desc())
        )
    )


def rule_valid_on(rules: Iterable[DeadlineRule], on: date) -> DeadlineRule | None:
    """The row valid on `on` among `rules` (ordered as `rules_of` gives them: the latest start wins)."""
    for rule in rules:
        if rule.valid_from <= on and (rule.valid_to is None or rule.valid_to >= on):
            return rule
    return None


def due_day_by_rule(calendar: Calendar, rule: DeadlineRule, start: date, agency_id: int | None) -> date:
    """The day a step started on `start` is due by `rule`: N working days in the agency's calendar, or N days."""
    if rule.unit == "working_days":
        return calendar.add_working_days(start, rule.days, agency_id)
    return start + timedelta(days=rule.days)


def ensure_default_rules() -> DeadlineRule | None:
    """Insert the default follow-up rule when there is none; returns the row added (flushes only)."""
    exists = db.session.scalar(select(DeadlineRule.id).where(DeadlineRule.code == FOLLOW_UP_RULE).limit(1))
    if exists is not None:
        return None
    rule = DeadlineRule(
        code=FOLLOW_UP_RULE,
        days=14,
        unit="working_days",
        valid_from=DEFAULT_RULE_VALID_FROM,
        valid_to=None,
        legal_source=DEFAULT_RULE_SOURCE,
    )
    db.session.add(rule)
    db.session.flush()
    return rule
