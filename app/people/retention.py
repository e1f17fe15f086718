"""Personal data held about people, why, who sees it and for how long (UU 27/2022 on personal data protection):
the retention periods as data, and a report of the records past them (`flask people retention`).

The periods are the system's settings, not periods a regulation was found to set: UU 27/2022 asks the controller to
end the processing once the retention period is reached or the purpose achieved (Pasal 42), to erase data no
longer needed (Pasal 43) and to destroy it when its retention ends under the archive retention schedule (Pasal 44)
(read in https://id.scribd.com/document/602607430/2022-Bag-2-Perlindungan-Data-Pribadi-Dalam-UU-No-27-Tahun-2022
and https://preprod.justisio.com/regulation/indonesia/sjl9k22zlhhkpa0r87j2itst?m=0&page=5); no period specific to
ethics cases or selection checks was found. An administrator changes them
here; docs/personal-data.md says the same. Pseudonymising past the period is not done yet: the report says what
it would touch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from app.core.clock import utcnow
from app.db import db
from app.models.cases import Case
from app.models.people import Person, RecordLookup


@dataclass(frozen=True)
class Retention:
    key: str
    label: str
    years: int
    why: str
    who: str


RETENTION = (
    Retention(
        "person",
        "Data orang (nama, NIP, jabatan, instansi, data register)",
        10,
        "rekam jejak penegakan nilai dasar, kode etik dan kode perilaku ASN; pemeriksaan sebelum promosi",
        "otoritas pengawas; PPK dan kementerian hanya melalui perkara yang boleh mereka lihat; panitia seleksi "
        "hanya perkara yang sudah diputus",
    ),
    Retention(
        "lookup",
        "Log pemeriksaan dan penglihatan rekam jejak (siapa, kapan, NIP, tujuan)",
        5,
        "akuntabilitas atas setiap akses ke data pribadi",
        "administrator; otoritas pengawas pada rekam jejak orang yang bersangkutan",
    ),
    Retention(
        "reporter",
        "Identitas pelapor (nama, kontak)",
        5,
        "menghubungi pelapor selama perkara berjalan",
        "hanya staf otoritas pengawas",
    ),
)


def retention_report(now: datetime | None = None) -> list[dict[str, Any]]:
    """Per kind of data: its period and how many records are past it (a person whose newest case ended, or was
    logged, before the period; a look-up older than it; a reporter of a case ended before it)."""
    now = now or utcnow()
    periods = {r.key: now - timedelta(days=365 * r.years) for r in RETENTION}
    last_case = (
        select(Case.person_id, func.max(func.coalesce(Case.closed_at, Case.updated_at)).label("last"))
        .group_by(Case.person_id)
        .subquery()
    )
    open_people = select(Case.person_id).where(Case.closed_at.is_(None), Case.person_id.is_not(None))
    people_past = db.session.scalar(
        select(func.count())
        .select_from(Person)
        .join(last_case, last_case.c.person_id == Person.id)
        .where(last_case.c.last < periods["person"], Person.id.not_in(open_people))
    )
    lookups_past = db.session.scalar(
        select(func.count()).select_from(RecordLookup).where(RecordLookup.at < periods["lookup"])
    )
    reporters_past = db.session.scalar(
        select(func.count())
        .select_from(Case)
        .where(
            Case.closed_at.is_not(None),
            Case.closed_at < periods["reporter"],
            (Case.reporter_name.is_not(None)) | (Case.reporter_contact.is_not(None)),
        )
    )
    counts = {"person": people_past, "lookup": lookups_past, "reporter": reporters_past}
    return [
        {"key": r.key, "label": r.label, "years": r.years, "why": r.why, "who": r.who, "past": int(counts[r.key] or 0)}
        for r in RETENTION
    ]
