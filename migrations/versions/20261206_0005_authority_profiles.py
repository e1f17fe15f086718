"""oversight authorities carry what their letters and level-3 escalations say

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 19:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

COLUMNS = (
    ('head_title', sa.String(length=200)),
    ('signer_title', sa.String(length=200)),
    ('address', sa.String(length=300)),
    ('level3_addressee', sa.String(length=300)),
    ('level3_request', sa.Text()),
    ('level3_copies', sa.Text()),
    ('sources', sa.Text()),
    ('signer_role_label', sa.String(length=100)),
)


def upgrade():
    with op.batch_alter_table('oversight_authorities', schema=None) as batch_op:
        for name, type_ in COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))


def downgrade():
    with op.batch_alter_table('oversight_authorities', schema=None) as batch_op:
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
