"""A person's record: every case of the person the reader may see (across agencies: a civil servant moves), with
its recommendation, the sanctions imposed, the blocks of data and their dates; the merges of a mistyped NIP; the
look-ups of the record (who, when, which NIPs, why), each view of a record logged as one.

Who may see what is decided in app/cases/access.py (`scoped_cases`, `sees_every_person`): the authority's roles
read any person; a PPK, a ministry read a person only through the cases they may already see, and get 404 for
a person of none of them. The reporter, the evidence and the summary are never part of a record.
Services flush; the API and the pages commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import g, has_request_context
from sqlalchemy import select

from app.audit.history import append_history, lock_case
from app.cases.access import (
    scoped_cases,
    sees_deliberation,
    sees_every_person,
)
from app.cases.outcomes import blocks_out
from app.core.clock import utcnow
from app.core.nip import normalize_nip
from app.core.states import STATUS_LABELS, CaseStatus
from app.core.vocab import CASE_STAFF, CATEGORY_LABELS, SANCTION_FORMS, SANCTION_LABELS, Category, role_label
from app.db import db
from app.errors import Forbidden, NotFound, ValidationFailed
from app.models.agencies import Agency
from app.models.auth import User
from app.models.cases import Case, FollowUp, Recommendation
from app.models.outcomes import DataBlock
from app.models.people import (
    EMPLOYMENT_LABELS,
    Person,
    PersonMerge,
    RecordLookup,
    RecordLookupNip,
    addressed_holder,
    holder_out,
    person_for_nip,
)

MERGED = "person_merged"
NOT_FOUND = "Orang dengan NIP ini tidak ditemukan."


def find_person(user: Any, nip: str) -> Person:
    """The person of `nip` if `user` may read the record, else NotFound (never confirms that a person exists
    outside what the reader may see)."""
    value = normalize_nip(nip)
    person = person_for_nip(value) if value.isdigit() and 0 < len(value) <= 18 else None
    if person is None:
        raise NotFound(NOT_FOUND)
    if not sees_every_person(user) and not visible_case_ids(user, person):
        raise NotFound(NOT_FOUND)
    return person


def visible_case_ids(user: Any, person: Person) -> list[int]:
    stmt = scoped_cases(user).with_only_columns(Case.id).where(Case.person_id == person.id).order_by(Case.id)
    return list(db.session.scalars(stmt))


def _agency_out(agency: Agency | None) -> dict[str, Any] | None:
    if agency is None:
        return None
    return {"id": agency.id, "code": agency.code, "name": agency.name}


def sanction_label(level: str | None, form: str | None) -> str | None:
    if level is None:
        return None
    label = SANCTION_LABELS.get(level, level)  # type: ignore[call-overload]
    return f"{label}: {SANCTION_FORMS[form]}" if form in SANCTION_FORMS else label


def case_rows(case_ids: list[int]) -> list[dict[str, Any]]:
    """The cases as the record lists them (newest first): state, recommendation, sanctions imposed; no reporter,
    no evidence, no summary."""
    if not case_ids:
        return []
    cases = list(db.session.scalars(select(Case).where(Case.id.in_(case_ids)).order_by(Case.id.desc())))
    agencies = {a.id: a for a in db.session.scalars(select(Agency).where(Agency.id.in_({c.agency_id for c in cases})))}
    recs = {
        r.case_id: r for r in db.session.scalars(select(Recommendation).where(Recommendation.case_id.in_(case_ids)))
    }
    follow_ups: dict[int, list[FollowUp]] = {}
    for f in db.session.scalars(select(FollowUp).where(FollowUp.case_id.in_(case_ids)).order_by(FollowUp.id)):
        follow_ups.setdefault(f.case_id, []).append(f)
    out = []
    for case in cases:
        rec = recs.get(case.id)
        issued = rec is not None and rec.issued_at is not None
        out.append(
            {
                "id": case.id,
                "number": case.number,
                "agency": _agency_out(agencies.get(case.agency_id)),
                "category": case.category,
                "category_label": CATEGORY_LABELS.get(Category(case.category), case.category),
                "status": case.status,
                "status_label": STATUS_LABELS[CaseStatus(case.status)],
                "reported_name": case.reported_name,
                "reported_nip": case.reported_nip,
                "reported_position": case.reported_position,
                "occurred_on": case.occurred_on,
                "created_at": case.created_at,
                "closed_at": case.closed_at,
                "recommendation": (
                    {
                        "sanction": rec.sanction,
                        "sanction_form": rec.sanction_form,
                        "sanction_label": sanction_label(rec.sanction, rec.sanction_form),
                        "letter_number": rec.letter_number,
                        "authority": rec.authority_name,
                        "issued_at": rec.issued_at,
                        "due_at": rec.due_at,
                        "followed_up_at": rec.followed_up_at,
                        # the PPK office holder on the day of issue (the agency's history of holders)
                        "addressed_to": holder_out(addressed_holder(rec, agencies[case.agency_id].timezone)),
                    }
                    if rec is not None and issued
                    else None
                ),
                "sanctions_imposed": [
                    {
                        "decision_number": f.decision_number,
                        "decision_date": f.decision_date,
                        "sanction": f.sanction_imposed,
                        "sanction_form": f.sanction_form,
                        "sanction_label": sanction_label(f.sanction_imposed, f.sanction_form),
                        "is_lighter": f.is_lighter,
                        "verdict": f.verdict,
                    }
                    for f in follow_ups.get(case.id, [])
                ],
            }
        )
    return out


def person_out(person: Person) -> dict[str, Any]:
    agency = db.session.get(Agency, person.agency_id) if person.agency_id else None
    return {
        "nip": person.nip,
        "name": person.name,
        "position": person.position,
        "employment_type": person.employment_type,
        "employment_label": EMPLOYMENT_LABELS.get(person.employment_type or "", None),
        "agency": _agency_out(agency),
        "register": {
            "source": person.register_source,
            "checked_at": person.register_checked_at,
            "found": person.register_found,
            "agency_name": person.register_agency_name,
            "status": person.register_status,
            "retirement_on": person.retirement_on,
        },
    }


def person_record(user: Any, person: Person) -> dict[str, Any]:
    """The record of `person` as `user` may read it (`user` may read the person: `find_person`)."""
    ids = visible_case_ids(user, person)
    out = person_out(person)
    out["items"] = case_rows(ids)
    blocks = (
        list(db.session.scalars(select(DataBlock).where(DataBlock.case_id.in_(ids)).order_by(DataBlock.id)))
        if ids
        else []
    )
    out["blocks"] = blocks_out(blocks, user)
    numbers = {row["id"]: row["number"] for row in out["items"]}
    for block in out["blocks"]:
        block["case_number"] = numbers.get(block["case_id"])
    out["merged_nips"] = list(
        db.session.scalars(select(Person.nip).where(Person.merged_into_id == person.id).order_by(Person.nip))
    )
    staff = sees_deliberation(user)
    out["merges"] = merges_of(person) if staff else []
    out["lookups"] = lookups_of([person.nip, *out["merged_nips"]]) if staff else []
    return out


# -- look-ups of a record ------------------------------------------------------------------------------------------


def log_lookup(
    user: Any,
    kind: str,
    nips: list[str],
    *,
    purpose: str | None = None,
    found: set[str] | None = None,
    now: datetime | None = None,
) -> RecordLookup:
    """Record that `user` looked at the records of `nips` (a panel's check, or a view of a record). Flushes."""
    unique = list(dict.fromkeys(nips))
    lookup = RecordLookup(
        kind=kind,
        user_id=user.id,
        role=str(user.role),
        agency_id=getattr(user, "agency_id", None),
        purpose=purpose,
        nip_count=len(unique),
        at=now or utcnow(),
        request_id=(getattr(g, "request_id", None) or None) if has_request_context() else None,
    )
    db.session.add(lookup)
    db.session.flush()
    found = found or set()
    db.session.add_all(RecordLookupNip(lookup_id=lookup.id, nip=nip, had_record=nip in found) for nip in unique)
    db.session.flush()
    return lookup


KIND_LABELS = {"check": "Pemeriksaan rekam jejak (panitia seleksi)", "view": "Melihat rekam jejak"}


def _lookups_out(rows: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "id": lookup.id,
            "kind": lookup.kind,
            "kind_label": KIND_LABELS[lookup.kind],
            "at": lookup.at,
            "user_id": lookup.user_id,
            "user_name": name,
            "role": lookup.role,
            "role_label": role_label(lookup.role),
            "agency": agency_name,
            "purpose": lookup.purpose,
            "nip_count": lookup.nip_count,
            **({"nip": nip, "had_record": had} if nip is not None else {}),
        }
        for lookup, name, agency_name, nip, had in rows
    ]


def lookups_of(nips: list[str], limit: int = 200) -> list[dict[str, Any]]:
    """The look-ups that asked for any of `nips`, newest first (the person's record, for the authority)."""
    stmt = (
        select(RecordLookup, User.name, Agency.name, RecordLookupNip.nip, RecordLookupNip.had_record)
        .join(RecordLookupNip, RecordLookupNip.lookup_id == RecordLookup.id)
        .outerjoin(User, User.id == RecordLookup.user_id)
        .outerjoin(Agency, Agency.id == RecordLookup.agency_id)
        .where(RecordLookupNip.nip.in_(nips))
        .order_by(RecordLookup.at.desc(), RecordLookup.id.desc())
        .limit(limit)
    )
    return _lookups_out(list(db.session.execute(stmt).all()))


def all_lookups(kind: str | None = None, limit: int = 200, before_id: int | None = None) -> list[dict[str, Any]]:
    """Every look-up, newest first, with its NIPs (the administrator's log)."""
    stmt = (
        select(RecordLookup, User.name, Agency.name)
        .outerjoin(User, User.id == RecordLookup.user_id)
        .outerjoin(Agency, Agency.id == RecordLookup.agency_id)
        .order_by(RecordLookup.id.desc())
        .limit(limit)
    )
    if kind:
        stmt = stmt.where(RecordLookup.kind == kind)
    if before_id:
        stmt = stmt.where(RecordLookup.id < before_id)
    rows = list(db.session.execute(stmt).all())
    out = _lookups_out([(lookup, name, agency, None, None) for lookup, name, agency in rows])
    ids = [row["id"] for row in out]
    nips: dict[int, list[str]] = {}
    if ids:
        for lookup_id, nip in db.session.execute(
            select(RecordLookupNip.lookup_id, RecordLookupNip.nip)
            .where(RecordLookupNip.lookup_id.in_(ids))
            .order_by(RecordLookupNip.nip)
        ):
            nips.setdefault(lookup_id, []).append(nip)
    for row in out:
        row["nips"] = nips.get(row["id"], [])
    return out


# -- merging a mistyped NIP ----------------------------------------------------------------------------------------


def merges_of(person: Person) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(PersonMerge, User.name)
        .outerjoin(User, User.id == PersonMerge.merged_by_id)
        .where((PersonMerge.into_person_id == person.id) | (PersonMerge.from_person_id == person.id))
        .order_by(PersonMerge.id)
    ).all()
    return [_merge_out(m, name) for m, name in rows]


def _merge_out(m: PersonMerge, name: str | None) -> dict[str, Any]:
    return {
        "id": m.id,
        "from_nip": m.from_nip,
        "into_nip": m.into_nip,
        "case_ids": list(m.case_ids.get("ids", [])),
        "reason": m.reason,
        "merged_by": name,
        "merged_at": m.merged_at,
    }


def merge_out(m: PersonMerge) -> dict[str, Any]:
    user = db.session.get(User, m.merged_by_id) if m.merged_by_id else None
    return _merge_out(m, user.name if user is not None else None)


def _merge_parties(from_nip: Any, into_nip: Any, reason: Any) -> tuple[Person, Person, str]:
    """The person to merge, the person to merge into, and the reason; 422 naming every field at once."""
    fields: dict[str, list[str]] = {}
    for name, value in (("from_nip", from_nip), ("into_nip", into_nip), ("reason", reason)):
        if not isinstance(value, str):
            fields[name] = ["Harus berupa teks."]
    if fields:
        raise ValidationFailed("Penggabungan tidak dapat dilakukan.", details={"fields": fields})
    reason = reason.strip()
    if not reason:
        fields["reason"] = ["Wajib diisi."]
    source = db.session.scalar(select(Person).where(Person.nip == normalize_nip(from_nip)))
    target = person_for_nip(into_nip)
    if source is None:
        fields["from_nip"] = ["Tidak ada orang dengan NIP ini."]
    elif source.merged_into_id is not None:
        fields["from_nip"] = ["NIP ini sudah digabungkan."]
    if target is None:
        fields["into_nip"] = ["Tidak ada orang dengan NIP ini."]
    elif source is not None and target.id == source.id:
        fields["into_nip"] = ["NIP tujuan sama dengan NIP yang digabungkan."]
    if fields or source is None or target is None:
        raise ValidationFailed("Penggabungan tidak dapat dilakukan.", details={"fields": fields})
    return source, target, reason


def merge_people(from_nip: str, into_nip: str, reason: str, actor: User, *, now: datetime | None = None) -> PersonMerge:
    """Merge the person of a mistyped NIP into the right person: its cases move (each case's history says so),
    the mistyped NIP leads to the right person from now on, and the merge is kept with who, when and why.
    The authority's case staff only. Flushes."""
    if actor.role not in CASE_STAFF:
        raise Forbidden("Hanya penyelidik atau pejabat otoritas pengawas yang dapat menggabungkan data orang.")
    source, target, reason = _merge_parties(from_nip, into_nip, reason)
    now = now or utcnow()
    cases = list(db.session.scalars(select(Case).where(Case.person_id == source.id).order_by(Case.id)))
    merge = PersonMerge(
        from_person_id=source.id,
        into_person_id=target.id,
        from_nip=source.nip,
        into_nip=target.nip,
        case_ids={"ids": [c.id for c in cases]},
        reason=reason,
        merged_by_id=actor.id,
        merged_at=now,
    )
    db.session.add(merge)
    source.merged_into_id = target.id
    db.session.flush()
    # Earlier merges into the mistyped person follow it to the right one.
    for earlier in db.session.scalars(select(Person).where(Person.merged_into_id == source.id)):
        earlier.merged_into_id = target.id
    case_table = Case.__table__
    for case in cases:
        lock_case(case)
        db.session.execute(
            case_table.update()
            .where(case_table.c.id == case.id)
            .values(person_id=target.id, updated_at=case_table.c.updated_at)
        )
        append_history(
            case,
            MERGED,
            case.status,
            case.status,
            actor=actor,
            payload={"from_nip": source.nip, "into_nip": target.nip, "merge_id": merge.id},
            at=now,
        )
    db.session.flush()
    db.session.expire_all()
    return merge
