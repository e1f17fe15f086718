"""reporter-identity views and pseudonymisation

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 04:00:00

The log of every view of a reporter's identity by the authority's staff (`reporter_views`: who, when, which case
or intake report, which channel). Pseudonymisation past the retention period (app/people/retention.py) needs no
column: a pseudonymised value carries its `PSN-` prefix, and each case touched gets a history row.
"""
from alembic import op
import sqlalchemy as sa

from app.db import UTCDateTime


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reporter_views',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', UTCDateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('report_id', sa.Integer(), nullable=True),
    sa.Column('scope', sa.JSON(), nullable=True),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.CheckConstraint(
        "channel IN ('page', 'api', 'export', 'intake_page', 'intake_api')",
        name=op.f('ck_reporter_views_channel'),
    ),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_reporter_views_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(
        ['report_id'], ['intake_reports.id'], name=op.f('fk_reporter_views_report_id_intake_reports'), ondelete='CASCADE'
    ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_reporter_views_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reporter_views'))
    )
    with op.batch_alter_table('reporter_views', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reporter_views_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_reporter_views_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reporter_views_report_id'), ['report_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reporter_views_user_id'), ['user_id'], unique=False)


def downgrade():
    op.drop_table('reporter_views')
