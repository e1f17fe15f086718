"""Issue 19: an SK dated before the recommendation it follows up is refused, with a message naming the rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from app.db import db
from app.models.cases import Case
from tests.factories import S, case_in, make_cast

ISSUED = datetime(2026, 11, 4, 3, 0, tzinfo=UTC)  # Wednesday 4 November 2026, 10.00 WIB


def test_an_sk_dated_before_the_recommendation_is_refused(api):
    cast = make_cast()
    with time_machine.travel(ISSUED, tick=False):
        case = case_in(cast, S.AWAITING_FOLLOW_UP)
    body = {
        "event": "report_follow_up",
        "version": case.version,
        "decision_number": "800/17/BKPSDM/2026",
        "sanction_imposed": "disiplin_sedang",
    }
    url = f"/api/v1/cases/{case.id}/transitions"
    early = api(cast.ppk).post(url, json={**body, "decision_date": (ISSUED - timedelta(days=1)).date().isoformat()})
    assert early.status_code == 422, early.get_json()
    error = early.get_json()["error"]
    assert "Tanggal SK tidak boleh sebelum tanggal terbit rekomendasi" in error["message"]
    assert "decision_date" in error["details"]["fields"]
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == "awaiting_follow_up"
    same_day = api(cast.ppk).post(url, json={**body, "decision_date": ISSUED.date().isoformat()})
    assert same_day.status_code == 200, same_day.get_json()
    assert same_day.get_json()["status"] == "follow_up_reported"
