"""What each status requires is said once (`STATUS_RULES`, app/core/states.py), and the three places that act on it
agree with it: every transition the workflow fires leaves a case that satisfies the table, the importer takes
exactly the rows the table allows, and the database's reason checks are generated from it."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import CheckConstraint, select

from app.cases.importing import import_file
from app.core.states import STATUS_RULES, TERMINAL_STATUSES, CaseEvent, CaseStatus, Need, RecommendationStage
from app.db import db
from app.models.cases import Case, Clarification, FollowUp, Recommendation
from tests.factories import PATHS, case_in, make_cast, payload_for
from tests.importing.helpers import ISSUED, case_row
from workflows import fire
from workflows.transitions import TRANSITIONS

ROOT = Path(__file__).resolve().parents[2]
STAGE = RecommendationStage


def violations(case: Case) -> list[str]:
    """How `case`, as stored, departs from what STATUS_RULES says of its status (empty when it does not)."""
    rules = STATUS_RULES[CaseStatus(case.status)]
    problems: list[str] = []
    for column in ("dismiss_reason", "close_reason"):
        if (getattr(case, column) is not None) != (column == rules.reason_column):
            problems.append(f"{column} is {getattr(case, column)!r}")
    rec = db.session.scalar(select(Recommendation).where(Recommendation.case_id == case.id))
    stage = STAGE.ABSENT if rec is None else STAGE.ISSUED if rec.issued_at is not None else STAGE.DRAFTED
    if stage not in rules.recommendation:
        problems.append(f"recommendation {stage}")
    if stage is STAGE.ISSUED and None in (rec.letter_number, rec.due_at, rec.received_on):
        problems.append("issued recommendation without letter number, receipt day or deadline")
    if rec is not None and stage is STAGE.DRAFTED and (rec.letter_number is not None or rec.due_at is not None):
        problems.append("drafted recommendation with a letter number or deadline")
    if (case.issued_at is not None) != (stage is STAGE.ISSUED):
        problems.append(f"case issued_at {case.issued_at!r} with recommendation {stage}")
    if (rec is not None and rec.is_open) != rules.deadline_running:
        problems.append(f"clock running: {rec is not None and rec.is_open}")
    follow_ups = db.session.scalars(select(FollowUp).where(FollowUp.case_id == case.id)).all()
    live = [f for f in follow_ups if f.verdict != "rejected"]
    problems += _need("follow-ups not rejected", rules.follow_up, len(live))
    problems += [f"follow-up verdict {f.verdict!r}" for f in live if f.verdict != rules.follow_up_verdict]
    clarifications = db.session.scalars(select(Clarification).where(Clarification.case_id == case.id)).all()
    problems += _need("unanswered objections", rules.clarification, sum(c.answered_at is None for c in clarifications))
    if (case.closed_at is not None) != rules.closed:
        problems.append(f"closed_at {case.closed_at!r}")
    return problems


def _need(what: str, need: Need, count: int) -> list[str]:
    if count > 1 or (need is Need.FORBIDDEN and count) or (need is Need.REQUIRED and not count):
        return [f"{count} {what} where {need}"]
    return []


def test_the_table_covers_every_status_and_closes_the_terminal_ones():
    assert set(STATUS_RULES) == set(CaseStatus)
    assert {status for status, rules in STATUS_RULES.items() if rules.closed} == TERMINAL_STATUSES
    assert all(rules.recommendation for rules in STATUS_RULES.values())


# -- the workflow ------------------------------------------------------------------------------------------------

STEPS = [(event, source) for event, t in TRANSITIONS.items() for source in t.sources]


def test_every_status_is_reached_by_a_step():
    assert {TRANSITIONS[event].target_from(source) for event, source in STEPS} | {CaseStatus.REPORTED} == set(
        CaseStatus
    )


@pytest.mark.parametrize("status", list(PATHS), ids=[s.value for s in PATHS])
def test_each_status_as_the_factories_reach_it(status):
    case = case_in(make_cast(), status)
    assert violations(case) == []


@pytest.mark.parametrize(("event", "source"), STEPS, ids=[f"{e.value}-from-{s.value}" for e, s in STEPS])
def test_every_transition_leaves_what_the_table_says(event, source):
    cast = make_cast()
    case = case_in(cast, source)
    fire(case, event, cast.actor_for(event), payload_for(case, event), expected_version=case.version)
    db.session.commit()
    assert case.status == TRANSITIONS[event].target_from(source).value
    assert violations(case) == []


def test_a_long_walk_with_second_cycles():
    """Rejected follow-ups and answered objections stay on record while the case waits again."""
    e = CaseEvent
    cast = make_cast()
    case = case_in(cast, CaseStatus.AWAITING_FOLLOW_UP)
    walk = [e.ACKNOWLEDGE, e.RECORD_RECEIPT, e.EXTEND_DEADLINE, e.REQUEST_CLARIFICATION, e.ANSWER_CLARIFICATION,
            e.REPORT_FOLLOW_UP, e.REJECT_FOLLOW_UP, e.REPORT_FOLLOW_UP, e.ACCEPT_FOLLOW_UP]  # fmt: skip
    for event in walk:
        fire(case, event, cast.actor_for(event), payload_for(case, event), expected_version=case.version)
        db.session.commit()
        assert violations(case) == [], (event, case.status)
    assert case.status == CaseStatus.COMPLETED.value


# -- the importer ------------------------------------------------------------------------------------------------

REASON = {"Alasan": "Tidak terbukti setelah klarifikasi."}
DRAFT = {"Sanksi Rekomendasi": "disiplin_sedang", "Dasar Hukum": "PP 94/2021", "Isi Rekomendasi": "Disiplin sedang."}
SK = {"Nomor SK": "800/1/2021", "Tanggal SK": "2021-04-30", "Sanksi Dijatuhkan": "disiplin_ringan"}
OBJECTION = {"Nomor Surat Sanggahan": "800/9/BKD/2021", "Tanggal Sanggahan": "2021-04-20"}


def minimal_row(status: CaseStatus) -> dict[str, str]:
    """The cells the table asks of a row in `status`, and no more."""
    rules = STATUS_RULES[status]
    values: dict[str, str] = {}
    if rules.reason_column is not None:
        values |= REASON
    if rules.recommendation == {STAGE.ISSUED}:
        values |= ISSUED
    elif rules.recommendation == {STAGE.DRAFTED}:
        values |= DRAFT
    if rules.follow_up is Need.REQUIRED:
        values |= SK
    if rules.clarification is Need.REQUIRED:
        values |= OBJECTION
    return values


def import_one(tmp_path: Path, agency: Any, status: CaseStatus, values: dict[str, str]) -> Case | None:
    row = case_row(f"SR-{status.value}", agency.code, status.value, **values)
    path = tmp_path / f"{status.value}.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    result = import_file(path)
    db.session.commit()
    if result.failed:
        return None
    return db.session.scalar(select(Case).where(Case.external_ref == row["Referensi"]))


@pytest.mark.parametrize("status", list(CaseStatus), ids=[s.value for s in CaseStatus])
def test_the_importer_takes_the_rows_the_table_asks_for(status, tmp_path, make_agency):
    case = import_one(tmp_path, make_agency(), status, minimal_row(status))
    assert case is not None
    assert violations(case) == []


def optional_rows() -> list[tuple[CaseStatus, str, dict[str, str]]]:
    """For each status that allows more than it requires, rows with that more."""
    rows = []
    for status, rules in STATUS_RULES.items():
        base = minimal_row(status)
        if len(rules.recommendation) > 1 and STAGE.DRAFTED in rules.recommendation:
            rows.append((status, "a drafted recommendation", base | DRAFT))
        if len(rules.recommendation) > 1 and STAGE.ISSUED in rules.recommendation:
            rows.append((status, "an issued recommendation", base | ISSUED))
        if rules.follow_up is Need.OPTIONAL:
            rows.append((status, "a follow-up", base | ISSUED | SK))
    return rows


OPTIONAL = optional_rows()


@pytest.mark.parametrize(("status", "what", "values"), OPTIONAL, ids=[f"{s.value}-with-{w}" for s, w, _ in OPTIONAL])
def test_the_importer_takes_what_the_table_allows(status, what, values, tmp_path, make_agency):
    case = import_one(tmp_path, make_agency(), status, values)
    assert case is not None
    assert violations(case) == []


def refused_rows() -> list[tuple[CaseStatus, str, dict[str, str]]]:
    """For each status, rows that break one of its rules."""
    rows = []
    for status, rules in STATUS_RULES.items():
        base = minimal_row(status)
        if rules.reason_column is not None:
            rows.append((status, "no reason", {k: v for k, v in base.items() if k not in REASON}))
        if rules.recommendation == {STAGE.ABSENT}:
            rows.append((status, "a recommendation", base | ISSUED))
        if rules.recommendation == {STAGE.ISSUED}:
            rows.append(
                (status, "a recommendation not issued", base | DRAFT | {k: "" for k in ISSUED if k not in DRAFT})
            )
        if rules.recommendation == {STAGE.DRAFTED}:
            rows.append((status, "an issued recommendation", base | ISSUED))
        if rules.follow_up is Need.FORBIDDEN:
            rows.append((status, "a follow-up", base | ISSUED | SK))
        if rules.follow_up is Need.REQUIRED:
            rows.append((status, "no follow-up", {k: v for k, v in base.items() if k not in SK}))
        if rules.clarification is Need.REQUIRED:
            rows.append((status, "no objection", {k: v for k, v in base.items() if k not in OBJECTION}))
        else:
            # Need.OPTIONAL too: the objection a case closed while it waited is kept by the workflow, but a file
            # gives one only as the reason a case waits (see RowValidator._status_parts).
            rows.append((status, "an objection", base | ISSUED | OBJECTION))
    return rows


REFUSED = refused_rows()


@pytest.mark.parametrize(("status", "why", "values"), REFUSED, ids=[f"{s.value}-with-{w}" for s, w, _ in REFUSED])
def test_the_importer_refuses_what_the_table_forbids(status, why, values, tmp_path, make_agency):
    assert import_one(tmp_path, make_agency(), status, values) is None


# -- the database ------------------------------------------------------------------------------------------------


def test_the_reason_checks_are_the_tables_and_the_migrations():
    checks = {c.name: str(c.sqltext) for c in Case.__table__.constraints if isinstance(c, CheckConstraint)}
    initial = next((ROOT / "migrations" / "versions").glob("*_0001_*.py")).read_text()
    for status, rules in STATUS_RULES.items():
        if rules.reason_column is None:
            continue
        sql = f"(status = '{status.value}') = ({rules.reason_column} IS NOT NULL)"
        assert checks[f"ck_cases_{rules.reason_column}"] == sql
        assert f'"{sql}"' in initial  # what the migration created: the model generates the same SQL
