"""Recommendation and escalation letters and the case summary as PDF, in the official letter layout."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from app.letters import render_case_summary, render_escalation_letter, render_recommendation_letter
from tests.importing.helpers import standard_cases


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    return re.sub(r"\s+", " ", "\n".join(page.extract_text() for page in reader.pages))


@pytest.fixture
def cases(make_agency, tmp_path):
    province = make_agency(code="PROV-32", name="Provinsi Jawa Barat", kind="provinsi", ppk_title="Gubernur")
    make_agency(code="KAB-3201", name="Kabupaten Bogor", kind="kabupaten", ppk_title="Bupati", parent_id=province.id)
    return standard_cases(tmp_path, "KAB-3201")


def test_recommendation_letter_has_the_official_parts(cases):
    text = pdf_text(render_recommendation_letter(cases["O-1"]))
    assert "KOMISI APARATUR SIPIL NEGARA" in text
    assert "Jakarta, 15 April 2021" in text
    for part in ("Nomor : R-1194/KASN/4/2021", "Sifat : Segera", "Lampiran : -", "Perihal : Rekomendasi atas"):
        assert part in text, part
    assert "Yth. Bupati Kabupaten Bogor" in text
    assert "1986 0926" not in text  # the NIP is printed in its usual grouping
    assert "19860926 201505 1 001" in text
    assert "menjatuhkan hukuman disiplin sedang kepada" in text
    assert "PP 94/2021 Pasal 5 huruf n" in text
    assert "5 Mei 2021 23.59 WIB" in text  # the deadline, as the email says it
    assert "Tembusan:" in text
    assert "Menteri Dalam Negeri" in text
    assert "Gubernur Jawa Barat" in text
    assert "Pelapor Rahasia" not in text
    assert "rahasia@example.org" not in text


def test_recommendation_letter_matches_the_email(cases):
    from tests.case_mail import render

    _, email_text, _ = render("recommendation_issued", case=cases["O-1"], recipient="ppk@bogorkab.go.id", extra={})
    letter = pdf_text(render_recommendation_letter(cases["O-1"]))
    due = re.search(r"paling lambat (\d+ \w+ \d{4} \d\d\.\d\d WI[BT]A?)", email_text)
    assert due is not None, email_text
    assert due.group(1) in letter
    assert "R-1194/KASN/4/2021" in email_text


def test_escalation_letter_to_the_supervising_ministry(cases):
    text = pdf_text(render_escalation_letter(cases["O-1"], level=2))
    assert "Yth. Menteri Dalam Negeri" in text
    assert "Perihal : Eskalasi Rekomendasi" in text
    assert f"Nomor : {cases['O-1'].number}/ESK-2" in text
    assert "Jakarta, 13 Mei 2021" in text  # the day the level was reached
    assert "R-1194/KASN/4/2021" in text
    assert "belum ditindaklanjuti" in text
    # late by the working days from the deadline (Wednesday 5 May) to the letter (Thursday 13 May, a holiday)
    assert re.search(r"keterlambatan hingga surat ini dibuat [1-5] hari kerja", text), text
    assert "Rekam jejak PPK: 2 rekomendasi diterima instansi, 1 telah ditindaklanjuti" in text
    assert "Pelapor Rahasia" not in text
    final = pdf_text(render_escalation_letter(cases["O-1"], level=3))
    assert "Badan Kepegawaian Negara memblokir data kepegawaian" in final
    with pytest.raises(ValueError, match="levels 2 and 3"):
        render_escalation_letter(cases["O-1"], level=1)
    with pytest.raises(ValueError, match="issued recommendation"):
        render_escalation_letter(cases["R-1"], level=2)


def test_case_summary_hides_the_reporter_unless_asked(cases):
    plain = pdf_text(render_case_summary(cases["C-1"]))
    assert f"Ringkasan Perkara {cases['C-1'].number}" in plain
    assert "800/1/2021" in plain
    assert "lebih ringan" in plain
    assert "imported" in plain  # the timeline
    assert "Pelapor Rahasia" not in plain
    assert "rahasia@example.org" not in plain
    kasn = pdf_text(render_case_summary(cases["C-1"], include_reporter=True))
    assert "Pelapor Rahasia" in kasn
    assert "rahasia@example.org" in kasn
