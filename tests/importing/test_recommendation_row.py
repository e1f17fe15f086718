"""The one builder of a recommendation row (app.cases.importing.writing.recommendation_row), which the importer,
the benchmark data and the escalation tests insert: every column of the table, in its order, but the id."""

from __future__ import annotations

from app.cases.importing import recommendation_row
from app.models.cases import Recommendation
from tests.clocked import SUITE_NOW


def test_every_column_but_the_id():
    row = recommendation_row(
        case_id=1, agency_id=2, sanction="disiplin_sedang", legal_basis="PP 94/2021", text="Isi", drafted_at=SUITE_NOW
    )
    assert list(row) == [column.name for column in Recommendation.__table__.columns if column.name != "id"]


def test_a_draft_unless_told_otherwise():
    row = recommendation_row(
        case_id=1, agency_id=2, sanction="disiplin_sedang", legal_basis="PP 94/2021", text="Isi", drafted_at=SUITE_NOW
    )
    unset = {name for name, value in row.items() if value is None}
    assert {"letter_number", "issued_at", "received_on", "due_at", "escalation_level", "paused_at"} <= unset
    assert (row["cycle"], row["is_open"]) == (0, False)
