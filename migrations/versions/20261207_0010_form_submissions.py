"""one-time tokens of the new-case form: a second submission of the same form shows the case the first created

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 09:00:00

`form_submissions` holds the token a page form carries, who sent it and the case it created; its primary key
makes a second, concurrent submission of the same form wait for the first and then find its case.
"""
from alembic import op
import sqlalchemy as sa

from app.db import UTCDateTime


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'form_submissions',
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['case_id'], ['cases.id'], name=op.f('fk_form_submissions_case_id_cases'), ondelete='CASCADE'
        ),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name=op.f('fk_form_submissions_user_id_users'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('token', name=op.f('pk_form_submissions')),
    )
    with op.batch_alter_table('form_submissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_submissions_created_at'), ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('form_submissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_form_submissions_created_at'))
    op.drop_table('form_submissions')
