"""Letters where their readers are: the recommendation and escalation letters on the case page for the
authority's staff, the case's PPK and the ministry it was escalated to (never another PPK, another ministry or
the public, never with the reporter); the PPK's email links to its letter; PDF and image evidence previews in the
page for who may see it."""

from __future__ import annotations

import io
import re
import struct
import zlib

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.db import db
from app.models.cases import Recommendation
from app.models.escalations import EscalationStep
from app.models.outbox import OutboxMessage
from tests.factories import REPORTER, make_user, upload
from tests.web.conftest import Pages


def png(width: int = 4, height: int = 3) -> bytes:
    """A small valid PNG (red pixels)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def escalate(case, body: str) -> None:
    rec = db.session.scalar(select(Recommendation).where(Recommendation.case_id == case.id))
    db.session.add(
        EscalationStep(
            recommendation_id=rec.id, case_id=case.id, cycle=0, level=2, reached_at=rec.due_at, due_at=rec.due_at,
            body=body,
        )
    )  # fmt: skip
    db.session.commit()


@pytest.fixture
def escalated(world, make_case):
    case = make_case("awaiting_follow_up")
    escalate(case, "kemendagri")  # a regency: Kemendagri, the world's overseer
    return case


READERS = ("investigator", "commissioner", "admin", "ppk", "overseer")


@pytest.mark.parametrize("role", READERS)
def test_the_case_readers_find_its_letters_on_the_case_page(role, world, escalated, pages_for):
    pages = pages_for(getattr(world, role))
    html = pages.get(f"/cases/{escalated.id}").get_data(as_text=True)
    section = html.split('id="letters"')[1].split("</ul>")[0]
    assert re.findall(r'data-letter="([\w-]+)"', section) == ["recommendation", "escalation-2"]
    assert "R-1/KASN/11/2026" in section and "Ketua Komisi Aparatur Sipil Negara" in section
    for key, expected in (("recommendation", "R-1/KASN/11/2026"), ("escalation-2", "ESK-2")):
        response = pages.get(f"/cases/{escalated.id}/letters/{key}.pdf")
        assert response.status_code == 200, (role, key)
        assert response.mimetype == "application/pdf"
        assert response.headers["Content-Disposition"].startswith("inline")
        assert response.headers["Cache-Control"] == "no-store"
        text = pdf_text(response.data)
        assert expected in text
        assert REPORTER["name"] not in text and REPORTER["contact"] not in text


@pytest.mark.parametrize("who", ["other_ppk", "other_ministry"])
def test_another_ppk_or_ministry_gets_404(who, world, escalated, pages_for):
    user = world.other_ppk if who == "other_ppk" else make_user("overseer", body="menpanrb")
    pages = pages_for(user)
    assert pages.get(f"/cases/{escalated.id}").status_code == 404
    for key in ("recommendation", "escalation-2"):
        assert pages.get(f"/cases/{escalated.id}/letters/{key}.pdf").status_code == 404


def test_the_public_is_sent_to_sign_in(client, escalated):
    response = client.get(f"/cases/{escalated.id}/letters/recommendation.pdf")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_overseer_reads_nothing_before_the_escalation_and_no_letter_before_issue(world, make_case, pages_for):
    issued = make_case("awaiting_follow_up")
    overseer = pages_for(world.overseer)
    assert overseer.get(f"/cases/{issued.id}/letters/recommendation.pdf").status_code == 404
    draft = make_case("recommendation_drafted")
    staff = pages_for(world.investigator)
    assert 'id="letters"' not in staff.get(f"/cases/{draft.id}").get_data(as_text=True)
    assert staff.get(f"/cases/{draft.id}/letters/recommendation.pdf").status_code == 404
    assert staff.get(f"/cases/{issued.id}/letters/escalation-2.pdf").status_code == 404  # not reached
    assert staff.get(f"/cases/{issued.id}/letters/nope.pdf").status_code == 404


def test_the_ppks_email_links_to_its_letter(world, make_case, app):
    case = make_case("awaiting_follow_up")
    email = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.case_id == case.id, OutboxMessage.kind == "recommendation_issued")
    )
    link = f"http://tindak.test/cases/{case.id}/letters/recommendation.pdf"
    assert link in email.body_text and f'href="{link}"' in email.body_html
    # the link asks for sign-in, then opens the letter
    pages = Pages(app.test_client())
    redirected = pages.get(link.removeprefix("http://tindak.test"))
    assert redirected.status_code == 302 and "/login" in redirected.headers["Location"]


# -- evidence previews ---------------------------------------------------------------------------------------------


@pytest.fixture
def files(world, make_case):
    case = make_case("awaiting_follow_up")
    return {
        "case": case,
        "photo": upload(case, world.investigator, purpose="evidence", name="foto.png", content=png()),
        "evidence_pdf": upload(case, world.investigator, purpose="evidence", name="kronologi.pdf"),
        "sk": upload(case, world.ppk, purpose="follow_up", name="sk.pdf"),
    }


def test_staff_preview_images_and_pdfs_inline(world, files, pages_for):
    pages = pages_for(world.investigator)
    photo = pages.get(f"/attachments/{files['photo'].id}/preview")
    assert photo.status_code == 200 and photo.mimetype == "image/png"
    assert photo.headers["Content-Disposition"].startswith("inline")
    assert "sandbox" in photo.headers["Content-Security-Policy"]
    assert photo.headers["X-Content-Type-Options"] == "nosniff" and photo.headers["Cache-Control"] == "no-store"
    pdf = pages.get(f"/attachments/{files['evidence_pdf'].id}/preview")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Content-Disposition"].startswith("inline")
    assert "frame-ancestors 'self'" in pdf.headers["Content-Security-Policy"]
    assert pdf.headers["X-Frame-Options"] == "SAMEORIGIN"
    html = pages.get(f"/cases/{files['case'].id}").get_data(as_text=True)
    assert f'src="/attachments/{files["photo"].id}/preview"' in html  # an <img> on the case page
    assert '<iframe class="preview-pdf' in html
    # the download stays an attachment
    download = pages.get(f"/attachments/{files['photo'].id}")
    assert download.headers["Content-Disposition"].startswith("attachment")


def test_the_ppk_previews_only_what_it_may_see(world, files, pages_for):
    ppk = pages_for(world.ppk)
    assert ppk.get(f"/attachments/{files['sk'].id}/preview").status_code == 200
    assert ppk.get(f"/attachments/{files['photo'].id}/preview").status_code == 404  # the authority's evidence
    html = ppk.get(f"/cases/{files['case'].id}").get_data(as_text=True)
    assert f"/attachments/{files['photo'].id}/preview" not in html
    other = pages_for(world.other_ppk)
    assert other.get(f"/attachments/{files['sk'].id}/preview").status_code == 404


def test_what_does_not_preview_is_404(world, make_case, pages_for):
    case = make_case("under_review")
    mp4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
    video = upload(case, world.investigator, purpose="evidence", name="video.mp4", content=mp4)
    pages = pages_for(world.investigator)
    assert pages.get(f"/attachments/{video.id}/preview").status_code == 404
    assert pages.get(f"/attachments/{video.id}").status_code == 200
