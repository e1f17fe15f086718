"""Issue 19: the oversight authority is data with dates. A recommendation keeps the authority that issued it for
ever; its emails, letters and bundle speak as that authority on its day of issue (KASN until 22 August 2024,
BKN since), and a third body is one admin action, no code change."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from pypdf import PdfReader
from sqlalchemy import select

from app.agencies.authority import load_authorities, profile_for
from app.cases.bundle import build_case_bundle
from app.db import db, unit_of_work
from app.letters import render_escalation_letter, render_recommendation_letter
from app.models.cases import Recommendation
from tests.case_mail import render
from tests.factories import PASSWORD, S, case_in, make_cast
from tests.web.conftest import Pages

KASN_ERA = datetime(2024, 3, 12, 3, 0, tzinfo=UTC)  # Tuesday 12 March 2024, 10.00 WIB
BKN_ERA = datetime(2025, 6, 10, 3, 0, tzinfo=UTC)  # Tuesday 10 June 2025
THIRD_ERA = datetime(2027, 11, 16, 3, 0, tzinfo=UTC)  # Tuesday 16 November 2027, after the new body's start


@pytest.fixture(autouse=True)
def reference_authorities():
    with unit_of_work():
        load_authorities()


def _issued(at: datetime):
    with time_machine.travel(at, tick=False):
        cast = make_cast(kind="kabupaten")
        return case_in(cast, S.AWAITING_FOLLOW_UP, occurred_on=(at - timedelta(days=30)).date().isoformat())


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def _final_report(case) -> str:
    _subject, text, html = render(
        "final_report", case=case, recipient="x@y.go.id", extra={"level": 3, "body": "kemendagri"}
    )
    assert html is not None
    return " ".join(text.split())


def _bundle_authority(case) -> dict:
    path = build_case_bundle(case)
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    return {key: manifest[key] for key in ("authority", "authority_name")}


def test_a_kasn_era_recommendation_speaks_as_kasn_for_ever():
    case = _issued(KASN_ERA)
    rec = db.session.scalar(select(Recommendation).where(Recommendation.case_id == case.id))
    assert rec.authority_name == "KASN"  # kept on the recommendation at issue
    email = _final_report(case)
    assert "Yth. Ketua Komisi Aparatur Sipil Negara" in email
    assert "Undang-Undang Nomor 20 Tahun 2023" in email and "SIASN" in email
    assert "Kepala BKN mengambil tindakan" not in email
    letter = _text(render_recommendation_letter(case))
    assert "KOMISI APARATUR SIPIL NEGARA" in letter.upper() and "Ketua Komisi Aparatur Sipil Negara" in letter
    final = _text(render_escalation_letter(case, 3, body="kemendagri"))
    assert "Ketua Komisi Aparatur Sipil Negara" in final and "memblokir data kepegawaian" in final
    assert _bundle_authority(case) == {"authority": "KASN", "authority_name": "Komisi Aparatur Sipil Negara"}


def test_a_bkn_era_recommendation_asks_for_what_bkn_itself_can_do():
    case = _issued(BKN_ERA)
    email = _final_report(case)
    assert "Yth. Kepala Badan Kepegawaian Negara" in email
    assert "Peraturan Presiden Nomor 116 Tahun 2022" in email and "pemblokiran data" in email
    assert "Pasal 33 Undang-Undang Nomor 5 Tahun 2014" not in email and "Ketua" not in email.split("Yth.")[1][:40]
    letter = _text(render_recommendation_letter(case))
    assert "BADAN KEPEGAWAIAN NEGARA" in letter.upper()
    assert "Deputi Bidang Pengawasan dan Pengendalian" in letter
    final = _text(render_escalation_letter(case, 3, body="kemendagri"))
    assert "Kepala Badan Kepegawaian Negara" in final and "Peraturan BKN Nomor 1 Tahun 2023" in final
    assert _bundle_authority(case) == {"authority": "BKN", "authority_name": "Badan Kepegawaian Negara"}


def test_a_third_body_is_one_admin_action_and_old_recommendations_keep_theirs(world_admin_pages):
    kasn_case = _issued(KASN_ERA)
    added = world_admin_pages.post(
        "/admin/authorities",
        {
            "name": "Lembaga Pengawas Aparatur Sipil Negara",
            "short_name": "LPASN",
            "valid_from": "2027-10-16",
            "head_title": "Ketua LPASN",
            "signer_title": "Ketua Lembaga Pengawas Aparatur Sipil Negara",
            "level3_addressee": "Ketua Lembaga Pengawas Aparatur Sipil Negara",
            "level3_request": (
                "Kami mohon Ketua LPASN menjatuhkan sanksi administratif sesuai undang-undang pembentukannya."
            ),
            "level3_copies": "Presiden Republik Indonesia; Kepala Badan Kepegawaian Negara",
            "sources": "Putusan MK 121/PUU-XXII/2024",
        },
        page="/admin/authorities",
    )
    assert added.status_code == 303
    new_case = _issued(THIRD_ERA)
    email = _final_report(new_case)
    assert "Yth. Ketua Lembaga Pengawas Aparatur Sipil Negara" in email
    assert "Presiden Republik Indonesia dan Kepala Badan Kepegawaian Negara" in email
    assert "sesuai undang-undang pembentukannya" in email
    letter = _text(render_recommendation_letter(new_case))
    assert "Ketua Lembaga Pengawas Aparatur Sipil Negara" in letter
    assert _bundle_authority(new_case)["authority"] == "LPASN"
    # the KASN-era case still speaks as KASN
    assert "Yth. Ketua Komisi Aparatur Sipil Negara" in _final_report(kasn_case)


def test_loading_the_reference_authorities_twice_changes_nothing():
    with unit_of_work():
        assert load_authorities() == {"created": 0, "updated": 0, "unchanged": 3}
    assert profile_for("KASN", KASN_ERA.date()).head_title == "Ketua KASN"
    assert profile_for(None, BKN_ERA.date()).short_name == "BKN"


@pytest.fixture
def world_admin_pages(app, make_user):
    admin = make_user("admin")
    pages = Pages(app.test_client())
    assert pages.login(admin).status_code == 302
    return pages


def test_the_commissioner_role_is_named_as_the_authority_in_force_names_it(app, make_user):
    user = make_user("commissioner")
    for moment, shown, not_shown in ((BKN_ERA, "Pejabat penanda tangan", "Komisioner"), (KASN_ERA, "Komisioner", None)):
        with time_machine.travel(moment):  # BKN has no commissioners
            pages = Pages(app.test_client())
            assert pages.login(user).status_code == 302
            html = pages.get("/").get_data(as_text=True)
        assert shown in html and (not_shown is None or not_shown not in html)
    # the API keeps the role's key
    token = app.test_client().post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    assert token.status_code == 201
