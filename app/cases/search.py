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
SQLite has no index for a substring: each of the four texts has a full-text table there (FTS5, the trigram
tokenizer, migration 0027), which answers the term instead of LIKE (`fts_query`: the term as one phrase, every
three-character piece of it at consecutive places: the text holds the term, case ignored — Unicode's case, where
SQLite's LIKE folds ASCII only and missed "ÉLITE" for "élite"; PostgreSQL's ILIKE folds both). A term with a long
run of digits asks the tables for six of them (`narrow_pattern`) and LIKE checks the whole term on what they
found. ORed like PostgreSQL's, SQLite walked every case's id testing each list (0.3 s at 1,000,000 cases), so the
condition is one list of ids, each case looked up from it:

    id IN (SELECT rowid FROM cases_fts WHERE text MATCH :fts
           UNION SELECT case_id FROM follow_ups WHERE id IN (SELECT rowid FROM follow_ups_fts WHERE text MATCH :fts)
           UNION … (the register's and the recommendations' letter numbers alike)
           UNION SELECT id FROM cases WHERE agency_id IN (…the agencies…))

and the API's page reads the case's text newest first from its table (`search_page_ids`).

The visibility rule of `app.cases.access` and the list's other filters sit beside it in the same WHERE, so a
search never returns a case its caller may not see.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Boolean, ColumnElement, Integer, String, and_, column, literal_column, or_, select, table, union
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.visitors import InternalTraversal

from app.cases.access import scoped_cases
from app.db import db
from app.models.agencies import Agency
from app.models.auth import User
from app.models.cases import (
    CASES_FTS,
    FOLLOW_UPS_FTS,
    ISSUED_LETTERS_FTS,
    RECOMMENDATIONS_FTS,
    Case,
    FollowUp,
    Recommendation,
    search_text,
)
from app.models.letters import IssuedLetter

LIKE_ESCAPE = "\\"
# A case number as the system gives it (app.cases.services.next_case_number): NKK-YYYY-NNNNNN.
CASE_NUMBER = re.compile(r"^NKK-\d{4}-\d{6}$", re.IGNORECASE)
DIGIT_RUN = re.compile(r"\d+")


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


def narrow_pattern(term: str) -> str | None:
    """A LIKE pattern every text holding `term` holds, that a trigram index answers reading far less: six digits
    of the term's longest run of digits (its last six) — or None when the term has none worth it (a run shorter
    than five digits, fewer than three different trigrams, or the run is the whole term already).

    A trigram index reads every trigram of the pattern: for `NKK-2022-052307` that is `nkk`, ` nk`, `202`, `022`
    … which every case number holds (2,700 index pages at 1,000,000 cases), where `052307` alone reads four
    trigrams of a few thousand rows each. The condition on the whole term is then checked on those rows only
    (`_holds`), so the answer is the same."""
    runs = DIGIT_RUN.findall(term)
    if not runs:
        return None
    run = max(runs, key=len)[-6:]
    if len(run) < 5 or len({run[i : i + 3] for i in range(len(run) - 2)}) < 3 or run == term.strip():
        return None
    return f"%{run}%"


def _holds(text: Any, term: Any, narrow: Any) -> ColumnElement[bool]:
    """`text` holds the LIKE pattern `term`; with `narrow` (`narrow_pattern`): the index reads `narrow`, and the
    whole term is checked on what it found (`text || ''` is not the indexed expression, so the planner keeps it
    out of the index's condition)."""
    if narrow is None:
        return text.ilike(term, escape=LIKE_ESCAPE)
    return and_(text.like(narrow), text.concat(literal_column("''", String)).ilike(term, escape=LIKE_ESCAPE))


def fts_query(term: str, digits: str | None = None) -> str:
    """The full-text query (SQLite, FTS5) of a search term as `filter_values` keeps it (trimmed, lower case): the
    term as one phrase, `"…"` (inside it every character is one to find; a `"` is written twice), or, with
    `digits` (a NIP typed in groups, spaces taken out), either phrase."""
    phrases = [term, digits] if digits else [term]
    return " OR ".join('"' + phrase.replace('"', '""') + '"' for phrase in phrases)


def _fts_table(name: str) -> Any:
    return table(name, column("rowid", Integer), column("text", String))


def _fts_rows(name: str, query: Any) -> Any:
    """The rowids (the indexed rows' ids) of the full-text table `name` whose text holds `query`."""
    fts = _fts_table(name)
    return select(fts.c.rowid).where(fts.c.text.op("MATCH")(query))


def _own_text(term: Any, digits: Any, narrow: Any = None) -> ColumnElement[bool]:
    """The case's own text holds the term (or, `digits`, a NIP typed in groups)."""
    text = search_text()
    own: ColumnElement[bool] = _holds(text, term, narrow)
    if digits is not None:  # "1986 0926" also finds the NIP 198609262015051001
        own = or_(own, text.like(digits, escape=LIKE_ESCAPE))
    return own


def _letter_cases(term: Any, narrow: Any = None, fts: Any = None) -> list[Any]:
    """The ids of the cases whose SK, registered letter or recommendation's letter number holds the term; with
    `fts` (SQLite), as each number's full-text table says (and, `narrow`, the whole term checked on its rows)."""
    follow_up = aliased(FollowUp)
    letter = aliased(IssuedLetter)
    rec = aliased(Recommendation)  # never the Recommendation the list's query joins
    numbers = (
        (follow_up, follow_up.decision_number, FOLLOW_UPS_FTS),
        (letter, letter.number, ISSUED_LETTERS_FTS),
        (rec, rec.letter_number, RECOMMENDATIONS_FTS),
    )
    queries = []
    for row, number, index in numbers:
        if fts is None:
            holds = _holds(number, term, narrow)
        else:
            found = row.id.in_(_fts_rows(index, fts))
            holds = found if narrow is None else and_(found, _holds(number, term, None))
        queries.append(select(row.case_id).where(holds).correlate(None))
    return queries


def search_clause(
    term: Any, agencies: Any, digits: Any = None, narrow: Any = None, fts: Any = None
) -> ColumnElement[bool]:
    """The WHERE condition of `q`: `term` is the LIKE pattern (`%…%`, escaped with `like_literal`), a bound
    parameter or a value; `agencies` the ids `matching_agencies` found, an expanding parameter written into the
    SQL as values (`literal_execute`): the planner then knows how many cases they hold — behind a subquery it
    guessed 1.5 % of the table whatever the term, and walked a million rows for a term nothing matched;
    `digits` (optional) a second pattern for a NIP typed in groups, matched against the case's own text only;
    `narrow` (optional, never with `digits`) the term's `narrow_pattern`, what the indexes read;
    `fts` (SQLite only) the term's `fts_query`, what the full-text tables read.
    The numbered page and the export read this; the API's page asks its arms apart (`search_page_ids`)."""
    return or_(*search_arms(term, agencies, digits, narrow, fts))


def search_arms(
    term: Any, agencies: Any, digits: Any = None, narrow: Any = None, fts: Any = None
) -> list[ColumnElement[bool]]:
    """The two arms of `search_clause`: the case's own text or its letters' numbers (one condition whose parts are
    each an index condition on `cases`: the text's trigram index, and the primary key for the ids each letter
    table's trigram index found — an InitPlan each on PostgreSQL, `_MemberOf`), and its agency (the agency
    index). Apart, each is a query the planner prices on its own terms (below).
    SQLite (`fts`): one arm, the case's id in the list of ids the full-text tables and the agencies give."""
    if fts is not None:
        own = _fts_rows(CASES_FTS, fts)
        if narrow is not None:
            own = select(Case.id).where(Case.id.in_(own), _holds(search_text(), term, None))
        of_agency = aliased(Case)
        by_agency = select(of_agency.id).where(of_agency.agency_id.in_(agencies))
        return [Case.id.in_(union(own.correlate(None), *_letter_cases(term, narrow, fts), by_agency))]
    letters = (_MemberOf(Case.id, query) for query in _letter_cases(term, narrow))
    own_or_letters = or_(_own_text(term, digits, narrow), *letters)
    return [own_or_letters, Case.agency_id.in_(agencies)]


def search_page_ids(conditions: list[Any], terms: tuple[Any, ...], page_size: Any) -> Any:
    """The ids of a page of the case list's search, newest first: each arm's own newest `page_size` cases under
    `conditions` (the visibility rule, the other filters, the cursor), merged — the union holds the page's
    cases whichever arm they match. `terms`: `search_arms`'s five arguments (`listing.search_terms`). Each arm
    is priced on its own: the agency's cases are read from the (agency_id, id) index in order and stop at the
    page; a text most cases hold walks the newest cases and stops at the page, a rare one reads its indexes. ORed
    together, a term that matched an agency of 627 cases made the planner walk the newest cases testing the text
    of each (80,000 rows, 1.7 s at 1,000,000 cases).
    SQLite (`fts`, the last of `terms`): three arms. The case's own text is read from its full-text table newest
    first (FTS5 gives its rowids, the cases' ids, in descending order as it finds them), each case looked up by
    id and tested against `conditions`, until the page is full: a term nothing holds costs nothing, one most
    cases hold stops at the page. The letters' cases are looked up by id from what their tables found, and
    sorted. Asked as one condition, SQLite walked all the cases' ids testing each (0.3 s at 1,000,000 cases)."""
    term, agencies, digits, narrow, fts = terms
    if fts is None:
        arms = search_arms(term, agencies, digits, narrow)
        branches = [select(Case.id).where(*conditions, arm).order_by(Case.id.desc()).limit(page_size) for arm in arms]
    else:
        index = _fts_table(CASES_FTS)
        own = (
            select(Case.id)
            .select_from(index)
            .join(Case, Case.id == index.c.rowid)
            .where(index.c.text.op("MATCH")(fts), *conditions)
            .order_by(index.c.rowid.desc())
            .limit(page_size)
        )
        if narrow is not None:
            own = own.where(_holds(search_text(), term, None))
        letters = union(*_letter_cases(term, narrow, fts))
        branches = [
            own,
            select(Case.id).where(*conditions, Case.id.in_(letters)).order_by(Case.id.desc()).limit(page_size),
            select(Case.id).where(*conditions, Case.agency_id.in_(agencies)).order_by(Case.id.desc()).limit(page_size),
        ]
    subqueries = [branch.subquery() for branch in branches]
    return union(*(select(branch.c.id) for branch in subqueries)).subquery()


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
