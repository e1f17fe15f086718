"""reserved for work queue (no change yet)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 10:00:00
"""


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
