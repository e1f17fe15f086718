""" "Antrean saya": what waits for the signed-in user, and why, most urgent first (the page `/antrean` and
`GET /api/v1/me/queue` read the same list).

Each role has its reasons, each a condition on a visible case (the visibility rule of app/cases/access.py is
always part of the query, so nothing outside what the user may see ever enters the queue):

- case staff (investigator, and a signing official for the cases assigned to him): a new report to review, a
  review to turn into a draft, a PPK's objection to answer, a PPK's follow-up to assess, and the assigned cases
  whose PPK deadline is past or within NEAR_DAYS calendar days;
- a signing official (`commissioner`), besides: every draft written by someone else waiting to be issued (the
  four-eyes rule: his own drafts wait for another official and are not his to act on), and every objection of a
  PPK waiting for an answer (only a signing official answers one);
- a PPK: its recommendations waiting for its follow-up, those past their deadline first;
- an overseer: the open cases escalated to its ministry.

One case has one reason (the conditions exclude one another). The order is urgency: the running deadline
(earliest, i.e. most overdue, first; none last), then the escalation level (highest first), then the oldest case.
It is one SQL statement per page, keyset-paginated like the other lists (`limit`, `cursor` → `next_cursor`): a
UNION ALL of one branch per reason, each taking at most a page of its cases in that order (an investigator's
branches read the `(assignee_id, status, id)` index of migration 0012, a signing official's drafts the
`(status, id)` index), merged into the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from flask_babel import gettext
from sqlalchemy import ColumnElement, and_, bindparam, literal, or_, select, union_all
from sqlalchemy import case as sql_case
from sqlalchemy.sql.functions import coalesce

from app.auth.services import TokenCaller
from app.calendar.working_days import Calendar, local_date
from app.cases.access import _visibility, _visibility_rule
from app.cases.listing import SUMMARY_COLUMNS, _summary
from app.core.clock import utcnow
from app.core.pagination import decode_cursor, encode_cursor
from app.core.states import TERMINAL_STATUSES, CaseStatus
from app.core.vocab import CASE_STAFF, KASN_ROLES, Role
from app.db import db
from app.errors import ValidationFailed
from app.models.agencies import Agency
from app.models.auth import User
from app.models.cases import Case, Recommendation
from app.web.schema_forms import N_

NEAR_DAYS = 7
S = CaseStatus

# Every reason, in words (what the page and the API's `reason_label` say).
REASON_LABELS = {
    "to_issue": N_("Draf rekomendasi susunan pegawai lain menunggu Anda terbitkan"),
    "clarification_to_answer": N_("PPK mengajukan sanggahan/klarifikasi yang menunggu jawaban"),
    "follow_up_to_assess": N_("PPK melaporkan tindak lanjut yang menunggu penilaian Anda"),
    "deadline_passed": N_("Tenggat tindak lanjut PPK sudah lewat"),
    "deadline_near": N_("Tenggat tindak lanjut PPK sudah dekat"),
    "to_review": N_("Laporan baru menunggu penelaahan Anda"),
    "to_draft": N_("Dalam penelaahan: rekomendasi belum disusun"),
    "follow_up_overdue": N_("Tindak lanjut rekomendasi sudah lewat tenggat"),
    "follow_up_due": N_("Rekomendasi menunggu tindak lanjut Anda"),
    "escalated": N_("Dieskalasi ke kementerian Anda"),
}
FAR = datetime(9999, 12, 31, tzinfo=UTC)  # "no running deadline": after every real one
NO_LEVEL = -1


def _status(status: CaseStatus) -> ColumnElement[bool]:
    return Case._status == status.value


# How a reason's cases are ordered (see `_sort_keys`): by their running deadline ("running"), by their escalation
# level alone (no deadline runs: "level"), or by age alone (no deadline and never escalated: "none" — a case
# before issue has no recommendation issued, so no level; its keys are constants and an index gives the order).
# "due": the condition itself says the deadline runs (open, issued, awaiting follow-up), so the key is `due_at`.
RUNNING, DUE, LEVEL, NONE = "running", "due", "level", "none"


def _reasons(role: str) -> list[tuple[str, ColumnElement[bool], str]]:
    """The role's reasons as (code, SQL condition, how its cases sort); the conditions exclude one another, so a
    case has one reason. The values are bound at execution (`me`, `now`, `near`)."""
    mine = Case.assignee_id == bindparam("me")
    running = and_(
        _status(S.AWAITING_FOLLOW_UP),
        Recommendation.is_open.is_(True),
        Recommendation.issued_at.is_not(None),
        Recommendation.due_at.is_not(None),
    )
    reasons: list[tuple[str, ColumnElement[bool], str]] = []
    if role == Role.COMMISSIONER:
        by_someone_else = or_(Recommendation.drafted_by_id.is_(None), Recommendation.drafted_by_id != bindparam("me"))
        reasons += [
            ("to_issue", and_(_status(S.RECOMMENDATION_DRAFTED), by_someone_else), NONE),
            ("clarification_to_answer", _status(S.CLARIFICATION_REQUESTED), LEVEL),  # his to answer, whoever's
        ]
    elif role == Role.INVESTIGATOR:
        reasons.append(("clarification_to_answer", and_(mine, _status(S.CLARIFICATION_REQUESTED)), LEVEL))
    if role in CASE_STAFF:
        reasons += [
            ("follow_up_to_assess", and_(mine, _status(S.FOLLOW_UP_REPORTED)), LEVEL),
            ("deadline_passed", and_(mine, running, Recommendation.due_at < bindparam("now")), DUE),
            (
                "deadline_near",
                and_(
                    mine, running, Recommendation.due_at >= bindparam("now"), Recommendation.due_at < bindparam("near")
                ),
                DUE,
            ),
            ("to_review", and_(mine, _status(S.REPORTED)), NONE),
            ("to_draft", and_(mine, _status(S.UNDER_REVIEW)), NONE),
        ]
    elif role == Role.PPK:
        waiting = and_(
            _status(S.AWAITING_FOLLOW_UP), Recommendation.issued_at.is_not(None), Recommendation.is_open.is_(True)
        )
        # The recommendation's copy of the case's agency (kept equal by the database) names the PPK's agency
        # too: its running deadlines are then read in order from the (agency_id, is_open, due_at) index of
        # migration 0026, not every open recommendation of the country filtered by agency.
        waiting = and_(waiting, Recommendation.agency_id == bindparam("viewer_agency_id"))
        overdue = Recommendation.is_overdue(bindparam("now"))
        reasons += [
            ("follow_up_overdue", and_(waiting, overdue), DUE),
            ("follow_up_due", and_(waiting, ~overdue), DUE),
        ]
    elif role == Role.OVERSEER:
        # The visibility rule keeps the cases escalated (level ≥ 2) to the overseer's own ministry. Those whose
        # deadline runs are read in its order from the (is_open, due_at) index and stop at the page; the others
        # (no deadline running: an objection, a follow-up reported) by level. One reason, two branches: the
        # running deadline as the sort key of both, as one branch would give it.
        still_open = Case._status.not_in([s.value for s in TERMINAL_STATUSES])
        runs = and_(
            Recommendation.is_open.is_(True), Recommendation.issued_at.is_not(None), Recommendation.due_at.is_not(None)
        )
        stands = or_(
            Recommendation.id.is_(None),
            Recommendation.is_open.is_(False),
            Recommendation.issued_at.is_(None),
            Recommendation.due_at.is_(None),
        )
        reasons += [("escalated", and_(still_open, runs), DUE), ("escalated", and_(still_open, stands), LEVEL)]
    return reasons


def _sort_keys(kind: str) -> tuple[Any, Any]:
    """The deadline key (the running deadline, FAR when none runs) and the level key (-1 when none) of a reason's
    cases; constants where the reason fixes them, so that the database reads its cases in index order."""
    due_type = Recommendation.__table__.c.due_at.type
    far = literal(FAR, due_type)
    if kind == NONE:
        return far, literal(NO_LEVEL)
    level = coalesce(Recommendation.escalation_level, NO_LEVEL)
    if kind == LEVEL:
        return far, level
    if kind == DUE:
        return Recommendation.due_at, level
    running = and_(Recommendation.is_open.is_(True), Recommendation.issued_at.is_not(None))
    return coalesce(sql_case((running, Recommendation.due_at)), far), level


@lru_cache(maxsize=128)
def _statement(role: str, rule: str, paged: bool, timed_only: bool = False) -> Any:
    """One page's query: per reason, its first cases in order (each its own LIMIT, from an index where the keys
    allow), then the page merged from them in the same order. The same rows, in the same order, as one query over
    every reason; each reason reads only what a page may take from it. Built once per role, visibility rule and
    kind of page, its values left as parameters (the caller, `now`, the previous page's last keys). `timed_only`:
    the reasons whose cases have a deadline key of their own only (they sort before every other)."""
    reasons = [r for r in _reasons(role) if not timed_only or r[2] in (DUE, RUNNING)]
    if not reasons:
        return None
    branches = []
    for code, condition, kind in reasons:
        due, level = _sort_keys(kind)
        branch = (
            select(*SUMMARY_COLUMNS, literal(code).label("reason"), due.label("sort_due"), level.label("sort_level"))
            .select_from(Case)
            .join(Agency, Agency.id == Case.agency_id)
            .outerjoin(Recommendation, Recommendation.case_id == Case.id)
            .where(_visibility_rule(rule, per_row=kind == DUE), condition)
        )
        if paged:
            due_after = bindparam("after_due", type_=Recommendation.__table__.c.due_at.type)
            last_level = bindparam("after_level")
            branch = branch.where(
                or_(
                    due > due_after,
                    and_(due == due_after, level < last_level),
                    and_(due == due_after, level == last_level, Case.id > bindparam("after_id")),
                )
            )
        ordered = branch.order_by(due.asc(), level.desc(), Case.id.asc()).limit(bindparam("page_size"))
        branches.append(select(ordered.subquery()))
    merged = union_all(*branches).subquery()
    return (
        select(merged)
        .order_by(merged.c.sort_due.asc(), merged.c.sort_level.desc(), merged.c.id.asc())
        .limit(bindparam("page_size"))
    )


def _cursor(cursor: str | None) -> tuple[int, datetime, int] | None:
    """The last item of the previous page: (case id, its deadline key, its level key); 422 when forged."""
    key = decode_cursor(cursor)
    if key is None:
        return None
    try:
        last_id, due_text, last_level = key
        due = datetime.fromisoformat(due_text)
        if not isinstance(last_id, int) or not isinstance(last_level, int) or due.tzinfo is None or last_id < 1:
            raise ValueError
    except (TypeError, ValueError) as exc:
        raise ValidationFailed("Kursor halaman tidak sah.", details={"fields": {"cursor": ["tidak sah"]}}) from exc
    return last_id, due, last_level


def my_queue(
    user: User | TokenCaller, limit: int, cursor: str | None = None, *, now: datetime | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of what waits for `user`, most urgent first, and the cursor of the next page (None: the last)."""
    after = _cursor(cursor)
    rule, values = _visibility(user)
    now = now or utcnow()
    params = {**values, "now": now, "near": now + timedelta(days=NEAR_DAYS), "me": user.id, "page_size": limit + 1}
    if after is not None:
        params.update(after_id=after[0], after_due=after[1], after_level=after[2])
    # The cases with a deadline of their own come first: when they fill the page, the others (sorted by level
    # and age, some only by reading them all: an overseer's objections) are not read.
    timed = _statement(user.role, rule, after is not None, timed_only=True)
    rows = db.session.execute(timed, params).all() if timed is not None else []
    if len(rows) <= limit:
        stmt = _statement(user.role, rule, after is not None)
        if stmt is None:
            return [], None
        rows = db.session.execute(stmt, params).all()
    page = rows[:limit]
    items = _items(page, user, now)
    last = page[-1] if page else None
    next_cursor = None
    if len(rows) > limit and last is not None:
        sort_due = last.sort_due if last.sort_due.tzinfo else last.sort_due.replace(tzinfo=UTC)
        next_cursor = encode_cursor([last.id, sort_due.isoformat(), int(last.sort_level)])
    return items, next_cursor


def _items(rows: Sequence[Any], user: User | TokenCaller, now: datetime) -> list[dict[str, Any]]:
    width = len(SUMMARY_COLUMNS)
    calendar = Calendar.load(all_agencies=True) if any(row.rec_due_at for row in rows) else None
    staff = user.role in KASN_ROLES
    items = []
    for row in rows:
        item = _summary(row[:width])
        item.update(case_id=item["id"], reason=row.reason, reason_label=gettext(REASON_LABELS[row.reason]))
        item.update(_days(item, calendar, now))
        item["reason_detail"] = _detail(item)
        if not staff:
            item.pop("version", None)
        items.append(item)
    return items


def _days(item: dict[str, Any], calendar: Calendar | None, now: datetime) -> dict[str, Any]:
    """Working days left (the due day counts 1) or late, while the deadline runs (the case page's rule)."""
    due = item["due_at"]
    out: dict[str, Any] = {"working_days_left": None, "working_days_late": None}
    if due is None or calendar is None or item["status"] != S.AWAITING_FOLLOW_UP.value:
        return out
    zone, agency_id = item["agency"]["timezone"], item["agency_id"]
    left, late = calendar.days_left_and_late(local_date(now, zone), local_date(due, zone), agency_id)
    if now > due:
        out["working_days_late"] = late
    else:
        out["working_days_left"] = left
    return out


def _detail(item: dict[str, Any]) -> str:
    """The reason's particulars in words: the days left or late, the escalation level reached."""
    parts = []
    if item["working_days_late"]:
        parts.append(gettext("lewat %(n)s hari kerja", n=item["working_days_late"]))
    elif item["working_days_left"] is not None:
        parts.append(gettext("sisa %(n)s hari kerja", n=item["working_days_left"]))
    if item["escalation_level"] is not None and item["escalation_level"] >= 1:
        parts.append(gettext("eskalasi tingkat %(level)s", level=item["escalation_level"]))
    return "; ".join(parts)
