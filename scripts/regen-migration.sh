#!/usr/bin/env bash
# Until the first release, the schema is one initial revision regenerated from the models.
# Run after changing a model: it rebuilds migrations/versions/*_0001_initial_schema.py.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f migrations/versions/*initial_schema.py
DATABASE_URL="sqlite:///$tmp/regen.db" .venv/bin/flask --app wsgi db migrate --rev-id 0001 -m "initial schema" >"$tmp/log" 2>&1 || { cat "$tmp/log"; exit 1; }
rm -rf "$tmp"
ls migrations/versions/
