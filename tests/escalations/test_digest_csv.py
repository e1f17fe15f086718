"""The ministries' digest with its full list as a CSV attachment (DIGEST_CSV): every open escalated case, the
latest first, and every one that ended in the week, through a real SMTP conversation; the file stored once for the
body's mailboxes, built only while a mailbox still waits for the week's digest, zipped when large; never the
reporter."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
import time_machine
from sqlalchemy import func, select

from app.db import db, unit_of_work
from app.escalations import digest as digest_module
from app.escalations.digest import digest_csv_bodies, digest_schedule, full_list_csv
from app.models.outbox import OutboxAttachment
from config import ConfigError
from notifications.dispatcher import dispatch_pending
from tests.escalations.test_digest import MONDAY, _digest, _digests
from tests.escalations.test_sweep import KEMENDAGRI, MENPAN
from tests.notifications.helpers import REPORTER_CONTACT, REPORTER_NAME

CSV_NAME = "eskalasi-kemendagri-2026-W50.csv"  # MONDAY is in ISO week 2026-W50 (WIB)
HEADERS = [
    "Keadaan", "Nomor perkara", "Instansi", "Provinsi", "Level", "Nama level", "Level sejak",
    "Hari kerja terlambat", "Berakhir pada", "Keterangan", "Tautan",
]  # fmt: skip


def _rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # spreadsheets read it as UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _attachment_of(message):
    parts = [part for part in message.walk() if part.get_filename()]
    return parts


def test_the_named_body_receives_every_case_as_csv_the_other_none(provinces, app, monkeypatch, smtp_server):
    monkeypatch.setitem(app.config, "DIGEST_TOP", 3)
    monkeypatch.setitem(app.config, "DIGEST_CSV", "kemendagri")
    opened, ended = provinces["open"], provinces["ended"]
    with time_machine.travel(MONDAY, tick=False):  # queued and sent on its Monday morning
        report = _digest(MONDAY)
        assert dispatch_pending()["sent"] >= 2

    (kemendagri,) = [b for b in report.bodies if b.body == "kemendagri"]
    assert kemendagri.attachment_name == CSV_NAME and kemendagri.attachment_rows == 14
    deliveries = [d for d in smtp_server.deliveries if d.message["X-Tindak-Kind"] == "digest"]
    (to_kemendagri,) = [d for d in deliveries if KEMENDAGRI in d.rcpt_tos]
    (to_menpan,) = [d for d in deliveries if MENPAN in d.rcpt_tos]
    assert _attachment_of(to_menpan.message) == []  # not named in DIGEST_CSV

    (part,) = _attachment_of(to_kemendagri.message)
    assert part.get_filename() == CSV_NAME and part.get_content_type() == "text/csv"
    rows = _rows(part.get_payload(decode=True))
    assert rows[0] == HEADERS
    waiting = [r for r in rows[1:] if r[0] == "Menunggu tindak lanjut"]
    ended_rows = [r for r in rows[1:] if r[0] == "Berakhir sepekan terakhir"]
    assert len(rows) == 1 + 10 + 4 and len(waiting) == 10 and len(ended_rows) == 4
    # All ten open cases, not the email's three: the latest first (the earliest receipt is the latest).
    assert [r[1] for r in waiting] == [c.number for c in opened]
    late = [int(r[7]) for r in waiting]
    assert late == sorted(late, reverse=True) and late[-1] > 0
    # The ended four, the most recent follow-up first, each with its day and why it ended.
    assert [r[1] for r in ended_rows] == [c.number for c in reversed(ended)]
    assert all(r[8] and r[9] == "Tindak lanjut dilaporkan PPK" for r in ended_rows)
    # Each row under its province; the link opens the case.
    by_number = {r[1]: r for r in rows[1:]}
    klaten = by_number[opened[0].number]
    assert klaten[2] == "Pemerintah Kabupaten Klaten" and klaten[3] == "Pemerintah Provinsi Jawa Tengah"
    assert klaten[10] == f"http://tindak.test/cases/{opened[0].id}"
    assert {r[3] for r in rows[1:]} == {"Pemerintah Provinsi Jawa Tengah", "Pemerintah Provinsi Bali"}
    # The email says what is attached; neither it nor the file names the reporter.
    alternative = next(p for p in to_kemendagri.message.walk() if p.get_content_type() == "multipart/alternative")
    text = next(p for p in alternative.iter_parts() if p.get_content_type() == "text/plain").get_content()
    assert f"Daftar lengkap juga terlampir: {CSV_NAME} (14 perkara" in text
    raw = to_kemendagri.raw.decode("utf-8", "replace") + part.get_payload(decode=True).decode("utf-8")
    assert REPORTER_NAME not in raw and REPORTER_CONTACT not in raw


def test_the_file_is_stored_once_for_the_mailboxes_and_a_rerun_builds_none(provinces, app, monkeypatch):
    monkeypatch.setitem(app.config, "DIGEST_CSV", "kemendagri, MENPANRB")
    monkeypatch.setitem(app.config, "ESCALATION_RECIPIENTS_KEMENDAGRI", [KEMENDAGRI, "pimpinan@kemendagri.go.id"])
    _digest(MONDAY)
    rows = [r for r in _digests() if r.recipient in (KEMENDAGRI, "pimpinan@kemendagri.go.id")]
    assert len(rows) == 2 and rows[0].attachment_id is not None
    assert rows[0].attachment_id == rows[1].attachment_id  # one file for both mailboxes
    menpan = _digests(MENPAN)[0]
    assert menpan.attachment_id not in (None, rows[0].attachment_id)  # its own list (one central case)
    stored = db.session.get(OutboxAttachment, menpan.attachment_id)
    assert stored.filename == "eskalasi-menpanrb-2026-W50.csv"
    assert [r[1] for r in _rows(stored.data)[1:]] == [provinces["central"].number]
    assert db.session.scalar(select(func.count()).select_from(OutboxAttachment)) == 2

    again = _digest(MONDAY)  # the same week: every mailbox has it, so no file is built or stored
    assert all(b.attachment_name is None and b.queued == 0 for b in again.bodies)
    assert db.session.scalar(select(func.count()).select_from(OutboxAttachment)) == 2


def test_a_large_list_is_sent_zipped_with_the_same_rows(provinces, app, monkeypatch):
    with app.app_context():
        with unit_of_work():
            plain, count = full_list_csv("kemendagri", MONDAY)
        monkeypatch.setattr(digest_module, "CSV_ZIP_ABOVE", 200)
        with unit_of_work():
            packed, packed_count = full_list_csv("kemendagri", MONDAY)
    assert plain.filename == CSV_NAME and plain.content_type.startswith("text/csv") and count == 14
    assert packed.filename == "eskalasi-kemendagri-2026-W50.zip" and packed.content_type == "application/zip"
    assert packed_count == count
    with zipfile.ZipFile(io.BytesIO(packed.data)) as archive:
        (member,) = archive.infolist()
        assert member.filename == CSV_NAME and member.compress_type == zipfile.ZIP_DEFLATED
        assert archive.read(member) == plain.data


@pytest.mark.parametrize("value", ["bkn", "kemendagri,kasn", "menpan"])
def test_digest_csv_names_only_the_ministries_and_a_wrong_name_stops_the_scheduler(app, monkeypatch, value):
    monkeypatch.setitem(app.config, "DIGEST_CSV", value)
    with pytest.raises(ConfigError, match="DIGEST_CSV"):
        digest_csv_bodies()
    with pytest.raises(ConfigError, match="DIGEST_CSV"):
        digest_schedule()


def test_digest_csv_reads_names_in_any_case_and_spacing(app, monkeypatch):
    monkeypatch.setitem(app.config, "DIGEST_CSV", " Kemendagri , menpanrb ,")
    assert digest_csv_bodies() == {"kemendagri", "menpanrb"}
    monkeypatch.setitem(app.config, "DIGEST_CSV", "")
    assert digest_csv_bodies() == frozenset()


def test_the_cli_names_the_attachment(provinces, app, monkeypatch, runner):
    monkeypatch.setitem(app.config, "DIGEST_CSV", "kemendagri")
    result = runner.invoke(args=["escalations", "digest", "--now", MONDAY.isoformat()])
    assert result.exit_code == 0, result.output
    (line,) = [line for line in result.output.splitlines() if line.strip().startswith("kemendagri")]
    assert line.endswith(f"; lampiran {CSV_NAME} (14 perkara)")
    (menpan,) = [line for line in result.output.splitlines() if line.strip().startswith("menpanrb")]
    assert "lampiran" not in menpan
