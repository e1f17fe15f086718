"""The public figures' test world: an agency with 6 recommendations, a kabupaten with 1 and a kota with 2 in one
province, cases still before a recommendation, each with its own named person, NIP and reporter."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from app.core.states import CaseStatus as S
from app.db import db
from app.models.cases import Case
from tests.factories import NIPS, REPORTER, Cast, case_in, make_agency, make_cast

# One person per case: the scan looks for every one of them in every public answer.
PEOPLE = [
    ("Bambang Wiratmoko", "198001012005011001"),
    ("Citra Lestari Ayu", "198102022006022002"),
    ("Dedi Kurniawan Saputra", "198203032007031003"),
    ("Endang Sriwahyuni", "198304042008042004"),
    ("Fajar Nugroho Hadi", "198405052009051005"),
    ("Gita Permatasari", "198506062010062006"),
    ("Hendra Gunawan Tjahja", "198607072011071007"),
    ("Indah Purnamasari", "198708082012082008"),
    ("Joko Susilo Widodo", "198809092013091009"),
    ("Kartika Dewi Anggraini", "198910102014102010"),
    ("Lukman Hakim Siregar", "199011112015111011"),
    ("Maya Sari Puspita", "199112122016122012"),
]


@dataclass
class PublicWorld:
    cast: Cast
    big: Any
    province: Any
    kabupaten: Any
    kota: Any
    cases: list[Case] = field(default_factory=list)

    def secrets(self) -> list[str]:
        """Everything personal in the test data: names, NIPs, case numbers, reporter, free text."""
        found = [REPORTER["name"], REPORTER["contact"], *NIPS]
        for case in self.cases:
            found += [case.number, case.reported_name, case.reported_nip, case.summary]
        for user in (self.cast.investigator, self.cast.commissioner, self.cast.commissioner2, self.cast.ppk):
            found += [user.name, user.email]
        return found


@pytest.fixture
def public_world() -> PublicWorld:
    big = make_agency(name="Kementerian Contoh Besar", code="KEM-BESAR", kind="kementerian")
    province = make_agency(name="Provinsi Contoh", code="PROV-99", kind="provinsi")
    kabupaten = make_agency(name="Kabupaten Contoh Kecil", code="KAB-9901", kind="kabupaten", parent_id=province.id)
    kota = make_agency(
        name="Kota Contoh Kecil", code="KOTA-9902", kind="kota", parent_id=province.id, timezone="Asia/Makassar"
    )
    cast = make_cast(agency=big)
    world = PublicWorld(cast=cast, big=big, province=province, kabupaten=kabupaten, kota=kota)
    people = iter(PEOPLE)

    def case(status: S, agency: Any) -> Case:
        name, nip = next(people)
        built = case_in(
            cast,
            status,
            agency=agency,
            reported_person={"name": name, "nip": nip, "position": "Analis"},
            summary=f"Ringkasan rahasia tentang {name} yang tidak boleh keluar.",
        )
        world.cases.append(built)
        return built

    for status in (S.COMPLETED, S.COMPLETED, S.COMPLETED, S.AWAITING_FOLLOW_UP, S.AWAITING_FOLLOW_UP,
                   S.FOLLOW_UP_REPORTED):  # fmt: skip
        case(status, big)
    case(S.COMPLETED, kabupaten)
    case(S.AWAITING_FOLLOW_UP, kota)
    case(S.AWAITING_FOLLOW_UP, kota)
    case(S.UNDER_REVIEW, big)  # before a recommendation: the national total only
    case(S.DISMISSED, kabupaten)
    db.session.commit()
    return world


@pytest.fixture(autouse=True)
def _fresh_public_cache(app: Any) -> None:
    """The suite's app lives for the session: no release served from an earlier test's rows."""
    app.extensions.pop("tindak_public_cache", None)
