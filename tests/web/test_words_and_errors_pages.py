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
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.cases import history_words
from app.cases.attachments import add_attachment
from app.cases.services import update_case
from app.core.clock import utcnow
from app.db import db
from app.escalations.sweep import run_sweep
from app.models.cases import CaseHistory
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
