"""keyed history chain: each history row is sealed (HMAC) under a named key, with the case version after it

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 12:00:00

The rows already there are sealed as they stand, under the current key of AUDIT_CHAIN_KEYS (their case version
unknown: NULL), so that after this revision no row without a seal is genuine (docs/audit.md). Upgrade with the
old version's writers stopped: a row the old code writes after this revision has no seal and is reported.
"""
from alembic import context, op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('case_history', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_id', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('mac', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('case_version', sa.Integer(), nullable=True))
    if context.is_offline_mode():
        raise RuntimeError("0002 seals the existing history rows with the chain key: run it online (flask db upgrade)")
    from app.audit.history import chain_keys, seal_unsealed_rows

    seal_unsealed_rows(op.get_bind(), chain_keys().current)


def downgrade():
    with op.batch_alter_table('case_history', schema=None) as batch_op:
        batch_op.drop_column('case_version')
        batch_op.drop_column('mac')
        batch_op.drop_column('key_id')
