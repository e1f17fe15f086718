"""What an import carries from row to row: the agencies, calendar, deadline rules and authorities it loads once
(`ImportContext`), and a row that passed validation, waiting for its batch to be written (`PreparedRow`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from app.audit.history import SYSTEM_ACTOR
from app.calendar.working_days import FOLLOW_UP_RULE, Calendar, end_of_day, follow_up_rule, local_date
from app.cases.importing.reading import normalize_value
from app.core.clock import utcnow
from app.core.vocab import CASE_STAFF, CENTRAL_KINDS, AgencyKind, Body
from app.db import db
from app.escalations.ladder import ladder_of, load_ladder
from app.escalations.sweep import demanded_level, level_days
from app.models.agencies import Agency
from app.models.calendar import DeadlineRule
from app.models.core import OversightAuthority


@dataclass(frozen=True)
class AgencyInfo:
    """What the import needs of an agency, read once."""

    id: int
    code: str
    timezone: str
    kind: str
    escalation_body: str | None = None

    @property
    def body(self) -> str:
        """The ministry its escalations go to (its override, else by kind), as `routed_body` decides."""
        if self.escalation_body:
            return self.escalation_body
        return Body.MENPANRB.value if AgencyKind(self.kind) in CENTRAL_KINDS else Body.KEMENDAGRI.value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass
class PreparedRow:
    """A valid row, waiting for its batch: the rows to insert (without the ids the database gives them) and the
    payload of its history row."""

    line: int
    external_ref: str
    year: int
    case: dict[str, Any]
    recommendation: dict[str, Any] | None = None
    clarification: dict[str, Any] | None = None
    follow_up: dict[str, Any] | None = None
    escalation_level: int | None = None
    escalation_reached: list[datetime] = field(default_factory=list)  # per level, 0..escalation_level
    payload: dict[str, Any] = field(default_factory=dict)


class ImportContext:
    """What validating rows needs, loaded once per import: agencies, the calendar, rules, authorities."""

    def __init__(self, actor: Any | None, filename: str):
        self.actor_id = getattr(actor, "id", None)
        # Whoever imports is in charge of the imported cases when they are case staff (an administrator's import
        # leaves them unassigned until a member of staff takes them: app/cases/assignment.py).
        self.assignee_id = self.actor_id if getattr(actor, "role", None) in CASE_STAFF else None
        self.actor_label = getattr(actor, "email", None) or SYSTEM_ACTOR
        self.filename = filename
        self.now = utcnow()
        self.by_code: dict[str, AgencyInfo] = {}
        self.by_name: dict[str, list[AgencyInfo]] = {}
        columns = (Agency.id, Agency.code, Agency.name, Agency.timezone, Agency.kind, Agency.escalation_body)
        for row in db.session.execute(select(*columns)):
            info = AgencyInfo(row.id, row.code, row.timezone or "Asia/Jakarta", row.kind, row.escalation_body)
            self.by_code[row.code.upper()] = info
            self.by_name.setdefault(normalize_value(row.name), []).append(info)
        self.calendar = Calendar.load(all_agencies=True)
        self._zones = {info.id: info.timezone for info in self.by_code.values()}
        self._rules: dict[date, tuple[int, str]] = {}
        self._authorities: dict[date, str] = {}
        self._rule_rows = db.session.execute(
            select(DeadlineRule.days, DeadlineRule.code, DeadlineRule.valid_from, DeadlineRule.valid_to)
            .where(DeadlineRule.code == FOLLOW_UP_RULE, DeadlineRule.unit == "working_days")
            .order_by(DeadlineRule.valid_from.desc(), DeadlineRule.id.desc())
        ).all()
        self._authority_rows = db.session.execute(
            select(
                OversightAuthority.short_name,
                OversightAuthority.valid_from,
                OversightAuthority.valid_to,
                OversightAuthority.ladder,
            ).order_by(OversightAuthority.valid_from.desc())
        ).all()

    def agency(self, code: Any, name: Any) -> AgencyInfo:
        found: AgencyInfo | None = None
        if code is not None:
            text = str(code).strip()
            found = self.by_code.get(text.upper())
            if found is None:
                found = self._by_name(text)
        if name is not None:
            by_name = self._by_name(str(name))
            if found is not None and by_name.id != found.id:
                raise ValueError("kode dan nama instansi menunjuk instansi yang berbeda")
            found = found or by_name
        if found is None:
            raise ValueError("instansi wajib diisi")
        return found

    def _by_name(self, text: str) -> AgencyInfo:
        matches = self.by_name.get(normalize_value(text), [])
        if not matches:
            raise ValueError(f"instansi '{text}' tidak ditemukan (gunakan kode atau nama resmi)")
        if len(matches) > 1:
            raise ValueError(f"nama instansi '{text}' tidak tunggal; gunakan kodenya")
        return matches[0]

    def passed_levels(self, agency: AgencyInfo, due_at: datetime, issued_day: date | None = None) -> list[datetime]:
        """When each escalation level was reached for a recommendation due at `due_at`, for the levels the
        ladder (in the agency's calendar) puts before now; computed as the sweep does, on the ladder of the
        authority in force on `issued_day` (its own, else the configured one)."""
        ladder = self.ladder_on(issued_day) if issued_day is not None else self.ladder
        days = level_days(ladder, self.calendar, local_date(due_at, agency.timezone), agency.id)
        target = demanded_level(days, local_date(self.now, agency.timezone))
        return [end_of_day(days[level], agency.timezone) for level in range(target + 1)]

    @cached_property
    def ladder(self) -> Any:
        return load_ladder()

    def ladder_on(self, on: date) -> Any:
        """The ladder of the authority in force on `on`: its row's own, else the configured one."""
        for row in self._authority_rows:
            if row.valid_from <= on and (row.valid_to is None or row.valid_to >= on):
                return ladder_of(row.ladder) if (row.ladder or "").strip() else self.ladder
        return self.ladder

    def timezone_of(self, agency_id: int) -> str:
        return self._zones[agency_id]

    def rule(self, on: date) -> tuple[int, str]:
        """(working days, rule code) for a recommendation received on `on`, as `follow_up_rule` decides."""
        found = self._rules.get(on)
        if found is None:
            found = self._rules[on] = self._pick_rule(on)
        return found

    def _pick_rule(self, on: date) -> tuple[int, str]:
        for row in self._rule_rows:  # newest start first, as `follow_up_rule` orders them
            if row.valid_from <= on and (row.valid_to is None or row.valid_to >= on):
                return row.days, row.code
        return self._default_rule

    @cached_property
    def _default_rule(self) -> tuple[int, str]:
        days, code, _ = follow_up_rule(date.min)  # no rule row applies: the configured default
        return days, code

    def authority(self, on: date) -> str:
        """The authority's short name on `on`, as `authority_name_on` decides (one query per import)."""
        found = self._authorities.get(on)
        if found is None:
            found = self._authorities[on] = self._pick_authority(on)
        return found

    def _pick_authority(self, on: date) -> str:
        for row in self._authority_rows:
            if row.valid_from <= on and (row.valid_to is None or row.valid_to >= on):
                return row.short_name
        return str(current_app.config.get("OVERSIGHT_AUTHORITY_NAME") or "KASN")  # as authority_name_on
