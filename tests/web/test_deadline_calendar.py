"""The deadline calendar and its iCalendar feed (issue 21, "see the season"): the deadlines a user may see (the
follow-up deadline, the days the ladder reaches its next levels, KASN's answer to an objection when a rule sets one),
by month and by week; a secret feed address per user, shown once, revocable and made anew from the account page;
the feed parsed by the `icalendar` library: valid, one event per deadline with a stable UID, the case number and a
link, no reporter or reported person, nothing of another agency, decided when it is read (a revoked address, an
unknown one and a disabled user's answer 404; an unchanged feed answers 304 to its ETag)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from icalendar import Calendar as ICalendar
from sqlalchemy import select

from app.calendar.services import add_rule
from app.calendar.working_days import CLARIFICATION_RULE, Calendar, end_of_day, local_date
from app.core.clock import utcnow
from app.db import db
from app.escalations.ladder import load_ladder
from app.escalations.sweep import level_days
from app.models.agencies import Agency
from app.models.cases import Case, Recommendation
from app.models.escalations import EscalationStep
from app.models.feeds import CalendarFeed
from app.season.deadlines import CLARIFICATION, FOLLOW_UP, LEVEL, deadlines_for
from app.season.feeds import token_digest
from tests.factories import NIP, REPORTER, E, S, case_in, payload_for
from workflows import fire

TODAY = date(2026, 11, 18)
FEED_URL = re.compile(r'id="calendar-feed-url">(http[^<]+)</code>')


def _rec(case: Case) -> Recommendation:
    return db.session.scalars(select(Recommendation).where(Recommendation.case_id == case.id)).one()


def _due_on(case: Case, day: date) -> None:
    rec = _rec(case)
    rec.due_at = end_of_day(day, db.session.get(Agency, case.agency_id).timezone)
    db.session.commit()


def _escalate(case: Case, level: int, body: str) -> None:
    rec = _rec(case)
    rec.escalation_level = level
    db.session.add(
        EscalationStep(
            recommendation_id=rec.id, case_id=case.id, cycle=rec.cycle, level=level,
            reached_at=utcnow(), due_at=rec.due_at, body=body,
        )
    )  # fmt: skip
    db.session.commit()


@pytest.fixture
def desk(world: Any) -> dict[str, Case]:
    """Sleman: a running deadline on Friday 4 December, one past on Monday 9 November (level 1 reached), an
    objection pending; Makassar (WITA): a running deadline on Thursday 26 November."""
    made = {
        "running": case_in(world, S.AWAITING_FOLLOW_UP),
        "late": case_in(world, S.AWAITING_FOLLOW_UP),
        "objection": case_in(world, S.CLARIFICATION_REQUESTED),
        "makassar": case_in(world, S.AWAITING_FOLLOW_UP, agency=world.other_agency),
        "drafted": case_in(world, S.RECOMMENDATION_DRAFTED),
    }
    _due_on(made["running"], date(2026, 12, 4))
    _due_on(made["late"], date(2026, 11, 9))
    _rec(made["late"]).escalation_level = 1
    _due_on(made["makassar"], date(2026, 11, 26))
    return made


# -- the deadlines ---------------------------------------------------------------------------------------------------


def test_the_follow_up_deadline_and_the_next_levels_fall_on_the_sweeps_days(world, desk):
    found = deadlines_for(world.investigator, date(2026, 10, 1), date(2027, 1, 31), utcnow())
    running = [d for d in found if d.case_id == desk["running"].id]
    days = level_days(load_ladder(), Calendar.load(all_agencies=True), date(2026, 12, 4), world.agency.id)
    assert [(d.kind, d.level, d.day) for d in running] == sorted(
        [(FOLLOW_UP, None, date(2026, 12, 4))] + [(LEVEL, n, day) for n, day in enumerate(days)],
        key=lambda item: item[2],
    )
    assert days[0] == date(2026, 12, 1) and days[1] == date(2026, 12, 7)  # three working days before, one after
    follow_up = next(d for d in running if d.kind == FOLLOW_UP)
    assert follow_up.due_at == end_of_day(date(2026, 12, 4), "Asia/Jakarta") and not follow_up.passed
    # Level 1 of the late case was reached: its next levels remain, and its deadline, past, still open.
    late = [(d.kind, d.level, d.passed) for d in found if d.case_id == desk["late"].id]
    assert late[0] == (FOLLOW_UP, None, True) and [lv for _, lv, _ in late[1:]] == [2, 3]
    # Makassar's deadline is its own day in WITA; nothing for a draft (no clock) nor an objection (no rule).
    makassar = next(d for d in found if d.case_id == desk["makassar"].id and d.kind == FOLLOW_UP)
    assert makassar.day == date(2026, 11, 26) and makassar.timezone == "Asia/Makassar"
    assert not [d for d in found if d.case_id in (desk["drafted"].id, desk["objection"].id)]
    assert len({d.uid for d in found}) == len(found)


def test_an_objection_has_an_answer_deadline_once_a_rule_sets_one(world, desk):
    add_rule(CLARIFICATION_RULE, 10, "Aturan uji: jawaban sanggahan 10 hari kerja", valid_from=date(2020, 1, 1))
    db.session.commit()
    found = deadlines_for(world.investigator, TODAY, TODAY + timedelta(days=60), utcnow())
    answer = [d for d in found if d.case_id == desk["objection"].id]
    assert [d.kind for d in answer] == [CLARIFICATION]
    assert answer[0].day == Calendar.load().add_working_days(TODAY, 10, world.agency.id)


def test_each_user_sees_only_the_deadlines_of_the_cases_it_may_see(world, desk):
    window = (date(2026, 10, 1), date(2027, 1, 31), utcnow())
    ids = {role: {d.case_id for d in deadlines_for(world.user(role), *window)} for role in ("ppk", "overseer")}
    assert ids["ppk"] == {desk["running"].id, desk["late"].id}
    assert {d.case_id for d in deadlines_for(world.other_ppk, *window)} == {desk["makassar"].id}
    assert ids["overseer"] == set()  # nothing escalated to Kemendagri yet
    _escalate(desk["late"], 2, "kemendagri")
    assert {d.case_id for d in deadlines_for(world.overseer, *window)} == {desk["late"].id}


# -- the calendar page ----------------------------------------------------------------------------------------------


def test_the_month_shows_each_deadline_on_its_day_and_a_phone_list(world, desk, pages_for):
    html = pages_for(world.investigator).get("/kalender?date=2026-12").get_data(as_text=True)
    grid = html.split('class="table table-bordered calendar-grid')[1].split("</table>")[0]
    cells = re.findall(r'<td class="calendar-day[^"]*"[^>]*>(.*?)</td>', grid, re.S)
    assert len(cells) % 7 == 0 and len(cells) >= 28
    friday = next(c for c in cells if re.search(r'calendar-date">4<', c) and desk["running"].number in c)
    assert "Tenggat tindak lanjut PPK" in friday
    phone = html.split('id="month-days"')[1].split("</ol>")[0]
    assert 'id="month-days-2026-12-04"' in phone and desk["running"].number in phone
    assert "Jumat, 4 Desember 2026" in phone and "23.59 WIB" in phone
    assert "26 November" not in phone  # Makassar's deadline is November's (its level 2, on 3 December, is here)
    assert "Kamis, 3 Desember 2026" in phone and "Eskalasi tingkat 2: Eskalasi ke kementerian" in phone


def test_the_week_lists_every_day_and_the_wita_deadline_in_wita(world, desk, pages_for):
    html = pages_for(world.investigator).get("/kalender?view=week&date=2026-11-26").get_data(as_text=True)
    week = html.split('id="week-days"')[1].split("</ol>")[0]
    assert week.count('<h3 class="h6') == 7 and "Senin, 23 November 2026" in week
    thursday = week.split('id="week-days-2026-11-26"')[1].split("</li>\n  \n")[0]
    assert desk["makassar"].number in thursday and "23.59 WITA" in thursday
    assert 'rel="next" href="/kalender?view=week&amp;date=2026-11-30"' in html


def test_a_ppk_sees_only_its_agencys_deadlines_on_the_page(world, desk, pages_for):
    html = pages_for(world.other_ppk).get("/kalender?date=2026-11").get_data(as_text=True)
    assert desk["makassar"].number in html
    assert desk["late"].number not in html and desk["running"].number not in html


def test_a_date_not_understood_shows_today_and_says_so(world, pages_for):
    html = pages_for(world.investigator).get("/kalender?date=kemarin").get_data(as_text=True)
    assert "Tanggal tidak dikenali" in html and "November 2026" in html


# -- the feed ---------------------------------------------------------------------------------------------------------


def make_feed(owner: Any) -> str:
    """Make the address on the account page, as a user does; the address, shown once. (The tests read the feed
    with `pages`, a client signed in as nobody, as a calendar program reads it.)"""
    response = owner.post("/akun/kalender", page="/akun")
    assert response.status_code == 302 and response.headers["Location"].endswith("/akun#kalender")
    html = owner.get("/akun").get_data(as_text=True)
    found = FEED_URL.search(html)
    assert found, "the new address is shown on the account page"
    again = owner.get("/akun").get_data(as_text=True)
    assert not FEED_URL.search(again) and 'id="calendar-feed-revoke"' in again  # once only; then revocable
    return found.group(1).replace("http://localhost", "")


def events(body: bytes) -> list[Any]:
    calendar = ICalendar.from_ical(body)
    assert calendar.get("version") == "2.0" and calendar.get("prodid")
    return list(calendar.walk("VEVENT"))


def test_the_feed_is_valid_icalendar_with_one_event_per_deadline(world, desk, pages_for, pages):
    path = make_feed(pages_for(world.investigator))
    assert re.fullmatch(r"/kalender/langganan/[A-Za-z0-9_-]{43}\.ics", path)
    response = pages.get(path)
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert response.headers["Cache-Control"] == "private, no-cache" and response.headers["ETag"]
    items = events(response.data)
    expected = deadlines_for(world.investigator, TODAY - timedelta(days=31), TODAY + timedelta(days=366), utcnow())
    assert sorted(str(e["uid"]) for e in items) == sorted(d.uid for d in expected)
    assert len({str(e["uid"]) for e in items}) == len(items) > 5
    for event in items:
        deadline = next(d for d in expected if d.uid == str(event["uid"]))
        assert event.decoded("dtstart") == deadline.day and event.decoded("dtend") == deadline.day + timedelta(1)
        assert deadline.case_number in str(event["summary"]) and deadline.case_number in str(event["description"])
        assert str(event["url"]) == f"http://tindak.test/cases/{deadline.case_id}"
    running = next(
        e for e in items if str(e["uid"]).endswith("-follow_up@tindak") and desk["running"].number in str(e["summary"])
    )
    assert running.decoded("dtstart") == date(2026, 12, 4)
    assert "Tenggat tindak lanjut PPK" in str(running["summary"]) and "4 Desember 2026 23.59 WIB" in str(
        running["description"]
    )
    text = response.data.decode()
    for secret in (REPORTER["name"], REPORTER["contact"], "Budi Santoso", NIP):
        assert secret not in text


def test_the_feed_holds_only_what_its_user_may_see_when_it_is_read(world, desk, pages_for, pages):
    ppk = events(pages.get(make_feed(pages_for(world.other_ppk))).data)
    assert ppk and all(desk["makassar"].number in str(e["summary"]) for e in ppk)
    overseer_path = make_feed(pages_for(world.overseer))
    assert events(pages.get(overseer_path).data) == []
    _escalate(desk["late"], 2, "kemendagri")  # now escalated to the overseer's ministry: in its feed
    seen = {str(e["summary"]).rsplit(" · ", 1)[1] for e in events(pages.get(overseer_path).data)}
    assert seen == {desk["late"].number}


def test_an_unchanged_feed_answers_304_and_a_change_moves_the_event_keeping_its_uid(world, desk, pages_for, pages):
    path = make_feed(pages_for(world.ppk))
    first = pages.get(path)
    etag = first.headers["ETag"]
    again = pages.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    before = {str(e["uid"]): e.decoded("dtstart") for e in events(first.data)}
    case = desk["running"]
    fire(
        case, E.EXTEND_DEADLINE, world.commissioner, payload_for(case, E.EXTEND_DEADLINE), expected_version=case.version
    )
    db.session.commit()
    changed = pages.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    after = {str(e["uid"]): e.decoded("dtstart") for e in events(changed.data)}
    uid = next(u for u in before if u.startswith(f"tindak-case{case.id}-") and u.endswith("-follow_up@tindak"))
    assert uid in after and after[uid] == local_date(_rec(case).due_at, "Asia/Jakarta") > before[uid]


def test_a_revoked_address_answers_404_and_a_new_one_replaces_it(world, desk, pages_for, pages):
    owner = pages_for(world.ppk)
    old = make_feed(owner)
    new = make_feed(owner)  # made anew: the old one stops working
    assert pages.get(old).status_code == 404 and pages.get(new).status_code == 200
    assert owner.post("/akun/kalender/cabut", page="/akun").status_code == 302
    assert pages.get(new).status_code == 404
    assert 'id="calendar-feed-make"' in owner.get("/akun").get_data(as_text=True)
    rows = db.session.scalars(select(CalendarFeed).where(CalendarFeed.user_id == world.ppk.id)).all()
    assert len(rows) == 2 and all(r.revoked_at is not None for r in rows)


def test_only_the_tokens_hash_is_stored(world, pages_for):
    path = make_feed(pages_for(world.ppk))
    token = path.rsplit("/", 1)[1].removesuffix(".ics")
    row = db.session.scalars(select(CalendarFeed).where(CalendarFeed.user_id == world.ppk.id)).one()
    assert row.token_hash == token_digest(token) and token not in row.token_hash


def test_a_disabled_users_feed_answers_404(world, desk, pages_for, pages):
    path = make_feed(pages_for(world.ppk))
    world.ppk.is_active = False
    db.session.commit()
    assert pages.get(path).status_code == 404
    world.ppk.is_active = True
    db.session.commit()
    assert pages.get(path).status_code == 200


@pytest.mark.parametrize(
    "path",
    ["/kalender/langganan/tidak-ada.ics", "/kalender/langganan/" + "A" * 43 + ".ics", "/kalender/langganan/.ics"],
)
def test_an_unknown_address_answers_404(pages, path):
    assert pages.get(path).status_code == 404


def test_the_feed_speaks_its_users_language_and_notes_when_it_was_read(world, desk, pages_for, pages):
    owner = pages_for(world.ppk)
    owner.post("/lang/en", {"next": "/akun"}, page="/akun")
    path = make_feed(owner)
    text = pages.get(path).data.decode()
    assert "SUMMARY:PPK follow-up deadline" in text and "X-WR-CALNAME:Tindak deadlines" in text
    assert "Last read by a calendar program" in owner.get("/akun").get_data(as_text=True)


def test_the_calendar_page_is_linked_and_every_role_opens_it(world, desk, pages_for):
    for role in ("investigator", "commissioner", "ppk", "overseer", "admin"):
        response = pages_for(world.user(role)).get("/kalender")
        assert response.status_code == 200, role
        assert 'href="/kalender"' in response.get_data(as_text=True)
