"""indexes for the duplicate check: the same event read from a GiST index of the date and the description's
trigrams, the same name in an agency from an index of the name in lower case

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 04:00:00

The duplicate check (app/cases/duplicates.py) asks three things of the cases and of the open reports:

- the same NIP: `reported_nip = :nip`, served by the NIP indexes of migrations 0001 and 0014 (nothing new);
- the same name in the same agency: `agency_id = :a AND lower(reported_name) = :name ORDER BY id DESC LIMIT n`.
  Without an index on the name, the largest agencies' cases were all read (tens of thousands at 1,000,000 cases):
  an index on (agency_id, lower(reported_name), id), on both databases (SQLite reads an index on an expression
  when the query writes the same expression);
- a similar description within the days around the event: on PostgreSQL `occurred_on BETWEEN :low AND :high AND
  summary % :text ORDER BY summary <-> :text LIMIT n` (pg_trgm's threshold set for the transaction). A GiST index
  on (occurred_on, summary gist_trgm_ops) answers it alone: the date narrows the tree, each leaf keeps the
  description's trigrams so the likeness is computed there without reading the row, and the nearest come first,
  so only the rows shown are read. Before, `similarity()` was computed on every row of the window (about 2,000
  cases a week at 1,000,000 cases, and thousands of reports on a surge day). The date in a GiST index needs the
  btree_gist extension (contrib, trusted since PostgreSQL 13: the database owner may create it). Where it cannot
  be created the migration says so and creates no such index: the check gives the same answers from the date
  index of migration 0014, slowly at scale; create the extension as a superuser and run this migration again
  (`flask db downgrade 0022 && flask db upgrade`). SQLite compares shared words in Python among the window's rows,
  read through the `occurred_on` indexes of migration 0014: nothing new for it there.

On PostgreSQL the indexes are built CONCURRENTLY (outside the migration's transaction, as in 0006 and 0017):
writes go on. At 1,000,000 cases (bench.datagen's) the GiST index of the cases took 155 s to build on 2 cores
shared with other work and holds 418 MB (the description's trigrams at the leaves); the name index 12 s, 39 MB.
Then the tables are analysed, so the planner knows the values of the name's expression.
"""
import warnings

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

NAME_INDEXES = (
    ('ix_cases_agency_id_lower_name_id', 'cases'),
    ('ix_intake_reports_agency_id_lower_name_id', 'intake_reports'),
)
EVENT_INDEXES = (
    ('ix_cases_occurred_on_summary_trgm', 'cases'),
    ('ix_intake_reports_occurred_on_summary_trgm', 'intake_reports'),
)
NAME_COLUMNS = '(agency_id, lower(reported_name), id)'
EVENT_COLUMNS = 'USING gist (occurred_on, summary gist_trgm_ops)'


def _postgresql():
    return op.get_bind().dialect.name == 'postgresql'


def _btree_gist_available():
    """btree_gist is there, or could be created now (in a savepoint: a refusal leaves the migration going)."""
    bind = op.get_bind()
    if bind.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'btree_gist'").scalar() is not None:
        return True
    savepoint = bind.begin_nested()
    try:
        bind.exec_driver_sql('CREATE EXTENSION IF NOT EXISTS btree_gist')
    except sa.exc.DBAPIError as exc:
        savepoint.rollback()
        warnings.warn(
            'btree_gist cannot be created (' + str(exc.orig).strip().splitlines()[0] + '): the duplicate check gets '
            'no GiST index of the date and the description and compares every description of the window. Create '
            'the extension as a superuser and run this migration again.',
            stacklevel=1,
        )
        return False
    savepoint.commit()
    return True


def upgrade():
    if not _postgresql():
        for name, table in NAME_INDEXES:
            op.execute(f'CREATE INDEX IF NOT EXISTS {name} ON {table} {NAME_COLUMNS}')
        return
    gist = _btree_gist_available()
    with op.get_context().autocommit_block():
        for name, table in NAME_INDEXES:
            op.execute(f'CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} {NAME_COLUMNS}')
        if gist:
            for name, table in EVENT_INDEXES:
                op.execute(f'CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} {EVENT_COLUMNS}')
        op.execute('ANALYZE cases')
        op.execute('ANALYZE intake_reports')


def downgrade():
    if not _postgresql():
        for name, _ in NAME_INDEXES:
            op.execute(f'DROP INDEX IF EXISTS {name}')
        return
    with op.get_context().autocommit_block():
        for name, _ in (*EVENT_INDEXES, *NAME_INDEXES):
            op.execute(f'DROP INDEX CONCURRENTLY IF EXISTS {name}')
    # btree_gist and pg_trgm stay: other objects of the database may use them.
