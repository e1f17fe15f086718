"""Freezing a year: a published result never changes when later data arrives."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.db import db, unit_of_work
from app.errors import Conflict, Forbidden
from app.index import services
from app.index.scoring import api_item
from app.models.cases import Case, FollowUp, Recommendation
from tests.index.builders import at, followed, issue

YEAR = 2025


def _item(result, agency):
    return next(i for i in result["items"] if i["agency_id"] == agency.id)


def test_a_frozen_snapshot_stays_the_same_after_new_cases_arrive(make_agency, make_user):
    agency = make_agency()
    other = make_agency()
    followed(agency, at(YEAR, 2, 1), working_days=4)
    late = issue(agency, at(YEAR, 3, 1), escalations=(0, 1, 2))
    commissioner = make_user("commissioner")

    with unit_of_work():
        services.freeze_year(YEAR, commissioner)
    published = services.get_index(YEAR)
    before = [api_item(i) for i in published["items"]]

    # later data: the late case gets followed up, new recommendations of the same year arrive
    rec = db.session.scalar(select(Recommendation).where(Recommendation.case_id == late.id))
    rec.is_open = False
    rec.followed_up_at = datetime(2026, 1, 20, tzinfo=UTC)
    db.session.get(Case, late.id)._status = "completed"
    db.session.add(FollowUp(case_id=late.id, decision_number="SK 9/2026", decision_date=rec.followed_up_at.date(),
                            sanction_imposed="disiplin_sedang", reported_at=rec.followed_up_at, verdict="accepted",
                            working_days_taken=60, is_late=True))  # fmt: skip
    issue(other, at(YEAR, 11, 1), escalations=(0, 1, 2, 3))
    followed(agency, at(YEAR, 12, 1))
    db.session.commit()

    again = services.get_index(YEAR)
    assert again["frozen"] is True
    assert [api_item(i) for i in again["items"]] == before
    live = services.get_index(YEAR, live=True)
    assert live["frozen"] is False
    assert _item(live, agency)["enforcement"]["received"] == 3
    assert _item(live, other)["enforcement"]["received"] == 1
    assert _item(again, agency)["enforcement"]["received"] == 2

    # the cases behind a frozen indicator are the frozen ones
    open_cases = services.indicator_cases(commissioner, YEAR, agency.id, "open")
    assert [row["id"] for row in open_cases["items"]] == [late.id]
    assert open_cases["frozen"] is True
    live_open = services.indicator_cases(commissioner, YEAR, agency.id, "open", live=True)
    assert live_open["items"] == []


def test_a_year_is_frozen_once_per_method_and_only_by_a_commissioner(make_agency, make_user):
    followed(make_agency(), at(YEAR, 2, 1))
    with pytest.raises(Forbidden):
        services.freeze_year(YEAR, make_user("investigator"))
    commissioner = make_user("commissioner")
    with unit_of_work():
        services.freeze_year(YEAR, commissioner)
    with pytest.raises(Conflict):
        services.freeze_year(YEAR, commissioner)


def test_snapshot_keeps_the_method_it_was_computed_with(make_agency, make_user):
    followed(make_agency(), at(YEAR, 2, 1))
    with unit_of_work():
        snapshot = services.freeze_year(YEAR, make_user("commissioner"))
    assert snapshot.data["method"]["criteria"]["penegakan"]["weight"] == 40
    assert all(item["method_version"] == snapshot.method_version for item in snapshot.data["items"])
