"""a civil servant as a person: people linked to cases by NIP (backfilled), merges of a mistyped NIP, the national
register imported as a file, look-ups of a person's record, and who held each agency's PPK office

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 10:00:00

Every case gets `person_id`: one person per reported NIP, named after the newest case of that NIP (its name,
position and agency), PPPK when digits 13-14 of the number cannot be a month (app/core/sanction_rules.py).
"""
from alembic import op
import sqlalchemy as sa

from app.db import UTCDateTime


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

BACKFILL_PEOPLE = """
INSERT INTO people (nip, name, position, agency_id, employment_type, created_at, updated_at)
SELECT c.reported_nip, c.reported_name, c.reported_position, c.agency_id,
       CASE WHEN length(c.reported_nip) = 18 AND CAST(substr(c.reported_nip, 13, 2) AS INTEGER) > 12 THEN 'pppk'
            WHEN length(c.reported_nip) = 18 THEN 'pns' END,
       c.created_at, c.created_at
FROM cases c
WHERE c.id IN (SELECT MAX(id) FROM cases GROUP BY reported_nip)
"""
BACKFILL_LINKS = "UPDATE cases SET person_id = (SELECT p.id FROM people p WHERE p.nip = cases.reported_nip)"


def backfill():
    """One person per NIP already reported, and every case linked to it (no case's version or history moves)."""
    op.execute(BACKFILL_PEOPLE)
    op.execute(BACKFILL_LINKS)


def upgrade():
    op.create_table('register_entries',
    sa.Column('nip', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('position', sa.String(length=200), nullable=True),
    sa.Column('agency_name', sa.String(length=200), nullable=True),
    sa.Column('employment_type', sa.String(length=8), nullable=True),
    sa.Column('status', sa.String(length=100), nullable=True),
    sa.Column('retirement_on', sa.Date(), nullable=True),
    sa.Column('source_file', sa.String(length=255), nullable=True),
    sa.Column('imported_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('nip', name=op.f('pk_register_entries'))
    )
    op.create_table('people',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nip', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('position', sa.String(length=200), nullable=True),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('employment_type', sa.String(length=8), nullable=True),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('register_source', sa.String(length=16), nullable=True),
    sa.Column('register_checked_at', UTCDateTime(), nullable=True),
    sa.Column('register_found', sa.Boolean(), nullable=True),
    sa.Column('register_agency_name', sa.String(length=200), nullable=True),
    sa.Column('register_status', sa.String(length=100), nullable=True),
    sa.Column('retirement_on', sa.Date(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.CheckConstraint("employment_type IS NULL OR employment_type IN ('pns', 'pppk')", name=op.f('ck_people_employment_type')),
    sa.CheckConstraint('merged_into_id IS NULL OR merged_into_id != id', name=op.f('ck_people_not_merged_into_self')),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_people_agency_id_agencies')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['people.id'], name=op.f('fk_people_merged_into_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_people')),
    sa.UniqueConstraint('nip', name=op.f('uq_people_nip'))
    )
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_people_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_people_merged_into_id'), ['merged_into_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_people_register_checked_at'), ['register_checked_at'], unique=False)

    op.create_table('ppk_office_holders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('acting', sa.Boolean(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.CheckConstraint('ended_on IS NULL OR ended_on >= started_on', name=op.f('ck_ppk_office_holders_dates')),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_ppk_office_holders_agency_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ppk_office_holders'))
    )
    with op.batch_alter_table('ppk_office_holders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ppk_office_holders_agency_id'), ['agency_id'], unique=False)

    op.create_table('person_merges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('from_person_id', sa.Integer(), nullable=False),
    sa.Column('into_person_id', sa.Integer(), nullable=False),
    sa.Column('from_nip', sa.String(length=18), nullable=False),
    sa.Column('into_nip', sa.String(length=18), nullable=False),
    sa.Column('case_ids', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('merged_by_id', sa.Integer(), nullable=True),
    sa.Column('merged_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['from_person_id'], ['people.id'], name=op.f('fk_person_merges_from_person_id_people')),
    sa.ForeignKeyConstraint(['into_person_id'], ['people.id'], name=op.f('fk_person_merges_into_person_id_people')),
    sa.ForeignKeyConstraint(['merged_by_id'], ['users.id'], name=op.f('fk_person_merges_merged_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person_merges'))
    )
    with op.batch_alter_table('person_merges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_merges_from_person_id'), ['from_person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_merges_into_person_id'), ['into_person_id'], unique=False)

    op.create_table('record_lookups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('purpose', sa.Text(), nullable=True),
    sa.Column('nip_count', sa.Integer(), nullable=False),
    sa.Column('at', UTCDateTime(), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.CheckConstraint("kind IN ('check', 'view')", name=op.f('ck_record_lookups_kind')),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_record_lookups_agency_id_agencies')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_record_lookups_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_lookups'))
    )
    with op.batch_alter_table('record_lookups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_lookups_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_record_lookups_user_id'), ['user_id'], unique=False)

    op.create_table('record_lookup_nips',
    sa.Column('lookup_id', sa.Integer(), nullable=False),
    sa.Column('nip', sa.String(length=18), nullable=False),
    sa.Column('had_record', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['lookup_id'], ['record_lookups.id'], name=op.f('fk_record_lookup_nips_lookup_id_record_lookups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('lookup_id', 'nip', name=op.f('pk_record_lookup_nips'))
    )
    with op.batch_alter_table('record_lookup_nips', schema=None) as batch_op:
        batch_op.create_index('ix_record_lookup_nips_nip_lookup_id', ['nip', 'lookup_id'], unique=False)

    with op.batch_alter_table('cases', schema=None) as batch_op:
        # A nullable column with its foreign key in the column: SQLite adds it with ALTER TABLE, never by
        # recreating `cases` (whose rows other tables reference with ON DELETE CASCADE).
        batch_op.add_column(
            sa.Column(
                'person_id',
                sa.Integer(),
                sa.ForeignKey('people.id', name=op.f('fk_cases_person_id_people')),
                nullable=True,
            )
        )
        batch_op.create_index(batch_op.f('ix_cases_person_id'), ['person_id'], unique=False)

    backfill()


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_cases_person_id_people'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_cases_person_id'))
        batch_op.drop_column('person_id')

    with op.batch_alter_table('record_lookup_nips', schema=None) as batch_op:
        batch_op.drop_index('ix_record_lookup_nips_nip_lookup_id')

    op.drop_table('record_lookup_nips')
    with op.batch_alter_table('record_lookups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_lookups_user_id'))
        batch_op.drop_index(batch_op.f('ix_record_lookups_at'))

    op.drop_table('record_lookups')
    with op.batch_alter_table('person_merges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_merges_into_person_id'))
        batch_op.drop_index(batch_op.f('ix_person_merges_from_person_id'))

    op.drop_table('person_merges')
    with op.batch_alter_table('ppk_office_holders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ppk_office_holders_agency_id'))

    op.drop_table('ppk_office_holders')
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_people_register_checked_at'))
        batch_op.drop_index(batch_op.f('ix_people_merged_into_id'))
        batch_op.drop_index(batch_op.f('ix_people_agency_id'))

    op.drop_table('people')
    op.drop_table('register_entries')
