"""Find a case: the one search of the case list (`q`) and the jump to a case by its number.

**What `q` searches.** A case matches when the term is part of (case ignored, `%` and `_` taken as typed):

- its number, the reported person's name and NIP, its summary (one text, `app.models.cases.search_text`);
- its agency's name or code (KEMENAG, PROV-32: the short name people type);
- the number of a decision letter (SK) the PPK reported as its follow-up (`follow_ups.decision_number`);
- the number of a letter the authority issued about it: the letter register (`issued_letters.number`) and the
  recommendation's letter number (`recommendations.letter_number`, which also holds imported cases' numbers).

**How each database answers.** One condition on `cases`, built here for both:

    search_text ILIKE :term
    OR agency_id IN (…the ids of the agencies whose name or code holds the term, found first…)
    OR id         = ANY(ARRAY(SELECT case_id FROM follow_ups      WHERE decision_number ILIKE :term))
    OR id         = ANY(ARRAY(SELECT case_id FROM issued_letters  WHERE number ILIKE :term))
    OR id         = ANY(ARRAY(SELECT case_id FROM recommendations WHERE letter_number ILIKE :term))

PostgreSQL: each `ARRAY(SELECT …)` is computed once per query (an InitPlan) from its table's pg_trgm GIN index
(migrations 0004 and 0017); the 650 agencies are read whole by a statement of their own first (`matching_agencies`),
their ids written into the search's SQL as values; every arm is then an index condition on
`cases` (the trigram index of `search_text`, the agency_id index, the primary key): the planner ORs their
bitmaps, or — for a term most cases match — walks the newest cases and stops at the page. Where pg_trgm could
not be created (migration 0017 says so) the same SQL is answered by scans: right, but slow at scale.
SQLite: the same condition with `IN (SELECT …)`: each subquery is read once into a temporary index, and
`cases` is scanned with `LIKE` (no index serves a substring). The visibility rule of `app.cases.access` and the
list's other filters sit beside it in the same WHERE, so a search never returns a case its caller may not see.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Boolean, ColumnElement, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.visitors import InternalTraversal

from app.cases.access import scoped_cases
from app.db import db
from app.models.agencies import Agency
from app.models.auth import User
from app.models.cases import Case, FollowUp, Recommendation, search_text
from app.models.letters import IssuedLetter

LIKE_ESCAPE = "\\"
# A case number as the system gives it (app.cases.services.next_case_number): NKK-YYYY-NNNNNN.
CASE_NUMBER = re.compile(r"^NKK-\d{4}-\d{6}$", re.IGNORECASE)


def like_literal(term: str) -> str:
    """`term` matched as typed: `%` and `_` are characters to find, not LIKE's wildcards."""
    return term.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")


class _MemberOf(ColumnElement[bool]):
    """`column` is one of the values `query` selects: `column = ANY(ARRAY(query))` on PostgreSQL (an InitPlan whose
    result is an index condition, so it can join a BitmapOr), `column IN (query)` elsewhere."""

    inherit_cache = True
    type = Boolean()
    _traverse_internals = [  # noqa: RUF012 - SQLAlchemy's cache key reads this class attribute
        ("column", InternalTraversal.dp_clauseelement),
        ("query", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: Any, query: Any) -> None:
        self.column = column
        self.query = query


@compiles(_MemberOf)
def _member_of_in(element: _MemberOf, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.column.in_(element.query), **kw)


@compiles(_MemberOf, "postgresql")
def _member_of_any_array(element: _MemberOf, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"{column} = ANY(ARRAY({compiler.process(element.query.scalar_subquery(), **kw)}))"


def matching_agencies(pattern: str) -> list[int]:
    """The ids of the agencies whose name or code holds `pattern` (a LIKE pattern, as `search_clause`'s term):
    650 rows read whole, once per search, so that the search's statement names them as values (below)."""
    stmt = select(Agency.id).where(
        or_(Agency.name.ilike(pattern, escape=LIKE_ESCAPE), Agency.code.ilike(pattern, escape=LIKE_ESCAPE))
    )
    return list(db.session.scalars(stmt.order_by(Agency.id)))


def search_clause(term: Any, agencies: Any, digits: Any = None) -> ColumnElement[bool]:
    """The WHERE condition of `q`: `term` is the LIKE pattern (`%…%`, escaped with `like_literal`), a bound
    parameter or a value; `agencies` the ids `matching_agencies` found, an expanding parameter written into the
    SQL as values (`literal_execute`): the planner then knows how many cases they hold — behind a subquery it
    guessed 1.5 % of the table whatever the term, and walked a million rows for a term nothing matched;
    `digits` (optional) a second pattern for a NIP typed in groups, matched against the case's own text only."""
    follow_up = aliased(FollowUp)
    letter = aliased(IssuedLetter)
    rec = aliased(Recommendation)  # never the Recommendation the list's query joins
    text = search_text()
    own: ColumnElement[bool] = text.ilike(term, escape=LIKE_ESCAPE)
    if digits is not None:  # "1986 0926" also finds the NIP 198609262015051001
        own = or_(own, text.like(digits, escape=LIKE_ESCAPE))
    return or_(
        own,
        Case.agency_id.in_(agencies),
        _MemberOf(
            Case.id,
            select(follow_up.case_id).where(follow_up.decision_number.ilike(term, escape=LIKE_ESCAPE)).correlate(None),
        ),
        _MemberOf(Case.id, select(letter.case_id).where(letter.number.ilike(term, escape=LIKE_ESCAPE)).correlate(None)),
        _MemberOf(
            Case.id, select(rec.case_id).where(rec.letter_number.ilike(term, escape=LIKE_ESCAPE)).correlate(None)
        ),
    )


# -- the jump to a case ----------------------------------------------------------------------------------------


def looks_like_case_number(term: str) -> bool:
    return bool(CASE_NUMBER.match(term.strip()))


def case_by_number(user: User, term: str) -> Case | None:
    """The case numbered `term` (case and surrounding spaces ignored) if `user` may see it, else None: an
    unknown number and a case `user` may not see give the same answer (one query through the visibility rule)."""
    number = term.strip()
    if not number or len(number) > 20:  # cases.number is VARCHAR(20)
        return None
    candidates = {number, number.upper()}
    return db.session.scalars(scoped_cases(user).where(Case.number.in_(candidates)).limit(1)).first()
