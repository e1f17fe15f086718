"""The ministries' weekly digest is bounded: totals (overall, per level, per province), the DIGEST_TOP latest open
cases by lateness, the most recent ended ones with their count, and a link to the full list in the app — read
with aggregates and LIMIT, in as many statements whatever the number of cases, and never the reporter."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event

from app.calendar.working_days import Calendar
from app.db import db
from app.escalations.digest import collect, digest_schedule, digest_top
from config import ConfigError
from tests.escalations.conftest import LIST_LINK, OPEN_RECEIVED
from tests.escalations.helpers import open_case
from tests.escalations.test_digest import MONDAY, _digest, _digests
from tests.escalations.test_sweep import KEMENDAGRI, MENPAN, sweep_at
from tests.notifications.helpers import REPORTER_CONTACT, REPORTER_NAME


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_the_email_lists_the_latest_three_with_totals_per_province_and_the_link(provinces, app, monkeypatch):
    monkeypatch.setitem(app.config, "DIGEST_TOP", 3)
    opened, ended = provinces["open"], provinces["ended"]

    report = _digest(MONDAY)

    (kemendagri,) = [b for b in report.bodies if b.body == "kemendagri"]
    assert kemendagri.open_total == 10 and kemendagri.ended_total == 4
    # The three latest by lateness, the latest first: the three earliest receipts.
    assert [c.number for c in kemendagri.open_cases] == [c.number for c in opened[:3]]
    lateness = [c.days_late for c in kemendagri.open_cases]
    assert lateness == sorted(lateness, reverse=True) and lateness[-1] > 0
    # The ended ones: the three most recent follow-ups (Friday, Thursday, Wednesday), of four.
    assert [c.number for c in kemendagri.ended_cases] == [c.number for c in reversed(ended[1:])]
    assert [(g.name, g.open) for g in kemendagri.groups] == [
        ("Pemerintah Provinsi Jawa Tengah", 6),
        ("Pemerintah Provinsi Bali", 4),
    ]
    assert sum(kemendagri.open_by_level.values()) == 10

    row = _digests(KEMENDAGRI)[0]
    text = _flat(row.body_text)
    assert "- Masih menunggu tindak lanjut PPK: 10 perkara" in text
    assert "- Berakhir sejak 30 November 2026: 4 perkara" in text
    assert "Masih menunggu tindak lanjut, per provinsi" in text
    assert "- Pemerintah Provinsi Jawa Tengah: 6 perkara - Pemerintah Provinsi Bali: 4 perkara" in text
    assert "Masih menunggu tindak lanjut PPK — 3 paling terlambat dari 10" in text
    assert f"Dan 7 perkara lainnya: {LIST_LINK}" in text
    assert "Berakhir dalam sepekan terakhir — 3 terbaru dari 4" in text
    assert f"Dan 1 perkara lainnya: {LIST_LINK}" in text
    assert f"Daftar lengkap, dapat disaring, di Tindak: {LIST_LINK}" in text
    for case in opened[:3]:
        assert case.number in text and f"http://tindak.test/cases/{case.id}" in text
        assert f'href="http://tindak.test/cases/{case.id}"' in row.body_html
    for case in [*opened[3:], ended[0], provinces["central"]]:
        assert case.number not in row.body_text and case.number not in row.body_html
    assert f'href="{LIST_LINK}"' in row.body_html
    assert "Pemerintah Provinsi Jawa Tengah</td><td" in row.body_html
    assert "3 paling terlambat dari 10" in row.body_html and "3 terbaru dari 4" in row.body_html
    assert text.index(opened[0].number) < text.index(opened[1].number) < text.index(opened[2].number)
    for body in (row.subject, row.body_text, row.body_html):
        assert REPORTER_NAME not in body and REPORTER_CONTACT not in body

    # Menpan-RB's digest: its one central case, per agency, nothing of Kemendagri's.
    menpan = _digests(MENPAN)[0]
    text = _flat(menpan.body_text)
    assert "- Masih menunggu tindak lanjut PPK: 1 perkara" in text and provinces["central"].number in text
    assert "Masih menunggu tindak lanjut, per instansi" in text and "- Kementerian Contoh: 1 perkara" in text
    assert "paling terlambat dari" not in text and "perkara lainnya" not in text
    assert all(c.number not in menpan.body_text for c in opened)


def test_below_the_cap_every_case_is_listed(provinces):
    """With the default DIGEST_TOP (50) a small week lists every open and every ended case, and no "more"."""
    report = _digest(MONDAY)
    (kemendagri,) = [b for b in report.bodies if b.body == "kemendagri"]
    assert len(kemendagri.open_cases) == 10 and len(kemendagri.ended_cases) == 4
    text = _flat(_digests(KEMENDAGRI)[0].body_text)
    for case in provinces["open"] + provinces["ended"]:
        assert case.number in text
    assert "perkara lainnya" not in text and "paling terlambat dari" not in text and LIST_LINK in text


def test_as_many_statements_whatever_the_number_of_cases(provinces, make_agency, make_user, app, monkeypatch):
    """Reading a body's digest costs a fixed number of statements, none of which reads the reporter: nothing is
    read per case (more cases only make the aggregates longer, not the email, nor the memory)."""
    monkeypatch.setitem(app.config, "DIGEST_TOP", 3)
    calendar = Calendar.load(all_agencies=True)

    def statements() -> list[str]:
        seen: list[str] = []

        def _record(conn, cursor, statement, parameters, context, executemany):
            seen.append(statement)

        engine = db.engine
        event.listen(engine, "before_cursor_execute", _record)
        try:
            digest = collect("kemendagri", MONDAY, calendar=calendar)
        finally:
            event.remove(engine, "before_cursor_execute", _record)
        db.session.rollback()
        assert len(digest.open_cases) == 3
        return seen

    before = statements()
    more = make_agency(kind="kota", name="Pemerintah Kota Denpasar", parent_id=provinces["open"][1].agency_id)
    drafter = make_user("investigator")
    for day in OPEN_RECEIVED:
        open_case(more, received_on=day, drafter=drafter)
    sweep_at(MONDAY - timedelta(hours=1))
    after = statements()
    assert len(after) == len(before)
    assert not [s for s in after if "reporter" in s.lower()]
    assert collect("kemendagri", MONDAY, calendar=calendar).open_total == 20


def test_digest_top_is_a_whole_number_of_at_least_one(app, monkeypatch):
    assert digest_top(app.config) == 50
    for value in (0, -1, "banyak"):
        with monkeypatch.context() as patch:
            patch.setitem(app.config, "DIGEST_TOP", value)
            with pytest.raises(ConfigError, match="DIGEST_TOP"):
                digest_top(app.config)
            with pytest.raises(ConfigError, match="DIGEST_TOP"):  # the scheduler refuses to start on it
                digest_schedule(app.config)


def test_lateness_stops_at_a_clarification_and_so_does_the_order(make_agency, make_user, app, monkeypatch):
    """A case whose PPK asked for a clarification counts its lateness up to the pause: received first, paused a
    few days after its escalation, it comes after three cases received later but still running."""
    monkeypatch.setitem(app.config, "DIGEST_TOP", 3)
    drafter = make_user("investigator")
    province = make_agency(kind="provinsi", name="Pemerintah Provinsi Jawa Tengah")
    agency = make_agency(kind="kabupaten", name="Pemerintah Kabupaten Klaten", parent_id=province.id)
    paused, rec = open_case(agency, received_on=date(2026, 10, 9), drafter=drafter)  # due Thursday 29 Oct
    sweep_at(datetime(2026, 11, 6, 3, 0, tzinfo=UTC))  # level 2 since the end of Thursday 5 Nov
    row = db.session.get(type(rec), rec.id)
    row.is_open, row.paused_at = False, datetime(2026, 11, 9, 3, 0, tzinfo=UTC)  # Monday 9 Nov: the clock stops
    db.session.get(type(paused), paused.id)._status = "clarification_requested"
    db.session.commit()
    running = [open_case(agency, received_on=day, drafter=drafter)[0] for day in OPEN_RECEIVED[5:8]]
    sweep_at(MONDAY - timedelta(hours=2))

    digest = collect("kemendagri", MONDAY)
    assert digest.open_total == 4
    assert [c.number for c in digest.open_cases] == [c.number for c in running]
    monkeypatch.setitem(app.config, "DIGEST_TOP", 4)
    digest = collect("kemendagri", MONDAY)
    last = digest.open_cases[-1]
    assert last.number == paused.number and last.note == "Sanggahan / klarifikasi PPK"
    assert last.days_late == 7  # 30 Oct … 9 Nov: the working days up to the pause
    assert all(c.days_late > last.days_late for c in digest.open_cases[:3])
