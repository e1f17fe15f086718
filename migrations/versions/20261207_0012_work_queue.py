"""work queue: every case has an assigned investigator (and optionally a team)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 10:00:00

`cases.assignee_id` names the investigator in charge of a case (a user of the authority's staff) and
`cases.team` an optional team name. Existing cases are assigned to whoever logged them (`created_by_id`; an
import run without a user leaves it empty). "Antrean saya" reads an investigator's assigned cases in a given
state from `(assignee_id, status, id)`; on PostgreSQL that index is built CONCURRENTLY (outside the migration's
transaction), so writes to `cases` go on while it is built.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

INDEX = 'ix_cases_assignee_status_id'


def upgrade():
    # Plain ALTER TABLE … ADD COLUMN on both databases: SQLite's batch mode would copy `cases` into a new table and
    # drop the old one, and with foreign keys on, that DROP deletes every row referencing a case (recommendations,
    # history …) by their ON DELETE CASCADE. SQLite takes the foreign key inline in the new column.
    if op.get_bind().dialect.name == 'postgresql':
        op.add_column('cases', sa.Column('assignee_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_cases_assignee_id_users'), 'cases', 'users', ['assignee_id'], ['id'])
    else:
        op.execute(
            'ALTER TABLE cases ADD COLUMN assignee_id INTEGER '
            'CONSTRAINT fk_cases_assignee_id_users REFERENCES users (id)'
        )
    op.add_column('cases', sa.Column('team', sa.String(length=100), nullable=True))
    op.execute('UPDATE cases SET assignee_id = created_by_id WHERE assignee_id IS NULL')
    if op.get_bind().dialect.name == 'postgresql':
        with op.get_context().autocommit_block():
            op.execute(f'CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON cases (assignee_id, status, id)')
    else:
        op.create_index(INDEX, 'cases', ['assignee_id', 'status', 'id'])


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        with op.get_context().autocommit_block():
            op.execute(f'DROP INDEX CONCURRENTLY IF EXISTS {INDEX}')
    else:
        op.drop_index(INDEX, table_name='cases')
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_constraint(op.f('fk_cases_assignee_id_users'), 'cases', type_='foreignkey')
    # SQLite (3.35+) drops a column whose foreign key is inline in it, without copying the table (see upgrade).
    op.drop_column('cases', 'team')
    op.drop_column('cases', 'assignee_id')
