"""`recommendations.agency_id` is always the case's agency: the database refuses any other value, and a change of
the case's agency carries over to its recommendation (composite foreign key, ON UPDATE CASCADE)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from app.db import db
from app.models.cases import Case, Recommendation
from tests.factories import S, case_in, make_cast


def _recommendation_row(case: Case, **kw: Any) -> Recommendation:
    values: dict[str, Any] = {
        "case_id": case.id,
        "agency_id": case.agency_id,
        "sanction": "disiplin_sedang",
        "legal_basis": "PP 94/2021 Pasal 5 huruf n",
        "text": "Menjatuhkan hukuman disiplin sedang.",
    }
    values.update(kw)
    return Recommendation(**values)


def _agency_of_recommendation(case_id: int) -> int | None:
    return db.session.scalar(select(Recommendation.agency_id).where(Recommendation.case_id == case_id))


def test_drafting_copies_the_case_agency():
    cast = make_cast()
    case = case_in(cast, S.RECOMMENDATION_DRAFTED)
    assert _agency_of_recommendation(case.id) == cast.agency.id


def test_a_recommendation_of_another_agency_is_refused():
    cast = make_cast()
    case = case_in(cast, S.UNDER_REVIEW)
    db.session.add(_recommendation_row(case, agency_id=cast.other_agency.id))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    assert _agency_of_recommendation(case.id) is None


def test_a_recommendation_without_agency_is_refused():
    cast = make_cast()
    case = case_in(cast, S.UNDER_REVIEW)
    db.session.add(_recommendation_row(case, agency_id=None))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_moving_a_recommendation_to_another_agency_is_refused():
    cast = make_cast()
    case = case_in(cast, S.RECOMMENDATION_DRAFTED)
    with pytest.raises(IntegrityError):
        db.session.execute(
            update(Recommendation).where(Recommendation.case_id == case.id).values(agency_id=cast.other_agency.id)
        )
    db.session.rollback()
    assert _agency_of_recommendation(case.id) == cast.agency.id


def test_changing_the_agency_of_a_drafted_case_carries_its_recommendation(api):
    cast = make_cast()
    case = case_in(cast, S.RECOMMENDATION_DRAFTED)
    # The API refuses to change the agency of a case (also while it is still editable) ...
    response = api(cast.investigator).patch(
        f"/api/v1/cases/{case.id}", json={"version": case.version, "agency_id": cast.other_agency.id}
    )
    assert response.status_code == 422, response.get_json()
    assert "agency_id" in response.get_json()["error"]["details"]["fields"]
    db.session.expire_all()
    assert _agency_of_recommendation(case.id) == cast.agency.id
    # ... but a correction made in the database itself (or a future path) moves the recommendation along.
    case = db.session.get(Case, case.id)
    case.agency_id = cast.other_agency.id
    db.session.commit()
    assert _agency_of_recommendation(case.id) == cast.other_agency.id
    db.session.execute(update(Case).where(Case.id == case.id).values(agency_id=cast.agency.id))
    db.session.commit()
    assert _agency_of_recommendation(case.id) == cast.agency.id


def test_deleting_a_case_deletes_its_recommendation():
    cast = make_cast()
    case = case_in(cast, S.RECOMMENDATION_DRAFTED)
    case_id = case.id
    db.session.execute(delete(Case).where(Case.id == case_id))
    db.session.commit()
    assert db.session.scalar(select(Recommendation.id).where(Recommendation.case_id == case_id)) is None
