"""the level-3 escalation per authority (recipients, actions, legal basis, mailboxes) and blocks of data as
outcomes of a case

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 22:00:00

A recommendation keeps the ladder of the authority that issued it: its row now says who receives the level-3
escalation, which administrative actions it asks for and on which legal basis, and the body's own mailboxes (a
body that has no escalation target of its own). A block of a civil servant's personnel data and/or services in
SIASN (Peraturan BKN 1/2023) is recorded against the case and its recommendation, with who asked, when, under
which letter, and when it was lifted.
"""
from alembic import op
import sqlalchemy as sa

from app.db import UTCDateTime


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

COLUMNS = (
    ('level3_to', sa.String(length=200)),
    ('level3_cc', sa.String(length=200)),
    ('level3_actions', sa.Text()),
    ('level3_basis', sa.Text()),
    ('mailboxes', sa.String(length=500)),
)


def upgrade():
    with op.batch_alter_table('oversight_authorities', schema=None) as batch_op:
        for name, type_ in COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))

    op.create_table(
        'data_blocks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('recommendation_id', sa.Integer(), nullable=False),
        sa.Column('nip', sa.String(length=18), nullable=False),
        sa.Column('authority', sa.String(length=40), nullable=False),
        sa.Column('scope', sa.String(length=20), nullable=False),
        sa.Column('reference', sa.String(length=120), nullable=False),
        sa.Column('requested_by_id', sa.Integer(), nullable=True),
        sa.Column('requested_at', UTCDateTime(), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('lifted_at', UTCDateTime(), nullable=True),
        sa.Column('lifted_by_id', sa.Integer(), nullable=True),
        sa.Column('lift_reference', sa.String(length=120), nullable=True),
        sa.Column('lift_note', sa.Text(), nullable=True),
        sa.CheckConstraint(
            "scope IN ('data', 'layanan', 'data_dan_layanan')", name=op.f('ck_data_blocks_scope')
        ),
        sa.CheckConstraint(
            '(lifted_at IS NULL) = (lift_reference IS NULL)', name=op.f('ck_data_blocks_lifted')
        ),
        sa.ForeignKeyConstraint(
            ['case_id'], ['cases.id'], name=op.f('fk_data_blocks_case_id_cases'), ondelete='CASCADE'
        ),
        sa.ForeignKeyConstraint(
            ['recommendation_id'],
            ['recommendations.id'],
            name=op.f('fk_data_blocks_recommendation_id_recommendations'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['requested_by_id'], ['users.id'], name=op.f('fk_data_blocks_requested_by_id_users')
        ),
        sa.ForeignKeyConstraint(['lifted_by_id'], ['users.id'], name=op.f('fk_data_blocks_lifted_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_data_blocks')),
    )
    with op.batch_alter_table('data_blocks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_blocks_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_data_blocks_nip'), ['nip'], unique=False)
        batch_op.create_index(
            'uq_data_blocks_active_recommendation',
            ['recommendation_id'],
            unique=True,
            sqlite_where=sa.text('lifted_at IS NULL'),
            postgresql_where=sa.text('lifted_at IS NULL'),
        )


def downgrade():
    with op.batch_alter_table('data_blocks', schema=None) as batch_op:
        batch_op.drop_index('uq_data_blocks_active_recommendation')
        batch_op.drop_index(batch_op.f('ix_data_blocks_nip'))
        batch_op.drop_index(batch_op.f('ix_data_blocks_case_id'))
    op.drop_table('data_blocks')
    with op.batch_alter_table('oversight_authorities', schema=None) as batch_op:
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
