"""Days entered by users are checked against the days of Indonesia's zones, not the server's UTC date: at
01:00 WIB on Monday it is still Sunday in UTC, and a PPK recording Monday's receipt must not hear "future"."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from marshmallow import ValidationError

from app.calendar.working_days import latest_today
from app.cases.schemas import NewCaseSchema
from workflows.schemas import RecordReceiptSchema, ReportFollowUpSchema

MONDAY_EARLY = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)  # Monday 23 Nov 01:00 WIB, 03:00 WIT; Sunday in UTC


def test_the_latest_day_is_the_eastern_zones_day():
    assert latest_today(MONDAY_EARLY) == date(2026, 11, 23)
    assert latest_today(datetime(2026, 11, 22, 14, 59, tzinfo=UTC)) == date(2026, 11, 22)  # 23:59 WIT
    assert latest_today(datetime(2026, 11, 22, 15, 0, tzinfo=UTC)) == date(2026, 11, 23)  # 00:00 WIT


@pytest.mark.parametrize(
    ("schema", "field"),
    [(RecordReceiptSchema, "received_on"), (ReportFollowUpSchema, "decision_date")],
)
def test_today_in_indonesia_is_not_the_future_while_utc_is_still_yesterday(schema, field):
    with time_machine.travel(MONDAY_EARLY, tick=False):
        errors = _errors(schema, field, "2026-11-23")
        assert field not in errors, errors
        assert field in _errors(schema, field, "2026-11-24")  # Tuesday is the future everywhere


def test_a_case_that_happened_today_in_indonesia_is_accepted():
    with time_machine.travel(MONDAY_EARLY, tick=False):
        assert "occurred_on" not in _errors(NewCaseSchema, "occurred_on", "2026-11-23")
        assert "occurred_on" in _errors(NewCaseSchema, "occurred_on", "2026-11-24")


def _errors(schema, field: str, value: str) -> dict:
    try:
        schema().load({field: value}, partial=True)
    except ValidationError as exc:
        return exc.messages
    return {}
