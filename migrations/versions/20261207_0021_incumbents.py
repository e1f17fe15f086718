"""PPK office holders standing as candidates, the addressee of a recommendation

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 04:00:00

Reserved in the chain; it changes nothing until its work lands.
"""


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
