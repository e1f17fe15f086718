"""Every view of a reporter's identity is logged (app/cases/reporter_views.py): one row per view by the authority's
staff — case page, case API, export, intake report page and API — none for a PPK, who never sees the reporter;
administrators read the log (page and API), and on the case."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import func, select, text

from app.db import db
from app.intake import services as intake
from app.models.people import ReporterView
from tests.factories import REPORTER, S, case_in, make_cast


def _views() -> list[SimpleNamespace]:
    """The log's rows as they stand (the test's read ends its transaction: SQLite's next writer is not kept waiting)."""
    rows = [
        SimpleNamespace(**row._mapping)
        for row in db.session.execute(select(ReporterView.__table__).order_by(ReporterView.id))
    ]
    db.session.rollback()
    return rows


def _committed_count() -> int:
    """The rows another connection sees: only what was committed. (The test's own transaction ends first: on
    SQLite it holds the write lock the other connection's transaction begins with.)"""
    db.session.rollback()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as other:
        return other.execute(text("SELECT count(*) FROM reporter_views")).scalar_one()


def test_a_staff_view_of_the_case_logs_one_row_and_a_ppk_view_none(pages_for):
    cast = make_cast()
    case = case_in(cast, S.AWAITING_FOLLOW_UP)
    page = pages_for(cast.investigator).get(f"/cases/{case.id}").get_data(as_text=True)
    assert REPORTER["name"] in page
    views = _views()
    assert [(v.user_id, v.case_id, v.channel, v.role) for v in views] == [
        (cast.investigator.id, case.id, "page", "investigator")
    ]
    assert views[0].at is not None and _committed_count() == 1

    ppk_page = pages_for(cast.ppk).get(f"/cases/{case.id}")
    assert ppk_page.status_code == 200 and REPORTER["name"] not in ppk_page.get_data(as_text=True)
    assert len(_views()) == 1  # the PPK never sees the reporter: nothing to log


def test_the_case_api_logs_the_view_and_commits_it(api):
    cast = make_cast()
    case = case_in(cast, S.AWAITING_FOLLOW_UP)
    db.session.commit()
    answer = api(cast.commissioner).get(f"/api/v1/cases/{case.id}").get_json()
    assert answer["reporter"] == REPORTER
    # Committed (the read-only view runs in autocommit on PostgreSQL; on SQLite its transaction is committed).
    assert _committed_count() == 1
    assert [(v.user_id, v.channel) for v in _views()] == [(cast.commissioner.id, "api")]
    ppk_answer = api(cast.ppk).get(f"/api/v1/cases/{case.id}").get_json()
    assert "reporter" not in ppk_answer
    assert _committed_count() == 1


def test_a_case_without_a_reporter_logs_nothing(api):
    cast = make_cast()
    case = case_in(cast, S.REPORTED, reporter=None)
    assert api(cast.investigator).get(f"/api/v1/cases/{case.id}").status_code == 200
    assert _views() == []


def test_an_export_with_the_reporter_columns_is_one_row(api):
    cast = make_cast()
    case_in(cast, S.AWAITING_FOLLOW_UP)
    case_in(cast, S.AWAITING_FOLLOW_UP)
    export = api(cast.investigator).get("/api/v1/cases/export?format=csv&status=awaiting_follow_up")
    assert export.status_code == 200 and REPORTER["name"] in export.get_data(as_text=True)
    views = _views()
    assert [(v.channel, v.case_id, v.scope) for v in views] == [("export", None, {"status": "awaiting_follow_up"})]
    ppk_export = api(cast.ppk).get("/api/v1/cases/export?format=csv")
    assert ppk_export.status_code == 200 and REPORTER["name"] not in ppk_export.get_data(as_text=True)
    assert len(_views()) == 1


def test_the_intake_report_page_and_api_log_the_public_reporter(api, pages_for):
    cast = make_cast()
    report, _ = intake.submit_report(
        {
            "reported_person": {"name": "Rahmat Hidayat", "nip": "197001011995031002"},
            "agency_id": cast.agency.id,
            "category": "netralitas",
            "subcategory": "menghadiri_deklarasi",
            "summary": "Kepala dinas hadir dan berpidato dalam kampanye terbuka pasangan calon bupati.",
            "occurred_on": "2026-11-10",
            "reporter": {"name": "Warga Pelapor", "contact": "warga@example.org"},
        },
        channel="public",
    )
    db.session.commit()
    assert "Warga Pelapor" in pages_for(cast.investigator).get(f"/intake/{report.id}").get_data(as_text=True)
    assert api(cast.commissioner).get(f"/api/v1/intake/reports/{report.id}").get_json()["reporter"]["name"] == (
        "Warga Pelapor"
    )
    assert [(v.channel, v.report_id, v.case_id) for v in _views()] == [
        ("intake_page", report.id, None),
        ("intake_api", report.id, None),
    ]


def test_administrators_read_the_log_and_nobody_else(api, client, pages_for):
    cast = make_cast()
    case = case_in(cast, S.AWAITING_FOLLOW_UP)
    pages_for(cast.investigator).get(f"/cases/{case.id}")
    answer = api(cast.admin).get("/api/v1/reporter-views")
    assert answer.status_code == 200, answer.get_json()
    items = answer.get_json()["items"]
    assert [(i["case_number"], i["user_id"], i["channel"], i["channel_label"]) for i in items] == [
        (case.number, cast.investigator.id, "page", "Halaman perkara")
    ]
    assert answer.get_json()["next_before_id"] is None
    of_case = api(cast.admin).get(f"/api/v1/reporter-views?case_id={case.id}&limit=1").get_json()
    assert len(of_case["items"]) == 1
    bad = api(cast.admin).get("/api/v1/reporter-views?limit=0")
    assert bad.status_code == 422 and "limit" in bad.get_json()["error"]["details"]["fields"]
    for user in (cast.investigator, cast.commissioner, cast.ppk, cast.overseer):
        assert api(user).get("/api/v1/reporter-views").status_code == 403, user.role
    assert client.get("/api/v1/reporter-views").status_code == 401

    admin = pages_for(cast.admin)
    log_page = admin.get("/admin/pelapor-dilihat")
    assert log_page.status_code == 200 and case.number in log_page.get_data(as_text=True)
    # On the case, for administrators: the admin's own view is logged too (an admin reads the reporter).
    case_page = admin.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'id="pelapor-dilihat"' in case_page and cast.investigator.name in case_page
    assert 'id="pelapor-dilihat"' not in pages_for(cast.investigator).get(f"/cases/{case.id}").get_data(as_text=True)
    assert pages_for(cast.investigator).get("/admin/pelapor-dilihat").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(ReporterView)) == 3
