"""Rendered samples of every email: subject with the case number, due date in the agency's zone, link, and
never the reporter's identity."""

from __future__ import annotations

import textwrap
from datetime import timedelta

import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st

from notifications.rendering import KINDS, UnknownNotificationKind, uses_recipient, wrap_line
from tests.case_mail import render
from tests.factories import make_agency
from tests.notifications.helpers import DUE_AT, REPORTER_CONTACT, REPORTER_NAME, make_case

# The kinds the workflow and the escalation sweep queue (DESIGN §4, §5): each must have its templates.
EXPECTED_KINDS = {
    "recommendation_issued",
    "receipt_recorded",
    "deadline_extended",
    "reminder",
    "overdue",
    "escalation",
    "final_report",
    "escalation_resolved",
    "follow_up_reported",
    "follow_up_accepted",
    "follow_up_rejected",
    "clarification_requested",
    "clarification_answered",
}

# What each event passes (workflow payloads, sweep levels), with values the email must show.
SAMPLE_EXTRA = {
    "recommendation_issued": {"letter_number": "R-1194/KASN/11/2026"},
    "receipt_recorded": {"received_on": "2026-11-12"},
    "deadline_extended": {"working_days": 5, "reason": "Permohonan PPK", "letter_number": "B-77/KASN/2026"},
    "reminder": {"level": 0, "days_left": 3},
    "overdue": {"level": 1, "days_late": 1},
    "escalation": {"level": 2, "days_late": 5, "body": "menpanrb"},
    "digest": {
        "body": "menpanrb",
        "week": "2026-W48",
        "as_of": "23 November 2026",
        "since": "16 November 2026",
        "open_total": 1,
        "ended_total": 0,
        "open_by_level": [{"level": 2, "label": "Eskalasi", "count": 1}],
        "group_label": "Instansi",
        "groups": [{"name": "Kabupaten Jayapura", "open": 1}],
        "list_link": "https://tindak.test/cases?escalated=true",
        "open_cases": [
            {
                "number": "NKK-2026-000042",
                "agency": "Kabupaten Jayapura",
                "level": 2,
                "level_label": "Eskalasi",
                "reached_on": "12 November 2026",
                "days_late": 9,
                "link": "https://tindak.test/cases/42",
            }
        ],
        "ended_cases": [],
    },
    "final_report": {"level": 3, "days_late": 19, "body": "kemendagri"},
    "escalation_resolved": {"body": "menpanrb", "decision_number": "SK 862/45/2026", "decision_date": "2026-12-02"},
    "follow_up_reported": {
        "decision_number": "SK 862/45/2026",
        "sanction_imposed": "disiplin_ringan",
        "is_lighter": True,
        "is_late": True,
    },
    "follow_up_accepted": {"decision_number": "SK 862/45/2026"},
    "follow_up_rejected": {"reason": "SK tidak sesuai rekomendasi", "decision_number": "SK 862/45/2026"},
    "clarification_requested": {"letter_number": "800/123/BKD", "reason": "Fakta berbeda"},
    "clarification_answered": {
        "outcome": "revised",
        "letter_number": "B-1895/JP.01/05/2026",
        "sanction": "disiplin_berat",
        "reason": "Bukti baru menunjukkan pelanggaran berulang",
    },
    "mail_test": {},
    "audit_checkpoint": {
        "at": "18 November 2026 10.00 WIB",
        "cases": 42,
        "global_head": "5f" * 32,
        "key_id": "k2026",
        "file": "checkpoint-20261118T030000000000Z-1a2b3c4d.json",
    },
    "notice_digest": {
        "lang": "id",
        "name": "Penyelidik Uji",
        "title": "Notifikasi Tindak, 19 November 2026",
        "items": [
            {
                "label": "Rekomendasi diterbitkan",
                "detail": "",
                "case_number": "0001/NKK/XI/2026",
                "when": "18 November 2026 10.00 WIB",
                "link": "http://tindak.test/cases/1",
            }
        ],
        "total": 1,
        "more": 0,
        "page_link": "http://tindak.test/notifikasi",
        "settings_link": "http://tindak.test/notifikasi#digest",
        "zone": "WIB",
    },
    # A Bawaslu office's emails about a report it forwarded (app/letters/forwarders.py; about no case):
    # tests/intake/test_forwarding.py renders and sends them.
    "forwarded_recommendation_issued": {
        "tracking_code": "TDK-7K2M-9QXA-3HBD",
        "status_label": "Rekomendasi diterbitkan",
        "tracking_link": "http://tindak.test/lacak/TDK-7K2M-9QXA-3HBD",
    },
    "forwarded_followed_up": {
        "tracking_code": "TDK-7K2M-9QXA-3HBD",
        "status_label": "Sudah ditindaklanjuti",
        "tracking_link": "http://tindak.test/lacak/TDK-7K2M-9QXA-3HBD",
    },
    "intake_verification_late": {
        "reports": [
            {
                "tracking_code": "TDK-7K2M-9QXA-3HBD",
                "received": "10 November 2026 09.00 WIB",
                "due": "17 November 2026 09.00 WIB",
                "link": "http://tindak.test/intake/1",
            }
        ]
    },
}

# A value of each sample that must appear in the text and the HTML of that email.
MUST_SHOW = {
    "recommendation_issued": ["Hukuman disiplin sedang"],
    "receipt_recorded": ["12 November 2026"],
    "deadline_extended": ["5 hari kerja", "B-77/KASN/2026", "Permohonan PPK"],
    "reminder": ["3 hari kerja lagi"],
    "overdue": ["terlambat 1 hari kerja"],
    "escalation": ["Kementerian PANRB", "5 hari kerja", "Rekam jejak PPK"],
    "final_report": ["Kementerian Dalam Negeri", "19 hari kerja", "memblokir data kepegawaian"],
    "escalation_resolved": ["SK 862/45/2026", "2 Desember 2026"],
    "follow_up_reported": ["SK 862/45/2026", "Hukuman disiplin ringan", "lebih ringan"],
    "follow_up_accepted": ["selesai"],
    "follow_up_rejected": ["SK tidak sesuai rekomendasi"],
    "clarification_requested": ["800/123/BKD", "Fakta berbeda"],
    "clarification_answered": [
        "B-1895/JP.01/05/2026",
        "Rekomendasi direvisi",
        "Hukuman disiplin berat",
        "Alasan: Bukti baru menunjukkan pelanggaran berulang",  # why it changed, in the email too (issue 20)
    ],
}

# Kinds sent while the clock runs: they show the due date.
SHOWS_DUE_DATE = {
    "recommendation_issued",
    "receipt_recorded",
    "deadline_extended",
    "reminder",
    "overdue",
    "escalation",
    "final_report",
    "follow_up_rejected",
    "clarification_answered",
}


def test_every_kind_the_system_queues_has_templates():
    assert set(KINDS) >= EXPECTED_KINDS
    assert set(SAMPLE_EXTRA) == set(KINDS)


@pytest.mark.parametrize("kind", sorted(EXPECTED_KINDS))
def test_rendered_sample(kind):
    # Papua agency: the due date must be shown in WIT. 2026-11-30 16:59:59 UTC = 1 Dec 01.59 WIT.
    agency = make_agency(timezone="Asia/Jayapura", kind="kabupaten", name="Pemerintah Kabupaten Jayapura")
    case = make_case(agency, reported_name="Yohanes Wenda")

    subject, text, html = render(kind, case=case, recipient="ppk@jayapurakab.go.id", extra=SAMPLE_EXTRA[kind])

    assert subject.startswith(f"[Tindak] {case.number} — ")
    assert "\n" not in subject and len(subject) <= 255
    flat_text, flat_html = " ".join(text.split()), " ".join(html.split())
    for body in (flat_text, flat_html):
        assert case.number in body
        assert "Yohanes Wenda" in body
        assert "Pemerintah Kabupaten Jayapura" in body
        assert f"http://tindak.test/cases/{case.id}" in body
        for value in MUST_SHOW[kind]:
            assert value in body, (kind, value)
        # Never the whistle-blower (DESIGN §1), whatever the email and its reader.
        assert REPORTER_NAME not in body
        assert REPORTER_CONTACT not in body
        assert "Siti" not in body
    assert REPORTER_NAME not in subject
    if kind in SHOWS_DUE_DATE:
        assert "1 Desember 2026 01.59 WIT" in flat_text
        assert "1 Desember 2026 01.59 WIT" in flat_html
    assert html.lstrip().startswith("<!doctype html>")
    assert "<" not in text.replace("<-", "")  # plain text carries no markup


def test_due_date_is_shown_in_each_agency_zone():
    wib = make_case(make_agency(timezone="Asia/Jakarta"))
    wita = make_case(make_agency(timezone="Asia/Makassar"))
    _, text_wib, _ = render("reminder", case=wib, recipient="a@b.go.id", extra={})
    _, text_wita, _ = render("reminder", case=wita, recipient="a@b.go.id", extra={})
    assert "30 November 2026 23.59 WIB" in " ".join(text_wib.split())
    assert "1 Desember 2026 00.59 WITA" in " ".join(text_wita.split())


def test_reminder_subject_names_the_due_day_in_the_agency_zone():
    case = make_case(make_agency(timezone="Asia/Jakarta"))
    subject, _, _ = render("reminder", case=case, recipient="a@b.go.id", extra={"days_left": 3})
    assert subject == f"[Tindak] {case.number} — Pengingat: tenggat tindak lanjut 30 November 2026"


def test_subject_of_a_recommendation_names_the_authority():
    case = make_case()
    subject, _, _ = render("recommendation_issued", case=case, recipient="a@b.go.id", extra={})
    assert subject == f"[Tindak] {case.number} — Rekomendasi KASN untuk ditindaklanjuti"


def test_html_escapes_case_data_and_text_keeps_it():
    case = make_case(reported_name='Budi <script>alert("x")</script>')
    _, text, html = render("overdue", case=case, recipient="a@b.go.id", extra={"days_late": 2})
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert 'Budi <script>alert("x")</script>' in text


def test_a_line_break_in_case_data_cannot_add_a_header_through_the_subject():
    case = make_case(make_agency(name="Instansi\r\nBcc: x@evil.test"))
    subject, _, _ = render("escalation", case=case, recipient="a@b.go.id", extra={"body": "menpanrb"})
    assert "\n" not in subject and "\r" not in subject
    assert "Instansi Bcc: x@evil.test" in subject


def test_unknown_kind_is_refused():
    case = make_case()
    with pytest.raises(UnknownNotificationKind):
        render("recomendation_issued", case=case, recipient="a@b.go.id", extra={})


def test_long_paragraphs_are_wrapped_without_splitting_links():
    case = make_case()
    _, text, _ = render("recommendation_issued", case=case, recipient="a@b.go.id", extra={})
    link = f"http://tindak.test/cases/{case.id}"
    assert all(len(line) <= 78 or link in line for line in text.splitlines())
    assert link in text


def test_only_the_test_email_names_its_recipient():
    assert {kind for kind in KINDS if uses_recipient(kind)} == {"mail_test"}


def test_mail_test_renders_without_a_case():
    subject, text, html = render("mail_test", case=None, recipient="admin@kasn.go.id", extra={})
    assert subject == "[Tindak] Email uji"
    assert "admin@kasn.go.id" in text
    assert "SMTP" in html


# -- plain-text wrapping: the same lines as textwrap ---------------------------------------------------------------


@settings(max_examples=1000, deadline=None)
@given(
    line=st.lists(st.sampled_from(["a", "bb", "cccccccccc", " ", "  ", "\t", "é"]), max_size=60).map("".join),
    width=st.integers(min_value=1, max_value=90),
    indent=st.integers(min_value=0, max_value=12),
)
def test_wrap_line_gives_the_lines_of_textwrap(line, width, indent):
    pad = " " * min(indent, width - 1)
    expected = textwrap.wrap(line, width, subsequent_indent=pad, break_long_words=False, break_on_hyphens=False)
    assert wrap_line(line, width, pad) == expected


def _tidy_reference(value: str) -> str:
    """The plain-text rule written line by line (what `_tidy_text` does with whole-text expressions)."""
    import re

    from notifications.rendering import _FIELD_PREFIX, TEXT_WIDTH

    lines: list[str] = []
    for line in value.splitlines():
        line = line.rstrip()
        if len(line) <= TEXT_WIDTH:
            lines.append(line)
            continue
        prefix = _FIELD_PREFIX.match(line)
        lines.extend(wrap_line(line, TEXT_WIDTH, " " * len(prefix.group(0)) if prefix else ""))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "kata",
                "panjang sekali",
                " ",
                "  ",
                "\n",
                "\n\n\n",
                "\r\n",
                "\t",
                "Label      : ",
                "\u3000",
                "\x0c",
                "https://tindak.example/cases/123456789",
                "é",
            ]
        ),  # fmt: skip
        max_size=120,
    ).map("".join)
)
def test_plain_text_is_tidied_line_by_line(value):
    from notifications.rendering import _tidy_text

    assert _tidy_text(value) == _tidy_reference(value)


def test_working_days_left_come_from_the_calendar_and_a_calendar_fault_only_drops_them(monkeypatch):
    import app.letters.context as email_context

    case = make_case(make_agency(timezone="Asia/Jakarta"))
    # A reminder is sent before the deadline: the email counts the working days still left at that moment.
    with time_machine.travel(DUE_AT - timedelta(days=4), tick=False):  # Thursday 26 Nov: Fri and Mon left
        _, text, _ = render("reminder", case=case, recipient="a@b.go.id", extra={})
        assert "hari kerja lagi" in text

        def broken(*_args, **_kwargs):
            raise ValueError("no calendar for that year")

        monkeypatch.setattr(email_context, "working_days_between", broken)
        _, text, _ = render("reminder", case=case, recipient="a@b.go.id", extra={})
        assert case.number in text and "hari kerja lagi" not in text


def test_a_database_error_while_counting_working_days_is_not_swallowed(monkeypatch):
    # Swallowed, it would leave the session's transaction invalid: the next statement of the request would fail
    # with PendingRollbackError (a 500) instead of the 503 a database outage answers.
    from sqlalchemy.exc import OperationalError

    import app.letters.context as email_context

    case = make_case(make_agency(timezone="Asia/Jakarta"))

    def database_down(*_args, **_kwargs):
        raise OperationalError("SELECT calendar_overrides", {}, Exception("the database system is starting up"))

    monkeypatch.setattr(email_context, "working_days_between", database_down)
    with pytest.raises(OperationalError):
        render("reminder", case=case, recipient="a@b.go.id", extra={})
