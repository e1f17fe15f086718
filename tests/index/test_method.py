"""The index method pinned on hand-made cases (DESIGN §6, docs/index-method.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from app import create_app
from app.db import db
from app.index import services
from app.index.method import (
    CASE_SUBCRITERION,
    MethodError,
    build_method,
    current_method,
    method_from_config,
)
from app.index.scoring import NOT_MEASURABLE_NO_CASES, NOT_MEASURABLE_NOT_DUE
from tests import factories
from tests.index.builders import answer_all, at, followed, issue

YEAR = 2025
AS_OF = datetime(2026, 3, 1, tzinfo=UTC)


def _item(result, agency):
    return next(i for i in result["items"] if i["agency_id"] == agency.id)


def _compute(**kw):
    return services.compute_index(YEAR, as_of=AS_OF, **kw)


def test_an_agency_that_follows_up_everything_on_time_beats_one_with_escalations(make_agency):
    prompt = make_agency(name="Instansi Tertib")
    slow = make_agency(name="Instansi Lamban")
    for month in (2, 4, 6, 8):
        followed(prompt, at(YEAR, month, 10), working_days=5)
    followed(slow, at(YEAR, 2, 10), working_days=30, after_days=45, is_late=True)
    issue(slow, at(YEAR, 4, 10), status="completed", escalations=(0, 1, 2),
          follow_up={"after_days": 60, "working_days": 40, "is_late": True})  # fmt: skip
    issue(slow, at(YEAR, 6, 10), escalations=(0, 1, 2))
    issue(slow, at(YEAR, 8, 10), escalations=(0, 1, 2, 3))

    result = _compute()
    good, bad = _item(result, prompt), _item(result, slow)

    assert good["enforcement"] == {
        "received": 4, "followed_up": 4, "on_time": 4, "lighter_sanction": 0, "escalated": 0, "open": 0,
        "median_working_days": 5.0,
    }  # fmt: skip
    assert bad["enforcement"] == {
        "received": 4, "followed_up": 2, "on_time": 0, "lighter_sanction": 0, "escalated": 3, "open": 2,
        "median_working_days": 35.0,
    }  # fmt: skip
    assert good["enforcement_score"] == 100.0
    assert bad["enforcement_score"] < 50
    assert good["criteria"]["penegakan"] > bad["criteria"]["penegakan"]
    assert good["score"] > bad["score"]
    assert good["rank"] == 1 and bad["rank"] == 2


def test_enforcement_components_follow_the_documented_formula(make_agency):
    """2 followed up (one late, one lighter), 1 escalated to level 3 and open; median 10 -> hand-computed."""
    agency = make_agency()
    followed(agency, at(YEAR, 3, 1), working_days=8)
    issue(agency, at(YEAR, 3, 2), status="completed",
          follow_up={"after_days": 40, "working_days": 12, "imposed": "disiplin_ringan", "is_late": True})  # fmt: skip
    issue(agency, at(YEAR, 3, 3), escalations=(0, 1, 2, 3))

    item = _item(_compute(), agency)

    # shares over the 3 recommendations due: follow-up 2/3, on time 1/3, conformity 1/2 (of 2 followed up),
    # no level-2 escalation 2/3, no level-3 escalation 2/3, speed 1 (median 10 <= 14 working days)
    weights = {"follow_up": 30, "on_time": 25, "conformity": 15, "no_escalation": 15, "no_escalation_level3": 5,
               "speed": 10}  # fmt: skip
    shares = {"follow_up": 2 / 3, "on_time": 1 / 3, "conformity": 0.5, "no_escalation": 2 / 3,
              "no_escalation_level3": 2 / 3, "speed": 1.0}  # fmt: skip
    expected = sum(weights[k] * shares[k] for k in weights)  # weights sum to 100
    assert item["enforcement_score"] == pytest.approx(expected, abs=1e-4)
    assert item["enforcement"]["lighter_sanction"] == 1
    assert item["enforcement"]["median_working_days"] == 10.0
    indicators = {i["key"]: i for i in item["indicators"]}
    assert indicators["escalated_level3"]["value"] == 1
    assert indicators["conforming"]["value"] == 1 and indicators["conforming"]["denominator"] == "followed_up"
    assert indicators["on_time"]["share"] == pytest.approx(1 / 3, abs=1e-6)


def test_total_is_the_weighted_sum_of_the_four_criteria(make_agency):
    agency = make_agency()
    for month in (1, 5, 9):
        followed(agency, at(YEAR, month, 15), working_days=4)
    method = current_method()
    answer_all(agency, YEAR, 80, method=method)

    item = _item(_compute(), agency)

    # penegakan: case part 100 (weight 50) with wbs, mke (20 each) and internal handling (10) at 80 -> 90
    assert item["criteria"] == {"penetapan": 80.0, "penerapan": 80.0, "penegakan": 90.0, "kesinambungan": 80.0}
    weighted_pct = 0.2 * 80 + 0.3 * 80 + 0.4 * 90 + 0.1 * 80
    assert item["score"] == pytest.approx(weighted_pct * 3)
    assert item["score"] == pytest.approx(252.0)
    assert item["index"] == item["score"] / 300
    assert item["category"] == "Patuh"
    assert item["complete"] is True


def test_weights_and_thresholds_come_from_configuration(make_agency):
    agency = make_agency()
    followed(agency, at(YEAR, 2, 1))
    answer_all(agency, YEAR, 80, method=current_method())
    method = build_method(
        {"criteria": {"penegakan": {"weight": 70}, "penerapan": {"weight": 0}},
         "categories": [{"name": "Tinggi", "min_index": 0.9}, {"name": "Sedang", "min_index": 0.0}]}
    )  # fmt: skip

    item = _item(_compute(method=method), agency)

    criteria = item["criteria"]
    expected = (20 * criteria["penetapan"] + 70 * criteria["penegakan"] + 10 * criteria["kesinambungan"]) / 100 * 3
    assert item["score"] == pytest.approx(expected)
    assert item["category"] == "Sedang"  # 0.87 < 0.9
    assert item["method_version"].startswith("2026.1+") and item["method_version"] != current_method().version


def test_verified_score_replaces_the_agencys_own(make_agency):
    agency = make_agency()
    method = current_method()
    answer_all(agency, YEAR, 100, method=method, verified={"penetapan.peraturan_internal": 20})

    item = _item(_compute(), agency)

    assert item["criteria"]["penetapan"] == pytest.approx((20 + 100 + 100 + 100) / 4)


def test_an_agency_without_cases_is_not_measurable_from_cases_and_its_weight_moves(make_agency):
    agency = make_agency()
    method = current_method()
    answer_all(agency, YEAR, 50, method=method,
               overrides={"penegakan.wbs": 60, "penegakan.mke": 90, "penegakan.penanganan_internal": 30})  # fmt: skip

    item = _item(_compute(), agency)

    assert item["enforcement"]["received"] == 0
    assert item["enforcement_score"] is None
    assert item["enforcement_note"] == NOT_MEASURABLE_NO_CASES
    # 20/20/10 of the self-assessed penegakan sub-criteria, re-weighted over 50: not 0 for the case part
    assert item["criteria"]["penegakan"] == pytest.approx((20 * 60 + 20 * 90 + 10 * 30) / 50)
    subs = {s["key"]: s for s in item["subcriteria"]}
    assert subs[CASE_SUBCRITERION]["score"] is None
    assert subs[CASE_SUBCRITERION]["note"] == NOT_MEASURABLE_NO_CASES
    assert subs[CASE_SUBCRITERION]["effective_weight"] == 0
    assert subs["penegakan.wbs"]["effective_weight"] == pytest.approx(0.4)


def test_an_agency_with_nothing_is_unmeasured_not_zero(make_agency):
    measured = make_agency(name="A Terukur")
    empty = make_agency(name="B Kosong")
    followed(measured, at(YEAR, 5, 5))

    result = _compute()
    item = _item(result, empty)

    assert item["criteria"] == {"penetapan": None, "penerapan": None, "penegakan": None, "kesinambungan": None}
    assert item["category"] is None and item["rank"] is None and item["complete"] is False
    assert _item(result, measured)["rank"] == 1
    # cases alone: penegakan measured from cases only (self-assessed parts not submitted), the rest null
    only_cases = _item(result, measured)
    assert only_cases["criteria"]["penegakan"] == 100.0
    assert only_cases["criteria"]["penetapan"] is None
    assert only_cases["score"] == pytest.approx(0.4 * 100 * 3)


def test_recommendations_not_yet_due_are_neither_credited_nor_held_against(make_agency):
    agency = make_agency()
    issue(agency, AS_OF - timedelta(days=5), due_in_days=20)  # still within its deadline at AS_OF
    result = services.compute_index(AS_OF.year, as_of=AS_OF)
    item = _item(result, agency)
    assert item["enforcement"]["received"] == 1 and item["enforcement"]["open"] == 1
    assert item["enforcement_score"] is None
    assert item["enforcement_note"] == NOT_MEASURABLE_NOT_DUE

    later = services.compute_index(AS_OF.year, as_of=AS_OF + timedelta(days=30))
    assert _item(later, agency)["enforcement_score"] is not None
    assert _item(later, agency)["enforcement_score"] < 50


def test_closed_and_pending_cases_are_outside_the_denominator(make_agency):
    agency = make_agency()
    followed(agency, at(YEAR, 2, 1))
    issue(agency, at(YEAR, 3, 1), status="closed")
    issue(agency, at(YEAR, 4, 1), status="clarification_requested", clarification=True)
    issue(agency, at(YEAR, 5, 1), status="follow_up_reported",
          follow_up={"after_days": 5, "working_days": 3, "verdict": None})  # fmt: skip

    item = _item(_compute(), agency)

    indicators = {i["key"]: i["value"] for i in item["indicators"]}
    assert indicators["received"] == 4
    assert indicators["closed"] == 1 and indicators["pending"] == 2 and indicators["assessable"] == 1
    assert indicators["clarifications"] == 1
    assert item["enforcement"]["followed_up"] == 1
    assert item["enforcement_score"] == 100.0


def test_a_lighter_sanction_is_counted_even_when_not_flagged(make_agency):
    agency = make_agency()
    issue(agency, at(YEAR, 2, 1), status="completed", sanction="disiplin_berat",
          follow_up={"after_days": 3, "working_days": 2, "imposed": "sanksi_moral_terbuka"})  # fmt: skip
    issue(agency, at(YEAR, 2, 2), status="completed", sanction="disiplin_ringan",
          follow_up={"after_days": 3, "working_days": 2, "imposed": "disiplin_berat"})  # fmt: skip

    item = _item(_compute(), agency)

    assert item["enforcement"]["lighter_sanction"] == 1


def test_rejected_follow_ups_do_not_count_as_followed_up(make_agency):
    agency = make_agency()
    issue(agency, at(YEAR, 2, 1), follow_up={"after_days": 3, "working_days": 2, "verdict": "rejected"})
    db.session.commit()

    item = _item(_compute(), agency)

    assert item["enforcement"]["followed_up"] == 0
    assert item["enforcement"]["median_working_days"] is None


def test_median_working_days_over_accepted_follow_ups(make_agency):
    agency = make_agency()
    for day, working_days in enumerate((3, 20, 5, 8), start=1):
        followed(agency, at(YEAR, 6, day), working_days=working_days)

    item = _item(_compute(), agency)

    assert item["enforcement"]["median_working_days"] == 6.5


def test_the_year_is_the_agencys_local_year(make_agency):
    wib = make_agency(timezone="Asia/Jakarta")
    wita = make_agency(timezone="Asia/Makassar")
    issued = datetime(2025, 12, 31, 16, 30, tzinfo=UTC)  # 23.30 WIB on 31 Dec, 00.30 WITA on 1 Jan
    issue(wib, issued)
    issue(wita, issued)

    in_2025 = services.compute_index(2025, as_of=AS_OF)
    in_2026 = services.compute_index(2026, as_of=AS_OF)

    assert _item(in_2025, wib)["enforcement"]["received"] == 1
    assert _item(in_2025, wita)["enforcement"]["received"] == 0
    assert _item(in_2026, wita)["enforcement"]["received"] == 1
    assert _item(in_2026, wib)["enforcement"]["received"] == 0


def test_ties_share_a_rank(make_agency):
    agencies = [make_agency(name=f"Instansi {c}") for c in "ABC"]
    followed(agencies[0], at(YEAR, 2, 1))
    followed(agencies[1], at(YEAR, 2, 1))
    issue(agencies[2], at(YEAR, 2, 1))

    ranks = {i["agency_id"]: i["rank"] for i in _compute()["items"]}

    assert [ranks[a.id] for a in agencies] == [1, 1, 3]


def test_an_invalid_method_is_refused():
    with pytest.raises(MethodError):
        build_method({"categories": [{"name": "Patuh", "min_index": 0.5}]})  # no bottom category at 0
    with pytest.raises(MethodError):
        build_method({"criteria": {"penegakan": {"weight": -1}}})
    assert build_method({}).version == "2026.1"
    assert build_method({"version": "2027.1", "criteria": {"penegakan": {"weight": 50}}}).version == "2027.1"


def test_method_from_a_file_and_the_configuration(tmp_path):
    path = tmp_path / "metode.json"
    path.write_text(json.dumps({"version": "2027.1", "criteria": {"penegakan": {"weight": 50}}}), encoding="utf-8")
    method = method_from_config({"INDEX_METHOD_FILE": str(path), "INDEX_METHOD": {"max_score": 100}})
    assert method.version == "2027.1"
    assert method.criteria["penegakan"]["weight"] == 50 and method.criteria["penetapan"]["weight"] == 20
    assert method.max_score == 100
    assert method_from_config({}).version == "2026.1"


def test_the_configured_method_reaches_the_api(app_overrides, make_agency, make_user):
    agency = make_agency()
    followed(agency, at(YEAR, 2, 1))
    email = make_user("investigator").email
    db.session.remove()  # SQLite: no transaction (and its write lock) left open by this app
    other = create_app({**app_overrides, "INDEX_METHOD": {"criteria": {"penegakan": {"weight": 100},
                                                                       "penetapan": {"weight": 0},
                                                                       "penerapan": {"weight": 0},
                                                                       "kesinambungan": {"weight": 0}}}})  # fmt: skip
    with other.app_context():
        client = other.test_client()
        token = client.post("/api/v1/auth/token", json={"email": email, "password": factories.PASSWORD})
        assert token.status_code == 201, token.get_json()
        headers = {"Authorization": f"Bearer {token.get_json()['token']}"}
        body = client.get(f"/api/v1/index?year={YEAR}", headers=headers).get_json()
    assert body["method_version"].startswith("2026.1+")
    assert body["items"][0]["score"] == pytest.approx(300.0)
