"""public figures per election

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 04:00:00

The public figures of an election (issue 24) live in the year's tables: `election_id` (0 for a year's rows; an
election's id, with `year` 0, for an election's) on the figures, the releases and the publication switch, and the
unique keys of the figures and releases include it; a release keeps the true values of the cells it hides
(`hidden_json`, never served) so the next version can keep them hidden (the guard against differences between
versions). The figures and releases tables have no foreign key pointing
at them, so their batch rebuild on SQLite loses nothing.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('public_figures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('election_id', sa.Integer(), server_default='0', nullable=False))
        batch_op.drop_constraint('uq_public_figures_year_period_unit_kind_unit_id', type_='unique')
        batch_op.create_unique_constraint(
            batch_op.f('uq_public_figures_election_id_year_period_unit_kind_unit_id'),
            ['election_id', 'year', 'period', 'unit_kind', 'unit_id'],
        )
    with op.batch_alter_table('public_releases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('election_id', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('hidden_json', sa.Text(), server_default='[]', nullable=False))
        batch_op.drop_constraint('uq_public_releases_year_version', type_='unique')
        batch_op.create_unique_constraint(
            batch_op.f('uq_public_releases_election_id_year_version'), ['election_id', 'year', 'version']
        )
    op.add_column(
        'public_publications', sa.Column('election_id', sa.Integer(), server_default='0', nullable=False)
    )


def downgrade():
    op.drop_column('public_publications', 'election_id')
    op.execute('DELETE FROM public_releases WHERE election_id <> 0')
    op.execute('DELETE FROM public_figures WHERE election_id <> 0')
    with op.batch_alter_table('public_releases', schema=None) as batch_op:
        batch_op.drop_constraint('uq_public_releases_election_id_year_version', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_public_releases_year_version'), ['year', 'version'])
        batch_op.drop_column('hidden_json')
        batch_op.drop_column('election_id')
    with op.batch_alter_table('public_figures', schema=None) as batch_op:
        batch_op.drop_constraint('uq_public_figures_election_id_year_period_unit_kind_unit_id', type_='unique')
        batch_op.create_unique_constraint(
            batch_op.f('uq_public_figures_year_period_unit_kind_unit_id'), ['year', 'period', 'unit_kind', 'unit_id']
        )
        batch_op.drop_column('election_id')
