"""an API key per forwarding office

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 04:00:00

One new table, `office_api_keys`: a Bawaslu office's key (its SHA-256, a short prefix to tell keys apart, its label,
who created and revoked it, when it was last used); and `form_submissions.intake_report_id`, so that the one-time
token of the forwarding form (a Bawaslu office's page) finds the report a first submission created, as the new-case
form's finds its case (`form_submissions` has no foreign key pointing at it: its rebuild on SQLite loses nothing).
"""

import warnings

from alembic import op
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from app.db import UTCDateTime


# revision identifiers, used by Alembic.
revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "office_api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_office_api_keys_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_office_api_keys_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"], ["users.id"], name=op.f("fk_office_api_keys_revoked_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_office_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_office_api_keys_key_hash")),
    )
    with op.batch_alter_table("office_api_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_office_api_keys_user_id"), ["user_id"], unique=False)


    with warnings.catch_warnings(), op.batch_alter_table('form_submissions', schema=None) as batch_op:
        # On SQLite the rebuild reflects the tables form_submissions points at; the expression index of `cases`
        # (migration 0023) cannot be reflected, and is not touched: `cases` is not rebuilt.
        warnings.simplefilter("ignore", sa_exc.SAWarning)
        batch_op.add_column(sa.Column('intake_report_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_form_submissions_intake_report_id_intake_reports'),
            'intake_reports',
            ['intake_report_id'],
            ['id'],
            ondelete='CASCADE',
        )


def downgrade():
    with warnings.catch_warnings(), op.batch_alter_table('form_submissions', schema=None) as batch_op:
        warnings.simplefilter("ignore", sa_exc.SAWarning)
        batch_op.drop_constraint(batch_op.f('fk_form_submissions_intake_report_id_intake_reports'), type_='foreignkey')
        batch_op.drop_column('intake_report_id')
    with op.batch_alter_table("office_api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_office_api_keys_user_id"))
    op.drop_table("office_api_keys")
