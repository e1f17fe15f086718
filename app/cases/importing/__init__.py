"""Import cases from a spreadsheet (CSV or XLSX): historical cases in any state, never twice, never an email.

How a file is read:
- columns are mapped by their header, Indonesian or English (`FIELD_ALIASES`); the case, spacing and
  punctuation of a header do not matter, and a hint in parentheses ("Tanggal Kejadian (DD/MM/YYYY)") is ignored;
- each row is validated on its own (NIP, dates, agency by code or name, category, source, status, sanctions and
  the fields each status needs, as `app.core.states.STATUS_RULES` says); a bad row never stops the others;
- good rows are written in batches, each in a savepoint: the case with its final status, its recommendation
  (issue date, due date, letter number), clarification, follow-up and escalation levels as given, and one
  `imported` history row (hash-chained like every other history row). No outbox row is written;
- every row has a stable external reference (the file's reference column, else a hash of the fields that
  identify the violation), unique in the database: importing the same file twice adds nothing;
- bad rows go to an error report with the original columns plus `Baris` and `Kesalahan`; the user fixes the
  report and imports it as it is.

Where things are:
- `reading`: the file (CSV/XLSX sniffing), header aliases, cell and vocabulary parsing;
- `context`: what an import loads once (agencies, calendar, deadline rules, authorities) and a validated row;
- `validating`: the row validator, with what each status requires;
- `writing`: the batch writer (bulk INSERT, case numbers, history rows) and `recommendation_row`, the one
  builder of a recommendation row;
- `report`: the error report and the downloadable template;
- `pipeline`: the import itself (`iter_import`, `import_file`, `import_stream`) and its result.

Everything other code uses is importable from this package.
"""

from __future__ import annotations

from app.cases.importing.pipeline import (
    DEFAULT_BATCH_SIZE,
    ImportProgress,
    ImportResult,
    RowError,
    import_file,
    import_stream,
    iter_import,
)
from app.cases.importing.reading import (
    FIELD_ALIASES,
    FIELD_LABELS,
    ImportFileError,
    Table,
    map_columns,
    normalize_header,
    open_table,
    parse_date,
    parse_instant,
)
from app.cases.importing.report import TEMPLATE_HEADERS, default_report_path, import_template_csv
from app.cases.importing.validating import stable_reference
from app.cases.importing.writing import IMPORT_EVENT, recommendation_row

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "FIELD_ALIASES",
    "FIELD_LABELS",
    "IMPORT_EVENT",
    "ImportFileError",
    "ImportProgress",
    "ImportResult",
    "RowError",
    "TEMPLATE_HEADERS",
    "Table",
    "default_report_path",
    "import_file",
    "import_stream",
    "import_template_csv",
    "iter_import",
    "map_columns",
    "normalize_header",
    "open_table",
    "parse_date",
    "parse_instant",
    "recommendation_row",
    "stable_reference",
]
