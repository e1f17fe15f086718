"""Cases for notification tests, written straight into the tables (the workflow is tested elsewhere)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any

from app.db import db
from app.models.agencies import Agency
from app.models.cases import Case, Recommendation
from tests.factories import make_agency

REPORTER_NAME = "Siti Rahasia Pelapor"
REPORTER_CONTACT = "siti.pelapor@contoh.org"
_numbers = itertools.count(1)

# 2026-11-30 16:59:59 UTC is the end of 30 November in WIB (23.59), and 01.59 on 1 December in WIT.
DUE_AT = datetime(2026, 11, 30, 16, 59, 59, tzinfo=UTC)


def make_case(agency: Agency | None = None, *, due_at: datetime | None = DUE_AT, **kw: Any) -> Case:
    """A committed case awaiting follow-up, with an issued recommendation and a confidential reporter."""
    agency = agency or make_agency()
    n = next(_numbers)
    values: dict[str, Any] = {
        "number": f"NKK-2026-{n:06d}",
        "agency_id": agency.id,
        "category": "netralitas",
        "subcategory": "kampanye_medsos",
        "source": "public",
        "reported_name": "Budi Santoso",
        "reported_nip": "198609262015051001",
        "reported_position": "Analis Kepegawaian Ahli Muda",
        "summary": "Mengunggah dukungan kepada bakal calon di media sosial.",
        "occurred_on": date(2026, 9, 14),
        "reporter_name": REPORTER_NAME,
        "reporter_contact": REPORTER_CONTACT,
        "_status": "awaiting_follow_up",
        "issued_at": DUE_AT - timedelta(days=20),
    }
    values.update(kw)
    case = Case(**values)
    db.session.add(case)
    db.session.flush()
    db.session.add(
        Recommendation(
            case_id=case.id,
            agency_id=case.agency_id,
            sanction="disiplin_sedang",
            sanction_form="potong_tpp_25_6",
            legal_basis="PP 94/2021 Pasal 5 huruf n",
            text="Menjatuhkan hukuman disiplin sedang.",
            letter_number=f"R-{1000 + n}/KASN/11/2026",
            authority_name="KASN",
            issued_at=DUE_AT - timedelta(days=20),
            received_on=date(2026, 11, 10),
            working_days=14,
            due_at=due_at,
            is_open=True,
        )
    )
    db.session.commit()
    return case
