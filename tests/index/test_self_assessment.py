"""Self-assessment: the agency fills it in with evidence, KASN verifies or corrects with a note, may ask
for clarification, and the plenary decision locks it (DOMAIN §3)."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from app.index import services
from tests import factories

YEAR = 2025
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _url(people, sub: str = "penetapan.peraturan_internal", suffix: str = "") -> str:
    return f"/api/v1/self-assessments/{people.agency.id}/{YEAR}/{sub}{suffix}"


def test_the_four_stages(api, people, app):
    ppk, investigator, commissioner = api(people.ppk), api(people.investigator), api(people.commissioner)

    def put(url, **kw):
        return put_as(app, people.ppk, url, **kw)

    first = put(_url(people), json={"self_score": 90, "answer": "Perkada 12/2024 tentang kode etik"})
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["stage"] == "self_assessment"
    assert put(_url(people, "penegakan.wbs"), json={"self_score": 70}).status_code == 200

    upload = ppk.post(_url(people, suffix="/evidence"), data={"file": (io.BytesIO(PDF), "perkada.pdf")},
                      content_type="multipart/form-data")  # fmt: skip
    assert upload.status_code == 201, upload.get_json()
    evidence = upload.get_json()["evidence"]
    assert evidence["sha256"] == hashlib.sha256(PDF).hexdigest() and evidence["size"] == len(PDF)
    stored = list((Path(app.config["ATTACHMENT_DIR"]) / "self_assessments").iterdir())
    assert any(p.read_bytes() == PDF and p.name != "perkada.pdf" for p in stored)
    download = investigator.get(_url(people, suffix="/evidence"))
    assert download.status_code == 200 and download.data == PDF
    assert "attachment" in download.headers["Content-Disposition"]

    assert ppk.post(f"/api/v1/self-assessments/{people.agency.id}/{YEAR}/submit").get_json()["moved"] == 2
    assert put(_url(people), json={"self_score": 100}).status_code == 409

    corrected = investigator.post(_url(people, suffix="/verify"), json={"verified_score": 60})
    assert corrected.status_code == 422  # a correction needs a note
    note = "Perkada belum memuat kode perilaku"
    corrected = investigator.post(_url(people, suffix="/verify"), json={"verified_score": 60, "note": note})
    assert corrected.status_code == 200 and corrected.get_json()["verified_score"] == 60

    asked = investigator.post(_url(people, "penegakan.wbs", "/clarification"), json={"question": "Mana SOP WBS?"})
    assert asked.get_json()["stage"] == "clarification"
    assert commissioner.post(f"/api/v1/self-assessments/{people.agency.id}/{YEAR}/decide").status_code == 409
    answered = ppk.post(_url(people, "penegakan.wbs", "/clarification-answer"),
                        json={"answer": "SOP WBS terlampir", "self_score": 65})  # fmt: skip
    assert answered.get_json()["stage"] == "verification" and answered.get_json()["self_score"] == 65
    assert investigator.post(_url(people, "penegakan.wbs", "/verify"), json={"verified_score": 65}).status_code == 200

    assert investigator.post(f"/api/v1/self-assessments/{people.agency.id}/{YEAR}/decide").status_code == 403
    decided = commissioner.post(f"/api/v1/self-assessments/{people.agency.id}/{YEAR}/decide")
    assert decided.status_code == 200 and decided.get_json() == {"moved": 2, "stage": "plenary"}
    assert investigator.post(_url(people, suffix="/verify"), json={"verified_score": 90}).status_code == 409

    # the index uses KASN's verified scores: penetapan = (60 + 0 + 0 + 0) / 4 with the rest unanswered
    item = next(i for i in services.compute_index(YEAR)["items"] if i["agency_id"] == people.agency.id)
    assert item["criteria"]["penetapan"] == 15.0


def put_as(app, user, url, **kw):
    """PUT with a bearer token (the `api` fixture has no put helper)."""
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"email": user.email, "password": factories.PASSWORD}).get_json()
    return client.put(url, headers={"Authorization": f"Bearer {token['token']}"}, **kw)


def test_only_the_agencys_own_ppk_fills_it_in(api, people, app):
    other = put_as(app, people.other_ppk, _url(people), json={"self_score": 50})
    assert other.status_code == 404
    investigator = put_as(app, people.investigator, _url(people), json={"self_score": 50})
    assert investigator.status_code == 403
    assert (
        api(people.other_ppk).get(f"/api/v1/self-assessments?year={YEAR}&agency_id={people.agency.id}").status_code
        == 404
    )
    assert (
        api(people.overseer).get(f"/api/v1/self-assessments?year={YEAR}&agency_id={people.agency.id}").status_code
        == 403
    )
    listed = api(people.ppk).get(f"/api/v1/self-assessments?year={YEAR}").get_json()["items"]
    assert len(listed) == 18 and all(i["agency_id"] == people.agency.id for i in listed)


def test_the_case_based_subcriterion_is_not_self_assessed(app, people):
    response = put_as(app, people.ppk, _url(people, "penegakan.tindak_lanjut"), json={"self_score": 100})
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("name", "content"),
    [("program.exe", b"MZ" + b"\x00" * 64), ("bukti.pdf", PNG), ("kosong.pdf", b"")],
)
def test_evidence_type_is_checked(api, people, name, content):
    response = api(people.ppk).post(
        _url(people, suffix="/evidence"), data={"file": (io.BytesIO(content), name)}, content_type="multipart/form-data"
    )
    assert response.status_code == 422


def test_evidence_meets_the_one_upload_store_size_in_the_stream_and_zip_bombs(app, api, people, tmp_path):
    """The IM-NKK evidence goes through the store the case evidence uses (app.core.uploads): a file past the
    limit is refused while it streams, an office document that unpacks to a bomb is refused, and nothing of
    either is left in the store."""
    import zipfile

    store = Path(app.config["ATTACHMENT_DIR"]) / "self_assessments"

    def stored() -> set[Path]:
        return {f for f in store.glob("*") if f.is_file()} if store.exists() else set()

    before = stored()
    app.config["MAX_CONTENT_LENGTH"] = 4096
    big = api(people.ppk).post(
        _url(people, suffix="/evidence"),
        data={"file": (io.BytesIO(b"%PDF-1.4 " + b"x" * 5000), "bukti.pdf")},
        content_type="multipart/form-data",
    )
    app.config["MAX_CONTENT_LENGTH"] = 20 * 1024 * 1024
    assert big.status_code in (413, 422)
    bomb = tmp_path / "bom.docx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "0" * (50 * 1024 * 1024))
    response = api(people.ppk).post(
        _url(people, suffix="/evidence"),
        data={"file": (io.BytesIO(bomb.read_bytes()), "bukti.docx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "bom zip" in response.get_data(as_text=True)
    assert stored() == before  # nothing of either is left, not even a temporary file


def test_submit_needs_scores(app, api, people):
    assert put_as(app, people.ppk, _url(people), json={"self_score": None, "answer": "draf"}).status_code == 200
    response = api(people.ppk).post(f"/api/v1/self-assessments/{people.agency.id}/{YEAR}/submit")
    assert response.status_code == 422
