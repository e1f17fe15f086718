"""Issue 19, the escalation ladder per era: a recommendation keeps the ladder of the authority that issued it.

Three recommendations — issued in March 2024 (KASN, under UU 20/2023), in June 2025 (BKN) and, after a third
body's row is loaded (one data row, no code change), in November 2027 — are swept to level 3. The final report's
email (its recipients and what it names), the escalation letter PDF and the evidence bundle each name the right
authority, addressee, signer, copies and legal basis. Then the block of the civil servant's data/services in SIASN,
recorded and lifted through the API as an outcome of the case: its history rows, who sees what, and the page.
"""

from __future__ import annotations

import io
import json
import logging
import re
import zipfile
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from pypdf import PdfReader
from sqlalchemy import select

from app.agencies.authority import load_authorities, profile_for
from app.audit.history import verify_case
from app.calendar.working_days import Calendar
from app.cases.bundle import build_case_bundle
from app.cases.outcomes import person_blocks
from app.cases.page_context import escalation_steps
from app.core.clock import utcnow
from app.db import db, unit_of_work
from app.escalations.ladder import RECIPIENT_RULES
from app.escalations.sweep import run_sweep
from app.letters import render_escalation_letter
from app.models.auth import User
from app.models.cases import Case, CaseHistory, Recommendation
from app.models.escalations import EscalationStep
from app.models.outbox import OutboxMessage
from app.models.outcomes import DataBlock
from tests.factories import REPORTER, E, S, case_in, make_cast, payload_for
from tests.web.conftest import Pages
from workflows import fire

KASN_MAILBOX, BKN_MAILBOX = "ketua@kasn.go.id", "blokir@bkn.go.id"  # tests/conftest.py's configuration
MENPAN, KEMENDAGRI = "eskalasi@menpan.go.id", "eskalasi@kemendagri.go.id"
THIRD_MAILBOX = "pimpinan@lpasn.go.id"

KASN_ERA = datetime(2024, 3, 12, 3, 0, tzinfo=UTC)  # Tuesday 12 March 2024, 10.00 WIB: KASN under UU 20/2023
BKN_ERA = datetime(2025, 6, 10, 3, 0, tzinfo=UTC)  # Tuesday 10 June 2025: BKN (Perpres 92/2024)
THIRD_ERA = datetime(2027, 11, 16, 3, 0, tzinfo=UTC)  # Tuesday 16 November 2027: the next body's row
# A made-up successor (MK 121/PUU-XXII/2024 orders an independent body within two years; its name and powers are
# not known yet): one row of data, loaded as the reference rows are.
THIRD_BODY = {
    "short_name": "LPASN",
    "name": "Lembaga Pengawas Aparatur Sipil Negara",
    "valid_from": "2027-10-16",
    "valid_to": None,
    "letter_format": "R-{seq}/LPASN/{month}/{year}",
    "legal_basis": "Undang-undang pembentukan LPASN (uji)",
    "head_title": "Ketua LPASN",
    "signer_title": "Sekretaris Jenderal Lembaga Pengawas Aparatur Sipil Negara",
    "address": None,
    "level3_addressee": "Ketua Lembaga Pengawas Aparatur Sipil Negara",
    "level3_request": "Kami mohon Ketua LPASN menjatuhkan sanksi administratif sesuai undang-undang pembentukannya.",
    "level3_copies": "Presiden Republik Indonesia",
    "level3_to": "authority",
    "level3_cc": "ministry; bkn",
    "level3_actions": "teguran tertulis kepada PPK; rekomendasi sanksi kepada Presiden",
    "level3_basis": "Pasal 9 Undang-Undang tentang LPASN (uji)",
    "mailboxes": THIRD_MAILBOX,
    "sources": "Putusan MK 121/PUU-XXII/2024 (lembaga pengawas independen dalam dua tahun)",
    "signer_role_label": "Anggota",
}


@pytest.fixture(autouse=True)
def reference_authorities():
    with unit_of_work():
        load_authorities()


def _issued(at: datetime) -> Case:
    """A kabupaten's case (routed to Kemendagri) whose recommendation is issued at `at`."""
    with time_machine.travel(at, tick=False):
        cast = make_cast(kind="kabupaten")
        return case_in(cast, S.AWAITING_FOLLOW_UP, occurred_on=(at - timedelta(days=30)).date().isoformat())


def _sweep(at: datetime) -> None:
    with time_machine.travel(at, tick=False):
        run_sweep(utcnow())


def _final_reports(case: Case) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.case_id == case.id, OutboxMessage.kind == "final_report")
            .order_by(OutboxMessage.recipient)
        )
    )


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return _flat(" ".join(page.extract_text() for page in reader.pages))


def _bundle(case: Case) -> tuple[dict, str]:
    """The bundle's manifest and the text of its level-3 letter."""
    path = Path(build_case_bundle(case))
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read("manifest.json"))
            letter = _pdf_text(archive.read("surat/eskalasi-tingkat-3.pdf"))
    finally:
        path.unlink(missing_ok=True)
    return manifest, letter


def _swept_to_level_3(issued_at: datetime, swept_at: datetime) -> tuple[Case, list[OutboxMessage]]:
    case = _issued(issued_at)
    _sweep(swept_at)
    rec = db.session.scalar(select(Recommendation).where(Recommendation.case_id == case.id))
    assert rec.escalation_level == 3
    return case, _final_reports(case)


def test_a_kasn_era_recommendation_still_open_under_bkn_keeps_kasns_final_report():
    # Issued in March 2024; level 3 is swept in September 2024, when BKN is in force: still KASN's ladder.
    case, emails = _swept_to_level_3(KASN_ERA, datetime(2024, 9, 2, 3, 0, tzinfo=UTC))
    assert db.session.scalar(select(Recommendation.authority_name).where(Recommendation.case_id == case.id)) == "KASN"
    assert {e.recipient for e in emails} == {KASN_MAILBOX, KEMENDAGRI, MENPAN, BKN_MAILBOX}
    text = _flat(emails[0].body_text)
    assert "Yth. Ketua Komisi Aparatur Sipil Negara, dengan tembusan kepada Menteri Dalam Negeri" in text
    assert "Menteri Pendayagunaan Aparatur Negara dan Reformasi Birokrasi dan Kepala Badan Kepegawaian Negara" in text
    assert "Pasal 26 ayat (1) Undang-Undang Nomor 20 Tahun 2023" in text  # the legal basis of its era
    assert "memblokir data kepegawaian" in text and "Peraturan BKN Nomor 1 Tahun 2023" in text
    assert "Hormat kami, Ketua Komisi Aparatur Sipil Negara Data perkara" in text  # the signer
    assert "Kepala BKN mengambil tindakan" not in text and "Deputi Bidang Pengawasan" not in text

    letter = _pdf_text(render_escalation_letter(case, 3))
    assert "Yth. Ketua Komisi Aparatur Sipil Negara" in letter
    assert "Dasar hukum: Pasal 26 ayat (1) Undang-Undang Nomor 20 Tahun 2023" in letter
    assert "Ketua Komisi Aparatur Sipil Negara" in letter.split("Tembusan")[0][-200:]  # the signer
    tembusan = letter.split("Tembusan")[1]
    assert "Menteri Dalam Negeri" in tembusan and "Kepala Badan Kepegawaian Negara" in tembusan

    manifest, bundled = _bundle(case)
    assert (manifest["authority"], manifest["authority_name"]) == ("KASN", "Komisi Aparatur Sipil Negara")
    assert "Yth. Ketua Komisi Aparatur Sipil Negara" in bundled and "Undang-Undang Nomor 20 Tahun 2023" in bundled


def test_a_bkn_era_recommendation_asks_bkn_for_its_own_administrative_sanctions():
    case, emails = _swept_to_level_3(BKN_ERA, datetime(2025, 9, 1, 3, 0, tzinfo=UTC))
    # To BKN (not to KASN's mailbox), copies to the level-2 ministry and to MenPAN-RB.
    assert {e.recipient for e in emails} == {BKN_MAILBOX, KEMENDAGRI, MENPAN}
    text = _flat(emails[0].body_text)
    assert (
        "Yth. Kepala Badan Kepegawaian Negara, dengan tembusan kepada Menteri Dalam Negeri dan Menteri "
        "Pendayagunaan Aparatur Negara dan Reformasi Birokrasi," in text
    )
    # What BKN can do itself (Perpres 116/2022), and the report to MenPAN-RB / the President.
    for action in (
        "1. peringatan tertulis kepada Pejabat Pembina Kepegawaian",
        "2. pencantuman instansi dalam daftar pelanggar NSPK Manajemen ASN",
        "3. pemblokiran data kepegawaian dan/atau layanan kepegawaian pegawai yang bersangkutan pada SIASN",
        "4. pencabutan keputusan pengangkatan, pemindahan atau pemberhentian",
    ):
        assert action in text
    assert "melaporkannya kepada Menteri Pendayagunaan Aparatur Negara dan Reformasi Birokrasi" in text
    assert "Dasar hukum: Pasal 26 Undang-Undang Nomor 20 Tahun 2023" in text
    assert "Peraturan Presiden Nomor 92 Tahun 2024" in text and "Peraturan Presiden Nomor 116 Tahun 2022" in text
    assert "Hormat kami, Deputi Bidang Pengawasan dan Pengendalian, Badan Kepegawaian Negara Data perkara" in text
    assert "Ketua Komisi Aparatur Sipil Negara" not in text and "Pasal 33 Undang-Undang Nomor 5 Tahun 2014" not in text
    html = _flat(emails[0].body_html)
    assert "<li>pemblokiran data kepegawaian dan/atau layanan kepegawaian" in html

    letter = _pdf_text(render_escalation_letter(case, 3))
    assert "Yth. Kepala Badan Kepegawaian Negara" in letter
    assert "c. pemblokiran data kepegawaian" in letter and "Peraturan BKN Nomor 1 Tahun 2023" in letter
    assert "Deputi Bidang Pengawasan dan Pengendalian" in letter
    tembusan = letter.split("Tembusan")[1]
    assert "Menteri Dalam Negeri" in tembusan and "Reformasi Birokrasi" in tembusan
    assert "Kepala Badan Kepegawaian Negara" not in tembusan  # the addressee is not copied
    assert "Komisi Aparatur Sipil Negara" not in letter

    manifest, bundled = _bundle(case)
    assert (manifest["authority"], manifest["authority_name"]) == ("BKN", "Badan Kepegawaian Negara")
    assert "Yth. Kepala Badan Kepegawaian Negara" in bundled and "Peraturan Presiden Nomor 116 Tahun 2022" in bundled


def test_a_third_body_is_one_data_row_and_its_final_report_follows_that_row(tmp_path):
    kasn_case = _issued(KASN_ERA)
    data = tmp_path / "next-body.json"
    data.write_text(json.dumps({"authorities": [THIRD_BODY]}), encoding="utf-8")
    with unit_of_work():
        assert load_authorities(data) == {"created": 1, "updated": 0, "unchanged": 0}

    case, emails = _swept_to_level_3(THIRD_ERA, datetime(2028, 2, 1, 3, 0, tzinfo=UTC))
    assert db.session.scalar(select(Recommendation.authority_name).where(Recommendation.case_id == case.id)) == "LPASN"
    # Its own mailbox (the `authority` rule), the level-2 ministry and BKN; not KASN's mailbox.
    assert {e.recipient for e in emails} == {THIRD_MAILBOX, KEMENDAGRI, BKN_MAILBOX}
    text = _flat(emails[0].body_text)
    assert (
        "Yth. Ketua Lembaga Pengawas Aparatur Sipil Negara, dengan tembusan kepada Menteri Dalam Negeri, Presiden "
        "Republik Indonesia dan Kepala Badan Kepegawaian Negara," in text
    )
    assert "1. teguran tertulis kepada PPK 2. rekomendasi sanksi kepada Presiden" in text
    assert "Dasar hukum: Pasal 9 Undang-Undang tentang LPASN (uji)" in text
    assert "Hormat kami, Sekretaris Jenderal Lembaga Pengawas Aparatur Sipil Negara Data perkara" in text

    letter = _pdf_text(render_escalation_letter(case, 3))
    assert "LEMBAGA PENGAWAS APARATUR SIPIL NEGARA" in letter.upper()
    assert "Yth. Ketua Lembaga Pengawas Aparatur Sipil Negara" in letter
    assert "a. teguran tertulis kepada PPK" in letter and "Dasar hukum: Pasal 9" in letter
    assert "Presiden Republik Indonesia" in letter.split("Tembusan")[1]

    manifest, bundled = _bundle(case)
    assert (manifest["authority"], manifest["authority_name"]) == ("LPASN", "Lembaga Pengawas Aparatur Sipil Negara")
    assert "Yth. Ketua Lembaga Pengawas Aparatur Sipil Negara" in bundled

    # The KASN-era recommendation issued before the row existed, swept now, still follows KASN's row.
    _sweep(datetime(2028, 2, 1, 3, 0, tzinfo=UTC))
    assert {e.recipient for e in _final_reports(kasn_case)} == {KASN_MAILBOX, KEMENDAGRI, MENPAN, BKN_MAILBOX}


# The next body's own ladder (a row's `ladder`): its final report five working days after the due day, not 19.
THIRD_LADDER = [
    {"level": 0, "kind": "reminder", "label": "Pengingat", "offset": -3, "to": ["ppk"]},
    {"level": 1, "kind": "overdue", "label": "Lewat tenggat", "offset": 1, "to": ["ppk"], "cc": ["investigator"]},
    {"level": 2, "kind": "escalation", "label": "Eskalasi ke kementerian", "offset": 3, "to": ["ministry"]},
    {"level": 3, "kind": "final_report", "label": "Laporan kepada LPASN", "offset": 2, "after": 2, "to": ["kasn"]},
]


def test_a_body_with_a_ladder_of_its_own_has_its_recommendations_climb_it(tmp_path):
    """Issue 19, the ladder preset of a row: the third body's recommendations climb its ladder (level 3 after 5
    working days, with its label), while one issued under BKN, due the same day, climbs the configured one."""
    data = tmp_path / "next-body.json"
    data.write_text(json.dumps({"authorities": [{**THIRD_BODY, "ladder": THIRD_LADDER}]}), encoding="utf-8")
    with unit_of_work():
        load_authorities(data)
    assert profile_for("LPASN", THIRD_ERA.date()).ladder.startswith('[{"level": 0')
    third = _issued(THIRD_ERA)
    bkn = _issued(THIRD_ERA)
    # The second case speaks as BKN (issued under it), due the same day as the first.
    with unit_of_work():
        db.session.execute(
            Recommendation.__table__.update()
            .where(Recommendation.case_id == bkn.id)
            .values(authority_name="BKN", issued_at=BKN_ERA)
        )
    recs = {
        r.case_id: r
        for r in db.session.scalars(select(Recommendation).where(Recommendation.case_id.in_([third.id, bkn.id])))
    }
    assert recs[third.id].due_at == recs[bkn.id].due_at
    calendar = Calendar.load(all_agencies=True)
    due_day = recs[third.id].due_at.astimezone(ZoneInfo("Asia/Jakarta")).date()
    swept_on = calendar.add_working_days(due_day, 6, None)  # after the 5th working day, before the 19th
    _sweep(datetime.combine(swept_on, time(3, 0), tzinfo=UTC))

    db.session.expire_all()
    levels = {r.case_id: r.escalation_level for r in db.session.scalars(select(Recommendation))}
    assert levels[third.id] == 3  # its own ladder: level 3 on the 5th working day
    assert levels[bkn.id] == 2  # the configured ladder: level 2 on the 5th, level 3 only on the 19th
    reached = {
        step.level: step.reached_at
        for step in db.session.scalars(select(EscalationStep).where(EscalationStep.case_id == third.id))
    }
    assert reached[2].astimezone(ZoneInfo("Asia/Jakarta")).date() == calendar.add_working_days(due_day, 3, None)
    assert reached[3].astimezone(ZoneInfo("Asia/Jakarta")).date() == calendar.add_working_days(due_day, 5, None)
    labels = [
        h.payload["label"]
        for h in db.session.scalars(
            select(CaseHistory).where(CaseHistory.case_id == third.id, CaseHistory.event == "escalation_level_reached")
        )
    ]
    assert "Laporan kepada LPASN" in labels
    # The case page and API name the steps by the ladder the recommendation climbed.
    case = db.session.get(Case, third.id)
    assert [s["label"] for s in escalation_steps(case)][-1] == "Laporan kepada LPASN"
    assert escalation_steps(db.session.get(Case, bkn.id))[-1]["label"] == "Eskalasi ke kementerian"
    # Level 3 still goes where the row says (its `level3_to`), whatever the ladder's own rung names.
    assert THIRD_MAILBOX in {e.recipient for e in _final_reports(third)}
    assert _final_reports(bkn) == []


def test_a_row_whose_ladder_does_not_parse_climbs_the_configured_ladder(tmp_path, caplog):
    data = tmp_path / "next-body.json"
    data.write_text(json.dumps({"authorities": [{**THIRD_BODY, "ladder": "[{"}]}), encoding="utf-8")
    with unit_of_work():
        load_authorities(data)
    case = _issued(THIRD_ERA)
    rec = db.session.scalar(select(Recommendation).where(Recommendation.case_id == case.id))
    due_day = rec.due_at.astimezone(ZoneInfo("Asia/Jakarta")).date()
    swept_on = Calendar.load(all_agencies=True).add_working_days(due_day, 6, None)
    with caplog.at_level(logging.ERROR, logger="app.escalations.sweep"):
        _sweep(datetime.combine(swept_on, time(3, 0), tzinfo=UTC))
    db.session.expire_all()
    assert db.session.get(Recommendation, rec.id).escalation_level == 2  # the configured ladder, not a crash
    assert "an authority's ladder is not valid" in caplog.text


def test_the_third_bodys_mailbox_missing_keeps_its_step_due(tmp_path):
    """A body whose row names no mailbox writes to the oversight authority's mailbox (`kasn` target); without
    one the step stays due, as for any target (never lost for want of a mailbox)."""
    data = tmp_path / "next-body.json"
    data.write_text(json.dumps({"authorities": [{**THIRD_BODY, "mailboxes": None}]}), encoding="utf-8")
    with unit_of_work():
        load_authorities(data)
    case, emails = _swept_to_level_3(THIRD_ERA, datetime(2028, 2, 1, 3, 0, tzinfo=UTC))
    assert {e.recipient for e in emails} == {KASN_MAILBOX, KEMENDAGRI, BKN_MAILBOX}
    step = db.session.scalar(select(EscalationStep).where(EscalationStep.case_id == case.id, EscalationStep.level == 3))
    assert step.notified is True


def test_the_shipped_rows_name_known_recipients_actions_and_sources():
    for short, day in (("KASN", KASN_ERA.date()), ("BKN", BKN_ERA.date())):
        profile = profile_for(short, day)
        assert profile.level3_to and set(profile.level3_to + profile.level3_cc) <= RECIPIENT_RULES
        assert profile.level3_actions and profile.level3_basis
    assert profile_for("BKN", BKN_ERA.date()).level3_to == ("bkn",)
    assert profile_for("KASN", KASN_ERA.date()).level3_to == ("kasn",)


# -- blocks of data as an outcome of the case ---------------------------------------------------------------------


@pytest.fixture
def world():
    cast = make_cast(kind="kabupaten")
    cast.cases["awaiting"] = case_in(cast, S.AWAITING_FOLLOW_UP)
    cast.cases["review"] = case_in(cast, S.UNDER_REVIEW)
    cast.issue_tokens()
    return cast


def _history(case: Case) -> list[CaseHistory]:
    return list(db.session.scalars(select(CaseHistory).where(CaseHistory.case_id == case.id).order_by(CaseHistory.seq)))


def test_a_block_is_recorded_and_lifted_as_an_outcome_of_the_case(client, world):
    case = world.cases["awaiting"]
    version, status = case.version, case.status
    url = f"/api/v1/cases/{case.id}/blocks"
    body = {"scope": "data_dan_layanan", "reference": "B-1/BKN/11/2026", "note": "Diteruskan ke Kanreg BKN"}

    # The PPK and the administrator may not; a PPK of another agency does not learn the case exists.
    assert client.post(url, json=body, headers=world.headers("ppk")).status_code == 403
    assert client.post(url, json=body, headers=world.headers("admin")).status_code == 403
    assert client.post(url, json=body, headers=world.headers("other_ppk")).status_code == 404
    bad = client.post(url, json={"scope": "semua"}, headers=world.headers("investigator"))
    assert bad.status_code == 422 and set(bad.get_json()["error"]["details"]["fields"]) == {"scope", "reference"}

    recorded = client.post(url, json=body, headers=world.headers("investigator"))
    assert recorded.status_code == 201, recorded.get_json()
    block = recorded.get_json()
    assert block["authority"] == "BKN" and block["active"] is True and block["scope"] == "data_dan_layanan"
    assert block["requested_by"] == world.investigator.id and block["requested_by_label"] == world.investigator.name
    assert block["nip"] == case.reported_nip and block["reference"] == "B-1/BKN/11/2026"

    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert (case.version, case.status) == (version, status)  # not a transition
    last = _history(case)[-1]
    assert (last.event, last.from_status, last.to_status, last.actor_id) == (
        "data_block_recorded",
        status,
        status,
        world.investigator.id,
    )
    assert last.payload["reference"] == "B-1/BKN/11/2026" and last.payload["note_internal"] == body["note"]

    again = client.post(url, json=body, headers=world.headers("commissioner"))
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "block_in_force"

    # The PPK sees the block (the lever is on its follow-up), without staff names or internal notes.
    seen = client.get(f"/api/v1/cases/{case.id}", headers=world.headers("ppk")).get_json()["blocks"]
    assert len(seen) == 1 and seen[0]["requested_by"] is None and seen[0]["note"] is None
    assert seen[0]["requested_by_label"] == "BKN" and seen[0]["reference"] == "B-1/BKN/11/2026"
    party_history = client.get(f"/api/v1/cases/{case.id}/history", headers=world.headers("ppk")).get_json()["items"]
    recorded_row = next(r for r in party_history if r["event"] == "data_block_recorded")
    assert "note_internal" not in recorded_row["payload"] and world.investigator.email not in str(party_history)
    staff = client.get(f"/api/v1/cases/{case.id}/blocks", headers=world.headers("investigator")).get_json()["items"]
    assert staff[0]["note"] == body["note"]

    lift_url = f"{url}/{block['id']}/lift"
    assert client.post(lift_url, json={"reference": "x"}, headers=world.headers("ppk")).status_code == 403
    unknown = client.post(f"{url}/999999/lift", json={"reference": "x"}, headers=world.headers("investigator"))
    assert unknown.status_code == 404
    lifted = client.post(lift_url, json={"reference": "B-9/BKN/12/2026"}, headers=world.headers("commissioner"))
    assert lifted.status_code == 200, lifted.get_json()
    out = lifted.get_json()
    assert out["active"] is False and out["lift_reference"] == "B-9/BKN/12/2026"
    assert out["lifted_by"] == world.commissioner.id and out["lifted_at"]
    twice = client.post(lift_url, json={"reference": "B-9/BKN/12/2026"}, headers=world.headers("commissioner"))
    assert twice.status_code == 409 and twice.get_json()["error"]["code"] == "block_lifted"

    rows = _history(db.session.get(Case, case.id))
    assert [r.event for r in rows[-2:]] == ["data_block_recorded", "data_block_lifted"]
    assert rows[-1].payload["lift_reference"] == "B-9/BKN/12/2026"
    assert verify_case(case.id) == (True, None)

    # Lifted, a new block may be asked for; the person's record lists both, to those who may see the case.
    assert client.post(url, json=body, headers=world.headers("investigator")).status_code == 201
    assert [b["active"] for b in person_blocks(case.reported_nip, world.investigator)] == [False, True]
    assert person_blocks(case.reported_nip, world.other_ppk) == []
    assert db.session.scalar(select(DataBlock.lift_reference).where(DataBlock.id == block["id"])) == "B-9/BKN/12/2026"

    # The case file's summary (and so the evidence bundle) lists them, without the internal note.
    path = Path(build_case_bundle(db.session.get(Case, case.id)))
    try:
        with zipfile.ZipFile(path) as archive:
            summary = _pdf_text(archive.read("ringkasan.pdf"))
    finally:
        path.unlink(missing_ok=True)
    assert "Pemblokiran data/layanan kepegawaian (SIASN)" in summary
    assert "B-1/BKN/11/2026" in summary and "B-9/BKN/12/2026" in summary and "masih berlaku" in summary
    assert body["note"] not in summary


def test_a_block_needs_an_issued_recommendation_and_an_open_case(client, world):
    case = world.cases["review"]
    answer = client.post(
        f"/api/v1/cases/{case.id}/blocks",
        json={"scope": "data", "reference": "B-2/BKN/11/2026"},
        headers=world.headers("investigator"),
    )
    assert answer.status_code == 409 and answer.get_json()["error"]["code"] == "no_issued_recommendation"
    assert _history(case)[-1].event != "data_block_recorded"


def test_the_case_page_shows_the_block_to_staff_and_to_the_ppk_never_the_reporter(app, client, world):
    case = world.cases["awaiting"]
    note = "Catatan internal untuk Kanreg"
    response = client.post(
        f"/api/v1/cases/{case.id}/blocks",
        json={"scope": "layanan", "reference": "B-3/BKN/11/2026", "note": note},
        headers=world.headers("investigator"),
    )
    assert response.status_code == 201
    for role in ("investigator", "ppk"):
        pages = Pages(app.test_client())
        assert pages.login(world.user(role)).status_code == 302
        html = pages.get(f"/cases/{case.id}").get_data(as_text=True)
        assert "Pemblokiran data kepegawaian (SIASN)" in html and "B-3/BKN/11/2026" in html
        assert "Layanan kepegawaian" in html and "Pemblokiran data kepegawaian dicatat" in html
        if role == "ppk":
            assert note not in html and REPORTER["name"] not in html and world.investigator.name not in html
        else:
            assert note in html


@pytest.mark.parametrize(
    ("issued_at", "told"),
    [
        (BKN_ERA, {KEMENDAGRI, BKN_MAILBOX, MENPAN}),  # BKN's row: to BKN, copies to the ministry and MenPAN-RB
        (KASN_ERA, {KEMENDAGRI, KASN_MAILBOX, MENPAN, BKN_MAILBOX}),  # KASN under UU 20/2023: its own row
    ],
    ids=["bkn era", "kasn era"],
)
def test_the_ppks_follow_up_after_the_final_report_is_told_to_whom_the_final_report_went(issued_at, told):
    """The notice that the PPK has acted reaches the ministry and the level-3 recipients of the issuing
    authority's row — the same the sweep addressed — not the default ladder's (no KASN mailbox for BKN's)."""
    case, emails = _swept_to_level_3(issued_at, issued_at + timedelta(days=100))
    assert {e.recipient for e in emails} == told  # the final report's recipients
    reported = issued_at + timedelta(days=101)
    with time_machine.travel(reported, tick=False):
        cast_ppk = db.session.scalar(
            select(User).where(User.role == "ppk", User.agency_id == case.agency_id).order_by(User.id).limit(1)
        )
        fire(case, E.REPORT_FOLLOW_UP, cast_ppk, payload_for(case, E.REPORT_FOLLOW_UP))
        db.session.commit()
    resolved = db.session.scalars(
        select(OutboxMessage.recipient).where(
            OutboxMessage.case_id == case.id, OutboxMessage.kind == "escalation_resolved"
        )
    ).all()
    assert set(resolved) == told
