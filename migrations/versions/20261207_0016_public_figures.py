"""public figures: the precomputed aggregates behind /publik, the releases served and the publish switch

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 10:00:00

`public_figures` holds the raw counts per year, period and unit (the whole country, an agency, a province with
its kabupaten/kota), written by `flask public refresh` and the scheduler; `public_releases` the published bytes
of each version of a year (after suppression of small counts); `public_publications` the history of the
administrator's switch that publishes or withholds a year.
"""
from alembic import op
import sqlalchemy as sa

from app.db import UTCDateTime


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

MEASURES = (
    'cases_received',
    'recommendations_issued',
    'followed_up',
    'on_time',
    'late',
    'conforming',
    'lighter_sanction',
    'escalated',
    'open',
    'open_within_deadline',
    'open_level_1',
    'open_level_2',
    'open_level_3',
    'cases_before_recommendation',
)


def upgrade():
    op.create_table(
        'public_figures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('period', sa.Integer(), nullable=False),
        sa.Column('unit_kind', sa.String(length=16), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in MEASURES),
        sa.Column('working_days', sa.Text(), nullable=False),
        sa.Column('computed_at', UTCDateTime(), nullable=False),
        sa.CheckConstraint('period BETWEEN 0 AND 12', name=op.f('ck_public_figures_period')),
        sa.CheckConstraint(
            "unit_kind IN ('national', 'agency', 'province')", name=op.f('ck_public_figures_unit_kind')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_public_figures')),
        sa.UniqueConstraint(
            'year', 'period', 'unit_kind', 'unit_id', name=op.f('uq_public_figures_year_period_unit_kind_unit_id')
        ),
    )
    op.create_table(
        'public_releases',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('released_at', UTCDateTime(), nullable=False),
        sa.Column('checked_at', UTCDateTime(), nullable=False),
        sa.Column('threshold', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('body_json', sa.Text(), nullable=False),
        sa.Column('body_csv', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_public_releases')),
        sa.UniqueConstraint('year', 'version', name=op.f('uq_public_releases_year_version')),
    )
    op.create_table(
        'public_publications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('published', sa.Boolean(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('changed_by_id', sa.Integer(), nullable=True),
        sa.Column('changed_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['changed_by_id'], ['users.id'], name=op.f('fk_public_publications_changed_by_id_users')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_public_publications')),
    )
    op.create_index(op.f('ix_public_publications_year'), 'public_publications', ['year'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_public_publications_year'), table_name='public_publications')
    op.drop_table('public_publications')
    op.drop_table('public_releases')
    op.drop_table('public_figures')
