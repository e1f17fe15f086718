"""Personal data held about people, why, who sees it and for how long (UU 27/2022 on personal data protection):
the retention periods as data, a report of the records past them and, when configured, their pseudonymisation
(`flask people retention [--apply]`, the scheduler's `retention` job). The public page `/privasi` and
docs/personal-data.md are written from `RETENTION` (one source).

The periods are the system's settings, not periods a regulation was found to set: UU 27/2022 asks the controller to
end the processing once the retention period is reached or the purpose achieved (Pasal 42), to erase data no
longer needed (Pasal 43) and to destroy it when its retention ends under the archive retention schedule (Pasal 44)
(read in https://id.scribd.com/document/602607430/2022-Bag-2-Perlindungan-Data-Pribadi-Dalam-UU-No-27-Tahun-2022
and https://preprod.justisio.com/regulation/indonesia/sjl9k22zlhhkpa0r87j2itst?m=0&page=5); no period specific to
ethics cases or selection checks was found. An administrator changes them here; docs/personal-data.md says the same.

Pseudonymising replaces a value with `PSN-` and 14 hex digits of an HMAC-SHA256 under `PSEUDONYM_KEY` (derived from
`SECRET_KEY` when unset): the same NIP, or the same reporter (by contact, else name), always gets the same
pseudonym, so a person stays linkable within the system without the name. Never a case still open, nor a record
within its period. Each case touched gets one history row (`pseudonymised`, appended to its sealed chain: the
earlier rows are not rewritten, so `flask audit verify` keeps passing); the case's version does not change.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, and_, bindparam, exists, func, or_, select, update

from app.audit.history import Entry, append_history_many
from app.core.clock import utcnow
from app.core.states import TERMINAL_STATUSES
from app.db import db, in_chunks
from app.models.cases import Case
from app.models.intake import IntakeReport
from app.models.notifications import ActivityEvent
from app.models.outcomes import DataBlock
from app.models.people import Person, PersonMerge, RecordLookup, RecordLookupNip
from app.web.schema_forms import N_

PREFIX = "PSN-"
PSEUDONYMISED = "pseudonymised"  # the history row's event


@dataclass(frozen=True)
class Retention:
    """One kind of personal data: what it is, why it is held, who sees it, how long and from when."""

    key: str
    label: str
    years: int
    why: str
    who: str
    starts: str
    at_end: str


RETENTION = (
    Retention(
        "person",
        N_("Data orang yang dilaporkan (nama, NIP, jabatan, instansi, data register)"),
        10,
        N_("rekam jejak penegakan nilai dasar, kode etik dan kode perilaku ASN; pemeriksaan sebelum promosi"),
        N_(
            "otoritas pengawas; PPK dan kementerian hanya melalui perkara yang boleh mereka lihat; panitia seleksi "
            "hanya perkara yang sudah diputus"
        ),
        N_("sejak perkara terakhir orang itu selesai (tidak ada perkara yang masih berjalan)"),
        N_("nama, NIP dan jabatan pada orang, perkaranya dan blokirnya diganti dengan nama samaran"),
    ),
    Retention(
        "lookup",
        N_(
            "Log pemeriksaan dan penglihatan rekam jejak (siapa, kapan, NIP, tujuan) dan log penglihatan identitas "
            "pelapor"
        ),
        5,
        N_("akuntabilitas atas setiap akses ke data pribadi"),
        N_("administrator; otoritas pengawas pada rekam jejak orang dan pada perkara yang bersangkutan"),
        N_("sejak pemeriksaan atau penglihatan itu"),
        N_("NIP yang diperiksa diganti dengan nama samaran"),
    ),
    Retention(
        "reporter",
        N_("Identitas pelapor (nama, kontak), juga dari formulir publik"),
        5,
        N_("menghubungi pelapor selama perkara berjalan"),
        N_("hanya staf otoritas pengawas; tidak pernah PPK, kementerian, Bawaslu, panitia seleksi atau publik"),
        N_("sejak perkara selesai, atau sejak laporan ditolak"),
        N_("nama diganti dengan nama samaran, kontak dihapus"),
    ),
    Retention(
        "signin",
        N_("Log masuk (akun, email yang diketik, alamat IP, waktu)"),
        1,
        N_("keamanan akun: mengenali dan menghentikan percobaan masuk yang tidak sah"),
        N_("administrator"),
        N_("sejak percobaan masuk itu"),
        N_("email dan alamat IP diganti dengan nama samaran"),
    ),
)
PERIODS = {r.key: r for r in RETENTION}


# -- the pseudonym -------------------------------------------------------------------------------------------------


def pseudonym_key() -> bytes:
    """PSEUDONYM_KEY, or a key derived from SECRET_KEY under its own label (never the SECRET_KEY itself)."""
    configured = current_app.config.get("PSEUDONYM_KEY")
    if configured:
        return str(configured).encode()
    secret = str(current_app.config.get("SECRET_KEY") or "").encode()
    return hmac.new(secret, b"tindak-pseudonym", hashlib.sha256).digest()


def pseudonym(value: str, key: bytes | None = None) -> str:
    """The stable pseudonym of `value` (18 characters: it fits a NIP's column)."""
    digest = hmac.new(key or pseudonym_key(), value.encode(), hashlib.sha256).hexdigest()
    return PREFIX + digest[:14].upper()


def is_pseudonym(value: str | None) -> bool:
    return bool(value) and str(value).startswith(PREFIX)


def _nip_identity(nip: str) -> str:
    return "nip:" + "".join(nip.split())


def _reporter_identity(name: str | None, contact: str | None) -> str:
    """The reporter as one identity: the contact when there is one, else the name (case and spaces ignored)."""
    if contact:
        return "contact:" + " ".join(contact.casefold().split())
    return "name:" + " ".join((name or "").casefold().split())


def _not_pseudonym(column: Any) -> ColumnElement[bool]:
    return ~column.startswith(PREFIX, autoescape=True)


# -- which records are past their period ---------------------------------------------------------------------------


def cutoffs(now: datetime) -> dict[str, datetime]:
    return {r.key: now - timedelta(days=365 * r.years) for r in RETENTION}


def _closed_before(cutoff: datetime) -> ColumnElement[bool]:
    """A case that ended (closed, completed, dismissed) before `cutoff`: never an open one."""
    return and_(
        Case.closed_at.is_not(None),
        Case.closed_at < cutoff,
        Case.status.in_([s.value for s in TERMINAL_STATUSES]),
    )


def _holds_reporter(model: Any) -> ColumnElement[bool]:
    return or_(
        model.reporter_contact.is_not(None), and_(model.reporter_name.is_not(None), _not_pseudonym(model.reporter_name))
    )


def _people_due(cutoff: datetime) -> Any:
    """People whose every case ended before `cutoff` (none open) and who still carry their NIP."""
    last_case = (
        select(Case.person_id, func.max(func.coalesce(Case.closed_at, Case.updated_at)).label("last"))
        .where(Case.person_id.is_not(None))
        .group_by(Case.person_id)
        .subquery()
    )
    still_open = exists().where(
        Case.person_id == Person.id,
        or_(Case.closed_at.is_(None), Case.status.not_in([s.value for s in TERMINAL_STATUSES])),
    )
    return (
        select(Person.id, Person.nip)
        .join(last_case, last_case.c.person_id == Person.id)
        .where(last_case.c.last < cutoff, ~still_open, Person.merged_into_id.is_(None), _not_pseudonym(Person.nip))
    )


def _reporter_cases_due(cutoff: datetime) -> Any:
    return select(Case.id).where(_closed_before(cutoff), _holds_reporter(Case))


def _reporter_reports_due(cutoff: datetime) -> Any:
    """Reports whose reporter is past the period: refused before `cutoff`, or turned into (or joined to) a case
    that ended before it."""
    case_ended = exists().where(Case.id == IntakeReport.case_id, _closed_before(cutoff))
    refused = and_(IntakeReport.status == "refused", IntakeReport.decided_at < cutoff)
    return select(IntakeReport.id).where(_holds_reporter(IntakeReport), or_(refused, case_ended))


def _lookup_nips_due(cutoff: datetime) -> Any:
    return (
        select(RecordLookupNip.lookup_id, RecordLookupNip.nip)
        .join(RecordLookup, RecordLookup.id == RecordLookupNip.lookup_id)
        .where(RecordLookup.at < cutoff, _not_pseudonym(RecordLookupNip.nip))
    )


def _signins_due(cutoff: datetime) -> Any:
    """Entries of the sign-in log (app/auth/activity.py) older than `cutoff` that still name an email or address."""
    named = or_(
        and_(ActivityEvent.email.is_not(None), _not_pseudonym(ActivityEvent.email)),
        and_(ActivityEvent.address.is_not(None), _not_pseudonym(ActivityEvent.address)),
    )
    return select(ActivityEvent.id).where(ActivityEvent.created_at < cutoff, named)


def _count(stmt: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)


def retention_report(now: datetime | None = None) -> list[dict[str, Any]]:
    """Per kind of data: its period and how many records are past it and still hold the personal data (people;
    look-ups; case reporters and intake reporters; sign-in log entries)."""
    limits = cutoffs(now or utcnow())
    counts = {
        "person": _count(_people_due(limits["person"])),
        "lookup": _count(_lookup_nips_due(limits["lookup"]).with_only_columns(RecordLookupNip.lookup_id).distinct()),
        "reporter": _count(_reporter_cases_due(limits["reporter"])) + _count(_reporter_reports_due(limits["reporter"])),
        "signin": _count(_signins_due(limits["signin"])),
    }
    return [
        {
            "key": r.key,
            "label": r.label,
            "years": r.years,
            "why": r.why,
            "who": r.who,
            "starts": r.starts,
            "at_end": r.at_end,
            "past": counts[r.key],
        }
        for r in RETENTION
    ]


# -- pseudonymising, one batch at a time ---------------------------------------------------------------------------


def _history(case_rows: list[Any], what: str, years: int, now: datetime) -> None:
    """One `pseudonymised` row per case, appended to its chain (the case's status and version stay)."""
    append_history_many(
        [
            Entry(
                row.id,
                PSEUDONYMISED,
                row.status,
                row.status,
                None,
                {"pseudonymised": what, "retention_years": years},
                now,
            )
            for row in case_rows
        ]
    )


def _update(table: Any, key_columns: dict[str, str], values: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    """One UPDATE … WHERE key = :key executed for every row of `rows` (the bound names of `values`)."""
    if not rows:
        return
    where = [table.c[column] == bindparam(param) for column, param in key_columns.items()]
    db.session.execute(update(table).where(*where).values(**values), rows)


def pseudonymise_reporters(now: datetime, limit: int) -> int:
    """The reporters of up to `limit` cases and `limit` intake reports past the period. Flushes; returns the
    records changed."""
    cutoff = cutoffs(now)["reporter"]
    key = pseudonym_key()
    cases = db.session.execute(
        select(Case.id, Case.status.label("status"), Case.reporter_name, Case.reporter_contact)
        .where(Case.id.in_(_reporter_cases_due(cutoff)))
        .order_by(Case.id)
        .limit(limit)
    ).all()
    table = Case.__table__
    _update(
        table,
        {"id": "row_id"},
        # Not an edit of the case: no new version, `updated_at` kept (the history row says what happened).
        {"reporter_name": bindparam("new_name"), "reporter_contact": None, "updated_at": table.c.updated_at},  # type: ignore[attr-defined]
        [
            {"row_id": row.id, "new_name": pseudonym(_reporter_identity(row.reporter_name, row.reporter_contact), key)}
            for row in cases
        ],
    )
    _history(list(cases), "reporter", PERIODS["reporter"].years, now)
    reports = db.session.execute(
        select(IntakeReport.id, IntakeReport.reporter_name, IntakeReport.reporter_contact)
        .where(IntakeReport.id.in_(_reporter_reports_due(cutoff)))
        .order_by(IntakeReport.id)
        .limit(limit)
    ).all()
    _update(
        IntakeReport.__table__,
        {"id": "row_id"},
        {"reporter_name": bindparam("new_name"), "reporter_contact": None},
        [
            {"row_id": row.id, "new_name": pseudonym(_reporter_identity(row.reporter_name, row.reporter_contact), key)}
            for row in reports
        ],
    )
    db.session.flush()
    return len(cases) + len(reports)


def pseudonymise_people(now: datetime, limit: int) -> int:
    """Up to `limit` people past the period: their name and NIP, on the person, its merged NIPs, its cases, the
    cases' blocks and intake reports, and the look-ups of those NIPs; the position is removed. Flushes; returns
    the people changed."""
    cutoff = cutoffs(now)["person"]
    key = pseudonym_key()
    people = db.session.execute(_people_due(cutoff).order_by(Person.id).limit(limit)).all()
    if not people:
        return 0
    ids = [row.id for row in people]
    merged = db.session.execute(select(Person.id, Person.nip).where(Person.merged_into_id.in_(ids))).all()
    nips = [row.nip for row in people] + [row.nip for row in merged]

    def nym(nip: str) -> str:
        return pseudonym(_nip_identity(nip), key)

    _update(
        Person.__table__,
        {"id": "row_id"},
        {"nip": bindparam("new_nip"), "name": bindparam("new_nip"), "position": None, "retirement_on": None},
        [{"row_id": row.id, "new_nip": nym(row.nip)} for row in [*people, *merged]],
    )
    merges = db.session.execute(
        select(PersonMerge.id, PersonMerge.from_nip, PersonMerge.into_nip).where(
            or_(PersonMerge.into_person_id.in_(ids), PersonMerge.from_person_id.in_(ids))
        )
    ).all()
    _update(
        PersonMerge.__table__,
        {"id": "row_id"},
        {"from_nip": bindparam("new_from"), "into_nip": bindparam("new_into")},
        [{"row_id": m.id, "new_from": nym(m.from_nip), "new_into": nym(m.into_nip)} for m in merges],
    )
    cases = db.session.execute(
        select(Case.id, Case.status.label("status"), Case.reported_nip).where(Case.person_id.in_(ids)).order_by(Case.id)
    ).all()
    table = Case.__table__
    _update(
        table,
        {"id": "row_id"},
        {
            "reported_name": bindparam("new_nip"),
            "reported_nip": bindparam("new_nip"),
            "reported_position": None,
            "updated_at": table.c.updated_at,  # type: ignore[attr-defined]
        },
        [{"row_id": row.id, "new_nip": nym(row.reported_nip)} for row in cases],
    )
    case_ids = [row.id for row in cases]
    for chunk in in_chunks(case_ids):
        blocks = db.session.execute(select(DataBlock.id, DataBlock.nip).where(DataBlock.case_id.in_(chunk))).all()
        _update(
            DataBlock.__table__,
            {"id": "row_id"},
            {"nip": bindparam("new_nip")},
            [{"row_id": b.id, "new_nip": nym(b.nip)} for b in blocks if not is_pseudonym(b.nip)],
        )
        reports = db.session.execute(
            select(IntakeReport.id, IntakeReport.reported_nip, IntakeReport.reported_name).where(
                IntakeReport.case_id.in_(chunk)
            )
        ).all()
        _update(
            IntakeReport.__table__,
            {"id": "row_id"},
            {"reported_name": bindparam("new_name"), "reported_nip": bindparam("new_nip"), "reported_position": None},
            [
                {
                    "row_id": r.id,
                    "new_name": nym(r.reported_nip) if r.reported_nip else pseudonym("name:" + r.reported_name, key),
                    "new_nip": nym(r.reported_nip) if r.reported_nip else None,
                }
                for r in reports
            ],
        )
    _rename_lookup_nips(nips, nym)
    _history(list(cases), "reported_person", PERIODS["person"].years, now)
    db.session.flush()
    return len(people)


def _rename_lookup_nips(nips: list[str], nym: Callable[[str], str]) -> int:
    rows = [
        {"lookup": row.lookup_id, "old_nip": row.nip, "new_nip": nym(row.nip)}
        for chunk in in_chunks(nips)
        for row in db.session.execute(
            select(RecordLookupNip.lookup_id, RecordLookupNip.nip).where(RecordLookupNip.nip.in_(chunk))
        )
    ]
    _update(RecordLookupNip.__table__, {"lookup_id": "lookup", "nip": "old_nip"}, {"nip": bindparam("new_nip")}, rows)
    return len(rows)


def pseudonymise_lookups(now: datetime, limit: int) -> int:
    """The NIPs of up to `limit` look-up rows older than the period. Flushes; returns the rows changed."""
    key = pseudonym_key()
    rows = db.session.execute(
        _lookup_nips_due(cutoffs(now)["lookup"]).order_by(RecordLookupNip.lookup_id, RecordLookupNip.nip).limit(limit)
    ).all()
    _update(
        RecordLookupNip.__table__,
        {"lookup_id": "lookup", "nip": "old_nip"},
        {"nip": bindparam("new_nip")},
        [{"lookup": r.lookup_id, "old_nip": r.nip, "new_nip": pseudonym(_nip_identity(r.nip), key)} for r in rows],
    )
    db.session.flush()
    return len(rows)


def pseudonymise_signins(now: datetime, limit: int) -> int:
    """The email and address of up to `limit` sign-in log entries older than the period (the account link stays:
    it is the authority's own user). Flushes; returns the entries changed."""
    key = pseudonym_key()
    rows = db.session.execute(
        select(ActivityEvent.id, ActivityEvent.email, ActivityEvent.address)
        .where(ActivityEvent.id.in_(_signins_due(cutoffs(now)["signin"])))
        .order_by(ActivityEvent.id)
        .limit(limit)
    ).all()

    def nym(kind: str, value: str | None) -> str | None:
        if value is None or is_pseudonym(value):
            return value
        return pseudonym(f"{kind}:{' '.join(value.casefold().split())}", key)

    _update(
        ActivityEvent.__table__,
        {"id": "row_id"},
        {"email": bindparam("new_email"), "address": bindparam("new_address")},
        [{"row_id": r.id, "new_email": nym("email", r.email), "new_address": nym("address", r.address)} for r in rows],
    )
    db.session.flush()
    return len(rows)


BATCHES: tuple[tuple[str, Callable[[datetime, int], int]], ...] = (
    ("reporter", pseudonymise_reporters),
    ("person", pseudonymise_people),
    ("lookup", pseudonymise_lookups),
    ("signin", pseudonymise_signins),
)


def pseudonymise_due(now: datetime | None = None, batch: int | None = None) -> dict[str, int]:
    """Pseudonymise every record past its period, `batch` records of a kind per transaction (an entry point:
    it commits each batch, so a long run holds no lock for long and a stop keeps what was done). Returns the
    records changed per kind; a second run changes nothing."""
    now = now or utcnow()
    size = max(1, int(batch or current_app.config.get("RETENTION_BATCH") or 500))
    done = {kind: 0 for kind, _ in BATCHES}
    for kind, step in BATCHES:
        while True:
            try:
                changed = step(now, size)
                db.session.commit()
            except BaseException:
                db.session.rollback()
                raise
            done[kind] += changed
            if changed == 0:
                break
    return done


def retention_job() -> dict[str, int]:
    """The scheduler's job (registered when RETENTION_PSEUDONYMISE is on)."""
    return pseudonymise_due()
