"""an oversight authority's own escalation ladder

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 11:00:00

`oversight_authorities.ladder` holds, as JSON of the ESCALATION_LADDER shape, the ladder the recommendations of
that body climb; empty (every row shipped today), the configured ladder (app/escalations/ladder.py `ladder_of`).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('oversight_authorities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ladder', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('oversight_authorities', schema=None) as batch_op:
        batch_op.drop_column('ladder')
