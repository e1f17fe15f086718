"""Years the calendar does not know: where the `holidays` package has no cuti bersama for a year (the SKB of
three ministers not yet published, or the package older than it), the product says so beside a deadline, in
`flask calendar explain` and in the health check, instead of silently counting only weekends and national
holidays; an administrator who enters the year's days with their decree makes the year complete."""

from __future__ import annotations

from datetime import UTC, date, datetime

from app.calendar.services import add_override
from app.calendar.working_days import Calendar, calendar_gaps, deadline_gaps, package_coverage
from app.db import db, unit_of_work
from app.health import health_report

# The pinned `holidays` release lists cuti bersama up to 2027 (DOMAIN §7), none from 2028 on.
KNOWN, UNKNOWN = 2026, 2030


class _National:
    id = None
    timezone = "Asia/Jakarta"


def test_a_year_with_its_decree_is_complete_and_one_without_is_not():
    calendar = Calendar()
    assert calendar.coverage(KNOWN).complete and calendar.coverage(KNOWN).message is None
    beyond = calendar.coverage(UNKNOWN)
    assert not beyond.complete and not beyond.cuti_bersama_known
    assert beyond.estimated_holidays == package_coverage(UNKNOWN)[1] > 0  # Islamic dates are estimates there
    assert "Kalender 2030 belum lengkap" in beyond.message and "cuti bersama" in beyond.message
    assert f"{beyond.estimated_holidays} tanggal hari libur keagamaan tahun 2030 masih perkiraan" in beyond.message


def test_a_deadline_that_runs_into_an_unknown_year_names_it():
    # received in mid-December 2027: 14 working days end in January 2028, a year without cuti bersama data
    gaps = deadline_gaps(_National(), date(2027, 12, 20), 14)
    assert [gap.year for gap in gaps] == [2028]
    assert deadline_gaps(_National(), date(2026, 11, 2), 14) == []


def test_an_administrator_who_enters_the_years_decree_completes_it():
    with unit_of_work():
        add_override(date(2030, 4, 8), "closed", "Cuti bersama Idul Fitri", decree="SKB 3 Menteri 2029 (contoh)")
    assert Calendar.load().coverage(UNKNOWN).complete
    assert Calendar.load().coverage(UNKNOWN).maintained_by_admin
    # a day opened, or closed without its decree, says nothing about the year's cuti bersama
    with unit_of_work():
        add_override(date(2029, 3, 5), "closed", "Pemungutan suara daerah")
    assert not Calendar.load().coverage(2029).complete


def test_the_health_check_names_the_years_ahead_it_does_not_know():
    report, status = health_report(datetime(2027, 12, 1, 3, 0, tzinfo=UTC))  # deadlines issued now end in 2028
    assert status == 200 and report["status"] == "degraded"
    assert [y["year"] for y in report["calendar"]["incomplete_years"]] == [2028]
    assert report["calendar"]["ok"] is False
    assert any("Kalender 2028 belum lengkap" in problem for problem in report["problems"])
    # in the middle of a known year, nothing ahead is unknown
    assert calendar_gaps(datetime(2026, 11, 18, 3, 0, tzinfo=UTC)) == []


def test_calendar_explain_prints_the_warning(runner):
    result = runner.invoke(args=["calendar", "explain", "--received", "2027-12-20", "--days", "14"])
    assert result.exit_code == 0, result.output
    assert "Perhatian: Kalender 2028 belum lengkap" in result.output
    quiet = runner.invoke(args=["calendar", "explain", "--received", "2026-11-02", "--days", "14"])
    assert "Perhatian" not in quiet.output
    db.session.remove()
