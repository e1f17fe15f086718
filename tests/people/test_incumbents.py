"""An incumbent PPK: an office holder standing as a candidate in an election. Its agency's neutrality cases of that
election are flagged and climb the escalation ladder a level earlier (`INCUMBENT_ESCALATION_SHIFT`), and the
escalation email and letter say why; a recommendation keeps the office holder it was addressed to.

The dates: a recommendation issued on Monday 2 November 2026 (10.00 WITA) to a kabupaten in Makassar's zone is due
at the end of Friday 20 November. On the default ladder level 1 falls at the end of the next working day (Monday 23),
level 2 five working days after the due day (Friday 27), level 3 nineteen (Wednesday 16 December, no holiday
between). An incumbent's case stands one level higher once the deadline has passed: level 2 on Monday 23, level 3
on Friday 27.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from pypdf import PdfReader
from sqlalchemy import select

from app.db import db
from app.escalations.ladder import incumbent_ladder, load_ladder
from app.escalations.sweep import run_sweep
from app.letters.documents import render_escalation_letter
from app.models.cases import Case, Recommendation
from app.models.escalations import EscalationStep
from app.models.intake import CaseElection
from app.models.outbox import OutboxMessage
from app.models.people import PpkCandidacy, PpkOfficeHolder
from notifications.dispatcher import dispatch_pending
from tests.escalations.helpers import steps_of
from tests.factories import S, case_in, make_agency, make_cast

ISSUED = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # Monday 10.00 WITA
TUESDAY_24 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 10.00 WITA, level 1's day (Monday 23) has ended
MONDAY_30 = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # 10.00 WITA, level 2's day (Friday 27) has ended
ELECTION = "Pilkada Serentak 2026 (uji petahana)"
HOLDER = "H. Andi Petahana, S.H."
REASON = f"dieskalasi lebih awal karena Pejabat Pembina Kepegawaian yang sedang menjabat, Bupati Gowa (uji) {HOLDER}"


@pytest.fixture
def world(api):
    """A kabupaten (Kemendagri's), its cast, a holder of its PPK office standing in an election, and four cases
    awaiting follow-up issued the same moment: a neutrality case of that election (the incumbent's), a neutrality
    case of no election, a case of another category linked to the election, and a neutrality case of that election
    in another agency."""
    province = make_agency(kind="provinsi", timezone="Asia/Makassar", ppk_email="gubernur@sulsel.go.id")
    kab = make_agency(
        kind="kabupaten",
        timezone="Asia/Makassar",
        ppk_email="bupati@gowa.go.id",
        parent_id=province.id,
        ppk_title="Bupati Gowa (uji)",
    )
    other = make_agency(
        kind="kabupaten", timezone="Asia/Makassar", ppk_email="bupati@lain.go.id", parent_id=province.id
    )
    cast = make_cast(agency=kab, other_agency=other, overseer_body="kemendagri")
    admin = api(cast.admin)
    holder = admin.post(
        f"/api/v1/agencies/{kab.id}/ppk-holders", json={"name": HOLDER, "started_on": "2021-02-26"}
    ).get_json()
    election = admin.post(
        "/api/v1/elections",
        json={"name": ELECTION, "kind": "pilkada", "starts_on": "2026-08-01", "ends_on": "2026-12-31"},
    ).get_json()
    answer = api(cast.investigator).post(
        f"/api/v1/agencies/{kab.id}/ppk-holders/{holder['id']}/candidacies",
        json={"election_id": election["id"], "since": "2026-09-22"},
    )
    assert answer.status_code == 201, answer.get_json()
    cases = {
        "incumbent": case_in(cast, S.AWAITING_FOLLOW_UP, at=ISSUED).id,
        "no_election": case_in(cast, S.AWAITING_FOLLOW_UP, at=ISSUED).id,
        "other_category": case_in(
            cast, S.AWAITING_FOLLOW_UP, at=ISSUED, category="kode_etik_lainnya", subcategory=None
        ).id,
        "other_agency": case_in(cast, S.AWAITING_FOLLOW_UP, at=ISSUED, agency=other).id,
    }
    for key in ("incumbent", "other_agency"):
        linked = api(cast.investigator).client_put(cases[key], election["id"])
        assert linked.status_code == 200, linked.get_json()
    # The API links only neutrality cases; a row linking another category (a case re-categorised after its link)
    # is still no incumbent's case.
    assert api(cast.investigator).client_put(cases["other_category"], election["id"]).status_code == 422
    db.session.add(CaseElection(case_id=cases["other_category"], election_id=election["id"]))
    db.session.commit()
    return {"cast": cast, "kab": kab, "holder": holder, "election": election, "cases": cases}


@pytest.fixture
def api(api, client):
    """The conftest's `api`, with the case's election link (PUT)."""

    def make(user):
        caller = api(user)
        caller.client_put = lambda case_id, election_id: client.put(
            f"/api/v1/cases/{case_id}/election", json={"election_id": election_id}, headers=caller.headers
        )
        return caller

    return make


def _level(case_id: int) -> int | None:
    db.session.expire_all()
    return db.session.scalar(select(Recommendation.escalation_level).where(Recommendation.case_id == case_id))


def _rec_id(case_id: int) -> int:
    return db.session.scalar(select(Recommendation.id).where(Recommendation.case_id == case_id))


def _sweep(instant: datetime):
    with time_machine.travel(instant, tick=False):
        return run_sweep(instant)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_the_incumbents_case_escalates_a_level_earlier_and_the_email_says_why(world, smtp_server, api):
    cases, cast = world["cases"], world["cast"]
    report = _sweep(TUESDAY_24)
    # The incumbent's case is at level 2 (the ministry) the day after the deadline; level 1 passed over with it.
    assert _level(cases["incumbent"]) == 2
    assert [(level, notified) for _, level, notified in steps_of(_rec_id(cases["incumbent"]))] == [
        (0, False),
        (1, False),
        (2, True),
    ]
    # The others climb as usual: the overdue notice only.
    for key in ("no_election", "other_category", "other_agency"):
        assert _level(cases[key]) == 1, key
    assert report.levels[2] == 1
    step = db.session.scalar(
        select(EscalationStep).where(EscalationStep.case_id == cases["incumbent"], EscalationStep.level == 2)
    )
    candidacy = db.session.scalar(select(PpkCandidacy.id))
    assert step.early_candidacy_id == candidacy
    assert step.reached_at == datetime(2026, 11, 23, 15, 59, 59, 999999, tzinfo=UTC)  # end of Monday 23, WITA
    # Level 1 is not "earlier" (it keeps its day): no reason recorded on it.
    assert (
        db.session.scalar(
            select(EscalationStep.early_candidacy_id).where(
                EscalationStep.case_id == cases["incumbent"], EscalationStep.level == 1
            )
        )
        is None
    )

    with time_machine.travel(TUESDAY_24, tick=False):
        assert dispatch_pending()["sent"] >= 1
    escalations = [d for d in smtp_server.deliveries if d.message["X-Tindak-Kind"] == "escalation"]
    assert escalations, "the ministry's email went out"
    number = db.session.get(Case, cases["incumbent"]).number
    for delivery in escalations:
        message = delivery.message
        alternative = next(part for part in message.walk() if part.get_content_type() == "multipart/alternative")
        parts = {part.get_content_type(): _flat(part.get_content()) for part in alternative.iter_parts()}
        assert number in parts["text/plain"]
        for text in parts.values():
            assert REASON in text
            assert HOLDER in text and ELECTION in text
    assert "eskalasi@kemendagri.go.id" in {r for d in escalations for r in d.rcpt_tos}
    # The overdue notices of the other cases say nothing of it.
    for row in db.session.scalars(select(OutboxMessage).where(OutboxMessage.case_id != cases["incumbent"])):
        assert "lebih awal" not in row.body_text, row.kind

    # The level-2 letter says it too.
    letter = render_escalation_letter(db.session.get(Case, cases["incumbent"]), 2)
    text = _flat(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(letter)).pages))
    assert "dieskalasi lebih awal" in text and ELECTION in text

    # Level 3 on level 2's usual day, with the reason; the other neutrality case reaches level 2 then, without.
    _sweep(MONDAY_30)
    assert _level(cases["incumbent"]) == 3 and _level(cases["no_election"]) == 2
    final = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.case_id == cases["incumbent"], OutboxMessage.kind == "final_report")
    ).all()
    assert final and all(REASON in _flat(m.body_text) for m in final)
    plain = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.case_id == cases["no_election"], OutboxMessage.kind == "escalation")
    ).all()
    assert plain and not any("lebih awal" in m.body_text for m in plain)

    # The case page's steps and the API agree with the sweep.
    body = api(cast.investigator).get(f"/api/v1/cases/{cases['incumbent']}").get_json()
    assert body["escalation_level"] == 3
    assert [(s["level"], s["early"]) for s in body["escalations"]] == [(0, False), (1, False), (2, True), (3, True)]


def test_the_flag_on_the_case_for_who_reads_it(world, api):
    cases, cast, kab = world["cases"], world["cast"], world["kab"]
    url = f"/api/v1/cases/{cases['incumbent']}"
    flag = api(cast.investigator).get(url).get_json()["incumbent_ppk"]
    assert flag["label"] == "PPK petahana mencalonkan diri"
    assert flag["holder_name"] == HOLDER and flag["holder_title"] == "Bupati Gowa (uji)"
    assert flag["election_name"] == ELECTION and flag["since"] == "2026-09-22" and flag["shift"] == 1
    assert api(cast.ppk).get(url).get_json()["incumbent_ppk"]["holder_name"] == HOLDER
    assert api(cast.other_ppk).get(url).status_code == 404
    for key in ("no_election", "other_category"):
        assert api(cast.investigator).get(f"/api/v1/cases/{cases[key]}").get_json()["incumbent_ppk"] is None, key
    assert api(cast.admin).get(f"/api/v1/cases/{cases['other_agency']}").get_json()["incumbent_ppk"] is None
    # The overseer once the case reached its ministry.
    _sweep(TUESDAY_24)
    seen = api(cast.overseer).get(url).get_json()
    assert seen["incumbent_ppk"]["election_name"] == ELECTION and "reporter" not in seen
    # A holder whose office has ended is no incumbent: the flag goes with the office.
    holder = world["holder"]
    row = db.session.get(PpkOfficeHolder, holder["id"])
    assert row.agency_id == kab.id
    row.ended_on = date(2026, 11, 1)
    db.session.commit()
    assert api(cast.investigator).get(url).get_json()["incumbent_ppk"] is None


def test_the_case_page_shows_the_flag(world, pages_for):
    cases, cast = world["cases"], world["cast"]
    page = pages_for(cast.investigator).get(f"/cases/{cases['incumbent']}").get_data(as_text=True)
    assert 'id="incumbent-ppk"' in page and "PPK petahana mencalonkan diri" in page and ELECTION in page
    assert "Perkara ini dieskalasi 1 tingkat lebih awal." in page
    assert f"Bupati Gowa (uji) {HOLDER}" in page  # the recommendation names whom it was addressed to
    other = pages_for(cast.investigator).get(f"/cases/{cases['no_election']}").get_data(as_text=True)
    assert 'id="incumbent-ppk"' not in other
    # The step reached earlier is marked so in the case's steps.
    _sweep(TUESDAY_24)
    page = pages_for(cast.investigator).get(f"/cases/{cases['incumbent']}").get_data(as_text=True)
    assert page.count("lebih awal: PPK petahana") == 1  # level 2; level 1 kept its day


def test_shift_zero_turns_it_off(world, app, monkeypatch):
    monkeypatch.setitem(app.config, "INCUMBENT_ESCALATION_SHIFT", 0)
    cases = world["cases"]
    _sweep(TUESDAY_24)
    assert _level(cases["incumbent"]) == _level(cases["no_election"]) == 1
    assert db.session.scalar(select(EscalationStep.id).where(EscalationStep.early_candidacy_id.is_not(None))) is None
    assert not any("lebih awal" in m.body_text for m in db.session.scalars(select(OutboxMessage)))


def test_one_level_earlier_on_the_ladder():
    base = load_ladder()
    shifted = incumbent_ladder(base, 1)
    assert [r.days_from_due for r in base] == [-3, 1, 5, 19]
    assert [r.days_from_due for r in shifted] == [-3, 1, 1, 5]
    assert [r.days_from_due for r in incumbent_ladder(base, 2)] == [-3, 1, 1, 1]
    assert incumbent_ladder(base, 0) is base


def test_the_recommendation_keeps_the_holder_it_was_addressed_to(world, api):
    cast, holder, cases = world["cast"], world["holder"], world["cases"]
    rec = db.session.scalar(select(Recommendation).where(Recommendation.case_id == cases["incumbent"]))
    assert rec.addressed_holder_id == holder["id"]
    # Another agency's recommendation: no holder recorded there.
    other = db.session.scalar(select(Recommendation).where(Recommendation.case_id == cases["other_agency"]))
    assert other.addressed_holder_id is None
    detail = api(cast.investigator).get(f"/api/v1/cases/{cases['incumbent']}").get_json()
    assert detail["recommendation"]["addressed_holder"]["name"] == HOLDER
    # A new holder recorded later does not change whom it was addressed to: the record reads the stored one.
    api(cast.admin).post(
        f"/api/v1/agencies/{world['kab'].id}/ppk-holders",
        json={"name": "Penjabat Baru", "started_on": "2026-11-02", "acting": False},
    )
    record = api(cast.investigator).get("/api/v1/people/198609262015051001").get_json()
    addressed = {i["number"]: i["recommendation"]["addressed_to"] for i in record["items"]}
    number = db.session.get(Case, cases["incumbent"]).number
    assert addressed[number]["name"] == HOLDER


def test_bad_candidacy_input_and_access(world, api):
    cast, kab, holder, election = world["cast"], world["kab"], world["holder"], world["election"]
    url = f"/api/v1/agencies/{kab.id}/ppk-holders/{holder['id']}/candidacies"
    staff = api(cast.commissioner)
    refused = staff.post(url, json={"since": "2026-13-01", "extra": 1})
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert error["message"] == "Data pencalonan pejabat PPK tidak valid."
    fields = error["details"]["fields"]
    assert fields["election_id"] == ["Pemilihan wajib dipilih."]
    assert fields["since"] == ["Tanggal tidak sah (YYYY-MM-DD)."]
    assert fields["extra"] == ["Kolom tidak dikenal."]
    for body, field, message in (
        ({"election_id": 999999, "since": "2026-09-22"}, "election_id", "Pemilihan tidak ditemukan."),
        ({"election_id": "satu", "since": "2026-09-22"}, "election_id", "Pemilihan harus berupa nomor pemilihan"),
        (
            {"election_id": election["id"], "since": "2020-01-01"},
            "since",
            "Tanggal pencalonan tidak boleh sebelum pejabat mulai menjabat.",
        ),
        ({"election_id": election["id"], "since": "2026-10-01"}, "election_id", "sudah tercatat"),
    ):
        answer = staff.post(url, json=body)
        assert answer.status_code == 422, body
        assert message in answer.get_json()["error"]["details"]["fields"][field][0], body
    assert api(cast.ppk).post(url, json={"election_id": election["id"], "since": "2026-09-22"}).status_code == 403
    # Another agency's holder through this agency's address: 404.
    wrong = f"/api/v1/agencies/{cast.other_agency.id}/ppk-holders/{holder['id']}/candidacies"
    assert staff.post(wrong, json={"election_id": election["id"], "since": "2026-09-22"}).status_code == 404

    listing = f"/api/v1/agencies/{kab.id}/ppk-holders"
    items = api(cast.ppk).get(listing).get_json()["items"]
    assert [c["election_name"] for c in items[0]["candidacies"]] == [ELECTION]
    assert api(cast.overseer).get(listing).status_code == 200
    assert api(cast.other_ppk).get(listing).status_code == 404
