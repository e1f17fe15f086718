"""Each role's home page shows what waits for it; the help page shows the state machine from the table."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import time_machine

from app.core.clock import utcnow
from app.db import db
from app.models.cases import Recommendation
from app.models.escalations import EscalationStep
from workflows import TRANSITIONS


def _section(html: str, key: str) -> str:
    return html.split(f'id="home-{key}"')[1].split("</section>")[0]


def _escalate(case, level: int, body: str | None, when) -> None:
    rec = db.session.query(Recommendation).filter_by(case_id=case.id).one()
    db.session.add(
        EscalationStep(
            recommendation_id=rec.id,
            case_id=case.id,
            cycle=rec.cycle,
            level=level,
            reached_at=when,
            due_at=rec.due_at,
            body=body,
        )
    )
    db.session.commit()


def test_investigator_home(world, pages_for, make_case):
    mine = make_case("under_review")
    late = make_case("awaiting_follow_up")
    rec = db.session.query(Recommendation).filter_by(case_id=late.id).one()
    rec.due_at = utcnow() - timedelta(days=3)
    db.session.commit()
    html = pages_for(world.investigator).get("/").get_data(as_text=True)
    assert mine.number in _section(html, "mine")
    assert late.number in _section(html, "overdue")
    assert "Lewat tenggat" in _section(html, "overdue")
    assert "Tidak ada perkara." in _section(html, "review")


def test_commissioner_home(world, pages_for, make_case):
    draft = make_case("recommendation_drafted")
    escalated = make_case("awaiting_follow_up")
    _escalate(escalated, 2, "kemendagri", utcnow() - timedelta(days=1))
    html = pages_for(world.commissioner).get("/").get_data(as_text=True)
    assert draft.number in _section(html, "drafts")
    assert escalated.number in _section(html, "escalations")
    assert escalated.number not in _section(html, "drafts")


@time_machine.travel(datetime(2026, 11, 18, 3, 0, tzinfo=UTC))  # Wednesday 10:00 WIB, no holiday in reach
def test_ppk_home_colours_the_working_days_left(world, pages_for, make_case):
    soon = make_case("awaiting_follow_up")
    late = make_case("awaiting_follow_up")
    other = make_case("awaiting_follow_up", agency=world.other_agency)
    rec = db.session.query(Recommendation).filter_by(case_id=late.id).one()
    rec.due_at = utcnow() - timedelta(days=10)
    db.session.commit()
    html = pages_for(world.ppk).get("/").get_data(as_text=True)
    section = _section(html, "follow_up")
    assert soon.number in section and late.number in section and other.number not in section
    assert "border-danger" in section and "Terlambat" in section
    # Issued Wednesday 18 November: fourteen working days from the next day end on Tuesday 8 December; the
    # page counts today and the due day (Wednesday 18 … Tuesday 8 December: 15 working days).
    assert "Tenggat: 8 Desember 2026 23.59 WIB" in section
    assert "Sisa 15 hari kerja" in section
    # Most urgent first.
    assert section.index(late.number) < section.index(soon.number)


def test_overseer_home_lists_cases_escalated_to_its_ministry(world, pages_for, make_case):
    to_me = make_case("awaiting_follow_up")
    _escalate(to_me, 2, "kemendagri", utcnow())
    not_yet = make_case("awaiting_follow_up")
    _escalate(not_yet, 1, None, utcnow())
    html = pages_for(world.overseer).get("/").get_data(as_text=True)
    section = _section(html, "escalated")
    assert to_me.number in section and not_yet.number not in section
    assert pages_for(world.overseer).get(f"/cases/{to_me.id}").status_code == 200


def test_admin_home_links_the_administration(world, pages_for):
    html = pages_for(world.admin).get("/").get_data(as_text=True)
    assert "/admin/outbox" in html and "/admin/calendar" in html


def test_help_page_shows_every_transition_and_draws_the_state_diagram(world, pages_for, pages):
    html = pages_for(world.ppk).get("/bantuan").get_data(as_text=True)
    table = html.split('id="transitions"')[1].split("</table>")[0]
    for transition in TRANSITIONS.values():
        assert transition.label in table
    # The diagram is drawn on the server (issue 20: no raw Mermaid source): every status and event in words.
    drawing = html.split('id="state-diagram"')[1].split("</svg>")[0]
    assert "<svg" in drawing and "stateDiagram-v2" not in html
    words = " ".join(re.sub(r"<[^>]+>", " ", drawing).split())  # a long label wraps over lines
    for transition in TRANSITIONS.values():
        assert transition.label in words
    assert "Menunggu tindak lanjut PPK" in words
    # The help page is public (also before signing in), and ships no script of its own.
    anonymous = pages.get("/bantuan")
    assert anonymous.status_code == 200
    assert "<script>" not in anonymous.get_data(as_text=True)
