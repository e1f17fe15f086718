"""intake: reports that are not cases yet (tracking code, channel, evidence files), the public channel's throttle,
cases saved beside their likely duplicates, events grouping several civil servants' cases, election periods

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 10:00:00

New tables only, and one plain index on `cases.occurred_on` (the days around an event, where likely duplicates are
looked for; about 5 s at 1,000,000 cases on 2 cores, writes to `cases` wait meanwhile). The description
similarity uses pg_trgm's `similarity()`, whose extension migration 0004 created.
"""
from alembic import op
import sqlalchemy as sa

from app.db import UTCDateTime


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('elections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('region', sa.String(length=200), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('verify_days', sa.Integer(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('pemilu', 'pilkada')", name=op.f('ck_elections_kind')),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_elections_period')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_elections')),
    sa.UniqueConstraint('name', name=op.f('uq_elections_name'))
    )
    op.create_table('intake_throttles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('window_start', UTCDateTime(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_throttles')),
    sa.UniqueConstraint('address', 'channel', name=op.f('uq_intake_throttles_address_channel'))
    )
    op.create_table('election_stages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('election_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_election_stages_period')),
    sa.ForeignKeyConstraint(['election_id'], ['elections.id'], name=op.f('fk_election_stages_election_id_elections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_election_stages'))
    )
    with op.batch_alter_table('election_stages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_election_stages_election_id'), ['election_id'], unique=False)

    op.create_table('incident_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('election_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_incident_events_created_by_id_users')),
    sa.ForeignKeyConstraint(['election_id'], ['elections.id'], name=op.f('fk_incident_events_election_id_elections')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_events'))
    )
    op.create_table('case_elections',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('election_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_elections_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['election_id'], ['elections.id'], name=op.f('fk_case_elections_election_id_elections')),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_case_elections'))
    )
    with op.batch_alter_table('case_elections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_elections_election_id'), ['election_id'], unique=False)

    op.create_table('event_cases',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_event_cases_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_id'], ['incident_events.id'], name=op.f('fk_event_cases_event_id_incident_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_event_cases'))
    )
    with op.batch_alter_table('event_cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_cases_event_id'), ['event_id'], unique=False)

    op.create_table('intake_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tracking_code', sa.String(length=20), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('forwarder_id', sa.Integer(), nullable=True),
    sa.Column('external_ref', sa.String(length=100), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('agency_text', sa.String(length=200), nullable=True),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('subcategory', sa.String(length=60), nullable=True),
    sa.Column('reported_name', sa.String(length=200), nullable=False),
    sa.Column('reported_nip', sa.String(length=18), nullable=True),
    sa.Column('reported_position', sa.String(length=200), nullable=True),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=True),
    sa.Column('reporter_name', sa.String(length=200), nullable=True),
    sa.Column('reporter_contact', sa.String(length=200), nullable=True),
    sa.Column('election_id', sa.Integer(), nullable=True),
    sa.Column('verify_due_at', UTCDateTime(), nullable=True),
    sa.Column('verify_escalated_at', UTCDateTime(), nullable=True),
    sa.Column('refuse_reason', sa.Text(), nullable=True),
    sa.Column('internal_note', sa.Text(), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', UTCDateTime(), nullable=True),
    sa.Column('verifying_since', UTCDateTime(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.CheckConstraint("(status = 'refused') = (refuse_reason IS NOT NULL)", name=op.f('ck_intake_reports_refuse_reason')),
    sa.CheckConstraint("(status IN ('accepted', 'attached')) = (case_id IS NOT NULL)", name=op.f('ck_intake_reports_case_link')),
    sa.CheckConstraint("channel IN ('forwarder', 'public', 'staff')", name=op.f('ck_intake_reports_channel')),
    sa.CheckConstraint("status IN ('received', 'verifying', 'accepted', 'attached', 'refused')", name=op.f('ck_intake_reports_status')),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_intake_reports_agency_id_agencies')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_intake_reports_case_id_cases')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_intake_reports_decided_by_id_users')),
    sa.ForeignKeyConstraint(['election_id'], ['elections.id'], name=op.f('fk_intake_reports_election_id_elections')),
    sa.ForeignKeyConstraint(['forwarder_id'], ['users.id'], name=op.f('fk_intake_reports_forwarder_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_reports')),
    sa.UniqueConstraint('forwarder_id', 'external_ref', name=op.f('uq_intake_reports_forwarder_id_external_ref')),
    sa.UniqueConstraint('tracking_code', name=op.f('uq_intake_reports_tracking_code'))
    )
    with op.batch_alter_table('intake_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intake_reports_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_intake_reports_forwarder_id_id', ['forwarder_id', 'id'], unique=False)
        batch_op.create_index('ix_intake_reports_occurred_on', ['occurred_on'], unique=False)
        batch_op.create_index('ix_intake_reports_agency_id_id', ['agency_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_intake_reports_reported_nip'), ['reported_nip'], unique=False)
        batch_op.create_index('ix_intake_reports_status_id', ['status', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_intake_reports_verify_due_at'), ['verify_due_at'], unique=False)

    op.create_table('duplicate_overrides',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('report_id', sa.Integer(), nullable=True),
    sa.Column('candidates', sa.JSON(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.CheckConstraint('case_id IS NOT NULL OR report_id IS NOT NULL', name=op.f('ck_duplicate_overrides_subject')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_duplicate_overrides_actor_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_duplicate_overrides_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['report_id'], ['intake_reports.id'], name=op.f('fk_duplicate_overrides_report_id_intake_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duplicate_overrides'))
    )
    with op.batch_alter_table('duplicate_overrides', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_duplicate_overrides_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_duplicate_overrides_report_id'), ['report_id'], unique=False)

    op.create_table('intake_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=64), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['intake_reports.id'], name=op.f('fk_intake_files_report_id_intake_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_files')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_intake_files_storage_key'))
    )
    with op.batch_alter_table('intake_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intake_files_report_id'), ['report_id'], unique=False)

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_occurred_on', ['occurred_on'], unique=False)



def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_occurred_on')

    with op.batch_alter_table('intake_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intake_files_report_id'))

    op.drop_table('intake_files')
    with op.batch_alter_table('duplicate_overrides', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_duplicate_overrides_report_id'))
        batch_op.drop_index(batch_op.f('ix_duplicate_overrides_case_id'))

    op.drop_table('duplicate_overrides')
    with op.batch_alter_table('intake_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intake_reports_verify_due_at'))
        batch_op.drop_index('ix_intake_reports_status_id')
        batch_op.drop_index(batch_op.f('ix_intake_reports_reported_nip'))
        batch_op.drop_index('ix_intake_reports_occurred_on')
        batch_op.drop_index('ix_intake_reports_agency_id_id')
        batch_op.drop_index('ix_intake_reports_forwarder_id_id')
        batch_op.drop_index(batch_op.f('ix_intake_reports_case_id'))

    op.drop_table('intake_reports')
    with op.batch_alter_table('event_cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_cases_event_id'))

    op.drop_table('event_cases')
    with op.batch_alter_table('case_elections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_elections_election_id'))

    op.drop_table('case_elections')
    op.drop_table('incident_events')
    with op.batch_alter_table('election_stages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_election_stages_election_id'))

    op.drop_table('election_stages')
    op.drop_table('intake_throttles')
    op.drop_table('elections')
