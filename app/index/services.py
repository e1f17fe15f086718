"""IM-NKK operations, the one name the API, pages, CLI, demo and tests call: this module only gathers them.

Where each lives:
- `app.index.access`: ids, years and cursors; who may see or do what (docs/index-method.md §11);
- `app.index.compute`: the live index of a year, scored and ranked;
- `app.index.snapshots`: freezing (publishing) a year, reading its snapshot back, lifting a freeze, its history;
- `app.index.elections`: the case-based enforcement figures of one election's cases (live, never a snapshot);
- `app.index.reads`: the index as a user sees it, an agency's detail and trend, the cases behind an indicator;
- `app.index.self_assessment`: answers and evidence, verification, clarification, the plenary decision;
- `app.index.stages`: the self-assessment stages, their labels and the table of moves between them;
- `app.index.exports`: the ranking as flat rows (CSV, XLSX, the CLI).

Services flush; the API, pages and CLI commit through `app.db.unit_of_work()`.
"""

from __future__ import annotations

from app.index.access import (
    MAX_YEAR,
    MIN_YEAR,
    NATIONAL_TZ,
    can_see_ranking,
    check_agency_id,
    check_agency_visible,
    check_cases_visible,
    check_cursor,
    check_index_reader,
    check_self_assessment_visible,
    check_year,
    current_year,
    is_kasn,
    visible_agency_ids,
)
from app.index.compute import compute_index
from app.index.elections import election_enforcement
from app.index.exports import EXPORT_COLUMNS, ExportColumn, export_rows
from app.index.reads import (
    agency_detail,
    agency_name,
    agency_trend,
    available_years,
    get_index,
    index_for,
    indicator_cases,
)
from app.index.self_assessment import (
    ALLOWED_EVIDENCE,
    answer_clarification,
    answer_dump,
    decide,
    evidence_file,
    list_answers,
    request_clarification,
    save_answer,
    store_evidence,
    submit,
    verify,
)
from app.index.snapshots import freeze_history, freeze_preview, freeze_year, latest_snapshot, lift_freeze
from app.index.stages import STAGE_LABELS

__all__ = [
    "ALLOWED_EVIDENCE",
    "EXPORT_COLUMNS",
    "MAX_YEAR",
    "MIN_YEAR",
    "NATIONAL_TZ",
    "STAGE_LABELS",
    "ExportColumn",
    "agency_detail",
    "agency_name",
    "agency_trend",
    "answer_clarification",
    "answer_dump",
    "available_years",
    "can_see_ranking",
    "check_agency_id",
    "check_agency_visible",
    "check_cases_visible",
    "check_cursor",
    "check_index_reader",
    "check_self_assessment_visible",
    "check_year",
    "compute_index",
    "current_year",
    "decide",
    "election_enforcement",
    "evidence_file",
    "export_rows",
    "freeze_history",
    "freeze_preview",
    "freeze_year",
    "get_index",
    "index_for",
    "indicator_cases",
    "is_kasn",
    "latest_snapshot",
    "lift_freeze",
    "list_answers",
    "request_clarification",
    "save_answer",
    "store_evidence",
    "submit",
    "verify",
    "visible_agency_ids",
]
