"""A civil servant as a person, not a string on a case: one row per NIP, the cases linked to it, merges of a
mistyped NIP into the right person, what the national register says about the person, the look-ups of a
person's record (a selection panel's check before a promotion, a view of the record), and who holds each
agency's PPK office and when.

The case keeps its own copy of the reported name, NIP and position (what was reported, under the case's
history); `cases.person_id` links it to the person, created from the case's data when the case is logged or
imported (`link_cases`) and filled for older cases by migration 0015.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    and_,
    bindparam,
    exists,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from app.core.clock import utcnow
from app.core.nip import normalize_nip
from app.core.sanction_rules import employee_of_nip
from app.core.vocab import Category
from app.db import Model, db, one_of
from app.models.cases import Case
from app.models.intake import CaseElection, Election

EMPLOYMENT_TYPES = ("pns", "pppk")
EMPLOYMENT_LABELS = {"pns": "PNS", "pppk": "PPPK"}
LOOKUP_KINDS = ("check", "view")
# Where a reporter's identity was shown (app/people/reporter_views.py).
REPORTER_VIEW_CHANNELS = ("page", "api", "export", "intake_page", "intake_api")


class Person(Model):
    """A civil servant, keyed by NIP. Name, position and agency come from the latest case (or the register,
    when one answered); `register_*` is what the national register said and when it was asked."""

    __tablename__ = "people"
    __table_args__ = (
        CheckConstraint("employment_type IS NULL OR employment_type IN ('pns', 'pppk')", name="employment_type"),
        CheckConstraint("merged_into_id IS NULL OR merged_into_id != id", name="not_merged_into_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    nip: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str | None] = mapped_column(String(200))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    employment_type: Mapped[str | None] = mapped_column(String(8))
    # A mistyped NIP merged into the right person: this row stays (its NIP leads to the right person).
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    # The national register (app/people/register.py): where the data came from, when, and what it said.
    register_source: Mapped[str | None] = mapped_column(String(16))
    register_checked_at: Mapped[datetime | None] = mapped_column(index=True)
    register_found: Mapped[bool | None] = mapped_column(Boolean)
    register_agency_name: Mapped[str | None] = mapped_column(String(200))
    register_status: Mapped[str | None] = mapped_column(String(100))
    retirement_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def register_notices(self, case_agency_name: str, today: date) -> list[dict[str, Any]]:
        """What the register found that an open case should know: a transfer (the register's agency is not the
        case's: the PPK may have changed) and a retirement (passed, or the register's status says so)."""
        if not self.register_found:
            return []
        notices: list[dict[str, Any]] = []
        here, there = (
            " ".join(case_agency_name.casefold().split()),
            " ".join((self.register_agency_name or "").casefold().split()),
        )
        if there and there != here:
            notices.append({"kind": "transfer", "agency_name": self.register_agency_name})
        status = (self.register_status or "").casefold()
        if self.retirement_on is not None and self.retirement_on <= today:
            notices.append({"kind": "retired", "on": self.retirement_on})
        elif "pensiun" in status or "berhenti" in status:
            notices.append({"kind": "status", "status": self.register_status})
        return notices


class PersonMerge(Model):
    """One merge of a mistyped NIP's person into the right one: which cases moved, who did it, when, why."""

    __tablename__ = "person_merges"

    id: Mapped[int] = mapped_column(primary_key=True)
    from_person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    into_person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    from_nip: Mapped[str] = mapped_column(String(18))
    into_nip: Mapped[str] = mapped_column(String(18))
    case_ids: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reason: Mapped[str] = mapped_column(Text)
    merged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    merged_at: Mapped[datetime] = mapped_column(default=utcnow)


class RecordLookup(Model):
    """Who looked at whose record, when and why: a selection panel's check (`check`, with its purpose) or a
    view of a person's record (`view`). The NIPs asked are rows of `record_lookup_nips`."""

    __tablename__ = "record_lookups"
    __table_args__ = (CheckConstraint("kind IN ('check', 'view')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    purpose: Mapped[str | None] = mapped_column(Text)
    nip_count: Mapped[int] = mapped_column(default=0)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    request_id: Mapped[str | None] = mapped_column(String(64))


class RecordLookupNip(Model):
    __tablename__ = "record_lookup_nips"
    __table_args__ = (Index("ix_record_lookup_nips_nip_lookup_id", "nip", "lookup_id"),)

    lookup_id: Mapped[int] = mapped_column(ForeignKey("record_lookups.id", ondelete="CASCADE"), primary_key=True)
    nip: Mapped[str] = mapped_column(String(18), primary_key=True)
    # Whether the answer held a record (cases within the period) for this NIP.
    had_record: Mapped[bool] = mapped_column(default=False)


class ReporterView(Model):
    """One view of a reporter's identity by the authority's staff: who, when, which case (or intake report) and
    through which channel (the case page or API, an export of the list, the intake report's page or API). An
    export names no single case: its filters are kept (`scope`)."""

    __tablename__ = "reporter_views"
    __table_args__ = (
        CheckConstraint(
            "channel IN ('page', 'api', 'export', 'intake_page', 'intake_api')",
            name="channel",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("intake_reports.id", ondelete="CASCADE"), index=True)
    scope: Mapped[dict[str, Any] | None] = mapped_column()
    request_id: Mapped[str | None] = mapped_column(String(64))


class RegisterEntry(Model):
    """A row of the national register imported as a file (CSV/XLSX) by an agency without access to its web
    services: the offline register the file adapter reads."""

    __tablename__ = "register_entries"

    nip: Mapped[str] = mapped_column(String(18), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str | None] = mapped_column(String(200))
    agency_name: Mapped[str | None] = mapped_column(String(200))
    employment_type: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[str | None] = mapped_column(String(100))
    retirement_on: Mapped[date | None] = mapped_column(Date)
    source_file: Mapped[str | None] = mapped_column(String(255))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)


class PpkOfficeHolder(Model):
    """Who held an agency's PPK office (the minister, head of agency, governor, regent or mayor), from when to
    when, definitive or acting (Plt./Pj.)."""

    __tablename__ = "ppk_office_holders"
    __table_args__ = (CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="dates"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    acting: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PpkCandidacy(Model):
    """An office holder standing as a candidate in an election (since `since`): the holder is then an incumbent,
    and the neutrality cases of that election in the holder's agency are flagged and escalated earlier
    (`incumbency_clause`, app/escalations/ladder.py `incumbent_ladder`)."""

    __tablename__ = "ppk_candidacies"
    __table_args__ = (UniqueConstraint("holder_id", "election_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("ppk_office_holders.id", ondelete="CASCADE"), index=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("elections.id"), index=True)
    since: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def holder_on(agency_id: int, day: date) -> PpkOfficeHolder | None:
    """The PPK office holder of the agency on `day` (a definitive holder before an acting one the same day)."""
    return db.session.scalar(
        select(PpkOfficeHolder)
        .where(
            PpkOfficeHolder.agency_id == agency_id,
            PpkOfficeHolder.started_on <= day,
            (PpkOfficeHolder.ended_on.is_(None)) | (PpkOfficeHolder.ended_on >= day),
        )
        .order_by(PpkOfficeHolder.acting, PpkOfficeHolder.started_on.desc(), PpkOfficeHolder.id.desc())
        .limit(1)
    )


def addressed_holder(rec: Any, timezone: str) -> PpkOfficeHolder | None:
    """The office holder an issued recommendation was addressed to: the one stored on issue (and by migration
    0021), else — a recommendation issued before any holder was recorded — the holder in office on its day of
    issue in the agency's zone, as `holder_on` finds it now."""
    if rec is None or rec.issued_at is None:
        return None
    if rec.addressed_holder_id is not None:
        return db.session.get(PpkOfficeHolder, rec.addressed_holder_id)
    return holder_on(rec.agency_id, rec.issued_at.astimezone(ZoneInfo(timezone or "Asia/Jakarta")).date())


def holder_out(row: PpkOfficeHolder | None) -> dict[str, Any] | None:
    """An office holder as the API and pages show it."""
    if row is None:
        return None
    return {
        "id": row.id,
        "agency_id": row.agency_id,
        "name": row.name,
        "title": row.title,
        "started_on": row.started_on,
        "ended_on": row.ended_on,
        "acting": row.acting,
        "acting_label": "Pelaksana tugas / penjabat" if row.acting else "Definitif",
    }


@dataclass(frozen=True)
class Incumbency:
    """Why a case is an incumbent PPK's: the candidacy, its office holder and the election."""

    candidacy_id: int
    holder_id: int
    holder_name: str
    holder_title: str
    election_id: int
    election_name: str
    since: date

    def as_dict(self) -> dict[str, Any]:
        return {
            "candidacy_id": self.candidacy_id,
            "holder_id": self.holder_id,
            "holder_name": self.holder_name,
            "holder_title": self.holder_title,
            "election_id": self.election_id,
            "election_name": self.election_name,
            "since": self.since.isoformat(),
        }


def _incumbency_conditions(first: date, last: date) -> ColumnElement[bool]:
    """The candidacy joins: a neutrality case linked to the candidacy's election, in the holder's agency, the
    candidacy begun and the holder in office on the day asked. `first`..`last` widen that day to the zones' range
    (an office ending on `first` still counts, one beginning on `last` too): a superset the caller narrows."""
    return and_(
        Case.category == Category.NETRALITAS.value,
        CaseElection.case_id == Case.id,
        PpkCandidacy.election_id == CaseElection.election_id,
        PpkOfficeHolder.id == PpkCandidacy.holder_id,
        PpkOfficeHolder.agency_id == Case.agency_id,
        PpkCandidacy.since <= last,
        PpkOfficeHolder.started_on <= last,
        or_(PpkOfficeHolder.ended_on.is_(None), PpkOfficeHolder.ended_on >= first),
    )


def incumbency_clause(first: date, last: date | None = None) -> ColumnElement[bool]:
    """SQL condition on Case: an office holder of its agency in office on the day asked (`first`, or any day of
    `first`..`last`) is a candidate, since then, in the election the neutrality case is linked to."""
    return exists().where(_incumbency_conditions(first, last or first))


def incumbencies(case_ids: Iterable[int], days: dict[int, date]) -> dict[int, Incumbency]:
    """The incumbency of each case of `case_ids` on its day (`days`: case id → the agency's local day): one query
    for all of them. The holder in office first (definitive before acting, newest first), as `holder_on`."""
    ids = sorted(set(case_ids))
    if not ids:
        return {}
    first, last = min(days[i] for i in ids), max(days[i] for i in ids)
    rows = db.session.execute(
        select(
            Case.id,
            PpkCandidacy.id,
            PpkCandidacy.since,
            PpkOfficeHolder.id,
            PpkOfficeHolder.name,
            PpkOfficeHolder.title,
            PpkOfficeHolder.started_on,
            PpkOfficeHolder.ended_on,
            Election.id,
            Election.name,
        )
        .select_from(Case)
        .join(CaseElection, CaseElection.case_id == Case.id)
        .join(PpkCandidacy, PpkCandidacy.election_id == CaseElection.election_id)
        .join(PpkOfficeHolder, PpkOfficeHolder.id == PpkCandidacy.holder_id)
        .join(Election, Election.id == PpkCandidacy.election_id)
        .where(Case.id.in_(ids), _incumbency_conditions(first, last))
        .order_by(Case.id, PpkOfficeHolder.acting, PpkOfficeHolder.started_on.desc(), PpkOfficeHolder.id.desc())
    ).all()
    found: dict[int, Incumbency] = {}
    for case_id, cand_id, since, holder_id, name, title, started, ended, election_id, election_name in rows:
        day = days[case_id]
        if case_id in found or since > day or started > day or (ended is not None and ended < day):
            continue
        found[case_id] = Incumbency(cand_id, holder_id, name, title, election_id, election_name, since)
    return found


def candidacy_incumbency(candidacy_id: int) -> Incumbency | None:
    """The incumbency a candidacy stands for (an escalation step reached earlier names it)."""
    row = db.session.execute(
        select(PpkCandidacy, PpkOfficeHolder, Election)
        .join(PpkOfficeHolder, PpkOfficeHolder.id == PpkCandidacy.holder_id)
        .join(Election, Election.id == PpkCandidacy.election_id)
        .where(PpkCandidacy.id == candidacy_id)
    ).first()
    if row is None:
        return None
    cand, holder, election = row
    return Incumbency(cand.id, holder.id, holder.name, holder.title, election.id, election.name, cand.since)


def person_for_nip(nip: str) -> Person | None:
    """The person of `nip` (a merged NIP leads to the person it was merged into), or None."""
    person = db.session.scalar(select(Person).where(Person.nip == normalize_nip(nip)))
    seen: set[int] = set()
    while person is not None and person.merged_into_id is not None and person.id not in seen:
        seen.add(person.id)
        person = db.session.get(Person, person.merged_into_id)
    return person


def people_of(reported: Sequence[tuple[str, str, str | None, int]]) -> dict[str, int]:
    """The person of each reported civil servant — (NIP, name, position, agency id), oldest case first — by
    normalised NIP: the person is created from the case's data when the NIP is new, and its name, position and
    agency follow the newest case otherwise (a civil servant moves) until the register speaks for it; a NIP merged
    into another person gives that person. The import asks this before it writes a batch's cases (each case is
    then inserted with its person); a few statements whatever the number of rows. Flushes."""
    if not reported:
        return {}
    nips = {normalize_nip(nip) for nip, *_ in reported}
    people = {p.nip: p for p in db.session.scalars(select(Person).where(one_of(Person.nip, nips)))}
    now = utcnow()
    newcomers: dict[str, dict[str, Any]] = {}  # NIPs seen for the first time: inserted in one statement below
    for raw_nip, name, position, agency_id in reported:  # oldest first: the newest case of a NIP speaks last
        nip = normalize_nip(raw_nip)
        person = people.get(nip)
        if person is None:
            known = newcomers.get(nip)
            if known is None:
                employee = employee_of_nip(nip)
                newcomers[nip] = {
                    "nip": nip,
                    "name": name,
                    "position": position,
                    "agency_id": agency_id,
                    "employment_type": employee.value if employee is not None else None,
                    "created_at": now,
                    "updated_at": now,
                }
            else:
                known.update(name=name, position=position or known["position"], agency_id=agency_id)
        elif person.merged_into_id is None and not person.register_found:
            person.name = name
            person.position = position or person.position
            person.agency_id = agency_id
            person.updated_at = now
    db.session.flush()
    targets: dict[str, int] = {}
    if newcomers:  # a batch of the import is mostly new people: one executemany and their ids by NIP (unique),
        # not an object each, nor a RETURNING of a thousand rows (one statement text per row count to parse)
        db.session.execute(insert(Person.__table__), list(newcomers.values()))  # type: ignore[arg-type]
        targets.update(db.session.execute(select(Person.nip, Person.id).where(one_of(Person.nip, newcomers))).all())
    for nip, person in people.items():
        target = person_for_nip(nip) if person.merged_into_id is not None else person
        assert target is not None
        targets[nip] = target.id
    return targets


def link_cases(case_ids: Iterable[int]) -> None:
    """Link each case of `case_ids` to the person of its reported NIP (`people_of`). A handful of statements
    whatever the number of cases. Flushes."""
    ids = sorted(set(case_ids))
    if not ids:
        return
    rows = db.session.execute(
        select(Case.id, Case.reported_nip, Case.reported_name, Case.reported_position, Case.agency_id)
        .where(one_of(Case.id, ids))
        .order_by(Case.id)
    ).all()
    targets = people_of([(r.reported_nip, r.reported_name, r.reported_position, r.agency_id) for r in rows])
    links = [{"case": row.id, "person": targets[normalize_nip(row.reported_nip)]} for row in rows]
    # A link is no edit of the case: no new version, no history row (the audit chain states the version), and
    # `updated_at` keeps its value.
    cases = Case.__table__
    db.session.execute(
        update(cases)  # type: ignore[arg-type]
        .where(cases.c.id == bindparam("case"))
        .values(person_id=bindparam("person"), updated_at=cases.c.updated_at),
        links,
    )
    for link in links:
        loaded = db.session.identity_map.get(identity_key(Case, link["case"]))
        if loaded is not None:
            set_committed_value(loaded, "person_id", link["person"])
