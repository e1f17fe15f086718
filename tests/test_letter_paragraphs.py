"""Issue 20: every paragraph of a letter appears once; the recommendation letter states the recommendation once."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

import app.letters.documents as documents
from app.db import db
from app.letters import render_escalation_letter, render_recommendation_letter
from app.models.cases import Recommendation
from tests.importing.helpers import standard_cases
from tests.test_letters import pdf_text

# What a drafter typically writes as "Isi rekomendasi" (the demo's text): the recommendation in other words.
RESTATED = "Merekomendasikan kepada PPK untuk menjatuhkan sanksi sesuai ketentuan peraturan perundang-undangan."


@pytest.fixture
def issued(make_agency, tmp_path):
    province = make_agency(code="PROV-32", name="Provinsi Jawa Barat", kind="provinsi", ppk_title="Gubernur")
    make_agency(code="KAB-3201", name="Kabupaten Bogor", kind="kabupaten", ppk_title="Bupati", parent_id=province.id)
    case = standard_cases(tmp_path, "KAB-3201")["O-1"]
    rec = db.session.scalar(select(Recommendation).where(Recommendation.case_id == case.id))
    rec.text = RESTATED
    db.session.flush()
    return case


@pytest.fixture
def letters(monkeypatch):
    """The Letter each render builds, kept beside the PDF it becomes."""
    built: list[documents.Letter] = []
    render = documents.render_letter

    def keep(letter: documents.Letter) -> bytes:
        built.append(letter)
        return render(letter)

    monkeypatch.setattr(documents, "render_letter", keep)
    return built


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize(
    "render",
    [
        render_recommendation_letter,
        lambda case: render_escalation_letter(case, level=2),
        lambda case: render_escalation_letter(case, level=3),
    ],
    ids=["recommendation", "escalation-2", "escalation-3"],
)
def test_every_paragraph_of_a_letter_appears_once(issued, letters, render):
    text = re.sub(r" ?Halaman \d+ ?", " ", pdf_text(render(issued)))  # a paragraph may run over the page footer
    (letter,) = letters
    paragraphs = [_flat(p) for p in letter.paragraphs]
    assert len(paragraphs) >= 3
    assert len(set(paragraphs)) == len(paragraphs), paragraphs
    for paragraph in paragraphs:
        assert text.count(paragraph) == 1, paragraph


def test_the_recommendation_letter_states_the_recommendation_once(issued, letters):
    text = pdf_text(render_recommendation_letter(issued))
    assert len(re.findall(r"merekomendasikan", text, re.IGNORECASE)) == 1, text
    assert "menjatuhkan hukuman disiplin sedang kepada yang bersangkutan" in text
    assert "PP 94/2021 Pasal 5 huruf n" in text
    assert RESTATED not in text
    assert [p for p in letters[0].paragraphs if p.strip() == RESTATED] == []
