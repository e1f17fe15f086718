"""agencies that ended: the day their functions ended and the agency that took them over

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 21:25:00

An agency dissolved or merged (LAPAN into BRIN, BP2MI into the Ministry of P2MI, ...) keeps its cases: they stay
open and say which agency took over (`successor_id`); from `ended_on` it is not offered for new cases and not
ranked in the IM-NKK years after it.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ended_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('successor_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_agencies_successor_id_agencies'), 'agencies', ['successor_id'], ['id']
        )
        batch_op.create_check_constraint('successor_not_self', 'successor_id IS NULL OR successor_id <> id')


def downgrade():
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_agencies_successor_not_self'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_agencies_successor_id_agencies'), type_='foreignkey')
        batch_op.drop_column('successor_id')
        batch_op.drop_column('ended_on')
