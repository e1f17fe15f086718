"""PPK office holders standing as candidates, the addressee of a recommendation

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 04:00:00

`ppk_candidacies`: an office holder standing as a candidate in an election, since a day (the holder is then an
incumbent). `recommendations.addressed_holder_id`: the PPK office holder a recommendation was addressed to (the
holder in office on its day of issue in the agency's zone), filled for the recommendations already issued where
the agency's holders say who it was. `escalation_steps.early_candidacy_id`: a level reached earlier because the
PPK in office is a candidate in the case's election.
"""
from datetime import date
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa

from app.db import UTCDateTime


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def backfill_addressees():
    """The holder in office on each issued recommendation's day of issue (the agency's zone), definitive before
    acting, the newest first: app/models/people.py `holder_on`. Only the agencies with recorded holders are read."""
    conn = op.get_bind()
    holders = conn.execute(
        sa.text(
            "SELECT h.id, h.agency_id, h.started_on, h.ended_on, h.acting, a.timezone FROM ppk_office_holders h "
            "JOIN agencies a ON a.id = h.agency_id"
        )
    ).all()
    by_agency = {}
    for row in holders:
        by_agency.setdefault(row.agency_id, []).append(row)
    update = sa.text("UPDATE recommendations SET addressed_holder_id = :holder WHERE id = :rec")
    for agency_id, rows in by_agency.items():
        rows.sort(key=lambda r: (r.acting, -_ordinal(r.started_on), -r.id))
        zone = ZoneInfo(rows[0].timezone or 'Asia/Jakarta')
        recs = conn.execute(
            sa.text(
                "SELECT id, issued_at FROM recommendations WHERE agency_id = :agency AND issued_at IS NOT NULL "
                "AND addressed_holder_id IS NULL"
            ).columns(sa.column('id', sa.Integer()), sa.column('issued_at', UTCDateTime())),
            {"agency": agency_id},
        ).all()
        changes = []
        for rec in recs:
            day = rec.issued_at.astimezone(zone).date()
            for holder in rows:
                if _day(holder.started_on) <= day and (holder.ended_on is None or _day(holder.ended_on) >= day):
                    changes.append({"holder": holder.id, "rec": rec.id})
                    break
        if changes:
            conn.execute(update, changes)


def _day(value):
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _ordinal(value):
    return _day(value).toordinal()


def upgrade():
    op.create_table('ppk_candidacies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('holder_id', sa.Integer(), nullable=False),
    sa.Column('election_id', sa.Integer(), nullable=False),
    sa.Column('since', sa.Date(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_ppk_candidacies_created_by_id_users')),
    sa.ForeignKeyConstraint(['election_id'], ['elections.id'], name=op.f('fk_ppk_candidacies_election_id_elections')),
    sa.ForeignKeyConstraint(['holder_id'], ['ppk_office_holders.id'], name=op.f('fk_ppk_candidacies_holder_id_ppk_office_holders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ppk_candidacies')),
    sa.UniqueConstraint('holder_id', 'election_id', name=op.f('uq_ppk_candidacies_holder_id_election_id'))
    )
    with op.batch_alter_table('ppk_candidacies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ppk_candidacies_election_id'), ['election_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ppk_candidacies_holder_id'), ['holder_id'], unique=False)

    # Nullable columns with their foreign key in the column: SQLite adds them with ALTER TABLE, never by
    # recreating the tables (whose rows other tables reference with ON DELETE CASCADE).
    with op.batch_alter_table('recommendations', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'addressed_holder_id',
                sa.Integer(),
                sa.ForeignKey('ppk_office_holders.id', name=op.f('fk_recommendations_addressed_holder_id_ppk_office_holders')),
                nullable=True,
            )
        )
    with op.batch_alter_table('escalation_steps', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'early_candidacy_id',
                sa.Integer(),
                sa.ForeignKey('ppk_candidacies.id', name=op.f('fk_escalation_steps_early_candidacy_id_ppk_candidacies')),
                nullable=True,
            )
        )

    backfill_addressees()


def downgrade():
    with op.batch_alter_table('escalation_steps', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_escalation_steps_early_candidacy_id_ppk_candidacies'), type_='foreignkey')
        batch_op.drop_column('early_candidacy_id')
    with op.batch_alter_table('recommendations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_recommendations_addressed_holder_id_ppk_office_holders'), type_='foreignkey')
        batch_op.drop_column('addressed_holder_id')
    with op.batch_alter_table('ppk_candidacies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ppk_candidacies_holder_id'))
        batch_op.drop_index(batch_op.f('ix_ppk_candidacies_election_id'))

    op.drop_table('ppk_candidacies')
