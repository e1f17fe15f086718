"""letters numbered by the system per authority and year; a frozen IM-NKK year can be lifted with a reason

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 23:00:00

The authority's letters get their numbers from the system: a counter per authority, series and year
(`letter_counters`, locked by the issuing transaction, so the series has no gap and no number twice) and the
register of issued letters (`issued_letters`: case, number, who signs it). An authority's row says whether the
API may take a number typed elsewhere (`letter_manual`, false for the shipped rows). A frozen index year may be
lifted by an administrator with a reason: the snapshot keeps who lifted it, when and why, and the one-freeze-per-
year-and-method rule counts only the freezes in force.
"""
from alembic import op
import sqlalchemy as sa

from app.db import UTCDateTime


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('oversight_authorities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('letter_manual', sa.Boolean(), server_default=sa.false(), nullable=False))

    op.create_table(
        'letter_counters',
        sa.Column('authority', sa.String(length=40), nullable=False),
        sa.Column('series', sa.String(length=20), nullable=False),
        sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('last_value', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('authority', 'series', 'year', name=op.f('pk_letter_counters')),
    )
    op.create_table(
        'issued_letters',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('authority', sa.String(length=40), nullable=False),
        sa.Column('series', sa.String(length=20), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=True),
        sa.Column('number', sa.String(length=100), nullable=False),
        sa.Column('issued_at', UTCDateTime(), nullable=False),
        sa.Column('issued_by_id', sa.Integer(), nullable=True),
        sa.Column('signer_title', sa.String(length=200), nullable=False),
        sa.Column('signer_name', sa.String(length=200), nullable=True),
        sa.CheckConstraint("kind IN ('recommendation')", name=op.f('ck_issued_letters_kind')),
        sa.ForeignKeyConstraint(
            ['case_id'], ['cases.id'], name=op.f('fk_issued_letters_case_id_cases'), ondelete='CASCADE'
        ),
        sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_issued_letters_issued_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_issued_letters')),
        sa.UniqueConstraint('case_id', 'kind', name=op.f('uq_issued_letters_case_id_kind')),
        sa.UniqueConstraint('authority', 'number', name=op.f('uq_issued_letters_authority_number')),
        sa.UniqueConstraint(
            'authority', 'series', 'year', 'seq', name=op.f('uq_issued_letters_authority_series_year_seq')
        ),
    )

    with op.batch_alter_table('index_snapshots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lifted_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('lifted_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('lift_reason', sa.Text(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_index_snapshots_lifted_by_id_users'), 'users', ['lifted_by_id'], ['id']
        )
        batch_op.create_check_constraint(
            batch_op.f('ck_index_snapshots_lifted'), '(lifted_at IS NULL) = (lift_reason IS NULL)'
        )
        batch_op.drop_constraint('uq_index_snapshots_year_method_version', type_='unique')
        batch_op.create_index(
            'uq_index_snapshots_year_method_in_force',
            ['year', 'method_version'],
            unique=True,
            sqlite_where=sa.text('lifted_at IS NULL'),
            postgresql_where=sa.text('lifted_at IS NULL'),
        )


def downgrade():
    # A lifted freeze has no place in the old schema (one snapshot per year and method): the lifted rows go.
    op.execute('DELETE FROM index_snapshots WHERE lifted_at IS NOT NULL')
    with op.batch_alter_table('index_snapshots', schema=None) as batch_op:
        batch_op.drop_index('uq_index_snapshots_year_method_in_force')
        batch_op.create_unique_constraint(
            'uq_index_snapshots_year_method_version', ['year', 'method_version']
        )
        batch_op.drop_constraint(batch_op.f('ck_index_snapshots_lifted'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_index_snapshots_lifted_by_id_users'), type_='foreignkey')
        batch_op.drop_column('lift_reason')
        batch_op.drop_column('lifted_by_id')
        batch_op.drop_column('lifted_at')

    op.drop_table('issued_letters')
    op.drop_table('letter_counters')
    with op.batch_alter_table('oversight_authorities', schema=None) as batch_op:
        batch_op.drop_column('letter_manual')
