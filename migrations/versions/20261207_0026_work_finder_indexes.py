"""a PPK's running deadlines are read in order from an index

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 04:00:00

A PPK's queue ("Antrean saya", app/cases/queue.py) lists its agency's recommendations waiting for a follow-up,
the earliest deadline first. The (is_open, due_at) index gives that order for the whole country only: the planner
read every open recommendation (53,000 at 1,000,000 cases) and kept the agency's (1.4 s for the largest agency).
(agency_id, is_open, due_at) gives the agency's in order, and a page is a few entries; the queue names the agency on
the recommendation (its copy of the case's agency, kept equal by the database) so that the index is used.
On PostgreSQL the index is built CONCURRENTLY (outside the migration's transaction): writes go on.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

NAME = 'ix_recommendations_agency_open_due'


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        with op.get_context().autocommit_block():
            op.execute(f'CREATE INDEX CONCURRENTLY IF NOT EXISTS {NAME} ON recommendations (agency_id, is_open, due_at)')
    else:
        op.create_index(NAME, 'recommendations', ['agency_id', 'is_open', 'due_at'])


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        with op.get_context().autocommit_block():
            op.execute(f'DROP INDEX CONCURRENTLY IF EXISTS {NAME}')
    else:
        op.drop_index(NAME, table_name='recommendations')
