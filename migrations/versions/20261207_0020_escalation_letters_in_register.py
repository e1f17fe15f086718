"""escalation letters in the letter register: numbered from the authority's series when the sweep reaches them

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 12:00:00

`issued_letters` takes the letters of escalation levels 2 and 3 (`kind` escalation-2, escalation-3) and the
recommendation's `cycle` they belong to (a clarification restarts the ladder: a new cycle, a new letter); one letter
of a kind per case and cycle.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('issued_letters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cycle', sa.Integer(), server_default='0', nullable=False))
        batch_op.drop_constraint(op.f('ck_issued_letters_kind'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_issued_letters_kind'), "kind IN ('recommendation', 'escalation-2', 'escalation-3')"
        )
        batch_op.drop_constraint(op.f('uq_issued_letters_case_id_kind'), type_='unique')
        batch_op.create_unique_constraint(op.f('uq_issued_letters_case_id_kind_cycle'), ['case_id', 'kind', 'cycle'])


def downgrade():
    op.execute("DELETE FROM issued_letters WHERE kind != 'recommendation'")
    with op.batch_alter_table('issued_letters', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('uq_issued_letters_case_id_kind_cycle'), type_='unique')
        batch_op.create_unique_constraint(op.f('uq_issued_letters_case_id_kind'), ['case_id', 'kind'])
        batch_op.drop_constraint(op.f('ck_issued_letters_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_issued_letters_kind'), "kind IN ('recommendation')")
        batch_op.drop_column('cycle')
