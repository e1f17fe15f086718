"""two roles: a Bawaslu office that forwards reports (`forwarder`), a selection panel (`panel`)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 10:00:00

The users' role check admits both; neither sees a case through the case rules (app/cases/access.py: "none").
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

OLD = "'investigator', 'commissioner', 'ppk', 'overseer', 'admin'"
NEW = OLD + ", 'forwarder', 'panel'"


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_role'), type_='check')
        batch_op.create_check_constraint(op.f('ck_users_role'), f"role IN ({NEW})")


def downgrade():
    op.execute("DELETE FROM users WHERE role IN ('forwarder', 'panel')")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_role'), type_='check')
        batch_op.create_check_constraint(op.f('ck_users_role'), f"role IN ({OLD})")
