"""The rules in force on the pages: the drafting form shows the sanction SKB 2/2022 suggests for the case's act (a
suggestion, nothing filled in), refuses a level and a form that do not belong together with the rule's name next
to the field, and the help page says where each rule comes from."""

from __future__ import annotations

import re

from app.db import db
from app.models.cases import Case
from tests.factories import S, case_in

SUGGESTION = re.compile(
    r'<div class="alert alert-info small" id="draft_recommendation-suggestion"(.*?)</div>\s*</div>', re.S
)


def _suggestion(html: str) -> str:
    match = SUGGESTION.search(html)
    assert match, "no suggestion on the page"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1)))


def test_the_case_page_and_the_drafting_page_show_the_suggestion(world, pages_for):
    case = case_in(world, S.UNDER_REVIEW, subcategory="fasilitas_negara")
    pages = pages_for(world.investigator)
    for url in (f"/cases/{case.id}", f"/cases/{case.id}/events/draft_recommendation"):
        html = pages.get(url).get_data(as_text=True)
        text = _suggestion(html)
        assert 'data-suggested-sanction="disiplin_berat"' in html, url
        assert "Hukuman disiplin berat" in text and "bentuk yang sesuai bagi PNS" in text, text
        assert "Pemberhentian dengan hormat tidak atas permintaan sendiri" in text
        assert "Pemutusan hubungan perjanjian kerja" not in text  # the reported person is a PNS
        assert "PP 94/2021 Pasal 5 huruf n angka 4" in text and "tidak mengikat" in text
        # a suggestion, not a default: no sanction is chosen in the form
        assert not re.search(r'<option value="disiplin_berat" selected', html)


def test_the_spouse_on_leave_gets_no_sanction_suggested(world, pages_for):
    case = case_in(world, S.UNDER_REVIEW, subcategory="pendamping_pasangan_cltn")
    text = _suggestion(pages_for(world.investigator).get(f"/cases/{case.id}").get_data(as_text=True))
    assert "tidak ada sanksi yang disarankan" in text and "SE MenPAN-RB 18/2023" in text


def test_no_suggestion_outside_neutrality(world, pages_for):
    case = case_in(world, S.UNDER_REVIEW, category="masalah_rumah_tangga", subcategory=None)
    html = pages_for(world.investigator).get(f"/cases/{case.id}").get_data(as_text=True)
    assert "draft_recommendation-suggestion" not in html
    assert 'data-event="draft_recommendation"' in html  # the form itself is there


def test_the_drafting_form_refuses_a_mismatch_next_to_the_field(world, pages_for):
    case = case_in(world, S.UNDER_REVIEW)
    pages = pages_for(world.investigator)
    form = {
        "version": str(case.version),
        "sanction": "disiplin_ringan",
        "sanction_form": "pemberhentian_dengan_hormat",
        "legal_basis": "PP 94/2021",
        "text": "Teguran.",
    }
    response = pages.post(f"/cases/{case.id}/events/draft_recommendation", form, page=f"/cases/{case.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    error = re.search(r'id="draft_recommendation-sanction_form-error">(.*?)</div>', html, re.S)
    assert error and "PP 94/2021 Pasal 8 ayat (2)" in error.group(1) and "Teguran lisan" in error.group(1)
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == S.UNDER_REVIEW.value


def test_the_help_page_says_where_each_rule_comes_from(world, pages_for):
    html = pages_for(world.ppk).get("/bantuan").get_data(as_text=True)
    assert 'id="rules-in-force"' in html
    levels = html[html.index('id="sanction-levels"') :]
    assert "PP 94/2021 Pasal 8 ayat (3)" in levels and "PP 42/2004 Pasal 15 ayat (3)" in levels
    acts = html[html.index('id="neutrality-acts"') :]
    for text in (
        "Peserta kampanye dengan menggunakan fasilitas negara",
        "SKB 2/2022 Lampiran II, tabel disiplin butir 2",
    ):
        assert text in acts
    assert "SE MenPAN-RB 18/2023" in html and "PP 49/2018 Pasal 52" in html


def test_the_help_page_says_where_the_ended_agency_rule_comes_from(world, pages_for):
    html = pages_for(world.investigator).get("/bantuan").get_data(as_text=True)
    rule = html[html.index('id="ended-agencies"') :]
    rule = rule[: rule.index("</p>")]
    for text in ("Perpres 33/2021", "Perpres 139/2024", "BRIN", "tidak menerima perkara baru", "IM-NKK"):
        assert text in rule
