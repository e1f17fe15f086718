"""Every view of a reporter's identity is logged (UU 27/2022; issue 23): who, when, which case or intake report,
through which channel. Written where the identity is actually shown — to the authority's staff
(`app.cases.access.sees_reporter`), for a case or report that has one — with one INSERT per view (an export or a
page of the intake queue: one statement for all its rows). A PPK, a ministry, a forwarder, a panel or the public
never sees the reporter, so their views write nothing. Administrators read the log (`/admin/pelapor-dilihat`,
`GET /api/v1/reporter-views`) and, on a case's page, the views of that case.

The callers are entry points: each commits the row (`unit_of_work`); a read-only API view in autocommit
(app/api/reads.py) commits it with its one statement."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from flask import g, has_request_context
from sqlalchemy import insert, select

from app.cases.access import sees_reporter
from app.core.clock import utcnow
from app.core.vocab import role_label
from app.db import db, write_beside_read
from app.models.auth import User
from app.models.cases import Case
from app.models.intake import IntakeReport
from app.models.people import ReporterView
from app.web.schema_forms import N_

CHANNEL_LABELS = {
    "page": N_("Halaman perkara"),
    "api": N_("API perkara"),
    "export": N_("Ekspor daftar perkara"),
    "intake_page": N_("Halaman laporan masuk"),
    "intake_api": N_("API laporan masuk"),
}


def _has_reporter(record: Any) -> bool:
    return bool(getattr(record, "reporter_name", None) or getattr(record, "reporter_contact", None))


def _row(user: Any, channel: str, now: datetime, **values: Any) -> dict[str, Any]:
    return {
        "at": now,
        "user_id": user.id,
        "role": str(user.role),
        "channel": channel,
        "request_id": (g.get("request_id") or None) if has_request_context() else None,
        **values,
    }


def log_case_view(user: Any, case: Case, channel: str) -> bool:
    """Log that `user` was shown the reporter of `case` (only when it was: staff, and the case has one)."""
    if not sees_reporter(user) or not _has_reporter(case):
        return False
    write_beside_read(insert(ReporterView), [_row(user, channel, utcnow(), case_id=case.id)])
    return True


def log_report_views(user: Any, shown: Iterable[Mapping[str, Any]], channel: str) -> int:
    """Log that `user` was shown the reporters of intake reports as answered (`report_out`'s dicts: those whose
    reporter has a name or contact), in one statement for all of them."""
    if not sees_reporter(user):
        return 0
    now = utcnow()
    rows = [_row(user, channel, now, report_id=out["id"]) for out in shown if _shows_reporter(out)]
    if rows:
        write_beside_read(insert(ReporterView), rows)
    return len(rows)


def _shows_reporter(out: Mapping[str, Any]) -> bool:
    reporter = out.get("reporter") or {}
    return bool(reporter.get("name") or reporter.get("contact"))


def log_export(user: Any, scope: Mapping[str, Any]) -> bool:
    """Log an export of the case list with the reporter's columns (its filters, or the chosen cases' ids)."""
    if not sees_reporter(user):
        return False
    clean = {k: (v if isinstance(v, (str, int, float, bool, type(None), list)) else str(v)) for k, v in scope.items()}
    write_beside_read(insert(ReporterView), [_row(user, "export", utcnow(), scope=clean)])
    return True


def _out(view: ReporterView, user_name: str | None, number: str | None, tracking: str | None) -> dict[str, Any]:
    return {
        "id": view.id,
        "at": view.at,
        "user_id": view.user_id,
        "user_name": user_name,
        "role": view.role,
        "role_label": role_label(view.role),
        "channel": view.channel,
        "channel_label": CHANNEL_LABELS[view.channel],
        "case_id": view.case_id,
        "case_number": number,
        "report_id": view.report_id,
        "tracking_code": tracking,
        "scope": view.scope,
    }


def reporter_views(
    *, case_id: int | None = None, limit: int = 100, before_id: int | None = None
) -> list[dict[str, Any]]:
    """The log, newest first (of one case when `case_id`), `limit` rows before `before_id`."""
    stmt = (
        select(ReporterView, User.name, Case.number, IntakeReport.tracking_code)
        .outerjoin(User, User.id == ReporterView.user_id)
        .outerjoin(Case, Case.id == ReporterView.case_id)
        .outerjoin(IntakeReport, IntakeReport.id == ReporterView.report_id)
        .order_by(ReporterView.id.desc())
        .limit(limit)
    )
    if case_id is not None:
        stmt = stmt.where(ReporterView.case_id == case_id)
    if before_id:
        stmt = stmt.where(ReporterView.id < before_id)
    return [_out(*row) for row in db.session.execute(stmt).all()]
