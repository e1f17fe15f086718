"""Administration pages: agencies, users, escalation mailboxes, calendar overrides, authorities, outbox."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.db import db
from app.models.agencies import Agency
from app.models.auth import User
from app.models.calendar import CalendarOverride
from app.models.core import OversightAuthority
from app.models.escalations import EscalationRecipient
from app.models.outbox import OutboxMessage
from tests import factories


def _text(response) -> str:
    return response.get_data(as_text=True)


def _error_of(html: str, field_id: str) -> str:
    match = re.search(rf'id="{re.escape(field_id)}-error">(.*?)</div>', html, re.S)
    assert match, f"no error shown next to {field_id}"
    return match.group(1).strip()


def test_admin_pages_are_for_admins_only(world, pages_for):
    for user in (world.investigator, world.commissioner, world.ppk, world.overseer):
        pages = pages_for(user)
        for url in ("/admin/", "/admin/users", "/admin/outbox"):
            assert pages.get(url).status_code == 403


def test_agency_create_edit_and_deactivate(world, pages_for):
    pages = pages_for(world.admin)
    bad = pages.post(
        "/admin/agencies/new", {"code": "bad code!", "name": "X", "kind": "desa"}, page="/admin/agencies/new"
    )
    assert bad.status_code == 422
    html = _text(bad)
    assert _error_of(html, "kind") == "Pilihan tidak sah."
    assert _error_of(html, "code") == "Format tidak sah."
    assert _error_of(html, "name") == "Panjang harus 2 sampai 200 karakter."

    good = pages.post(
        "/admin/agencies/new",
        {
            "code": "P-BALI",
            "name": "Pemerintah Provinsi Bali",
            "kind": "provinsi",
            "timezone": "Asia/Makassar",
            "ppk_title": "Gubernur",
            "ppk_email": "ppk@baliprov.go.id",
        },
        page="/admin/agencies/new",
    )
    assert good.status_code == 303
    agency = db.session.scalar(select(Agency).where(Agency.code == "P-BALI"))
    assert agency.timezone == "Asia/Makassar" and agency.source == "admin"
    assert "Pemerintah Provinsi Bali" in _text(pages.get("/admin/agencies?q=bali"))

    edit = pages.post(
        f"/admin/agencies/{agency.id}",
        {
            "name": "Pemprov Bali",
            "kind": "provinsi",
            "timezone": "Asia/Makassar",
            "ppk_title": "Gubernur Bali",
            "ppk_email": "bukan-email",
            "escalation_body": "menpanrb",
        },
        page=f"/admin/agencies/{agency.id}",
    )
    assert edit.status_code == 422 and _error_of(_text(edit), "ppk_email") == "Alamat email tidak sah."
    edit = pages.post(
        f"/admin/agencies/{agency.id}",
        {
            "name": "Pemprov Bali",
            "kind": "provinsi",
            "timezone": "Asia/Makassar",
            "ppk_title": "Gubernur Bali",
            "ppk_email": "gubernur@baliprov.go.id",
            "escalation_body": "menpanrb",
        },
        page=f"/admin/agencies/{agency.id}",
    )
    assert edit.status_code == 303
    db.session.expire_all()
    agency = db.session.get(Agency, agency.id)
    assert (agency.name, agency.escalation_body, agency.code) == ("Pemprov Bali", "menpanrb", "P-BALI")

    pages.post(f"/admin/agencies/{agency.id}/active", {"active": "0"}, page=f"/admin/agencies/{agency.id}")
    db.session.expire_all()
    assert db.session.get(Agency, agency.id).is_active is False


def test_users_create_disable_and_reset(world, pages_for, pages):
    admin = pages_for(world.admin)
    bad = admin.post(
        "/admin/users/new",
        {"email": "ppk.baru@x.go.id", "role": "ppk", "password": factories.PASSWORD},
        page="/admin/users/new",
    )
    assert bad.status_code == 422
    assert "wajib terkait dengan instansi" in _error_of(_text(bad), "agency")
    short = admin.post(
        "/admin/users/new",
        {"email": "a@x.go.id", "role": "investigator", "password": "pendek"},
        page="/admin/users/new",
    )
    assert short.status_code == 422 and "minimal 8" in _error_of(_text(short), "password")

    made = admin.post(
        "/admin/users/new",
        {
            "email": "ppk.baru@x.go.id",
            "name": "PPK Baru",
            "role": "ppk",
            "agency": world.agency.code,
            "password": factories.PASSWORD,
        },
        page="/admin/users/new",
    )
    assert made.status_code == 303
    user = db.session.scalar(select(User).where(User.email == "ppk.baru@x.go.id"))
    assert user.agency_id == world.agency.id
    assert pages.login(user).status_code == 302

    reset = admin.post(
        f"/admin/users/{user.id}/password", {"password": "sandi-baru-yang-panjang"}, page=f"/admin/users/{user.id}"
    )
    assert reset.status_code == 303
    assert pages.get("/").status_code == 302  # the old session ended
    assert (
        pages.post("/login", {"email": user.email, "password": "sandi-baru-yang-panjang"}, page="/login").status_code
        == 302
    )

    refused = admin.post(f"/admin/users/{world.admin.id}/disable", page=f"/admin/users/{world.admin.id}")
    assert refused.status_code == 422 and "akun Anda sendiri" in _text(refused)
    assert admin.post(f"/admin/users/{user.id}/nonsense", page=f"/admin/users/{user.id}").status_code == 404


def test_escalation_recipients(world, pages_for):
    pages = pages_for(world.admin)
    html = _text(pages.get("/admin/recipients"))
    assert "eskalasi@kemendagri.go.id" in html and "dari konfigurasi" in html
    bad = pages.post("/admin/recipients", {"target": "bkn", "emails": "bukan-alamat"}, page="/admin/recipients")
    assert bad.status_code == 422 and "Alamat email tidak sah" in _text(bad)
    good = pages.post(
        "/admin/recipients", {"target": "bkn", "emails": "blokir@bkn.go.id\nsiasn@bkn.go.id"}, page="/admin/recipients"
    )
    assert good.status_code == 303
    rows = db.session.scalars(select(EscalationRecipient.email).where(EscalationRecipient.target == "bkn")).all()
    assert sorted(rows) == ["blokir@bkn.go.id", "siasn@bkn.go.id"]


def test_calendar_overrides(world, pages_for):
    pages = pages_for(world.admin)
    bad = pages.post(
        "/admin/calendar", {"day": "31-02-2027", "kind": "closed", "description": "x"}, page="/admin/calendar"
    )
    assert bad.status_code == 422 and _error_of(_text(bad), "day") == "Tanggal tidak sah."
    good = pages.post(
        "/admin/calendar",
        {"day": "2027-02-10", "kind": "closed", "description": "Pemungutan suara ulang", "decree": "Keppres 1/2027"},
        page="/admin/calendar",
    )
    assert good.status_code == 303
    html = _text(pages.get("/admin/calendar?year=2027"))
    assert "Pemungutan suara ulang" in html and "Rabu, 10 Februari 2027" in html
    row = db.session.scalar(select(CalendarOverride))
    duplicate = pages.post(
        "/admin/calendar", {"day": "2027-02-10", "kind": "open", "description": "y"}, page="/admin/calendar"
    )
    assert duplicate.status_code == 422
    assert pages.post(f"/admin/calendar/{row.id}/delete", page="/admin/calendar").status_code == 303
    assert db.session.scalar(select(CalendarOverride)) is None


def test_oversight_authorities(world, pages_for):
    pages = pages_for(world.admin)
    bad = pages.post(
        "/admin/authorities",
        {"name": "Badan Kepegawaian Negara", "short_name": "BKN", "valid_from": "2024-09-04", "valid_to": "2024-01-01"},
        page="/admin/authorities",
    )
    assert bad.status_code == 422
    assert _error_of(_text(bad), "valid_to") == "Tidak boleh sebelum tanggal mulai berlaku."
    good = pages.post(
        "/admin/authorities",
        {"name": "Badan Kepegawaian Negara", "short_name": "BKN", "valid_from": "2024-09-04"},
        page="/admin/authorities",
    )
    assert good.status_code == 303
    row = db.session.scalar(select(OversightAuthority))
    assert row.short_name == "BKN" and row.valid_to is None
    edit = pages.post(
        f"/admin/authorities/{row.id}",
        {"name": "Badan Kepegawaian Negara", "short_name": "BKN", "valid_from": "2024-09-04", "valid_to": "2027-10-16"},
        page=f"/admin/authorities/{row.id}",
    )
    assert edit.status_code == 303
    db.session.expire_all()
    assert str(db.session.get(OversightAuthority, row.id).valid_to) == "2027-10-16"


def test_an_authority_row_carries_its_level_3_recipients_actions_mailboxes_and_ladder(world, pages_for):
    """Issue 19: the next body is one admin action — every field of the reference row on the form, checked."""
    pages = pages_for(world.admin)
    base = {"name": "Lembaga Pengawas ASN", "short_name": "LPASN", "valid_from": "2027-10-16"}
    html = _text(pages.get("/admin/authorities"))
    for field in ("level3_to", "level3_cc", "level3_actions", "level3_basis", "mailboxes", "letter_manual", "ladder"):
        assert f'name="{field}"' in html
    bad = pages.post(
        "/admin/authorities",
        {**base, "level3_to": "authority; presiden", "mailboxes": "pimpinan@lpasn.go.id, bukan-alamat", "ladder": "[{"},
        page="/admin/authorities",
    )
    assert bad.status_code == 422
    body = _text(bad)
    assert "Aturan penerima tidak dikenal: presiden" in _error_of(body, "level3_to")
    assert _error_of(body, "mailboxes") == "Bukan alamat email: bukan-alamat."
    assert _error_of(body, "ladder").startswith("Tangga eskalasi tidak sah: harus berupa daftar JSON tingkat 0, 1, 2")
    assert "ESCALATION_LADDER" not in body and 'value="pimpinan@lpasn.go.id, bukan-alamat"' in body  # input kept
    ladder = (
        '[{"level": 0, "kind": "reminder", "label": "Pengingat", "offset": -3, "to": ["ppk"]},'
        ' {"level": 1, "kind": "overdue", "label": "Lewat tenggat", "offset": 1, "to": ["ppk"]},'
        ' {"level": 2, "kind": "escalation", "label": "Eskalasi", "offset": 3, "to": ["ministry"]},'
        ' {"level": 3, "kind": "final_report", "label": "Laporan LPASN", "offset": 2, "after": 2, "to": ["authority"]}]'
    )
    good = pages.post(
        "/admin/authorities",
        {
            **base,
            "level3_to": "authority",
            "level3_cc": "ministry; bkn",
            "level3_actions": "teguran tertulis; rekomendasi sanksi",
            "level3_basis": "Pasal 9 UU LPASN",
            "mailboxes": "pimpinan@lpasn.go.id",
            "letter_manual": "1",
            "ladder": ladder,
        },
        page="/admin/authorities",
    )
    assert good.status_code == 303
    row = db.session.scalar(select(OversightAuthority).where(OversightAuthority.short_name == "LPASN"))
    assert (row.level3_to, row.level3_cc, row.mailboxes) == ("authority", "ministry; bkn", "pimpinan@lpasn.go.id")
    assert row.letter_manual is True and row.ladder == ladder and row.level3_basis == "Pasal 9 UU LPASN"
    edit_page = _text(pages.get(f"/admin/authorities/{row.id}"))
    assert "teguran tertulis; rekomendasi sanksi" in edit_page and "Laporan LPASN" in edit_page


def test_outbox_lists_dead_messages_and_retries_them(world, pages_for):
    message = OutboxMessage(
        idempotency_key="k:1",
        kind="escalation",
        recipient="eskalasi@kemendagri.go.id",
        subject="[NKK-2026-000001] Eskalasi",
        body_text="-",
        message_id="<1@tindak.test>",
        status="dead",
        attempts=8,
        last_error="SMTP 550 mailbox unavailable",
    )
    db.session.add(message)
    db.session.commit()
    pages = pages_for(world.admin)
    html = _text(pages.get("/admin/outbox"))
    assert "SMTP 550 mailbox unavailable" in html and "Kirim ulang" in html
    asked = pages.post(f"/admin/outbox/{message.id}/retry", {"status": "dead"}, page="/admin/outbox")
    assert asked.status_code == 200 and "Ya, kirim ulang" in _text(asked)  # the button asks first
    response = pages.post(f"/admin/outbox/{message.id}/retry", {"status": "dead", "confirm": "1"}, page="/admin/outbox")
    assert response.status_code == 303
    db.session.expire_all()
    retried = db.session.get(OutboxMessage, message.id)
    assert (retried.status, retried.attempts) == ("pending", 0)
    assert "Tidak ada pesan." in _text(pages.get("/admin/outbox?status=dead"))
    assert pages.get("/admin/outbox?status=entah").status_code == 422
