"""Properties of the NIP validator and of the working-day calculator, checked with Hypothesis.

The NIP: every well-formed NIP parses back to the fields it was built from, in any printed form; every
other input is refused with InvalidNIP (never another exception). The calendar, with random admin overrides:
adding and counting working days are inverse, results are never weekends or holidays, everything is
monotonic, counting is additive, and the deadline explanation agrees with the arithmetic.
"""

from __future__ import annotations

import os
from datetime import UTC, date, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.calendar.working_days import Calendar, Override, end_of_day, holidays_for_year, local_date
from app.core.nip import InvalidNIP, is_valid_nip, normalize_nip, parse_nip
from tests.clocked import SUITE_NOW

TODAY = SUITE_NOW.date()  # the suite's clock: parse_nip refuses a birth or TMT year after today
# Short in the default suite, thorough with TINDAK_LONG_TESTS=1.
EXAMPLES = 600 if os.environ.get("TINDAK_LONG_TESTS") == "1" else 50

# -- NIP -----------------------------------------------------------------------------------------------------


@st.composite
def nip_parts(draw: st.DrawFn) -> dict:
    birth = draw(st.dates(min_value=date(1940, 1, 1), max_value=date(TODAY.year - 18, 12, 31)))
    year = draw(st.integers(min_value=birth.year + 18, max_value=min(birth.year + 45, TODAY.year)))
    assume(year <= TODAY.year)
    return {
        "birth": birth,
        "year": year,
        "month": draw(st.integers(1, 12)),
        "gender": draw(st.sampled_from("12")),
        "seq": draw(st.integers(1, 999)),
    }


def build_nip(p: dict) -> str:
    return f"{p['birth']:%Y%m%d}{p['year']:04d}{p['month']:02d}{p['gender']}{p['seq']:03d}"


@settings(max_examples=EXAMPLES * 2, deadline=None)
@given(nip_parts())
def test_a_well_formed_nip_parses_back_to_its_parts(parts):
    value = build_nip(parts)
    nip = parse_nip(value)
    assert nip.value == value
    assert nip.birth_date == parts["birth"]
    assert nip.appointment_year == parts["year"]
    assert nip.appointment_month == parts["month"]
    assert nip.gender == ("L" if parts["gender"] == "1" else "P")
    assert nip.sequence == parts["seq"]
    assert normalize_nip(nip.formatted) == value
    assert nip.formatted.split() == [value[:8], value[8:14], value[14], value[15:]]


@settings(max_examples=EXAMPLES * 2, deadline=None)
@given(nip_parts(), st.lists(st.sampled_from([" ", ".", "-"]), min_size=17, max_size=17))
def test_printed_forms_with_separators_parse_to_the_same_nip(parts, separators):
    value = build_nip(parts)
    printed = "".join(digit + sep for digit, sep in zip(value, [*separators, ""], strict=True))
    assert parse_nip(printed).value == value


@settings(max_examples=EXAMPLES * 4, deadline=None)
@given(st.text(max_size=40))
def test_any_text_is_either_a_nip_or_refused_with_invalid_nip(raw):
    reason = None
    try:
        nip = parse_nip(raw)
    except InvalidNIP as exc:
        reason = str(exc)
    if reason is not None:
        assert reason.strip()  # a reason, in Indonesian
        assert not is_valid_nip(raw)
    else:
        assert is_valid_nip(raw)
        assert len(nip.value) == 18 and nip.value.isascii() and nip.value.isdigit()


@settings(max_examples=EXAMPLES * 2, deadline=None)
@given(nip_parts(), st.integers(0, 17), st.sampled_from("abcxyz/+_ÿ٣"))
def test_a_foreign_character_anywhere_is_refused(parts, position, char):
    value = build_nip(parts)
    assert not is_valid_nip(value[:position] + char + value[position + 1 :])


@settings(max_examples=EXAMPLES * 2, deadline=None)
@given(nip_parts(), st.one_of(st.integers(0, 17), st.integers(19, 25)))
def test_a_wrong_length_is_refused(parts, length):
    value = (build_nip(parts) * 2)[:length]
    with pytest.raises(InvalidNIP):
        parse_nip(value)


@settings(max_examples=EXAMPLES * 2, deadline=None)
@given(nip_parts(), st.sampled_from(["0", "3", "9"]))
def test_gender_digit_other_than_1_or_2_is_refused(parts, digit):
    value = build_nip(parts)
    assert not is_valid_nip(value[:14] + digit + value[15:])


@settings(max_examples=EXAMPLES * 2, deadline=None)
@given(nip_parts())
def test_sequence_000_and_appointment_before_18_are_refused(parts):
    value = build_nip(parts)
    assert not is_valid_nip(value[:15] + "000")
    too_young = parts["birth"].year + 17
    assert not is_valid_nip(value[:8] + f"{too_young:04d}" + value[12:])


@settings(max_examples=EXAMPLES * 2, deadline=None)
@given(nip_parts(), st.sampled_from(["00", "13", "21", "99"]))
def test_appointment_month_outside_1_to_12_is_refused_for_pns(parts, month):
    value = build_nip(parts)
    assert not is_valid_nip(value[:12] + month + value[14:])


@settings(max_examples=EXAMPLES * 2, deadline=None)
@given(nip_parts(), st.sampled_from(["0230", "0231", "0431", "1301", "0000", "0100"]))
def test_impossible_birth_dates_are_refused(parts, month_day):
    value = build_nip(parts)
    assert not is_valid_nip(value[:4] + month_day + value[8:])


# -- working days ---------------------------------------------------------------------------------------------

DAYS = st.dates(min_value=date(2019, 1, 1), max_value=date(2028, 12, 31))
AGENCY = 7


# Up to 12 random overrides, national or for AGENCY, closing or opening days.
OVERRIDES = st.lists(
    st.builds(
        Override,
        day=DAYS,
        kind=st.sampled_from(["closed", "open"]),
        description=st.just("Keputusan uji"),
        decree=st.sampled_from([None, "Kepres 1/2026"]),
        agency_id=st.sampled_from([None, AGENCY]),
    ),
    max_size=12,
    unique_by=lambda o: (o.day, o.agency_id),
)


def calendars() -> st.SearchStrategy[Calendar]:
    return OVERRIDES.map(Calendar)


def _naturally_working(day: date) -> bool:
    return day.weekday() < 5 and day not in holidays_for_year(day.year)


@settings(max_examples=EXAMPLES, deadline=None)
@given(calendars(), DAYS, st.integers(1, 60), st.sampled_from([None, AGENCY]))
def test_adding_then_counting_is_the_identity_and_results_are_working_days(cal, start, n, agency):
    end = cal.add_working_days(start, n, agency)
    assert end > start
    assert cal.is_working_day(end, agency)
    assert cal.non_working_reason(end, agency) is None
    assert cal.working_days_between(start, end, agency) == n
    # No working day was skipped: the day before `end` still counted n - 1.
    assert cal.working_days_between(start, end - timedelta(days=1), agency) == n - 1


@settings(max_examples=EXAMPLES, deadline=None)
@given(calendars(), DAYS, st.integers(0, 90), st.sampled_from([None, AGENCY]))
def test_counting_then_adding_lands_on_the_last_working_day(cal, start, span, agency):
    end = start + timedelta(days=span)
    n = cal.working_days_between(start, end, agency)
    landed = cal.add_working_days(start, n, agency)
    assert landed <= end
    if n:
        assert cal.is_working_day(landed, agency)
        # Nothing working between the landing day and `end`.
        assert cal.working_days_between(landed, end, agency) == 0
    else:
        assert landed == start


@settings(max_examples=EXAMPLES, deadline=None)
@given(calendars(), DAYS, st.integers(1, 40), st.integers(1, 40))
def test_adding_is_strictly_monotonic_in_n_and_composes(cal, start, a, b):
    first = cal.add_working_days(start, a)
    assert cal.add_working_days(start, a + b) > first
    assert cal.add_working_days(first, b) == cal.add_working_days(start, a + b)


@settings(max_examples=EXAMPLES, deadline=None)
@given(calendars(), DAYS, st.integers(0, 30), st.integers(1, 40))
def test_adding_is_monotonic_in_the_start_day(cal, start, later_by, n):
    later = start + timedelta(days=later_by)
    assert cal.add_working_days(start, n) <= cal.add_working_days(later, n)


@settings(max_examples=EXAMPLES, deadline=None)
@given(calendars(), DAYS, st.integers(1, 40))
def test_going_back_undoes_going_forward_from_a_working_day(cal, start, n):
    assume(cal.is_working_day(start))
    assert cal.add_working_days(cal.add_working_days(start, n), -n) == start


@settings(max_examples=EXAMPLES, deadline=None)
@given(calendars(), DAYS, st.integers(0, 60), st.integers(0, 60))
def test_counting_is_additive_and_never_negative(cal, a, gap1, gap2):
    b = a + timedelta(days=gap1)
    c = b + timedelta(days=gap2)
    assert cal.working_days_between(a, b) + cal.working_days_between(b, c) == cal.working_days_between(a, c)
    assert cal.working_days_between(c, a) == 0
    assert cal.working_days_between(a, c) <= (c - a).days


@settings(max_examples=EXAMPLES, deadline=None)
@given(DAYS, st.integers(1, 40))
def test_without_overrides_no_result_is_a_weekend_or_a_holiday(start, n):
    cal = Calendar()
    end = cal.add_working_days(start, n)
    assert end.weekday() < 5
    assert end not in holidays_for_year(end.year)
    day = start + timedelta(days=1)
    counted = 0
    while day <= end:
        counted += _naturally_working(day)
        day += timedelta(days=1)
    assert counted == n


@settings(max_examples=EXAMPLES, deadline=None)
@given(OVERRIDES, DAYS, st.integers(1, 40))
def test_overrides_decide_a_day_and_agency_rows_win(overrides, start, n):
    cal = Calendar(overrides)
    own = {o.day: o for o in overrides if o.agency_id == AGENCY}
    national = {o.day: o for o in overrides if o.agency_id is None}
    end = cal.add_working_days(start, n, AGENCY)
    day = start + timedelta(days=1)
    while day <= end:
        rule = own.get(day) or national.get(day)
        expected = rule.kind == "open" if rule is not None else _naturally_working(day)
        assert cal.is_working_day(day, AGENCY) == expected
        day += timedelta(days=1)


class _Agency:
    def __init__(self, tz: str):
        self.id = AGENCY
        self.timezone = tz


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    calendars(),
    DAYS,
    st.integers(1, 30),
    st.sampled_from(["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"]),
)
def test_the_deadline_and_its_explanation_agree_with_the_arithmetic(cal, received, n, tz):
    agency = _Agency(tz)
    due_at, version = cal.due_at(agency, received, n)
    due_day = cal.add_working_days(received, n, AGENCY)
    assert due_at.tzinfo is not None and due_at.utcoffset() == timedelta(0)
    assert local_date(due_at, tz) == due_day
    assert local_date(due_at + timedelta(microseconds=1), tz) == due_day + timedelta(days=1)
    assert version.startswith("holidays-")
    rows = cal.explain(agency, received, n)
    assert rows[0]["day"] == received + timedelta(days=1)
    assert rows[-1]["day"] == due_day and rows[-1]["counted"]
    assert [r["number"] for r in rows if r["counted"]] == list(range(1, n + 1))
    assert all(r["reason"] for r in rows if not r["counted"])


@settings(max_examples=EXAMPLES, deadline=None)
@given(DAYS)
def test_the_end_of_a_day_is_earlier_in_utc_further_east(day):
    wib = end_of_day(day, "Asia/Jakarta")
    wita = end_of_day(day, "Asia/Makassar")
    wit = end_of_day(day, "Asia/Jayapura")
    assert wib - wita == timedelta(hours=1)
    assert wib - wit == timedelta(hours=2)
    # 23:59:59.999999 local is 16:59, 15:59 and 14:59 UTC: the same calendar day in UTC.
    assert {wib.astimezone(UTC).date(), wita.astimezone(UTC).date(), wit.astimezone(UTC).date()} == {day}


@settings(max_examples=EXAMPLES, deadline=None)
@given(calendars(), DAYS, st.integers(-5, 40))
def test_days_left_and_late_never_both_positive(cal, due_day, offset):
    today = due_day + timedelta(days=offset)
    left, late = cal.days_left_and_late(today, due_day)
    assert left >= 0 and late >= 0
    assert left == 0 or late == 0
    if today > due_day:
        assert left == 0 and late == cal.working_days_between(due_day, today)
