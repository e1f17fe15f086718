"""The case list: its filters, the one SQL statement of a page (the API's keyset pagination, newest first; the
page's sorted, numbered pages) and the list form of a case."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, bindparam, exists, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import aliased

from app.auth.services import TokenCaller
from app.cases.access import _binder, _visibility, _visibility_rule
from app.cases.elections import in_election
from app.cases.schemas import SEARCH_TOO_SHORT, search_term_too_short
from app.cases.search import (
    fts_query,
    like_literal,
    matching_agencies,
    narrow_pattern,
    search_clause,
    search_page_ids,
)
from app.core.clock import utcnow
from app.core.pagination import cursor_id, encode_cursor
from app.core.states import STATUS_LABELS, TERMINAL_STATUSES, CaseStatus
from app.core.vocab import Category
from app.db import MAX_ROW_ID, db, on_postgresql
from app.errors import ValidationFailed
from app.escalations.services import escalated_clause
from app.models.agencies import Agency
from app.models.auth import User
from app.models.cases import Case, Recommendation


def filter_values(filters: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """The list filters of `GET /api/v1/cases` (status, agency_id, category, election_id, overdue, escalated, q)
    as the named values their clauses compare with."""
    values: dict[str, Any] = {}
    if filters.get("status"):
        statuses = filters["status"] if isinstance(filters["status"], list | tuple) else filters["status"].split(",")
        values["f_status"] = [s for s in statuses if s]
    if filters.get("agency_id") is not None:
        values["f_agency_id"] = int(filters["agency_id"])
    if filters.get("category"):
        values["f_category"] = filters["category"]
    if filters.get("election_id") is not None:
        values["f_election_id"] = int(filters["election_id"])
    if filters.get("overdue") is not None:
        values["f_overdue"] = _truthy(filters["overdue"])
        values["f_now"] = now
    if filters.get("escalated") is not None:
        values["f_escalated"] = _truthy(filters["escalated"])
    if filters.get("q"):
        term = str(filters["q"]).strip().lower()
        if search_term_too_short(term):  # the schema refuses it first; a caller passing filters directly too
            raise ValidationFailed(SEARCH_TOO_SHORT, details={"fields": {"q": [SEARCH_TOO_SHORT]}})
        values["f_like"] = f"%{like_literal(term)}%"
        values["f_agencies"] = matching_agencies(values["f_like"])
        digits = term.replace(" ", "")
        grouped = digits.isdigit() and digits != term  # a NIP typed in groups
        if grouped:
            values["f_digits"] = f"%{digits}%"
        elif (narrow := narrow_pattern(term)) is not None:  # what the indexes read of a number (app.cases.search)
            values["f_narrow"] = narrow
        if not on_postgresql():  # what SQLite's full-text tables read (app.cases.search): the term, or its run
            searched = values["f_narrow"].strip("%") if "f_narrow" in values else term  # of digits, narrowed
            values["f_fts"] = fts_query(searched, digits if grouped else None)
    return values


# Filters whose value changes the SQL (EXISTS or NOT EXISTS); the others only change parameters.
_SHAPING_FILTERS = ("f_overdue", "f_escalated")


def filter_shape(values: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    """What the SQL of these filter values depends on: which filters are present, and the shaping ones' values."""
    return tuple((key, values[key] if key in _SHAPING_FILTERS else None) for key in sorted(values))


def filter_clauses(
    shape: tuple[tuple[str, Any], ...], values: Mapping[str, Any] | None = None, *, search: bool = True
) -> list[Any]:
    """The WHERE clauses of a filter shape, values bound in, or (None) as parameters to execute with; without the
    search's (`search=False`) for a caller that asks the search's arms apart (`search_terms`)."""
    present = dict(shape)
    param = _binder(values)
    clauses: list[Any] = []
    if "f_status" in present:
        clauses.append(Case._status.in_(param("f_status", expanding=True)))
    if "f_agency_id" in present:
        clauses.append(Case.agency_id == param("f_agency_id"))
    if "f_category" in present:
        clauses.append(Case.category == param("f_category"))
    if "f_election_id" in present:
        # A semi-join on case_elections with the election as a parameter: one statement per filter shape.
        clauses.append(in_election(param("f_election_id")))
    if "f_overdue" in present:
        rec = aliased(Recommendation)  # never correlated with a Recommendation the caller's query joins
        overdue = exists().where(rec.case_id == Case.id, rec.is_overdue(param("f_now")))
        clauses.append(overdue if present["f_overdue"] else ~overdue)
    if "f_escalated" in present:
        escalated = escalated_clause()
        clauses.append(escalated if present["f_escalated"] else ~escalated)
    if "f_like" in present and search:
        # One condition over the case's text, its agency and its letters (app.cases.search says how each
        # database answers it).
        clauses.append(search_clause(*search_terms(shape, values)))
    return clauses


def search_terms(shape: tuple[tuple[str, Any], ...], values: Mapping[str, Any] | None = None) -> tuple[Any, ...]:
    """The search's term, agencies and digits as `app.cases.search` takes them (values bound in, or parameters)."""
    param = _binder(values)
    agencies = param("f_agencies", expanding=True, literal_execute=True)
    present = dict(shape)
    digits = param("f_digits") if "f_digits" in present else None
    narrow = param("f_narrow") if "f_narrow" in present else None
    return param("f_like"), agencies, digits, narrow, param("f_fts") if "f_fts" in present else None


def apply_filters(stmt: Select[Any], filters: Mapping[str, Any], now: datetime) -> Select[Any]:
    """`stmt` narrowed by the list filters (see `filter_values`), their values bound in."""
    values = filter_values(filters, now)
    clauses = filter_clauses(filter_shape(values), values)
    return stmt.where(*clauses) if clauses else stmt


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "ya", "on")
    return bool(value)


def list_cases(
    user: User | TokenCaller, filters: dict[str, Any], limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of visible cases, newest first, keyset-paginated; one SQL statement whatever the page size."""
    now = utcnow()
    rule, params = _visibility(user)
    values = filter_values(filters, now)
    after = cursor_id(cursor)
    paged = after is not None and after <= MAX_ROW_ID  # a larger cursor is past every id: no bound
    stmt = _list_statement(rule, filter_shape(values), paged)
    params.update(values, page_size=limit + 1, now=now)
    if paged:
        params["after"] = after
    # Columns, not entities, through the session's connection: a page is read straight into its JSON shape
    # (no identity map, no eager loads), and the statement object is the same for every request of its shape.
    rows = db.session.connection().execute(stmt, params).all()
    items = [_summary(row) for row in rows[:limit]]
    next_cursor = encode_cursor([rows[limit - 1].id]) if len(rows) > limit else None
    return items, next_cursor


@lru_cache(maxsize=256)
def _list_statement(rule: str, shape: tuple[tuple[str, Any], ...], paged: bool) -> Select[Any]:
    """The list query of a visibility rule, a filter shape and (paged) a cursor, built once with its values
    left as parameters: SQLAlchemy's per-execution work (cache key, result columns) is then done once per
    statement object instead of per request."""
    conditions = [_visibility_rule(rule), *filter_clauses(shape, search=False)]
    if paged:
        conditions.append(Case.id < bindparam("after"))
    stmt = (
        select(*SUMMARY_COLUMNS)
        .select_from(Case)
        .join(Agency, Agency.id == Case.agency_id)
        .outerjoin(Recommendation, Recommendation.case_id == Case.id)
        .where(*conditions)
    )
    if "f_like" in dict(shape):
        # The search: each of its arms' own newest page under the same conditions, merged (app.cases.search).
        ids = search_page_ids(conditions, search_terms(shape), bindparam("page_size"))
        stmt = stmt.where(Case.id.in_(select(ids.c.id)))
    return stmt.order_by(Case.id.desc()).limit(bindparam("page_size"))


# -- the page's order ------------------------------------------------------------------------------------------
# The case list page sorts by the columns a person reads; the default is the most urgent open work first. Sorting
# by a computed key (the running deadline, the workflow's order of statuses) reads every visible row whichever the
# pagination, so the page is numbered (OFFSET) rather than keyset-paginated: it links any page and goes back, and
# a deep page costs what sorting costs anyway. The API keeps its keyset pagination, newest first (`list_cases`).

URGENCY = "urgency"
# Each sortable column, and the direction its first click sorts in (True: descending).
SORT_FIRST_DESCENDING: dict[str, bool] = {
    "deadline": False,
    "level": True,
    "number": False,
    "name": False,
    "agency": False,
    "category": False,
    "status": False,
    "date": True,
}
SORT_KEYS = (URGENCY, *SORT_FIRST_DESCENDING)
# The workflow's order: work in progress first, then how it ended.
STATUS_ORDER = (
    CaseStatus.REPORTED,
    CaseStatus.UNDER_REVIEW,
    CaseStatus.RECOMMENDATION_DRAFTED,
    CaseStatus.AWAITING_FOLLOW_UP,
    CaseStatus.CLARIFICATION_REQUESTED,
    CaseStatus.FOLLOW_UP_REPORTED,
    CaseStatus.COMPLETED,
    CaseStatus.DISMISSED,
    CaseStatus.CLOSED,
)


def _position(column: Any, values: Sequence[str]) -> Any:
    """`column`'s place in `values` (0, 1, …), for an order that is not the alphabet's."""
    return sql_case({value: n for n, value in enumerate(values)}, value=column, else_=len(values))


def sort_order(sort: str, descending: bool) -> list[Any]:
    """The ORDER BY of the page: `sort` is one of SORT_KEYS (anything else: URGENCY).

    URGENCY: cases still open before those that ended; among the open ones the running deadline first, earliest
    (most overdue) first, then the higher escalation level, then the newest; cases without a running deadline
    (before issue, clarification asked, follow-up reported) after them, newest first; ended ones newest first.
    A column's sort puts cases without a value last in both directions, and ends on the id so that a page
    boundary never splits equal keys differently between two requests."""
    newest = Case.id.desc()
    if sort not in SORT_FIRST_DESCENDING:
        ended = sql_case((Case._status.in_([s.value for s in TERMINAL_STATUSES]), 1), else_=0)
        running_due = sql_case((Recommendation.is_open.is_(True), Recommendation.due_at))
        level = Recommendation.escalation_level.desc().nulls_last()
        return [ended.asc(), running_due.asc().nulls_last(), level, newest]
    key: Any = {
        "deadline": Recommendation.issued_due_at,
        "level": Recommendation.escalation_level,
        "number": Case.number,
        "name": Case.reported_name,
        "agency": Agency.name,
        "category": _position(Case.category, [c.value for c in Category]),
        "status": _position(Case._status, [s.value for s in STATUS_ORDER]),
        "date": Case.created_at,
    }[sort]
    ordered = key.desc() if descending else key.asc()
    return [ordered.nulls_last(), Case.id.desc() if descending else Case.id.asc()]


def list_page(
    user: User | TokenCaller, filters: Mapping[str, Any], *, sort: str = URGENCY, descending: bool = False,
    limit: int, offset: int = 0,
) -> tuple[list[dict[str, Any]], bool]:  # fmt: skip
    """One numbered page of the visible cases in the page's order (see `sort_order`), and whether more follow;
    one SQL statement."""
    now = utcnow()
    rule, params = _visibility(user)
    values = filter_values(filters, now)
    sort = sort if sort in SORT_KEYS else URGENCY
    stmt = _page_statement(rule, filter_shape(values), sort, descending and sort != URGENCY)
    params.update(values, page_size=limit + 1, skip=max(0, offset), now=now)
    rows = db.session.connection().execute(stmt, params).all()
    return [_summary(row) for row in rows[:limit]], len(rows) > limit


@lru_cache(maxsize=512)
def _page_statement(rule: str, shape: tuple[tuple[str, Any], ...], sort: str, descending: bool) -> Select[Any]:
    """The page's query of a visibility rule, a filter shape and an order, built once (see `_list_statement`)."""
    return (
        select(*SUMMARY_COLUMNS)
        .select_from(Case)
        .join(Agency, Agency.id == Case.agency_id)
        .outerjoin(Recommendation, Recommendation.case_id == Case.id)
        .where(_visibility_rule(rule), *filter_clauses(shape))
        .order_by(*sort_order(sort, descending))
        .limit(bindparam("page_size"))
        .offset(bindparam("skip"))
    )


# What a case list row needs, in the order `_summary` unpacks it: the query selects these columns, and
# `case_summary` reads the same names from loaded objects (a test compares both forms on every kind of case).
_CASE_FIELDS = (
    "id", "number", "version", "agency_id", "category", "subcategory", "source", "reported_name", "reported_nip",
    "reported_position", "summary", "occurred_on", "created_at", "updated_at", "issued_at",
)  # fmt: skip
_AGENCY_FIELDS = ("code", "name", "kind", "timezone")
# The recommendation's part is decided by the database (the row fetch costs per column), with the rules
# `case_summary` applies to loaded objects: Recommendation's hybrids `issued_due_at` and `is_overdue`.
SUMMARY_COLUMNS = (
    Case._status.label("status"),
    *(getattr(Case, name) for name in _CASE_FIELDS),
    *(getattr(Agency, name).label(f"agency_{name}") for name in _AGENCY_FIELDS),
    Recommendation.issued_due_at.label("rec_due_at"),
    Recommendation.escalation_level.label("rec_escalation_level"),
    sql_case((Recommendation.is_overdue(bindparam("now")), True), else_=False).label("rec_overdue"),
)


def case_summary(case: Case, agency: Agency, rec: Recommendation | None, now: datetime | None = None) -> dict[str, Any]:
    """The list form of a case from its loaded objects (pages that already hold them)."""
    row = (
        case.status,
        *(getattr(case, name) for name in _CASE_FIELDS),
        *(getattr(agency, name) for name in _AGENCY_FIELDS),
        *(
            (rec.issued_due_at, rec.escalation_level, rec.is_overdue(now or utcnow()))
            if rec is not None
            else (None, None, False)
        ),
    )
    return _summary(row)


def _summary(row: Sequence[Any]) -> dict[str, Any]:
    """The list form of a case from a row of SUMMARY_COLUMNS (unpacked by position: the hot path of the list)."""
    (
        status, case_id, number, version, agency_id, category, subcategory, source, reported_name, reported_nip,
        reported_position, summary, occurred_on, created_at, updated_at, issued_at,
        agency_code, agency_name, agency_kind, agency_timezone,
        due_at, escalation_level, overdue,
    ) = row  # fmt: skip
    return {
        "id": case_id,
        "number": number,
        "status": status,
        "status_label": STATUS_LABELS[status],  # a StrEnum key: its text finds it
        "version": version,
        "agency_id": agency_id,
        "agency": {
            "id": agency_id,
            "code": agency_code,
            "name": agency_name,
            "kind": agency_kind,
            "timezone": agency_timezone,
        },
        "category": category,
        "subcategory": subcategory,
        "source": source,
        "reported_person": {"name": reported_name, "nip": reported_nip, "position": reported_position},
        "summary": summary,
        "occurred_on": occurred_on,
        "created_at": created_at,
        "updated_at": updated_at,
        "issued_at": issued_at,
        "due_at": due_at,
        "escalation_level": escalation_level,
        "overdue": overdue,
    }
