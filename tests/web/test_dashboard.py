"""The dashboard (issue 21, "see the season"): every figure equals what the test counts itself over a seeded world
(cases of five agencies in three zones, every state, two categories, three years, levels, deadlines this week and
next, recommendations issued in different months, neutrality cases linked to two elections), for the authority's
staff, a PPK (its agency only, from the issue on) and an overseer (the cases escalated to its ministry); the page
draws each figure as an accessible SVG with its table, in Indonesian and in English; `GET /api/v1/me/dashboard`
answers the same figures."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from app.calendar.working_days import end_of_day, local_date
from app.core.clock import utcnow
from app.core.states import TERMINAL_STATUSES, CaseStatus
from app.core.vocab import Category
from app.db import db
from app.intake.events import create_election, link_election
from app.models.agencies import Agency
from app.models.cases import Case, Recommendation
from app.models.escalations import EscalationStep
from app.models.intake import CaseElection, Election
from app.season.dashboard import MONTHS, dashboard
from tests.clocked import SUITE_NOW
from tests.factories import S, case_in, make_agency, make_cast

MONDAY = date(2026, 11, 16)  # the suite's clock: Wednesday 18 November 2026, 10.00 WIB


@pytest.fixture
def season() -> dict[str, Any]:
    """Five agencies (a province and its regency, a city in WITA and its province, a ministry, a regency with no
    province recorded) and cases in every state."""
    diy = make_agency(code="PROV-DIY", name="Pemerintah Provinsi Daerah Istimewa Yogyakarta", kind="provinsi")
    sulsel = make_agency(
        code="PROV-SULSEL", name="Pemerintah Provinsi Sulawesi Selatan", kind="provinsi", timezone="Asia/Makassar"
    )
    sleman = make_agency(code="KAB-SLM", name="Pemerintah Kabupaten Sleman", kind="kabupaten", parent_id=diy.id)
    makassar = make_agency(
        code="KOTA-MKS", name="Pemerintah Kota Makassar", kind="kota", timezone="Asia/Makassar", parent_id=sulsel.id
    )
    ministry = make_agency(code="KEMEN-X", name="Kementerian Contoh", kind="kementerian")
    orphan = make_agency(code="KAB-YTT", name="Pemerintah Kabupaten Tanpa Induk", kind="kabupaten")
    cast = make_cast(agency=sleman, other_agency=makassar, overseer_body="kemendagri")
    made: dict[str, Case] = {}

    def add(key: str, status: CaseStatus, agency: Agency, **kw: Any) -> None:
        made[key] = case_in(cast, status, agency=agency, **kw)

    other = {"category": "masalah_rumah_tangga", "subcategory": None}
    add("slm_due_wed", S.AWAITING_FOLLOW_UP, sleman)
    add("slm_due_next", S.AWAITING_FOLLOW_UP, sleman, occurred_on="2025-03-02", **other)
    add("slm_late", S.AWAITING_FOLLOW_UP, sleman, occurred_on="2024-06-30")
    add("slm_reported", S.REPORTED, sleman)
    add("slm_review", S.UNDER_REVIEW, sleman, **other)
    add("slm_done_sep", S.COMPLETED, sleman, at=datetime(2026, 9, 10, 3, tzinfo=UTC), occurred_on="2026-08-01")
    add("slm_clarify", S.CLARIFICATION_REQUESTED, sleman, occurred_on="2025-11-11")
    add(
        "slm_reported_fu",
        S.FOLLOW_UP_REPORTED,
        sleman,
        at=datetime(2026, 10, 5, 3, tzinfo=UTC),
        occurred_on="2026-08-01",
        **other,
    )
    add("slm_closed", S.CLOSED, sleman)
    add(
        "mks_due_thu_wita",
        S.AWAITING_FOLLOW_UP,
        makassar,
        at=datetime(2026, 10, 31, 16, 30, tzinfo=UTC),
        occurred_on="2026-08-01",
    )
    add("mks_drafted", S.RECOMMENDATION_DRAFTED, makassar, **other)
    add("diy_due", S.AWAITING_FOLLOW_UP, diy, occurred_on="2024-02-14")
    add("min_due", S.AWAITING_FOLLOW_UP, ministry)
    add("min_dismissed", S.DISMISSED, ministry)
    add("orphan_reported", S.REPORTED, orphan, **other)

    # Deadlines on known days of this week and next (each at the end of its agency's day), one overdue; levels.
    def due(key: str, day: date, level: int | None = None, body: str | None = None) -> None:
        rec = db.session.scalars(select(Recommendation).where(Recommendation.case_id == made[key].id)).one()
        tz_name = db.session.get(Agency, rec.agency_id).timezone
        rec.due_at = end_of_day(day, tz_name)
        rec.escalation_level = level
        if level is not None and level >= 2:
            db.session.add(
                EscalationStep(
                    recommendation_id=rec.id, case_id=rec.case_id, cycle=rec.cycle, level=level,
                    reached_at=utcnow() - timedelta(days=1), due_at=rec.due_at, body=body,
                )
            )  # fmt: skip

    due("slm_due_wed", MONDAY + timedelta(days=2), level=0)
    due("slm_due_next", MONDAY + timedelta(days=8))
    due("slm_late", MONDAY - timedelta(days=12), level=2, body="kemendagri")
    due("mks_due_thu_wita", MONDAY + timedelta(days=3))
    due("diy_due", MONDAY + timedelta(days=13), level=3, body="kemendagri")
    due("min_due", MONDAY - timedelta(days=30), level=2, body="menpanrb")
    # Two elections; three neutrality cases linked (one to the Pemilu, two to the Pilkada), the others to none.
    pemilu = create_election(
        {"name": "Pemilu 2024", "kind": "pemilu", "starts_on": "2023-11-28", "ends_on": "2024-10-20"}, cast.admin
    )
    pilkada = create_election(
        {"name": "Pilkada Serentak 2026", "kind": "pilkada", "starts_on": "2026-08-01", "ends_on": "2026-12-31"},
        cast.admin,
    )
    link_election(made["slm_late"], {"election_id": pemilu.id}, cast.investigator)
    link_election(made["slm_due_wed"], {"election_id": pilkada.id}, cast.investigator)
    link_election(made["mks_due_thu_wita"], {"election_id": pilkada.id}, cast.investigator)
    db.session.commit()
    return {"cast": cast, "cases": made, "sleman": sleman, "makassar": makassar}


# -- what the test counts itself --------------------------------------------------------------------------------


def _world() -> list[dict[str, Any]]:
    """Every case with its agency, recommendation and ministries escalated to, as plain values."""
    bodies: dict[int, set[str]] = {}
    for step in db.session.scalars(select(EscalationStep)):
        if step.level >= 2 and step.body:
            bodies.setdefault(step.case_id, set()).add(step.body)
    recs = {r.case_id: r for r in db.session.scalars(select(Recommendation))}
    names = {e.id: e.name for e in db.session.scalars(select(Election))}
    linked = {link.case_id: names[link.election_id] for link in db.session.scalars(select(CaseElection))}
    agencies = {a.id: a for a in db.session.scalars(select(Agency))}
    return [
        {
            "case": c,
            "agency": agencies[c.agency_id],
            "rec": recs.get(c.id),
            "bodies": bodies.get(c.id, set()),
            "election": linked.get(c.id, "Netralitas tanpa pemilihan tercatat"),
        }
        for c in db.session.scalars(select(Case))
    ]


def _visible(world: list[dict[str, Any]], user: Any) -> list[dict[str, Any]]:
    if user.role == "ppk":
        return [w for w in world if w["case"].agency_id == user.agency_id and w["case"].issued_at is not None]
    if user.role == "overseer":
        return [w for w in world if user.body in w["bodies"]]
    return world


def _is_open(w: dict[str, Any]) -> bool:
    return CaseStatus(w["case"].status) not in TERMINAL_STATUSES


def _region(agency: Agency, agencies: dict[int, Agency]) -> str:
    if agency.kind in ("kementerian", "lembaga"):
        return "Instansi pusat"
    if agency.kind == "provinsi":
        return agency.name.removeprefix("Pemerintah Provinsi ")
    if agency.parent_id is None:
        return "Provinsi tidak tercatat"
    return agencies[agency.parent_id].name.removeprefix("Pemerintah Provinsi ")


def expected(user: Any, now: datetime) -> dict[str, Any]:
    seen = _visible(_world(), user)
    opened = [w for w in seen if _is_open(w)]
    agencies = {a.id: a for a in db.session.scalars(select(Agency))}
    running = [w for w in seen if w["rec"] is not None and w["rec"].is_open and w["rec"].issued_at is not None]
    due_days = Counter(local_date(w["rec"].due_at, w["agency"].timezone) for w in running)
    levels = Counter(
        "not_issued" if w["rec"] is None or w["rec"].issued_at is None
        else ("none" if w["rec"].escalation_level is None else str(w["rec"].escalation_level))
        for w in opened
    )  # fmt: skip
    months: dict[str, list[int]] = {}
    for w in seen:
        rec = w["rec"]
        if rec is not None and rec.issued_at is not None:
            day = local_date(rec.issued_at, w["agency"].timezone)
            entry = months.setdefault(f"{day.year:04d}-{day.month:02d}", [0, 0, 0])
            entry[0] += 1
            entry[1] += rec.followed_up_at is not None
            entry[2] += rec.followed_up_at is not None and rec.followed_up_at <= rec.due_at
    return {
        "open_by_status": Counter(w["case"].status for w in opened),
        "open_by_level": levels,
        "days": [due_days.get(MONDAY + timedelta(days=n), 0) for n in range(14)],
        "overdue": sum(1 for w in running if w["rec"].due_at < now),
        "months": months,
        "category": Counter(w["case"].category for w in seen),
        "category_open": Counter(w["case"].category for w in opened),
        "region": Counter(_region(w["agency"], agencies) for w in seen),
        "region_open": Counter(_region(w["agency"], agencies) for w in opened),
        "years": Counter((w["case"].occurred_on.year, w["case"].category == "netralitas") for w in seen),
        "election": Counter(w["election"] for w in seen if w["case"].category == "netralitas"),
        "election_open": Counter(w["election"] for w in opened if w["case"].category == "netralitas"),
        "all": len(seen),
        "open": len(opened),
    }


def assert_figures(figures: dict[str, Any], want: dict[str, Any]) -> None:
    by_status = {i["key"]: i["count"] for i in figures["open_by_status"]}
    assert {k: v for k, v in by_status.items() if v} == dict(want["open_by_status"])
    by_level = {i["key"]: i["count"] for i in figures["open_by_level"]}
    assert {k: v for k, v in by_level.items() if v} == dict(want["open_by_level"])
    days = figures["deadlines"]["days"]
    assert [d["date"] for d in days] == [MONDAY + timedelta(days=n) for n in range(14)]
    assert [d["count"] for d in days] == want["days"]
    assert figures["deadlines"]["this_week"] == sum(want["days"][:7])
    assert figures["deadlines"]["next_week"] == sum(want["days"][7:])
    assert figures["deadlines"]["overdue"] == want["overdue"] == figures["totals"]["overdue"]
    months = {m["month"]: [m["issued"], m["followed_up"], m["on_time"]] for m in figures["follow_up_by_month"]}
    assert len(months) == MONTHS and list(months)[-1] == "2026-11"
    assert {k: v for k, v in months.items() if v[0]} == want["months"]
    for m in figures["follow_up_by_month"]:
        assert m["rate"] == (m["followed_up"] / m["issued"] if m["issued"] else None)
    assert {i["key"]: i["count"] for i in figures["by_category"] if i["count"]} == dict(want["category"])
    assert {i["key"]: i["open"] for i in figures["by_category"] if i["open"]} == dict(want["category_open"])
    assert {i["label"]: i["count"] for i in figures["by_region"]} == dict(want["region"])
    assert {i["label"]: i["open"] for i in figures["by_region"] if i["open"]} == dict(want["region_open"])
    counts = [i["count"] for i in figures["by_region"]]
    assert counts == sorted(counts, reverse=True)
    years = Counter()
    for item in figures["neutrality_by_year"]:
        years.update({(item["year"], True): item["neutrality"], (item["year"], False): item["other"]})
    assert +years == want["years"]
    assert {i["label"]: i["count"] for i in figures["by_election"]} == dict(want["election"])
    assert {i["label"]: i["open"] for i in figures["by_election"] if i["open"]} == dict(want["election_open"])
    labels = [i["label"] for i in figures["by_election"]]
    assert labels == [name for name in ("Pilkada Serentak 2026", "Pemilu 2024") if name in labels] + (
        ["Netralitas tanpa pemilihan tercatat"] if "Netralitas tanpa pemilihan tercatat" in labels else []
    )  # the newest election first, the cases linked to none last
    assert figures["totals"]["all"] == want["all"] and figures["totals"]["open"] == want["open"]


# -- the figures ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["investigator", "commissioner", "admin", "ppk", "other_ppk", "overseer"])
def test_each_roles_figures_equal_the_counts_of_what_it_may_see(season, role):
    user = season["cast"].user(role)
    now = utcnow()
    want = expected(user, now)
    assert_figures(dashboard(user, now), want)


def test_the_seeded_world_gives_every_figure_something_to_count(season):
    """The world is not trivially empty where it matters (else the equalities above could not fail)."""
    cast = season["cast"]
    now = utcnow()
    staff = expected(cast.investigator, now)
    assert staff["all"] == 15 and staff["open"] == 12 and staff["overdue"] == 2
    assert staff["days"][2] == 1 and staff["days"][3] == 1 and staff["days"][8] == 1 and staff["days"][13] == 1
    assert set(staff["region"]) == {
        "Daerah Istimewa Yogyakarta", "Sulawesi Selatan", "Instansi pusat", "Provinsi tidak tercatat",
    }  # fmt: skip
    # Makassar's recommendation was issued at 00.30 WITA on 1 November (23.30 WIB on 31 October): November's.
    assert staff["months"]["2026-09"] == [1, 1, 1] and staff["months"]["2026-10"][:2] == [1, 1]
    assert staff["months"]["2026-11"][0] == 7
    assert len({year for year, _ in staff["years"]}) == 3
    assert staff["election"] == Counter(
        {"Pilkada Serentak 2026": 2, "Pemilu 2024": 1, "Netralitas tanpa pemilihan tercatat": 7}
    )
    ppk = expected(cast.ppk, now)
    assert 0 < ppk["all"] < staff["all"] and ppk["region"] == Counter({"Daerah Istimewa Yogyakarta": ppk["all"]})
    overseer = expected(cast.overseer, now)
    assert overseer["all"] == 2  # the two cases escalated to Kemendagri, not the one to Menpan-RB


def test_a_ppks_dashboard_counts_only_its_agency_from_the_issue_on(season):
    cast, cases = season["cast"], season["cases"]
    figures = dashboard(cast.ppk, utcnow())
    sleman_issued = [c for k, c in cases.items() if k.startswith("slm_") and c.issued_at is not None]
    assert figures["totals"]["all"] == len(sleman_issued) == 6
    assert {i["key"]: i["count"] for i in figures["open_by_level"]}["not_issued"] == 0  # never its drafts
    assert [i["label"] for i in figures["by_region"]] == ["Daerah Istimewa Yogyakarta"]
    other = dashboard(cast.other_ppk, utcnow())
    assert other["totals"]["all"] == 1 and other["deadlines"]["this_week"] == 1  # Makassar's Thursday, in WITA


def test_a_deadline_counts_on_its_agencys_day_whoever_reads_it(season):
    """23.59 WITA on Thursday is 22.59 WIB on Thursday: the same day either way; and the WITA deadline ends before
    the WIB one of the same day."""
    figures = dashboard(season["cast"].investigator, utcnow())
    thursday = figures["deadlines"]["days"][3]
    assert thursday["date"] == date(2026, 11, 19) and thursday["count"] == 1
    assert figures["deadlines"]["days"][2]["today"] is True


def test_the_api_answers_the_same_figures(season, api):
    cast = season["cast"]
    for user in (cast.investigator, cast.ppk, cast.overseer):
        response = api(user).get("/api/v1/me/dashboard")
        assert response.status_code == 200
        body = response.get_json()
        figures = dashboard(user, utcnow())
        assert body["totals"] == figures["totals"]
        assert body["open_by_status"] == figures["open_by_status"]
        assert body["by_region"] == figures["by_region"]
        assert body["neutrality_by_year"] == figures["neutrality_by_year"]
        assert [(e["label"], e["count"]) for e in body["by_election"]] == [
            (e["label"], e["count"]) for e in figures["by_election"]
        ]
        assert [d["count"] for d in body["deadlines"]["days"]] == [d["count"] for d in figures["deadlines"]["days"]]
        assert body["deadlines"]["days"][0]["date"] == "2026-11-16"
        assert [m["month"] for m in body["follow_up_by_month"]][-1] == "2026-11"
        assert body["open_by_status"][0]["label"] == "Laporan diterima"  # Indonesian, like the rest of the API
    assert api(cast.ppk).get("/api/v1/me/dashboard").get_json()["scope"]["label"].startswith("Perkara Pemerintah")


def test_the_api_needs_a_token(client):
    response = client.get("/api/v1/me/dashboard")
    assert response.status_code == 401 and response.get_json()["error"]["code"]


# -- the page --------------------------------------------------------------------------------------------------------


def test_the_page_draws_each_figure_with_a_title_a_description_and_its_table(season, pages_for):
    html = pages_for(season["cast"].investigator).get("/dasbor").get_data(as_text=True)
    for key in ("status", "level", "deadlines", "follow-up", "category", "region", "election", "year"):
        assert '<svg xmlns="http://www.w3.org/2000/svg" class="bar-chart" role="img"' in html
        assert f'aria-labelledby="chart-{key}-title chart-{key}-desc"' in html
        assert f'id="chart-{key}-table"' in html
    assert 'href="/dasbor"' in html and 'aria-current="page" href="/dasbor"' in html  # linked in the navigation
    tiles = html.split('id="dashboard-tiles"')[1].split("</ul>")[0]
    assert 'id="tile-open">12<' in tiles and 'id="tile-overdue">2<' in tiles
    region = html.split('id="chart-region-table"')[1].split("</table>")[0]
    assert "Daerah Istimewa Yogyakarta" in region and "Instansi pusat" in region
    follow_up = html.split('id="chart-follow-up-table"')[1].split("</table>")[0]
    assert "September 2026" in follow_up and "100,0% (1 dari 1)" in follow_up  # the house's number format
    election = html.split('id="chart-election-table"')[1].split("</table>")[0]
    assert election.index("Pilkada Serentak 2026") < election.index("Pemilu 2024")


def test_the_page_speaks_english_on_the_switch(season, pages_for):
    pages = pages_for(season["cast"].investigator)
    pages.post("/lang/en", {"next": "/dasbor"}, page="/dasbor")
    html = pages.get("/dasbor").get_data(as_text=True)
    assert "Open cases by status" in html and "Perkara terbuka menurut status" not in html
    assert "September 2026" in html and "100.0% (1 of 1)" in html
    assert "Mon, 16 Nov" in html


def test_a_ppk_sees_its_own_figures_on_the_page(season, pages_for):
    html = pages_for(season["cast"].ppk).get("/dasbor").get_data(as_text=True)
    assert "Pemerintah Kabupaten Sleman" in html.split('id="dashboard-scope"')[1].split("</p>")[0]
    assert 'id="tile-open">' in html
    assert "Sulawesi Selatan" not in html and "Instansi pusat" not in html


def test_every_role_opens_its_dashboard(season, pages_for):
    for role in ("investigator", "commissioner", "ppk", "overseer", "admin"):
        response = pages_for(season["cast"].user(role)).get("/dasbor")
        assert response.status_code == 200, role


def test_the_empty_categories_are_listed_too():
    """No case at all: every status, level and category still has its row, at zero."""
    cast = make_cast()
    figures = dashboard(cast.investigator, utcnow())
    assert [i["count"] for i in figures["by_category"]] == [0] * len(Category)
    assert figures["totals"] == {"open": 0, "all": 0, "overdue": 0}
    assert figures["by_region"] == [] and figures["by_election"] == [] and figures["neutrality_by_year"] == []


# -- the figures kept per scope ----------------------------------------------------------------------------------------


def test_the_figures_are_kept_per_scope_for_the_configured_seconds(app, monkeypatch, make_user):
    """Two PPK users of one agency share the figures counted for the first; another agency's PPK and the staff get
    their own; a case issued meanwhile shows once the figures have aged out, and `generated_at` says when each
    were counted."""
    from app.season import dashboard as board

    monkeypatch.setitem(app.config, "DASHBOARD_CACHE_SECONDS", 60)
    board.clear_cache()
    cast = make_cast()
    case_in(cast, S.AWAITING_FOLLOW_UP)
    colleague = make_user("ppk", agency=cast.agency)
    start = SUITE_NOW + timedelta(minutes=1)  # a named moment, after the cases were made
    with app.test_request_context("/"):
        first = dashboard(cast.ppk, start)
        assert first["totals"]["open"] == 1 and first["generated_at"] == start
        assert dashboard(cast.other_ppk, start)["totals"]["open"] == 0  # another scope: its own figures
        staff = dashboard(cast.investigator, start)["totals"]["open"]
        case_in(cast, S.AWAITING_FOLLOW_UP)
        later = start + timedelta(seconds=30)
        kept = dashboard(colleague, later)  # the same scope, within the minute: the figures counted at `start`
        assert kept["totals"]["open"] == 1 and kept["generated_at"] == start
        assert dashboard(cast.commissioner, later)["totals"]["open"] == staff  # the staff's scope, kept too
        assert dashboard(cast.other_ppk, later)["totals"]["open"] == 0
        fresh = dashboard(cast.ppk, start + timedelta(seconds=61))
        assert fresh["totals"]["open"] == 2 and fresh["generated_at"] == start + timedelta(seconds=61)
        assert dashboard(cast.commissioner, start + timedelta(seconds=61))["totals"]["open"] == staff + 1
    with app.test_request_context("/"), force_locale("en"):
        english = dashboard(colleague, start + timedelta(seconds=62))  # another language: counted in its words
        assert english["generated_at"] == start + timedelta(seconds=62)
        assert english["open_by_status"][0]["label"] != first["open_by_status"][0]["label"]
    board.clear_cache()
