"""one search over numbers, names, agencies and letters; saved filters per user

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 10:00:00

The case list's `q` also finds a case by its agency (name, code), the number of the PPK's decision letter (SK)
and the numbers of the authority's letters (app/cases/search.py). On PostgreSQL each of those numbers gets a
pg_trgm GIN index, so the subquery finding its cases reads an index, like migration 0004's index of the case's
own text: `follow_ups.decision_number`, `issued_letters.number`, `recommendations.letter_number` (agencies are
650 rows, read whole). They are built CONCURRENTLY (outside the migration's transaction): writes go on.

pg_trgm is a trusted extension (PostgreSQL 13+; the database owner may create it) and migration 0004 needs it
already. Where it cannot be created here (a server without the contrib package, a role that may not create it)
the migration says so and creates no trigram index: the search gives the same answers by scanning, slowly at
scale; create the extension as a superuser (`CREATE EXTENSION pg_trgm`) and run this migration again
(`flask db downgrade 0016 && flask db upgrade`). SQLite gets no index for the search (it scans with LIKE).

`saved_filters`: a user's named case-list filters (the query string of the list, as JSON), unique per user and
name, deleted with the user.
"""
import warnings

import sqlalchemy as sa
from alembic import op

from app.db import UTCDateTime


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

TRIGRAM_INDEXES = (
    ('ix_follow_ups_decision_number_trgm', 'follow_ups', 'decision_number'),
    ('ix_issued_letters_number_trgm', 'issued_letters', 'number'),
    ('ix_recommendations_letter_number_trgm', 'recommendations', 'letter_number'),
)


def _postgresql():
    return op.get_bind().dialect.name == 'postgresql'


def _trigram_available():
    """pg_trgm is there, or could be created now (in a savepoint: a refusal leaves the migration going)."""
    bind = op.get_bind()
    if bind.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'").scalar() is not None:
        return True
    savepoint = bind.begin_nested()
    try:
        bind.exec_driver_sql('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    except sa.exc.DBAPIError as exc:
        savepoint.rollback()
        warnings.warn(
            'pg_trgm cannot be created (' + str(exc.orig).strip().splitlines()[0] + '): the case search gets no '
            'trigram index and scans. Create the extension as a superuser and run this migration again.',
            stacklevel=1,
        )
        return False
    savepoint.commit()
    return True


def upgrade():
    op.create_table(
        'saved_filters',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('query', sa.JSON(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name=op.f('fk_saved_filters_user_id_users'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_filters')),
        sa.UniqueConstraint('user_id', 'name', name=op.f('uq_saved_filters_user_id_name')),
    )
    if not _postgresql() or not _trigram_available():
        return
    with op.get_context().autocommit_block():
        for name, table, column in TRIGRAM_INDEXES:
            op.execute(f'CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} USING gin ({column} gin_trgm_ops)')


def downgrade():
    if _postgresql():
        with op.get_context().autocommit_block():
            for name, _, _ in TRIGRAM_INDEXES:
                op.execute(f'DROP INDEX CONCURRENTLY IF EXISTS {name}')
    op.drop_table('saved_filters')
