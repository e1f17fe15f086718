"""Issue 20, through the pages (Flask test client): what people read is words, never a key; an edit conflict says
what changed and by whom and keeps the typed text; every error at once; an upload over the limit stays on the form
and names the limit; a new-case form submitted twice makes one case; labels and help agree with what the code
enforces; the four-eyes rule is said where the action would be.

The same pages in Chromium, at 1366×768 and 390×844 with axe-core: tests/web/test_words_and_errors.py.
"""

from __future__ import annotations

import html as html_lib
import io
import re
from datetime import UTC, datetime

import time_machine
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import FileStorage

from app.cases import history_words, page_errors
from app.cases.attachments import add_attachment
from app.cases.services import update_case
from app.core.clock import utcnow
from app.db import db
from app.errors import InvalidTransition
from app.escalations.sweep import run_sweep
from app.models.cases import Case, CaseHistory
from app.models.forms import FormSubmission
from tests.factories import E, S, case_in, payload_for
from workflows import fire

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

# Keys and codes the code writes that a person must never read (issue 20).
RAW = (
    "cycle",
    "kind:",
    "reminder",
    "reached_at",
    "days_late",
    "notified",
    "calendar_version",
    "holidays-",
    "+ovr-",
    "FOLLOW_UP_WORKING_DAYS",
    "ppk_follow_up",
    "legal_source",
    "draft_recommendation",
    "kemendagri",
    "menpanrb",
    "final_report",
)
SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")


def _text(fragment: str) -> str:
    """What a person reads of an HTML fragment: its text, unescaped, spaces collapsed."""
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _part(html: str, marker: str, end: str) -> str:
    return html.split(marker, 1)[1].split(end, 1)[0]


def _raw_words(text: str) -> list[str]:
    return [word for word in RAW if word in text] + SNAKE.findall(text)


# -- 1. words, not keys ------------------------------------------------------------------------------------------


def test_the_escalation_history_and_the_issue_event_read_in_words(world, pages_for):
    case = case_in(world, S.AWAITING_FOLLOW_UP)
    with time_machine.travel(datetime(2026, 12, 22, 3, 0, tzinfo=UTC), tick=False):
        run_sweep(utcnow())
        db.session.commit()
        for role in ("investigator", "ppk", "overseer"):
            page = pages_for(getattr(world, role)).get(f"/cases/{case.id}").get_data(as_text=True)
            history = _text(_part(page, 'id="timeline"', "</ol>"))
            assert _raw_words(history) == [], (role, _raw_words(history), history)
            escalations = _text(_part(page, 'id="esc-title"', "</section>"))
            assert _raw_words(escalations) == [], (role, escalations)
            # The ladder's rungs by name and level; how late, the ministry, whether the email went.
            assert "Tingkat eskalasi tercapai: Pengingat (tingkat 0)" in history
            assert "Eskalasi ke kementerian (tingkat 2)" in history
            assert "Keterlambatan" in history and "hari kerja setelah tenggat" in history
            assert "Kementerian tujuan Kementerian Dalam Negeri" in history
            assert "Email pemberitahuan dikirim kepada penerima tingkat ini" in history
            # The issue event: the calendar and the deadline rule in words.
            assert "Kalender kerja Hari libur nasional dan cuti bersama menurut data kalender versi" in history
            assert "Aturan tenggat Tenggat tindak lanjut rekomendasi oleh PPK" in history
            assert "Jumlah hari kerja 14 hari kerja" in history


def test_the_deadline_from_the_configured_default_is_said_in_words():
    assert history_words.value_words("legal_source", "konfigurasi FOLLOW_UP_WORKING_DAYS") == (
        "Pengaturan aplikasi (belum ada aturan tenggat yang tercatat)"
    )
    assert history_words.calendar_words("holidays-0.109+ovr-e3b0c44298fc") == (
        "Hari libur nasional dan cuti bersama menurut data kalender versi 0.109"
    )
    assert history_words.calendar_words("holidays-0.109+ovr-0123456789ab").endswith(
        "dengan pengecualian yang ditetapkan administrator"
    )


def test_every_key_the_history_holds_has_a_label(world):
    """Walk every event (and the sweep, an edit, an upload): each payload key is labelled or deliberately hidden,
    so the case page never has to leave one out or show it raw."""
    cases = [case_in(world, status) for status in S]
    clarified = case_in(world, S.CLARIFICATION_REQUESTED)
    payload = {
        "outcome": "revised",
        "letter_number": "B-1/KASN/2026",
        "reason": "Fakta baru",
        "sanction": "disiplin_ringan",
    }
    fire(clarified, E.ANSWER_CLARIFICATION, world.commissioner, payload, expected_version=clarified.version)
    db.session.commit()
    rejected = case_in(world, S.FOLLOW_UP_REPORTED)
    fire(rejected, E.REJECT_FOLLOW_UP, world.investigator, payload_for(rejected, E.REJECT_FOLLOW_UP))
    for event in (E.ACKNOWLEDGE, E.RECORD_RECEIPT, E.EXTEND_DEADLINE):
        fire(rejected, event, world.actor_for(event), payload_for(rejected, event))
    edited = case_in(world, S.UNDER_REVIEW)
    update_case(
        edited,
        {"version": edited.version, "summary": "Uraian yang diperbaiki setelah klarifikasi."},
        world.investigator,
    )
    add_attachment(edited, FileStorage(io.BytesIO(PDF), "bukti.pdf"), world.investigator, "evidence")
    db.session.commit()
    with time_machine.travel(datetime(2027, 1, 20, 3, 0, tzinfo=UTC), tick=False):
        run_sweep(utcnow())
        db.session.commit()
    ids = [c.id for c in (*cases, clarified, rejected, edited)]
    rows = db.session.scalars(select(CaseHistory).where(CaseHistory.case_id.in_(ids))).all()
    unlabelled = {
        (row.event, key)
        for row in rows
        for key in row.payload or {}
        if key not in history_words.HIDDEN_KEYS and history_words.key_label(row.event, key) is None
    }
    assert unlabelled == set()
    events = {row.event for row in rows}
    assert events >= {e.value for e in E} | {"create", "update", "attachment_added", "escalation_level_reached"}


def test_the_ppk_letter_is_named_for_what_it_is(world, pages_for):
    """The PPK's objection letter is not called the recommendation's letter; the answer's reason is shown."""
    case = case_in(world, S.CLARIFICATION_REQUESTED)
    payload = {"outcome": "upheld", "letter_number": "B-9/KASN/2026", "reason": "Fakta telah diperiksa ulang."}
    fire(case, E.ANSWER_CLARIFICATION, world.commissioner, payload, expected_version=case.version)
    db.session.commit()
    page = pages_for(world.ppk).get(f"/cases/{case.id}").get_data(as_text=True)
    history = _text(_part(page, 'id="timeline"', "</ol>"))
    objection = history.split("Ajukan sanggahan / klarifikasi", 1)[1]
    assert "Nomor surat sanggahan / klarifikasi 800/123/BKD" in objection
    assert "Nomor surat rekomendasi 800/123/BKD" not in history
    assert "Nomor surat tanggapan B-9/KASN/2026" in history
    assert "Alasan jawaban Fakta telah diperiksa ulang." in history
    section = _text(_part(page, 'id="cl-title"', "</section>"))
    assert "Alasan jawaban Fakta telah diperiksa ulang." in section
    assert "Alasan sanggahan Fakta berbeda" in section


def test_the_answer_form_has_a_field_for_its_reason(world, pages_for):
    case = case_in(world, S.CLARIFICATION_REQUESTED)
    page = pages_for(world.commissioner).get(f"/cases/{case.id}/events/answer_clarification").get_data(as_text=True)
    assert 'name="reason"' in page and "Alasan jawaban" in page


def test_admin_reads_the_outbox_states_in_words(world, pages_for):
    case_in(world, S.AWAITING_FOLLOW_UP)  # queues emails
    admin = pages_for(world.admin)
    for url, marker in (("/admin/", '<h2 class="h6">'), ("/admin/outbox", "nav-pills")):
        page = admin.get(url).get_data(as_text=True)
        text = _text(_part(page, marker, "</ul>"))
        assert not re.search(r"\b(pending|sending|sent|dead)\b", text), (url, text)
    assert "Menunggu dikirim" in _text(admin.get("/admin/").get_data(as_text=True))


# -- 2. an edit conflict in words, the typed text kept -------------------------------------------------------------


def test_an_edit_conflict_says_what_changed_and_by_whom_and_keeps_the_text(world, pages_for):
    case = case_in(world, S.RECOMMENDATION_DRAFTED)
    read_version = case.version  # the investigator opens the redraft form ...
    fire(case, E.ISSUE_RECOMMENDATION, world.commissioner2, payload_for(case, E.ISSUE_RECOMMENDATION))
    db.session.commit()  # ... and meanwhile another official issues the recommendation
    typed = {
        "version": str(read_version),
        "sanction": "disiplin_ringan",
        "legal_basis": "PP 94/2021 Pasal 8",
        "text": "Teks rekomendasi yang baru diketik dan tidak boleh hilang.",
    }
    response = pages_for(world.investigator).post(
        f"/cases/{case.id}/events/draft_recommendation", typed, page=f"/cases/{case.id}"
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    alert = _text(_part(page, 'id="edit-conflict"', "</div>"))
    assert "Perkara ini berubah sejak Anda membuka formulir ini." in alert
    assert "\u201cTerbitkan rekomendasi\u201d oleh Dewi Komisioner (Komisioner)" in alert
    assert "Status sekarang: Menunggu tindak lanjut PPK." in alert
    assert "tidak tersedia lagi pada status ini" in alert
    assert _raw_words(alert) == []
    assert ">Teks rekomendasi yang baru diketik dan tidak boleh hilang.</textarea>" in page
    assert 'data-event="draft_recommendation"' not in page  # no button that could only be refused again
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == S.AWAITING_FOLLOW_UP.value


def test_a_ppk_meets_a_newer_case_and_may_send_again(world, pages_for):
    """The PPK reads who acted as role and office (never a staff name); the action is still possible, so the form
    comes back against the case as it is now, typed text kept."""
    case = case_in(world, S.AWAITING_FOLLOW_UP)
    read_version = case.version
    fire(case, E.EXTEND_DEADLINE, world.commissioner, payload_for(case, E.EXTEND_DEADLINE))
    db.session.commit()
    typed = {"version": str(read_version), "letter_number": "800/77/BKD/2026", "reason": "Fakta yang berbeda."}
    ppk = pages_for(world.ppk)
    response = ppk.post(f"/cases/{case.id}/events/request_clarification", typed, page=f"/cases/{case.id}")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    alert = _text(_part(page, 'id="edit-conflict"', "</div>"))
    assert "\u201cPerpanjang tenggat\u201d oleh Komisioner" in alert and "Kurnia" not in alert
    assert "Isian Anda tetap di bawah" in alert
    assert 'value="800/77/BKD/2026"' in page and ">Fakta yang berbeda.</textarea>" in page
    db.session.expire_all()
    assert f'name="version" value="{db.session.get(Case, case.id).version}"' in page
    resent = ppk.post(
        f"/cases/{case.id}/events/request_clarification",
        {**typed, "version": str(db.session.get(Case, case.id).version)},
        page=f"/cases/{case.id}",
    )
    assert resent.status_code == 303


def test_a_conflict_found_at_flush_is_an_edit_conflict(world):
    case = case_in(world, S.UNDER_REVIEW)
    assert page_errors.is_edit_conflict(StaleDataError("UPDATE matched 0 rows"), case, str(case.version))
    assert not page_errors.is_edit_conflict(InvalidTransition("x"), case, str(case.version))
    assert page_errors.is_edit_conflict(InvalidTransition("x"), case, str(case.version - 1))


# -- 3. errors: all at once, the size limit said on the form, one case per form --------------------------------------


def _field_errors(page: str) -> dict[str, str]:
    return {
        match[0]: _text(match[1])
        for match in re.findall(r'<div class="invalid-feedback d-block" id="([\w.-]+)-error">(.*?)</div>', page)
    }


def test_the_new_case_form_shows_every_error_at_once(world, pages_for):
    pages = pages_for(world.investigator)
    empty = pages.post("/cases/new", {"summary": "pendek"}, page="/cases/new")
    assert empty.status_code == 422
    errors = _field_errors(empty.get_data(as_text=True))
    assert set(errors) >= {
        "agency_id",
        "category",
        "source",
        "occurred_on",
        "summary",
        "reported_person-name",
        "reported_person-nip",
    }, errors
    # A name too short and a NIP that is not one: both in the same round.
    form = {"reported_person.name": "B", "reported_person.nip": "1234", "summary": "pendek"}
    second = _field_errors(pages.post("/cases/new", form, page="/cases/new").get_data(as_text=True))
    assert "reported_person-name" in second and "reported_person-nip" in second, second
    assert "NIP" in second["reported_person-nip"]


def test_an_upload_over_the_limit_stays_on_the_form_and_says_the_limit(world, pages_for, app, monkeypatch):
    case = case_in(world, S.AWAITING_FOLLOW_UP)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2 * 1024 * 1024)
    big = PDF + b"0" * (3 * 1024 * 1024)
    ppk = pages_for(world.ppk)
    form = {
        "version": str(case.version),
        "decision_number": "SK 800/99/2026",
        "decision_date": "2026-11-18",
        "sanction_imposed": "disiplin_sedang",
        "note": "Catatan yang diketik sebelum mengunggah.",
        "document_id": (io.BytesIO(big), "sk-besar.pdf"),
    }
    url = f"/cases/{case.id}/events/report_follow_up"
    response = ppk.post(url, form, page=f"/cases/{case.id}", content_type="multipart/form-data")
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert case.number in page and '<h1 class="h3">Laporkan tindak lanjut</h1>' in page  # still the form
    assert "Berkas melebihi batas unggah 2 MB" in _field_errors(page)["report_follow_up-document_id"]
    assert 'value="SK 800/99/2026"' in page and ">Catatan yang diketik sebelum mengunggah.</textarea>" in page
    assert "Ukuran maksimal 2 MB." in page  # said before sending too
    # The evidence upload on the case page: the page itself, the error beside the field.
    evidence = pages_for(world.investigator).post(
        f"/cases/{case.id}/attachments",
        {"file": (io.BytesIO(big), "video.pdf")},
        page=f"/cases/{case.id}",
        content_type="multipart/form-data",
    )
    assert evidence.status_code == 413
    page = evidence.get_data(as_text=True)
    assert 'id="case-status"' in page and "Berkas melebihi batas unggah 2 MB" in _field_errors(page)["evidence-file"]
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == S.AWAITING_FOLLOW_UP.value


def test_the_same_new_case_form_sent_twice_makes_one_case(world, pages_for):
    pages = pages_for(world.investigator)
    page = pages.get("/cases/new").get_data(as_text=True)
    token = re.search(r'name="form_token" value="([0-9a-f]{32})"', page)[1]
    form = {
        "form_token": token,
        "agency_id": str(world.agency.id),
        "category": "netralitas",
        "subcategory": "kampanye_medsos",
        "source": "bawaslu",
        "occurred_on": "2026-09-01",
        "summary": "Mengunggah ajakan memilih calon bupati di akun media sosial pribadinya.",
        "reported_person.name": "Budi Santoso",
        "reported_person.nip": "19860926 201505 1 001",
    }
    before = db.session.scalar(select(func.count()).select_from(Case))
    first = pages.post("/cases/new", form, page="/cases/new")
    second = pages.post("/cases/new", form, page="/cases/new")
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(Case)) == before + 1
    shown = pages.get(second.headers["Location"]).get_data(as_text=True)
    assert "Formulir ini sudah dikirim sebelumnya" in shown
    # A new form is a new token: a second case on purpose is still possible.
    again = re.search(r'name="form_token" value="([0-9a-f]{32})"', pages.get("/cases/new").get_data(as_text=True))
    assert again[1] != token
    # The same person again is a likely duplicate (app/cases/duplicates.py): shown first, saved once confirmed.
    assert pages.post("/cases/new", {**form, "form_token": again[1]}, page="/cases/new").status_code == 409
    confirmed = {**form, "form_token": again[1], "allow_duplicates": "1"}
    assert pages.post("/cases/new", confirmed, page="/cases/new").status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Case)) == before + 2


def test_a_form_token_is_its_senders_only(world, pages_for):
    """Another user's token does not lead to that user's case."""
    pages = pages_for(world.investigator)
    token = re.search(r'name="form_token" value="([0-9a-f]{32})"', pages.get("/cases/new").get_data(as_text=True))[1]
    case = case_in(world, S.REPORTED)
    db.session.add(FormSubmission(token=token, user_id=world.commissioner.id, case_id=case.id, created_at=utcnow()))
    db.session.commit()
    response = pages.post("/cases/new", {"form_token": token, "summary": "pendek"}, page="/cases/new")
    assert response.status_code == 422  # treated as a new submission (which then fails validation)


# -- 4. labels and help that agree with the code; the four-eyes rule said ------------------------------------------


def test_help_says_the_sk_document_is_required_as_the_form_does(world, pages_for):
    page = pages_for(world.ppk).get("/bantuan").get_data(as_text=True)
    row = _text(_part(page, "Laporkan tindak lanjut</strong>", "</tr>"))
    assert "Dokumen SK" in row and "Dokumen SK (opsional)" not in row
    case = case_in(world, S.AWAITING_FOLLOW_UP)
    form = pages_for(world.ppk).get(f"/cases/{case.id}/events/report_follow_up").get_data(as_text=True)
    assert re.search(r'name="document_id" required', form)


def test_the_four_eyes_rule_is_said_where_the_issue_action_would_be(world, pages_for):
    case = case_in(world, S.UNDER_REVIEW)
    fire(case, E.DRAFT_RECOMMENDATION, world.commissioner, payload_for(case, E.DRAFT_RECOMMENDATION))
    db.session.commit()
    own = pages_for(world.commissioner).get(f"/cases/{case.id}").get_data(as_text=True)
    actions = _text(_part(own, 'id="actions-title"', "</section>"))
    assert "Terbitkan rekomendasi: Prinsip empat mata: draf ini Anda susun sendiri" in actions
    assert "diterbitkan oleh komisioner lain" in actions
    assert 'data-event="issue_recommendation"' not in own
    other = pages_for(world.commissioner2).get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'data-event="issue_recommendation"' in other and "Prinsip empat mata" not in other


def test_the_commissioners_home_sets_his_own_drafts_apart_and_says_why(world, pages_for):
    mine = case_in(world, S.UNDER_REVIEW)
    fire(mine, E.DRAFT_RECOMMENDATION, world.commissioner, payload_for(mine, E.DRAFT_RECOMMENDATION))
    theirs = case_in(world, S.RECOMMENDATION_DRAFTED)  # drafted by the investigator
    db.session.commit()
    home = pages_for(world.commissioner).get("/").get_data(as_text=True)
    drafts = _part(home, 'id="home-drafts"', "</section>")
    own = _text(_part(home, 'id="home-own-drafts"', "</section>"))
    assert theirs.number in drafts and mine.number not in drafts
    assert mine.number in own and "diterbitkan oleh komisioner lain (prinsip empat mata)" in own


def test_admin_home_counts_the_outbox_in_words(world, pages_for):
    case_in(world, S.AWAITING_FOLLOW_UP)  # queues emails
    home = _text(pages_for(world.admin).get("/").get_data(as_text=True))
    assert "Menunggu dikirim" in home
    assert not re.search(r"\b(pending|sending|sent|dead):", home)


def test_any_other_upload_over_the_limit_says_the_limit(world, pages_for, app, monkeypatch):
    """Outside the case pages (the admin's import) the 413 page says the limit; the API gives it in its details."""
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64 * 1024)
    big = {"file": (io.BytesIO(b"a,b\n" + b"0" * (128 * 1024)), "perkara.csv")}
    page = pages_for(world.admin).post("/admin/import", big, page="/admin/import", content_type="multipart/form-data")
    assert page.status_code == 413
    assert "batas unggah 64 KB" in _text(page.get_data(as_text=True))
    case = case_in(world, S.UNDER_REVIEW)
    world.issue_tokens()
    answer = app.test_client().post(
        f"/api/v1/cases/{case.id}/attachments",
        data={"file": (io.BytesIO(PDF + b"0" * (128 * 1024)), "besar.pdf")},
        content_type="multipart/form-data",
        headers=world.headers("investigator"),
    )
    assert answer.status_code == 413
    error = answer.get_json()["error"]
    assert error["code"] == "payload_too_large" and error["details"]["max_bytes"] == 64 * 1024
    assert "64 KB" in error["message"]


def test_an_irreversible_form_sent_after_the_case_moved_on_keeps_its_reason(world, pages_for):
    """The confirmation step meets the same conflict: what changed, by whom, the reason typed still there."""
    case = case_in(world, S.UNDER_REVIEW)
    read_version = case.version
    fire(case, E.DRAFT_RECOMMENDATION, world.investigator, payload_for(case, E.DRAFT_RECOMMENDATION))
    db.session.commit()
    typed = {"version": str(read_version), "reason": "Tidak terbukti setelah klarifikasi lapangan."}
    response = pages_for(world.commissioner).post(f"/cases/{case.id}/events/dismiss", typed, page=f"/cases/{case.id}")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    alert = _text(_part(page, 'id="edit-conflict"', "</div>"))
    assert "\u201cSusun draf rekomendasi\u201d oleh Ina Penyelidik" in alert and "tidak tersedia lagi" in alert
    assert ">Tidak terbukti setelah klarifikasi lapangan.</textarea>" in page
