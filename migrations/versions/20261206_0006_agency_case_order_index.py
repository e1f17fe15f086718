"""a PPK's case list reads its agency's cases in id order from an index

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 21:20:00

A PPK sees the issued cases of its agency, newest first (`agency_id = :a AND issued_at IS NOT NULL ORDER BY id
DESC LIMIT n`). The (agency_id, status, id) index cannot give that order without a status, so the planner walked
the unique (id, agency_id) index backwards and filtered on agency_id: for an agency with fewer visible cases than
a page, all 1,000,000 entries. (agency_id, id) gives the agency's cases in order, and a page is a few entries.
On PostgreSQL the index is built CONCURRENTLY (outside the migration's transaction): writes to `cases` go on.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

NAME = 'ix_cases_agency_id_id'


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        with op.get_context().autocommit_block():
            op.execute(f'CREATE INDEX CONCURRENTLY IF NOT EXISTS {NAME} ON cases (agency_id, id)')
    else:
        op.create_index(NAME, 'cases', ['agency_id', 'id'])


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        with op.get_context().autocommit_block():
            op.execute(f'DROP INDEX CONCURRENTLY IF EXISTS {NAME}')
    else:
        op.drop_index(NAME, table_name='cases')
