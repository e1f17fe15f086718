"""Working days: weekends, holidays, cuti bersama, New Year, overrides, the three zones, deadline rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st

from app.calendar.services import add_override, add_rule, deadline_status, remove_override
from app.calendar.working_days import (
    Calendar,
    Override,
    add_working_days,
    due_at_for,
    ensure_default_rules,
    explain_deadline,
    follow_up_rule,
    holidays_for_year,
    is_working_day,
    local_today,
    non_working_reason,
    working_days_between,
)
from app.core.clock import utcnow
from app.db import db
from app.errors import ValidationFailed
from app.models.calendar import DeadlineRule
from app.models.cases import Recommendation

WIB, WITA, WIT = "Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"


def test_weekends_are_skipped_with_their_names():
    friday = date(2026, 1, 9)
    assert add_working_days(friday, 1) == date(2026, 1, 12)  # Monday
    assert non_working_reason(date(2026, 1, 10)) == "Sabtu"
    assert non_working_reason(date(2026, 1, 11)) == "Minggu"
    assert non_working_reason(date(2026, 1, 12)) is None
    assert working_days_between(friday, date(2026, 1, 16)) == 4  # Mon-Thu; Fri 16 Jan is Isra Mikraj


def test_national_holiday_is_skipped():
    assert not is_working_day(date(2026, 1, 16))
    assert non_working_reason(date(2026, 1, 16)) == "Isra Mikraj Nabi Muhammad"
    assert add_working_days(date(2026, 1, 15), 1) == date(2026, 1, 19)
    assert non_working_reason(date(2026, 8, 17)) == "Hari Kemerdekaan Republik Indonesia"


def test_cuti_bersama_24_december_2026_is_not_a_working_day():
    assert date(2026, 12, 24).weekday() == 3  # a Thursday
    assert not is_working_day(date(2026, 12, 24))
    reason = non_working_reason(date(2026, 12, 24))
    assert reason.startswith("Cuti bersama (Hari Raya Natal")
    assert "1497/2025" in reason  # the 2026 decree
    assert non_working_reason(date(2026, 12, 25)) == "Hari Raya Natal"
    # Wednesday 23 Dec: the next working day is Monday 28 Dec.
    assert add_working_days(date(2026, 12, 23), 1) == date(2026, 12, 28)


def test_new_year_is_skipped():
    assert non_working_reason(date(2027, 1, 1)) == "Tahun Baru Masehi"
    assert add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)


def test_a_holiday_on_a_weekend_names_both():
    assert non_working_reason(date(2026, 3, 22)) == "Minggu; Hari kedua dari Hari Raya Idul Fitri"


def test_holiday_sets_are_cached_per_year():
    assert holidays_for_year(2026) is holidays_for_year(2026)
    assert date(2026, 12, 24) in holidays_for_year(2026)
    assert not any(d.year != 2026 for d in holidays_for_year(2026))


def test_fourteen_working_days_across_christmas_and_new_year(make_agency):
    agency = make_agency(timezone=WIB)
    # Issued Monday 14 Dec 2026: 15-18 (4), 21-23 (7), 24 cuti, 25 Natal, 28-31 (11), 1 Jan, 4 Jan (12),
    # 5 Jan Isra Mikraj, 6-7 Jan (14).
    due_at, version = due_at_for(agency, date(2026, 12, 14), 14)
    assert due_at == datetime(2027, 1, 7, 16, 59, 59, 999999, tzinfo=UTC)  # 23:59:59.999999 WIB
    assert version.startswith("holidays-0.109+ovr-")
    rows = explain_deadline(agency, date(2026, 12, 14), 14)
    assert rows[0]["day"] == date(2026, 12, 15) and rows[-1]["day"] == date(2027, 1, 7)
    counted = [r for r in rows if r["counted"]]
    assert [r["number"] for r in counted] == list(range(1, 15))
    skipped = {r["day"]: r["reason"] for r in rows if not r["counted"]}
    assert skipped[date(2026, 12, 19)] == "Sabtu"
    assert skipped[date(2026, 12, 24)].startswith("Cuti bersama (Hari Raya Natal")
    assert skipped[date(2026, 12, 25)] == "Hari Raya Natal"
    assert skipped[date(2027, 1, 1)] == "Tahun Baru Masehi"
    assert skipped[date(2027, 1, 5)] == "Isra Mikraj Nabi Muhammad"
    assert len(rows) == 24


@pytest.mark.parametrize(
    ("tz_name", "expected_utc"),
    [
        (WIB, datetime(2027, 1, 7, 16, 59, 59, 999999, tzinfo=UTC)),
        (WITA, datetime(2027, 1, 7, 15, 59, 59, 999999, tzinfo=UTC)),
        (WIT, datetime(2027, 1, 7, 14, 59, 59, 999999, tzinfo=UTC)),
    ],
)
def test_the_deadline_instant_is_the_end_of_the_day_in_the_agency_zone(make_agency, tz_name, expected_utc):
    agency = make_agency(timezone=tz_name)
    due_at, _ = due_at_for(agency, date(2026, 12, 14), 14)
    assert due_at == expected_utc
    assert due_at.tzinfo is not None and due_at.utcoffset() == timedelta(0)


def test_local_today_differs_by_zone_under_a_controlled_clock(make_agency):
    wib, wita, wit = make_agency(timezone=WIB), make_agency(timezone=WITA), make_agency(timezone=WIT)
    # 31 Dec 2026 15:30 UTC = 22:30 WIB, 23:30 WITA, 00:30 WIT on New Year's Day.
    with time_machine.travel(datetime(2026, 12, 31, 15, 30, tzinfo=UTC), tick=False):
        now = utcnow()
        assert local_today(wib, now) == date(2026, 12, 31)
        assert local_today(wita, now) == date(2026, 12, 31)
        assert local_today(wit, now) == date(2027, 1, 1)


def test_national_override_closes_a_day_with_its_decree(make_agency):
    agency = make_agency()
    assert is_working_day(date(2026, 11, 25))
    add_override(date(2026, 11, 25), "closed", "Hari pemungutan suara", decree="Keppres 10/2026")
    db.session.commit()
    assert not is_working_day(date(2026, 11, 25))
    assert non_working_reason(date(2026, 11, 25)) == "Hari pemungutan suara (Keppres 10/2026)"
    assert not is_working_day(date(2026, 11, 25), agency.id)
    assert add_working_days(date(2026, 11, 24), 1) == date(2026, 11, 26)


def test_agency_override_applies_to_that_agency_only(make_agency):
    papua, other = make_agency(timezone=WIT), make_agency()
    saturday = date(2026, 11, 28)
    add_override(saturday, "open", "Hari kerja pengganti", decree="SE Gubernur 800/1/2026", agency_id=papua.id)
    add_override(date(2026, 11, 30), "closed", "Libur daerah", agency_id=papua.id)
    db.session.commit()
    assert is_working_day(saturday, papua.id)
    assert not is_working_day(saturday, other.id)
    assert not is_working_day(saturday)
    assert non_working_reason(date(2026, 11, 30), papua.id) == "Libur daerah"
    assert is_working_day(date(2026, 11, 30), other.id)
    # Friday 27 Nov + 1: Saturday for Papua, Monday for everyone else.
    assert add_working_days(date(2026, 11, 27), 1, papua.id) == saturday
    assert add_working_days(date(2026, 11, 27), 2, papua.id) == date(2026, 12, 1)
    assert add_working_days(date(2026, 11, 27), 1, other.id) == date(2026, 11, 30)


def test_agency_override_wins_over_a_national_one(make_agency):
    agency = make_agency()
    add_override(date(2026, 11, 25), "closed", "Hari pemungutan suara")
    add_override(date(2026, 11, 25), "open", "Tetap masuk kerja", agency_id=agency.id)
    db.session.commit()
    assert is_working_day(date(2026, 11, 25), agency.id)
    assert not is_working_day(date(2026, 11, 25))


def test_an_open_override_makes_a_holiday_a_working_day_and_explain_shows_it(make_agency):
    agency = make_agency()
    add_override(date(2026, 12, 24), "open", "Cuti bersama dibatalkan", decree="SKB perubahan 2026")
    db.session.commit()
    rows = explain_deadline(agency, date(2026, 12, 23), 1)
    assert rows == [{"day": date(2026, 12, 24), "counted": True, "number": 1, "reason": None}]


def test_invalid_overrides_are_refused_and_removal_is_undone_in_the_calendar(make_agency):
    row = add_override(date(2026, 11, 25), "closed", "Hari pemungutan suara")
    with pytest.raises(ValidationFailed):
        add_override(date(2026, 11, 25), "open", "Lagi")
    with pytest.raises(ValidationFailed):
        add_override(date(2026, 11, 26), "maybe", "Salah jenis")
    with pytest.raises(ValidationFailed) as refused:
        add_override(date(2026, 11, 26), "closed", "Instansi fiktif", agency_id=999_999)
    assert refused.value.details["fields"] == {"agency_id": ["instansi tidak ditemukan"]}
    db.session.commit()
    assert not is_working_day(date(2026, 11, 25))
    removed = remove_override(row.id)
    db.session.commit()
    assert removed.day == date(2026, 11, 25)  # still readable for the caller's message
    assert is_working_day(date(2026, 11, 25))


def test_calendar_version_changes_only_with_overrides_inside_the_span(make_agency):
    agency = make_agency()
    _, before = due_at_for(agency, date(2026, 11, 2), 14)
    add_override(date(2027, 6, 1), "closed", "Jauh di luar rentang")
    db.session.commit()
    assert due_at_for(agency, date(2026, 11, 2), 14)[1] == before
    add_override(date(2026, 11, 10), "closed", "Di dalam rentang")
    db.session.commit()
    due_at, after = due_at_for(agency, date(2026, 11, 2), 14)
    assert after != before
    assert due_at.date() == date(2026, 11, 23)  # one working day later than Friday 20 Nov


def test_negative_offsets_count_backwards():
    cal = Calendar()
    assert cal.add_working_days(date(2026, 11, 20), -3) == date(2026, 11, 17)
    assert cal.add_working_days(date(2026, 12, 28), -1) == date(2026, 12, 23)  # over 24-25 Dec and the weekend
    assert cal.add_working_days(date(2026, 12, 28), 0) == date(2026, 12, 28)


def test_days_left_and_late():
    cal = Calendar()
    due = date(2026, 11, 20)  # Friday
    assert cal.days_left_and_late(date(2026, 11, 17), due) == (4, 0)  # Tue, Wed, Thu, Fri
    assert cal.days_left_and_late(due, due) == (1, 0)
    assert cal.days_left_and_late(date(2026, 11, 21), due) == (0, 0)  # the Saturday after: none late yet
    assert cal.days_left_and_late(date(2026, 11, 23), due) == (0, 1)
    assert cal.days_left_and_late(date(2026, 11, 27), due) == (0, 5)


def test_deadline_status_under_a_controlled_clock(make_agency):
    agency = make_agency(timezone=WITA)
    due_at, _ = due_at_for(agency, date(2026, 11, 2), 14)  # Friday 20 Nov 23:59 WITA
    rec = Recommendation(due_at=due_at, escalation_level=None, is_open=True)
    with time_machine.travel(datetime(2026, 11, 20, 15, 59, tzinfo=UTC), tick=False):  # 23:59 WITA
        status = deadline_status(rec, agency, utcnow())
        assert status["overdue"] is False and status["working_days_left"] == 1
    with time_machine.travel(datetime(2026, 11, 20, 16, 0, tzinfo=UTC), tick=False):  # 00:00 WITA Saturday
        status = deadline_status(rec, agency, utcnow())
        assert status["overdue"] is True and status["working_days_late"] == 0
    with time_machine.travel(datetime(2026, 11, 24, 1, 0, tzinfo=UTC), tick=False):  # Tuesday
        status = deadline_status(rec, agency, utcnow())
        assert status == {
            "due_at": due_at,
            "escalation_level": None,
            "overdue": True,
            "working_days_left": None,
            "working_days_late": 2,
        }
    rec.is_open = False
    assert deadline_status(rec, agency, utcnow())["overdue"] is False


def test_follow_up_rule_falls_back_to_configuration():
    assert follow_up_rule(date(2026, 11, 2)) == (14, "ppk_follow_up", "konfigurasi FOLLOW_UP_WORKING_DAYS")


def test_default_rule_is_inserted_once_and_honest_about_its_source():
    assert ensure_default_rules() is not None
    assert ensure_default_rules() is None
    db.session.commit()
    days, code, source = follow_up_rule(date(2026, 11, 2))
    assert (days, code) == (14, "ppk_follow_up")
    assert "BELUM TERKONFIRMASI" in source
    assert db.session.query(DeadlineRule).count() == 1


def test_a_new_regulation_is_a_new_rule_row():
    ensure_default_rules()
    old = db.session.query(DeadlineRule).one()
    old.valid_to = date(2026, 12, 31)
    add_rule("ppk_follow_up", 10, "Peraturan baru 2027 Pasal 12", valid_from=date(2027, 1, 1))
    db.session.commit()
    assert follow_up_rule(date(2026, 12, 31))[0] == 14
    assert follow_up_rule(date(2027, 1, 1)) == (10, "ppk_follow_up", "Peraturan baru 2027 Pasal 12")
    with pytest.raises(ValidationFailed):
        add_rule("ppk_follow_up", 30, "Hari kalender", valid_from=date(2028, 1, 1), unit="calendar_days")


def test_conveniences_accept_aware_instants_in_the_agency_zone(make_agency):
    papua = make_agency(timezone=WIT)
    # 20 Nov 2026 16:00 UTC is already Saturday 21 Nov in WIT.
    instant = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
    assert not is_working_day(instant, papua.id)
    assert working_days_between(instant, datetime(2026, 11, 24, 2, 0, tzinfo=UTC), papua.id) == 2


@settings(max_examples=200, deadline=None)
@given(start=st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31)), n=st.integers(1, 40))
def test_adding_then_counting_working_days_round_trips(start, n):
    cal = Calendar()
    end = cal.add_working_days(start, n)
    assert cal.is_working_day(end)
    assert cal.working_days_between(start, end) == n
    assert cal.add_working_days(end, -n) <= start or not cal.is_working_day(start)
    if cal.is_working_day(start):
        assert cal.add_working_days(end, -n) == start


@settings(max_examples=200, deadline=None)
@given(
    start=st.dates(min_value=date(2024, 11, 1), max_value=date(2026, 2, 28)),
    span=st.integers(-3, 70),
    agency=st.sampled_from([None, 7, 8]),
)
def test_a_short_span_counts_the_same_once_its_years_are_counted(start, span, agency):
    """A short span is counted day by day until its years' running counts exist, then from them: the same number,
    with national and an agency's own overrides (7 closes a day, opens a Saturday), and 0 for an empty span."""
    overrides = [
        Override(day=date(2025, 3, 3), kind="closed", description="libur daerah", decree=None, agency_id=7),
        Override(day=date(2025, 3, 8), kind="open", description="hari kerja pengganti", decree=None, agency_id=7),
        Override(day=date(2025, 12, 24), kind="closed", description="cuti bersama", decree="SKB", agency_id=None),
    ]
    end = start + timedelta(days=span)
    by_day = Calendar(overrides).working_days_between(start, end, agency)
    counted = Calendar(overrides)
    for year in {start.year, end.year}:
        counted._running(year, counted._key(agency))
    assert counted.working_days_between(start, end, agency) == by_day
    expected = sum(counted.is_working_day(start + timedelta(days=i), agency) for i in range(1, span + 1))
    assert by_day == max(expected, 0)
