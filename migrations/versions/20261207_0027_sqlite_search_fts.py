"""SQLite: the case list's search reads trigram full-text indexes instead of scanning

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 15:00:00

The search (`q`, app/cases/search.py) looks for a term inside four texts: the case's own (number, name, NIP,
summary: `app.models.cases.search_text`), the PPK's decision numbers, the register's letter numbers and the
recommendations' letter numbers. PostgreSQL reads pg_trgm indexes (migrations 0004 and 0017); SQLite had no index
for a substring and scanned the tables: a term nothing holds took 1.5-2.8 s at 1,000,000 cases.

On SQLite (3.34 or later) each text gets an FTS5 table with the trigram tokenizer, contentless (it keeps the
index, not a second copy of the text), its rowid the row's id, kept by triggers on insert, update and delete of
the table's row. The search asks it for the rows whose text may hold the term (`MATCH` of the term as one phrase:
every three-character piece of it, in order) and checks the term on those rows with the same LIKE as before,
so the answer is the one the scan gave. The index's text is the row's own expression, written the same here and
in app/cases/search.py (`FTS_TABLES`): change one, change both.

Note for later migrations: SQLite's batch mode copies a table to alter it, and the copy has no triggers. A
migration that rebuilds one of these four tables must run `create_triggers` again (and `rebuild` if rows
changed meanwhile). PostgreSQL: nothing (its indexes are migration 0004's and 0017's).
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

# FTS table: (the indexed table, the columns the text is made of, the text as SQL of a row `{row}`).
FTS_TABLES = {
    'cases_fts': (
        'cases',
        ('number', 'reported_name', 'reported_nip', 'summary'),
        "{row}.number || ' ' || {row}.reported_name || ' ' || {row}.reported_nip || ' ' || {row}.summary",
    ),
    'follow_ups_fts': ('follow_ups', ('decision_number',), '{row}.decision_number'),
    'issued_letters_fts': ('issued_letters', ('number',), '{row}.number'),
    'recommendations_fts': ('recommendations', ('letter_number',), '{row}.letter_number'),
}


def create_triggers(name):
    table, columns, text = FTS_TABLES[name]
    new, old = text.format(row='new'), text.format(row='old')
    insert = f'INSERT INTO {name} (rowid, text) VALUES (new.id, {new});'
    delete = f"INSERT INTO {name} ({name}, rowid, text) VALUES ('delete', old.id, {old});"
    for suffix in ('insert', 'update', 'delete'):
        op.execute(f'DROP TRIGGER IF EXISTS {name}_{suffix}')
    op.execute(f'CREATE TRIGGER {name}_insert AFTER INSERT ON {table} BEGIN {insert} END')
    op.execute(f'CREATE TRIGGER {name}_update AFTER UPDATE OF id, {", ".join(columns)} ON {table} '
               f'BEGIN {delete} {insert} END')
    op.execute(f'CREATE TRIGGER {name}_delete AFTER DELETE ON {table} BEGIN {delete} END')


def rebuild(name):
    """The index made again from the table's rows (a contentless table is emptied by its 'delete-all' command)."""
    table, _columns, text = FTS_TABLES[name]
    op.execute(f"INSERT INTO {name} ({name}) VALUES ('delete-all')")
    op.execute(f'INSERT INTO {name} (rowid, text) SELECT id, {text.format(row=table)} FROM {table}')


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        return
    version = bind.exec_driver_sql('SELECT sqlite_version()').scalar()
    if tuple(int(part) for part in version.split('.')[:2]) < (3, 34):
        raise RuntimeError(
            f'SQLite {version} has no trigram tokenizer for FTS5 (SQLite 3.34 or newer is needed, the library '
            'Python links to): the case search needs it. Upgrade SQLite, or run on PostgreSQL.'
        )
    for name in FTS_TABLES:
        # IF NOT EXISTS: a table left by a schema dropped model by model is emptied and filled again (`rebuild`)
        op.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {name} USING fts5(text, content='', tokenize='trigram')")
        create_triggers(name)
        rebuild(name)


def downgrade():
    if op.get_bind().dialect.name != 'sqlite':
        return
    for name in FTS_TABLES:
        for suffix in ('insert', 'update', 'delete'):
            op.execute(f'DROP TRIGGER IF EXISTS {name}_{suffix}')
        op.execute(f'DROP TABLE IF EXISTS {name}')
