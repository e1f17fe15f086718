"""a file sent with an email: the ministries' weekly digest can carry its full list as CSV

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 18:40:00

`outbox_attachments` holds a file once (name, type, bytes); each outbox row of the email's recipients names it
(`outbox_messages.attachment_id`), and the dispatcher attaches it when it sends the row. The digest of a body
named in DIGEST_CSV carries every open and recently ended escalated case of the week as CSV (app/escalations/
digest.py). Plain ALTER TABLE … ADD COLUMN on SQLite (the foreign key inline), as in 0012: nothing is copied.
"""
import sqlalchemy as sa
from alembic import op

from app.db import UTCDateTime

# revision identifiers, used by Alembic.
revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None

INDEX = 'ix_outbox_messages_attachment_id'


def upgrade():
    op.create_table(
        'outbox_attachments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=120), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_attachments')),
    )
    if op.get_bind().dialect.name == 'postgresql':
        op.add_column('outbox_messages', sa.Column('attachment_id', sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f('fk_outbox_messages_attachment_id_outbox_attachments'),
            'outbox_messages', 'outbox_attachments', ['attachment_id'], ['id'],
        )
    else:
        op.execute(
            'ALTER TABLE outbox_messages ADD COLUMN attachment_id INTEGER '
            'CONSTRAINT fk_outbox_messages_attachment_id_outbox_attachments REFERENCES outbox_attachments (id)'
        )
    op.create_index(INDEX, 'outbox_messages', ['attachment_id'])


def downgrade():
    op.drop_index(INDEX, table_name='outbox_messages')
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_constraint(
            op.f('fk_outbox_messages_attachment_id_outbox_attachments'), 'outbox_messages', type_='foreignkey'
        )
    op.drop_column('outbox_messages', 'attachment_id')
    op.drop_table('outbox_attachments')
