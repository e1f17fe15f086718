"""public figures per election

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 04:00:00

Reserved in the chain; it changes nothing until its work lands.
"""


# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
