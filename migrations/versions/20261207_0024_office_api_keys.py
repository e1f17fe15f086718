"""an API key per forwarding office

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 04:00:00

Reserved in the chain; it changes nothing until its work lands.
"""


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
