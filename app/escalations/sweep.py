"""The escalation sweep: brings every open recommendation to the ladder level that `now` demands.

- Time-based: the level a recommendation should have is computed from its due date and `now`, so one sweep
  after any downtime catches up; the levels passed over are recorded (notified=False) and only the highest
  level's email is queued.
- Never lost for want of a mailbox: a level whose email cannot be addressed to everyone it is for (an
  escalation target without a mailbox, or nobody in its `to`) is recorded with notified=False and stays due
  (`unaddressed_clause`): every sweep addresses it again, queues its email to whoever has a mailbox by then
  (the outbox keys send each recipient's copy once) and sets notified once nobody is missing. A level passed
  over, a step resolved by the follow-up, a recommendation no longer open or a step the importer recorded
  (no `escalation_level_reached` history row: history, never emailed) is not due.
- Idempotent: a step is unique per (recommendation, cycle, level) (`INSERT … ON CONFLICT DO NOTHING
  RETURNING`); the recommendation's level moves by compare-and-set; emails go through the outbox, whose
  keys are unique, in the transaction that records the step. A crash rolls the batch back whole.
- Per era: level 3 goes to whom the row of the authority that issued the recommendation says (on its day of
  issue: app/agencies/authority.py, `ladder.for_authority`), so a KASN-era recommendation still open keeps KASN's
  final report and a BKN-era one follows BKN's; the email is told the rules it was sent by (`to_rules`,
  `cc_rules`), so that what it names matches who receives it. A body whose row names a ladder of its own
  (`ladder.ladder_of`) has its recommendations climb that one: the pre-selection takes, per level, the latest
  bound of every ladder in use, and each row's level is computed on its own authority's ladder.
- Concurrent: on PostgreSQL each batch claims its rows with `FOR UPDATE … SKIP LOCKED` (the recommendation
  and its case), so several schedulers share the work; on SQLite one writer runs at a time.

`run_sweep` is a boundary (CLI command, scheduler job): it commits once per batch. The case row itself is
never updated (only locked while its batch runs), so a user's transition never fails on its version because
of the sweep; it waits at most for one batch.

Why it is long: one batch protocol (claim, plan the levels, address, write steps, history and emails, commit)
whose parts share the batch's state (`_Sweep`), plus its retry of unaddressed steps that runs the same
protocol; split across modules, each part would reach into the others' private state.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload

from app.agencies.authority import AuthorityProfile, issuer_profile
from app.agencies.services import routed_body
from app.audit.history import Entry, append_history_many
from app.calendar.working_days import LEAST, MOST, Calendar, end_of_day, local_date
from app.core.clock import utcnow
from app.core.states import CaseStatus
from app.db import db, on_postgresql, unit_of_work
from app.escalations.ladder import (
    AUTHORITY_LEVEL,
    Ladder,
    Rung,
    case_ladder_for,
    early_levels,
    for_authority,
    incumbent_ladder,
    incumbent_shift,
    ladder_of,
    load_ladder,
    parse_ladder,
    working_hours,
)
from app.escalations.routing import TARGETS, Directory, RecipientGroup
from app.letters.context import RECORD_KINDS, agency_records
from app.letters.mail import CaseEmail, enqueue_many
from app.letters.numbering import LETTER_LEVELS, EscalationLetter, letter_number_of, number_escalation_letters
from app.models.agencies import Agency
from app.models.cases import Case, CaseHistory, Recommendation
from app.models.core import OversightAuthority
from app.models.escalations import EscalationStep
from app.models.people import Incumbency, PpkCandidacy, candidacy_incumbency, incumbencies, incumbency_clause
from config import ConfigError

log = logging.getLogger(__name__)

ONE_DAY = timedelta(days=1)
HISTORY_EVENT = "escalation_level_reached"


@dataclass(frozen=True)
class AgencyInfo:
    """What the sweep needs of an agency, detached from the session (it outlives each batch's commit)."""

    id: int
    code: str
    kind: str
    timezone: str
    ppk_email: str | None
    escalation_body: str | None
    parent: AgencyInfo | None

    @classmethod
    def of(cls, agency: Agency) -> AgencyInfo:
        parent = cls.of(agency.parent) if agency.parent is not None else None
        return cls(
            id=agency.id,
            code=agency.code,
            kind=agency.kind,
            timezone=agency.timezone,
            ppk_email=agency.ppk_email,
            escalation_body=agency.escalation_body,
            parent=parent,
        )


@dataclass
class SweepReport:
    now: datetime
    dry_run: bool
    # Steps recorded (or, in a dry run, that would be) per level, the passed-over ones included.
    levels: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    # Steps whose email was queued to everyone it is for, per level.
    notified: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    # Steps reached now whose email could not be addressed to everyone (still due), per level.
    unaddressed: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    # Steps of earlier sweeps, still due, whose email is now addressed to everyone (sent late), per level.
    sent_late: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    # The escalation targets without a mailbox that some step of this run needed.
    targets_without_mailbox: list[str] = field(default_factory=list)
    emails: int = 0
    examined: int = 0
    batches: int = 0
    lost_races: int = 0
    cases: list[str] = field(default_factory=list)

    @property
    def steps(self) -> int:
        return sum(self.levels.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "now": self.now.isoformat(),
            "dry_run": self.dry_run,
            "levels": {str(k): v for k, v in sorted(self.levels.items())},
            "notified": {str(k): v for k, v in sorted(self.notified.items())},
            "unaddressed": {str(k): v for k, v in sorted(self.unaddressed.items())},
            "sent_late": {str(k): v for k, v in sorted(self.sent_late.items())},
            "targets_without_mailbox": list(self.targets_without_mailbox),
            "steps": self.steps,
            "emails": self.emails,
            "examined": self.examined,
            "batches": self.batches,
            "lost_races": self.lost_races,
            "cases": list(self.cases),
        }


@dataclass
class _Row:
    rec_id: int
    case_id: int
    cycle: int
    level: int | None
    due_at: datetime
    drafted_by_id: int | None
    agency_id: int
    number: str
    created_by_id: int | None
    # Who issued the recommendation and when: level 3 follows that authority's row.
    authority_name: str | None = None
    issued_at: datetime | None = None


@dataclass
class _Pending:
    """A step of an earlier sweep still due, with its recommendation's row."""

    step_id: int
    level: int
    body: str | None
    reached_at: datetime
    early_candidacy_id: int | None
    row: _Row


@dataclass
class _Plan:
    row: _Row
    agency: AgencyInfo
    target: int
    due_day: date
    today: date
    reached: dict[int, datetime]
    body: str | None = None
    groups: list[RecipientGroup] = field(default_factory=list)
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    # Escalation targets of the level without a mailbox.
    missing: list[str] = field(default_factory=list)
    # A step of an earlier sweep still due (its email not addressed to everyone): this plan addresses it again.
    pending_step_id: int | None = None
    # The authority that issued the recommendation, as on its day of issue (set when level 3 is concerned).
    authority: AuthorityProfile | None = None
    # The ladder the recommendation climbs (its authority's own, else the configured one; shifted for an incumbent).
    ladder: Ladder | None = None
    # The PPK in office is a candidate in the case's election: the levels this ladder reaches before the usual day.
    incumbency: Incumbency | None = None
    early: frozenset[int] = frozenset()

    def early_candidacy(self, level: int) -> int | None:
        """The candidacy that brought `level` forward, if it was."""
        return self.incumbency.candidacy_id if self.incumbency is not None and level in self.early else None

    @property
    def current(self) -> int:
        return -1 if self.row.level is None else self.row.level

    @property
    def new_levels(self) -> range:
        if self.pending_step_id is not None:
            return range(self.target, self.target + 1)
        return range(self.current + 1, self.target + 1)

    @property
    def addressed(self) -> bool:
        """The level's email reaches everyone it is for: someone in `to`, and every target has a mailbox."""
        return bool(self.to) and not self.missing


# -- which rows: the SQL pre-selection ---------------------------------------------------------------------------


def _last_due_day(cal: Calendar, offset: int, today: date, key: str) -> date:
    """Latest due day D whose level day (D + offset working days) is before `today`."""
    day = today - ONE_DAY
    if offset >= 0:
        while cal.add_working_days(day, offset, key) >= today:
            day -= ONE_DAY
    else:
        while cal.add_working_days(day + ONE_DAY, offset, key) < today:
            day += ONE_DAY
    return day


def level_thresholds(ladder: Ladder, cal: Calendar, zones: Iterable[str], now: datetime) -> list[datetime]:
    """Per level, the latest `due_at` for which that level may be due at `now`, in any zone and agency.

    A superset bound: counted with the most generous calendar for levels after the due day (any day some
    agency works) and the strictest one for levels before it, and the latest zone; the exact level of each
    selected row is then computed in its own agency's calendar.
    """
    zones = sorted(set(zones)) or ["Asia/Jakarta"]
    bounds = []
    for rung in ladder:
        key = MOST if rung.days_from_due > 0 else LEAST
        bound = None
        for tz_name in zones:
            last = _last_due_day(cal, rung.days_from_due, local_date(now, tz_name), key)
            instant = end_of_day(last, tz_name)
            bound = instant if bound is None or instant > bound else bound
        bounds.append(bound)
    return bounds


def merged_thresholds(ladders: Iterable[Ladder], cal: Calendar, zones: Iterable[str], now: datetime) -> list[datetime]:
    """`level_thresholds` over several ladders (the configured one and the authorities' own): per level, the
    latest bound of any ladder that has it, still a superset."""
    zones = list(zones)
    merged: list[datetime] = []
    for ladder in ladders:
        for index, bound in enumerate(level_thresholds(ladder, cal, zones, now)):
            if index == len(merged):
                merged.append(bound)
            elif bound > merged[index]:
                merged[index] = bound
    return merged


def level_days(ladder: Ladder, cal: Calendar, due_day: date, agency_id: int | None) -> list[date]:
    """The day at whose end each level is reached, in the agency's calendar."""
    return [cal.add_working_days(due_day, rung.days_from_due, agency_id) for rung in ladder]


def demanded_level(days: list[date], today: date) -> int:
    """The highest level whose day has ended by `today` (-1: none yet)."""
    level = -1
    for index, day in enumerate(days):
        if day >= today:
            break
        level = index
    return level


def due_predicate(thresholds: list[datetime]) -> Any:
    """Open recommendations whose next level may be due (see `level_thresholds`, `merged_thresholds`)."""
    level = Recommendation.escalation_level
    behind = []
    for index, bound in enumerate(thresholds):
        current = level.is_(None) if index == 0 else level == index - 1
        behind.append(and_(current, Recommendation.due_at <= bound))
    return and_(
        Recommendation.is_open.is_(True),
        Recommendation.due_at.is_not(None),
        Case.status == CaseStatus.AWAITING_FOLLOW_UP.value,
        or_(*behind),
    )


def authority_ladders() -> dict[str, Ladder]:
    """The ladders the authorities' rows name (by their JSON text); one that does not parse is logged and left
    out (its recommendations climb the configured ladder, as `ladder_of` decides)."""
    texts = db.session.scalars(
        select(OversightAuthority.ladder).where(OversightAuthority.ladder.is_not(None)).distinct()
    )
    found: dict[str, Ladder] = {}
    for text in {t.strip() for t in texts if t and t.strip()}:
        try:
            found[text] = parse_ladder(text)
        except ConfigError as exc:
            log.error("an authority's ladder is not valid, the configured ladder is used: %s", exc)
    return found


def _zones_in_use() -> list[str]:
    return [z for z in db.session.scalars(select(Agency.timezone).distinct()) if z]


def unaddressed_clause(steps: Any = None) -> Any:
    """SQL condition on escalation steps (the table, or a selection of its rows) joined to their Recommendation
    and Case: a step still due because its email could not be addressed to everyone it is for. It is the current
    level of the current cycle of a recommendation still open and awaiting follow-up, not resolved, not notified,
    and recorded by the sweep: its case has an `escalation_level_reached` history row (the importer records past
    levels without one, never to be emailed; a level passed over is below the current one)."""
    step = (EscalationStep.__table__ if steps is None else steps).c
    return and_(
        step.notified.is_(False),
        step.resolved_at.is_(None),
        step.cycle == Recommendation.cycle,
        step.level == Recommendation.escalation_level,
        Recommendation.is_open.is_(True),
        Case.status == CaseStatus.AWAITING_FOLLOW_UP.value,
        exists().where(CaseHistory.case_id == step.case_id, CaseHistory.event == HISTORY_EVENT),
    )


def unnotified_steps() -> Any:
    """The steps neither notified nor resolved, computed first (a materialized CTE): few in a healthy database,
    so the planners start there and not from the open recommendations (SQLite would, one lookup per case)."""
    table = EscalationStep.__table__
    return (
        select(table)
        .where(table.c.notified.is_(False), table.c.resolved_at.is_(None))
        .cte("unnotified_steps")
        .prefix_with("MATERIALIZED")
    )


# -- the sweep ---------------------------------------------------------------------------------------------------


# The columns of a recommendation the sweep reads (its row), for the main batches and the retried steps alike.
_ROW_COLUMNS = (
    Recommendation.id,
    Recommendation.case_id,
    Recommendation.cycle,
    Recommendation.escalation_level,
    Recommendation.due_at,
    Recommendation.drafted_by_id,
    Case.agency_id,
    Case.number,
    Case.created_by_id,
    Recommendation.authority_name,
    Recommendation.issued_at,
)


class Sweep:
    """One run: ladder, calendar (all overrides), thresholds and recipients loaded once."""

    def __init__(self, now: datetime, *, dry_run: bool, batch_size: int):
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("run_sweep needs an aware `now`")
        self.now = now
        self.dry_run = dry_run
        self.batch_size = max(1, int(batch_size))
        self.ladder = load_ladder()
        # The authorities' own ladders, by their JSON text (none, as shipped: every row climbs `self.ladder`).
        self._ladders = authority_ladders()
        self.calendar = Calendar.load(all_agencies=True)
        ladders = [self.ladder, *self._ladders.values()]
        zones = _zones_in_use()
        self.thresholds = merged_thresholds(ladders, self.calendar, zones, now)
        self.predicate = due_predicate(self.thresholds)
        # Incumbent PPKs' neutrality cases climb earlier (`ladder.incumbent_ladder`): a second bound, for them only,
        # in the same statement; none while no candidacy is recorded or the shift is off.
        self.shift = incumbent_shift()
        self._incumbents: dict[int, Incumbency] = {}
        if self.shift and db.session.scalar(select(exists().where(PpkCandidacy.id.is_not(None)))):
            shifted = merged_thresholds(
                [incumbent_ladder(lad, self.shift) for lad in ladders], self.calendar, zones, now
            )
            days = [local_date(now, zone) for zone in zones or ["Asia/Jakarta"]]
            self.predicate = or_(self.predicate, and_(incumbency_clause(min(days), max(days)), due_predicate(shifted)))
        self.directory = Directory()
        self.hours = working_hours()
        self.report = SweepReport(now=now, dry_run=dry_run)
        self._agencies: dict[int, AgencyInfo] = {}
        self._seen_cases: set[str] = set()
        self._lock = not dry_run and on_postgresql()
        self._records: dict[int, dict[str, int]] = {}
        self._advanced: set[int] = set()  # recommendations this run moved up (or, in a dry run, would)
        self._history: list[Entry] = []
        self._letter_numbers: dict[tuple[int, int, int], str] = {}
        self._emails: list[CaseEmail] = []

    # -- reading -------------------------------------------------------------------------------------------
    def claim(self, after_id: int) -> list[_Row]:
        stmt = (
            select(*_ROW_COLUMNS)
            .join(Case, Case.id == Recommendation.case_id)
            .where(self.predicate, Recommendation.id > after_id)
            .order_by(Recommendation.id)
            .limit(self.batch_size)
        )
        if self._lock:
            stmt = stmt.with_for_update(skip_locked=True, of=[Recommendation.__table__, Case.__table__])
        return [_Row(*row) for row in db.session.execute(stmt).all()]

    def agencies(self, ids: set[int]) -> None:
        missing = ids - self._agencies.keys()
        if missing:
            for agency in db.session.scalars(select(Agency).where(Agency.id.in_(missing))):
                self._agencies[agency.id] = AgencyInfo.of(agency)

    # -- deciding ------------------------------------------------------------------------------------------
    def plan(self, row: _Row) -> _Plan | None:
        agency = self._agencies[row.agency_id]
        due_day = local_date(row.due_at, agency.timezone)
        today = local_date(self.now, agency.timezone)
        current = -1 if row.level is None else row.level
        base = self.ladder_for(row, agency)
        incumbency = self._incumbents.get(row.case_id)
        ladder = case_ladder_for(base, incumbency is not None)
        days = level_days(ladder, self.calendar, due_day, agency.id)
        target = demanded_level(days, today)
        if target <= current:
            return None
        reached = {level: end_of_day(days[level], agency.timezone) for level in range(current + 1, target + 1)}
        early = early_levels(base, ladder) if incumbency is not None else frozenset()
        return _Plan(
            row=row,
            agency=agency,
            target=target,
            due_day=due_day,
            today=today,
            reached=reached,
            ladder=ladder,
            incumbency=incumbency if early else None,
            early=early,
        )

    def load_incumbents(self, rows: list[_Row]) -> None:
        """Which of the batch's cases are an incumbent PPK's, on each agency's day: one query per batch."""
        if not self.shift:
            self._incumbents = {}
            return
        days = {row.case_id: local_date(self.now, self._agencies[row.agency_id].timezone) for row in rows}
        self._incumbents = incumbencies(days.keys(), days)

    def ladder_for(self, row: _Row, agency: AgencyInfo) -> Ladder:
        """The ladder `row`'s recommendation climbs: its issuing authority's own, else the configured one (without
        a row naming a ladder, no authority is looked up at all)."""
        if not self._ladders:
            return self.ladder
        text = issuer_profile(row.authority_name, row.issued_at or row.due_at, agency.timezone).ladder
        if not text:
            return self.ladder
        return self._ladders.get(text) or ladder_of(text)

    def rung(self, plan: _Plan, level: int) -> Rung:
        """The ladder's rung of `level` for this recommendation: level 3 as its issuing authority's row says."""
        rung = (plan.ladder or self.ladder).rung(level)
        if level != AUTHORITY_LEVEL:
            return rung
        if plan.authority is None:
            plan.authority = self._authority(plan)
        return for_authority(rung, plan.authority.level3_to, plan.authority.level3_cc)

    def _authority(self, plan: _Plan) -> AuthorityProfile:
        """The issuing authority on its day of issue, in the agency's zone (as its emails and letters say)."""
        return issuer_profile(plan.row.authority_name, plan.row.issued_at or plan.row.due_at, plan.agency.timezone)

    def address(self, plan: _Plan, prior_body: str | None) -> None:
        rung = self.rung(plan, plan.target)
        if any("ministry" in self.rung(plan, level).recipients_rules for level in plan.new_levels):
            plan.body = prior_body or routed_body(plan.agency)
        else:
            plan.body = prior_body
        investigators = (plan.row.drafted_by_id, plan.row.created_by_id)
        who = {"agency": plan.agency, "body": plan.body, "authority": plan.authority}
        plan.groups, everyone = self.directory.groups(rung.recipients_rules, investigator_ids=investigators, **who)
        _, plan.to = self.directory.groups(rung.to, investigator_ids=investigators, **who)
        plan.cc = [email for email in everyone if email not in plan.to]
        plan.missing = self.directory.missing_targets(rung.recipients_rules, **who)

    def _prior_bodies(self, plans: list[_Plan]) -> dict[tuple[int, int], str]:
        """Ministry already recorded for a recommendation's cycle (level 3 copies the level-2 ministry)."""
        earlier = [p.row.rec_id for p in plans if p.current >= 0]
        if not earlier:
            return {}
        rows = db.session.execute(
            select(EscalationStep.recommendation_id, EscalationStep.cycle, EscalationStep.body)
            .where(EscalationStep.recommendation_id.in_(earlier), EscalationStep.body.is_not(None))
            .order_by(EscalationStep.level)
        ).all()
        return {(rec_id, cycle): body for rec_id, cycle, body in rows}

    # -- writing -------------------------------------------------------------------------------------------
    def _advance(self, plans: list[_Plan]) -> list[_Plan]:
        """Compare-and-set each recommendation's level; only the winners go on."""
        table = Recommendation.__table__
        groups: dict[tuple[int | None, int, int], list[int]] = defaultdict(list)
        for plan in plans:
            groups[(plan.row.level, plan.target, plan.row.cycle)].append(plan.row.rec_id)
        won: set[int] = set()
        for (old, new, cycle), ids in groups.items():
            stmt = (
                update(table)
                .where(
                    table.c.id.in_(ids),
                    table.c.cycle == cycle,
                    table.c.is_open.is_(True),
                    table.c.escalation_level.is_not_distinct_from(old),
                )
                .values(escalation_level=new)
                .returning(table.c.id)
            )
            won.update(db.session.execute(stmt).scalars())
        self.report.lost_races += len(plans) - len(won)
        return [p for p in plans if p.row.rec_id in won]

    def _insert_steps(self, plans: list[_Plan], recorded_at: datetime) -> set[tuple[int, int]]:
        table = EscalationStep.__table__
        values = []
        for plan in plans:
            for level in plan.new_levels:
                values.append(
                    {
                        "recommendation_id": plan.row.rec_id,
                        "case_id": plan.row.case_id,
                        "cycle": plan.row.cycle,
                        "level": level,
                        "reached_at": plan.reached[level],
                        "recorded_at": recorded_at,
                        "due_at": plan.row.due_at,
                        "body": plan.body if "ministry" in self.rung(plan, level).recipients_rules else None,
                        "notified": level == plan.target and plan.addressed,
                        "early_candidacy_id": plan.early_candidacy(level),
                    }
                )
        if not values:
            return set()
        dialect = db.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        # The rows as parameters of one statement (SQLAlchemy's "insertmanyvalues" batches them): compiled once
        # per process, where `.values(rows)` compiled a new statement, with a parameter per value, per batch.
        stmt = (
            insert(table)
            .on_conflict_do_nothing(index_elements=["recommendation_id", "cycle", "level"])
            .returning(table.c.recommendation_id, table.c.level)
        )
        return {(rec_id, level) for rec_id, level in db.session.execute(stmt, values)}

    def _days(self, plan: _Plan) -> tuple[int, int]:
        return self.calendar.days_left_and_late(plan.today, plan.due_day, plan.agency.id)

    def _record(self, plan: _Plan, case: Case, levels: list[int]) -> None:
        days_left, days_late = self._days(plan)
        status = case.status
        for level in levels:
            rung = self.rung(plan, level)
            self._history.append(
                Entry(
                    case.id,
                    HISTORY_EVENT,
                    status,
                    status,
                    actor=None,
                    payload={
                        "level": level,
                        "cycle": plan.row.cycle,
                        "kind": rung.kind,
                        "label": rung.label,
                        "reached_at": plan.reached[level].isoformat(),
                        "due_at": plan.row.due_at.isoformat(),
                        "days_late": days_late,
                        "body": plan.body if "ministry" in rung.recipients_rules else None,
                        "notified": level == plan.target and plan.addressed,
                        **({"incumbent": plan.incumbency.as_dict()} if plan.early_candidacy(level) else {}),
                    },
                )
            )
        if plan.target in levels and plan.groups:
            self._queue(plan, case, days_left, days_late)

    def _queue(self, plan: _Plan, case: Case, days_left: int, days_late: int) -> None:
        rung: Rung = self.rung(plan, plan.target)
        extra = {
            "level": plan.target,
            "level_label": rung.label,
            "cycle": plan.row.cycle,
            "due_at": plan.row.due_at.isoformat(),
            "reached_at": plan.reached[plan.target].isoformat(),
            "days_late": days_late,
            "days_left": days_left,
            "body": plan.body,
            "to": plan.to,
            "cc": plan.cc,
            "skipped_levels": [level for level in plan.new_levels if level != plan.target],
            "to_rules": list(rung.to),
            "cc_rules": list(rung.cc),
        }
        number = self._letter_numbers.get((plan.row.case_id, plan.target, plan.row.cycle))
        if number is None and plan.pending_step_id is not None and plan.target in LETTER_LEVELS:
            number = letter_number_of(plan.row.case_id, plan.target, plan.row.cycle)
        if number is not None:
            extra["escalation_letter"] = number
        if plan.agency.id in self._records:
            extra["record"] = self._records[plan.agency.id]
        if plan.early_candidacy(plan.target) is not None:
            assert plan.incumbency is not None
            extra["incumbent"] = plan.incumbency.as_dict()  # the email says why it comes earlier
        start, end = self.hours
        key = f"esc:{plan.row.rec_id}:{plan.row.cycle}:{plan.target}"
        # Recipients whose working hours start at the same moment share one call.
        by_moment: dict[datetime | None, list[str]] = {}
        for group in plan.groups:
            moment = self.calendar.next_working_moment(self.now, group.tz_name, group.calendar_agency_id, start, end)
            by_moment.setdefault(moment, []).extend(group.emails)
        for send_after, emails in by_moment.items():
            self._emails.append(CaseEmail(rung.kind, case, emails, key, extra, send_after))

    def process(self, rows: list[_Row]) -> None:
        self.report.examined += len(rows)
        self.agencies({row.agency_id for row in rows})
        self.load_incumbents(rows)
        plans = [plan for plan in (self.plan(row) for row in rows) if plan is not None]
        if not plans:
            return
        bodies = self._prior_bodies(plans)
        self.directory.preload_users({p.row.drafted_by_id for p in plans} | {p.row.created_by_id for p in plans})
        self.directory.preload_ppk({p.agency.id: p.agency for p in plans}.values())
        for plan in plans:
            self.address(plan, bodies.get((plan.row.rec_id, plan.row.cycle)))
        if self.dry_run:
            for plan in plans:
                self._advanced.add(plan.row.rec_id)
                self._count(plan, list(plan.new_levels))
            return
        plans = self._advance(plans)
        if not plans:
            return
        self._advanced.update(p.row.rec_id for p in plans)
        inserted = self._insert_steps(plans, utcnow())
        self._add_agency_records(plans)
        cases = self._cases({p.row.case_id for p in plans})
        self._history, self._emails = [], []
        recorded = {p.row.rec_id: [lv for lv in p.new_levels if (p.row.rec_id, lv) in inserted] for p in plans}
        self._letter_numbers = number_escalation_letters(
            [self._letter(p) for p in plans if p.target in LETTER_LEVELS and p.target in recorded[p.row.rec_id]]
        )
        for plan in plans:
            levels = recorded[plan.row.rec_id]
            if not levels:
                self.report.lost_races += 1
                continue
            self._record(plan, cases[plan.row.case_id], levels)
            self._count(plan, levels)
        # The batch's history rows and emails, each in one statement (the claim holds the cases' locks).
        append_history_many(self._history)
        self.report.emails += enqueue_many(self._emails)
        db.session.flush()

    def _letter(self, plan: _Plan) -> EscalationLetter:
        """The escalation letter of the level `plan` reaches, dated that day, from the issuing authority."""
        if plan.authority is None:
            plan.authority = self._authority(plan)
        reached = plan.reached[plan.target]
        day = local_date(reached, plan.agency.timezone)
        return EscalationLetter(plan.row.case_id, plan.target, plan.row.cycle, plan.authority, day, reached)

    def _cases(self, ids: set[int]) -> dict[int, Case]:
        """The batch's cases as they are now, with what the emails show (agency, recommendation)."""
        return {
            case.id: case
            for case in db.session.scalars(
                select(Case)
                .where(Case.id.in_(ids))
                .options(joinedload(Case.agency), joinedload(Case.recommendation))
                .execution_options(populate_existing=True)
            ).unique()
        }

    # -- steps of earlier sweeps still due -----------------------------------------------------------------
    def claim_pending(self, after_id: int) -> list[_Pending]:
        """The next batch of steps still due (`unaddressed_clause`), by step id, their recommendation and case
        locked like the main batches' (PostgreSQL)."""
        step = unnotified_steps()
        stmt = (
            select(
                step.c.id,
                step.c.level,
                step.c.body,
                step.c.reached_at,
                step.c.early_candidacy_id,
                *_ROW_COLUMNS,
            )
            .select_from(step)
            .join(Recommendation, Recommendation.id == step.c.recommendation_id)
            .join(Case, Case.id == Recommendation.case_id)
            .where(unaddressed_clause(step), step.c.id > after_id)
            .order_by(step.c.id)
            .limit(self.batch_size)
        )
        if self._lock:
            stmt = stmt.with_for_update(skip_locked=True, of=[Recommendation.__table__, Case.__table__])
        return [_Pending(*r[:5], row=_Row(*r[5:])) for r in db.session.execute(stmt).all()]

    def plan_pending(self, pending: _Pending) -> _Plan:
        agency = self._agencies[pending.row.agency_id]
        early = pending.early_candidacy_id
        incumbency = candidacy_incumbency(early) if early is not None else None
        base = self.ladder_for(pending.row, agency)
        return _Plan(
            ladder=case_ladder_for(base, incumbency is not None),
            incumbency=incumbency,
            early=frozenset({pending.level}) if incumbency is not None else frozenset(),
            row=pending.row,
            agency=agency,
            target=pending.level,
            due_day=local_date(pending.row.due_at, agency.timezone),
            today=local_date(self.now, agency.timezone),
            reached={pending.level: pending.reached_at},
            pending_step_id=pending.step_id,
        )

    def process_pending(self, batch: list[_Pending]) -> None:
        """Address each step again; queue its email to whoever has a mailbox now (each recipient's copy once,
        by its outbox key) and set `notified` once nobody it is for is missing."""
        # Not those this run recorded (or superseded), nor a level a shortened ladder no longer has.
        batch = [p for p in batch if p.row.rec_id not in self._advanced]
        if not batch:
            return
        self.agencies({p.row.agency_id for p in batch})
        plans, kept = [], []
        for pending in batch:
            plan = self.plan_pending(pending)
            if pending.level <= (plan.ladder or self.ladder).top:
                plans.append(plan)
                kept.append(pending)
        if not plans:
            return
        batch = kept
        self.directory.preload_users({p.row.drafted_by_id for p in plans} | {p.row.created_by_id for p in plans})
        self.directory.preload_ppk({p.agency.id: p.agency for p in plans}.values())
        for plan, pending in zip(plans, batch, strict=True):
            self.address(plan, pending.body)
            if not plan.addressed:
                self._note_missing(plan)
        plans = [p for p in plans if p.groups]  # still nobody to write to: nothing to queue, still due
        if not plans:
            return
        if self.dry_run:
            for plan in plans:
                if plan.addressed:
                    self.report.sent_late[plan.target] += 1
            return
        self._mark_notified([p for p in plans if p.addressed])
        self._add_agency_records(plans)
        cases = self._cases({p.row.case_id for p in plans})
        self._emails = []
        for plan in plans:
            days_left, days_late = self._days(plan)
            self._queue(plan, cases[plan.row.case_id], days_left, days_late)
        self.report.emails += enqueue_many(self._emails)
        db.session.flush()

    def _mark_notified(self, plans: list[_Plan]) -> None:
        """Compare-and-set `notified` on the steps now addressed to everyone; counted once, by the winner."""
        if not plans:
            return
        table = EscalationStep.__table__
        won = set(
            db.session.execute(
                update(table)
                .where(table.c.id.in_([p.pending_step_id for p in plans]), table.c.notified.is_(False))
                .values(notified=True)
                .returning(table.c.id)
            ).scalars()
        )
        for plan in plans:
            if plan.pending_step_id in won:
                self.report.sent_late[plan.target] += 1

    def _note_missing(self, plan: _Plan) -> None:
        for target in plan.missing:
            if target not in self.report.targets_without_mailbox:
                self.report.targets_without_mailbox.append(target)

    def _add_agency_records(self, plans: list[_Plan]) -> None:
        """The PPK records the batch's escalation letters show, one query for the agencies not met before: the
        sweep changes levels only, so a record (received, followed up, open past due) holds for the whole run."""
        ids = {p.agency.id for p in plans if p.groups and self.rung(p, p.target).kind in RECORD_KINDS}
        missing = ids - self._records.keys()
        if missing:
            self._records.update(agency_records(missing, now=self.now))

    def _count(self, plan: _Plan, levels: list[int]) -> None:
        for level in levels:
            self.report.levels[level] += 1
            if level == plan.target:
                if plan.addressed:
                    self.report.notified[level] += 1
                else:
                    self.report.unaddressed[level] += 1
                    self._note_missing(plan)
        if plan.row.number not in self._seen_cases:
            self._seen_cases.add(plan.row.number)
            self.report.cases.append(plan.row.number)

    def run(self) -> SweepReport:
        after_id = 0
        while True:
            if self.dry_run:
                rows = self.claim(after_id)
                if not rows:
                    break
                self.process(rows)
            else:
                with unit_of_work():
                    rows = self.claim(after_id)
                    if rows:
                        self.process(rows)
                if not rows:
                    break
            self.report.batches += 1
            after_id = rows[-1].rec_id
        self.run_pending()
        if self.dry_run:
            db.session.rollback()
        self.report.targets_without_mailbox.sort(key=TARGETS.index)
        return self.report

    def run_pending(self) -> None:
        """The steps of earlier sweeps still due, in batches committed like the main ones."""
        after_id = 0
        while True:
            if self.dry_run:
                pending = self.claim_pending(after_id)
                if pending:
                    self.process_pending(pending)
            else:
                with unit_of_work():
                    pending = self.claim_pending(after_id)
                    if pending:
                        self.process_pending(pending)
            if not pending:
                break
            after_id = pending[-1].step_id


def run_sweep(now: datetime, *, dry_run: bool = False, batch_size: int = 500) -> SweepReport:
    """Sweep every open recommendation at `now` (aware). Commits once per batch (nothing with `dry_run`)."""
    sweep = Sweep(now, dry_run=dry_run, batch_size=batch_size)
    report = sweep.run()
    log.info(
        "escalation sweep at %s%s: %s steps %s, %s emails, %s cases",
        now.isoformat(),
        " (dry run)" if dry_run else "",
        report.steps,
        dict(report.levels),
        report.emails,
        len(report.cases),
    )
    if report.targets_without_mailbox:
        log.warning(
            "escalation sweep: no mailbox for %s: %s step(s) wait for one (%s sent late now)",
            ", ".join(report.targets_without_mailbox),
            sum(report.unaddressed.values()),
            sum(report.sent_late.values()),
        )
    return report
