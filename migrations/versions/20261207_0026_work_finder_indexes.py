"""indexes and counters for the queue, the search and the dashboard

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 04:00:00

Reserved in the chain; it changes nothing until its work lands.
"""


# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
