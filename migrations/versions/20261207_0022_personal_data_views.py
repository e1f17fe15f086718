"""reporter-identity views and pseudonymisation

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 04:00:00

Reserved in the chain; it changes nothing until its work lands.
"""


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
