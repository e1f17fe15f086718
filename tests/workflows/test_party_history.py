"""Issue 16, hole 8: the PPK's office and a supervising ministry read the issued recommendation and the events
that concern them, with who acted by role and office; never the authority's drafts (a superseded one included),
review, staff names or addresses, request ids or anything about the reporter. Checked on the history API, the
case page and the PPK's export, against what the authority's own staff read of the same case."""

from __future__ import annotations

import json

import pytest

from app.cases.exports import export_cases_csv
from app.cases.services import PARTY_EVENTS
from app.core.states import CaseEvent
from app.db import db
from tests.factories import S, case_in, make_cast, payload_for
from tests.web.conftest import Pages
from workflows import fire

SUPERSEDED = "Draf pertama yang kemudian diganti: hukuman disiplin berat."


@pytest.fixture
def deliberated():
    """A case whose first draft was replaced before issue, then issued and acknowledged by the PPK."""
    cast = make_cast()
    case = case_in(cast, S.UNDER_REVIEW)
    first = {"sanction": "disiplin_berat", "legal_basis": "PP 94/2021 Pasal 8", "text": SUPERSEDED}
    fire(case, CaseEvent.DRAFT_RECOMMENDATION, cast.investigator, first, expected_version=case.version)
    db.session.commit()
    for event in (CaseEvent.DRAFT_RECOMMENDATION, CaseEvent.ISSUE_RECOMMENDATION, CaseEvent.ACKNOWLEDGE):
        fire(case, event, cast.actor_for(event), payload_for(case, event), expected_version=case.version)
        db.session.commit()
    return cast, case


def _staff(cast) -> list[str]:
    return [cast.investigator.email, cast.commissioner.email, cast.commissioner2.email, cast.investigator.name]


def test_the_history_api_gives_the_ppk_what_concerns_it_and_the_authority_everything(api, deliberated):
    cast, case = deliberated
    own = api(cast.investigator).get(f"/api/v1/cases/{case.id}/history").get_json()["items"]
    ppk = api(cast.ppk).get(f"/api/v1/cases/{case.id}/history").get_json()["items"]
    text = json.dumps(ppk, ensure_ascii=False)
    # the authority reads its deliberation, with the superseded draft and its staff
    assert [r["event"] for r in own][:4] == ["create", "start_review", "draft_recommendation", "draft_recommendation"]
    assert SUPERSEDED in json.dumps(own, ensure_ascii=False) and cast.investigator.email in json.dumps(own)
    # the PPK: from the issued recommendation on, in order, with the same hashes
    assert [r["event"] for r in ppk] == ["issue_recommendation", "acknowledge"]
    assert {r["event"] for r in ppk} <= PARTY_EVENTS
    assert [r["hash"] for r in ppk] == [r["hash"] for r in own if r["event"] in ("issue_recommendation", "acknowledge")]
    assert SUPERSEDED not in text and "has_reporter" not in text and "Siti Pelapor" not in text
    for who in _staff(cast):
        assert who not in text
    assert all(r["request_id"] is None and r["actor_id"] is None for r in ppk)
    issued, acknowledged = ppk
    assert issued["actor"].startswith("Komisioner ") and acknowledged["actor"] == f"Kantor PPK {cast.agency.name}"


def test_the_case_page_gives_the_ppk_the_same_and_the_export_names_no_staff(app, deliberated):
    cast, case = deliberated
    pages = Pages(app.test_client())
    assert pages.login(cast.ppk).status_code == 302
    html = pages.get(f"/cases/{case.id}").get_data(as_text=True)
    timeline = html.split('id="timeline"')[1].split("</ol>")[0]
    assert "Terbitkan rekomendasi" in timeline and "Susun draf rekomendasi" not in timeline
    assert "Ada identitas pelapor" not in html and SUPERSEDED not in html
    for who in _staff(cast):
        assert who not in html
    exported = b"".join(export_cases_csv({}, cast.ppk)).decode("utf-8")
    assert case.number in exported
    for who in [*_staff(cast), "Siti Pelapor", SUPERSEDED]:
        assert who not in exported
