"""search uses an index: a pg_trgm GIN index on the text the case list's q searches (PostgreSQL only)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 19:30:00

The case list's `q` is `search_text ILIKE '%term%'`, where `search_text` is the case number, the reported
person's name and NIP and the summary joined by spaces (app.models.cases `search_text`, which must write the
same expression as the index below, or the planner never uses it). A trigram GIN index serves it for terms of
three characters or more (the minimum the list enforces). pg_trgm is a trusted extension (PostgreSQL 13+): the
database owner may create it. SQLite gets nothing: its search is a LIKE scan (docs/operations.md).
CREATE INDEX holds off writes to `cases` while it builds (reads go on): about 40 s at 1,000,000 cases on
2 cores.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

SEARCH_TEXT = "number || ' ' || reported_name || ' ' || reported_nip || ' ' || summary"


def _postgresql():
    return op.get_bind().dialect.name == 'postgresql'


def upgrade():
    if not _postgresql():
        return
    op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    op.execute(f'CREATE INDEX ix_cases_search_trgm ON cases USING gin (({SEARCH_TEXT}) gin_trgm_ops)')


def downgrade():
    if not _postgresql():
        return
    op.execute('DROP INDEX ix_cases_search_trgm')
    # pg_trgm stays: other objects of the database may use it.
