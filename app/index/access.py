"""IM-NKK checks shared by every index operation: valid ids, years and cursors, and who may see or do what.

Who may see what (docs/index-method.md §11):
- KASN roles (investigator, commissioner, admin) see everything; investigators and commissioners verify
  self-assessments, a commissioner takes the plenary decision and freezes (publishes) a year.
- an overseer (Menpan-RB / Kemendagri) sees the ranking and every agency's scores and indicators, not the
  cases behind them and not the self-assessment answers or evidence;
- a PPK sees its own agency only (its item of the index, its page, its cases, its self-assessment, which
  it fills in); anything of another agency is 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from app.core.clock import utcnow
from app.core.vocab import CASE_STAFF, KASN_ROLES, Role
from app.db import MAX_ROW_ID, valid_row_id
from app.errors import Forbidden, NotFound, ValidationFailed
from app.models.auth import User

NATIONAL_TZ = "Asia/Jakarta"
MIN_YEAR, MAX_YEAR = 2000, 2100


# --- ids, years, cursors ---------------------------------------------------------------------------------


def check_agency_id(agency_id: int) -> int:
    """404 for an id no agency can have (never a database overflow)."""
    if not valid_row_id(int(agency_id)):
        raise NotFound("Instansi tidak ditemukan.")
    return int(agency_id)


def check_cursor(cursor: Any) -> int | None:
    """A case-id cursor: digits within the id range, else 422."""
    if cursor is None or cursor == "":
        return None
    text = str(cursor)
    if not text.isdigit() or int(text) > MAX_ROW_ID:
        raise ValidationFailed("Kursor halaman tidak sah.", details={"fields": {"cursor": ["tidak sah"]}})
    return int(text)


def check_year(year: int) -> int:
    if not MIN_YEAR <= int(year) <= MAX_YEAR:
        raise ValidationFailed("Tahun tidak sah.", details={"fields": {"year": [f"antara {MIN_YEAR} dan {MAX_YEAR}"]}})
    return int(year)


def current_year(now: datetime | None = None) -> int:
    return (now or utcnow()).astimezone(ZoneInfo(NATIONAL_TZ)).year


# --- who may see what ------------------------------------------------------------------------------------


def is_kasn(user: User) -> bool:
    return user.role in KASN_ROLES


def can_see_ranking(user: User) -> bool:
    return user.role in KASN_ROLES or user.role == Role.OVERSEER


def check_index_reader(user: User) -> None:
    """403 for a role that sees no part of the index."""
    if user.role not in KASN_ROLES and user.role not in (Role.OVERSEER, Role.PPK):
        raise Forbidden("Peran Anda tidak berwenang melihat indeks.")


def visible_agency_ids(user: User) -> set[int] | None:
    """None: every agency; otherwise the only agencies whose index items the user may see."""
    if user.role == Role.PPK:
        return {user.agency_id} if user.agency_id is not None else set()
    return None


def check_agency_visible(user: User, agency_id: int) -> None:
    """404 for an agency the user may not see (DESIGN §1: do not confirm that it exists)."""
    check_agency_id(agency_id)
    allowed = visible_agency_ids(user)
    if allowed is not None and agency_id not in allowed:
        raise NotFound("Instansi tidak ditemukan.")
    check_index_reader(user)


def check_cases_visible(user: User, agency_id: int) -> None:
    """The cases behind an indicator: KASN roles, and a PPK for its own agency."""
    check_agency_visible(user, agency_id)
    if user.role == Role.OVERSEER:
        raise Forbidden("Daftar perkara di balik indikator hanya untuk KASN dan PPK instansi yang bersangkutan.")


# --- who may do what in the self-assessment --------------------------------------------------------------


def check_self_assessment_visible(user: User, agency_id: int) -> None:
    """The answers and evidence: KASN roles, and the agency's own PPK (another agency's is 404)."""
    check_agency_id(agency_id)
    if user.role == Role.PPK:
        if user.agency_id != agency_id:
            raise NotFound("Instansi tidak ditemukan.")
        return
    if user.role not in KASN_ROLES:
        raise Forbidden("Penilaian mandiri hanya untuk KASN dan PPK instansi yang bersangkutan.")


def check_ppk_of(user: User, agency_id: int) -> None:
    """Only the agency's own PPK fills in (and answers for) its self-assessment."""
    check_agency_id(agency_id)
    if user.role != Role.PPK:
        raise Forbidden("Hanya PPK instansi yang bersangkutan yang mengisi penilaian mandiri.")
    if user.agency_id != agency_id:
        raise NotFound("Instansi tidak ditemukan.")


def check_verifier(user: User, agency_id: int) -> None:
    """Investigators and commissioners verify answers and ask for clarification."""
    if user.role not in CASE_STAFF:
        raise Forbidden("Hanya penyelidik atau komisioner KASN yang memverifikasi penilaian mandiri.")
    check_agency_id(agency_id)


def check_commissioner(user: User | None, message: str) -> None:
    """The plenary decision and freezing a year are the commissioner's (no user: the CLI, trusted)."""
    if user is not None and user.role != Role.COMMISSIONER:
        raise Forbidden(message)


def check_admin(user: User | None, message: str) -> None:
    """Lifting a freeze is the administrator's (no user: the CLI, trusted)."""
    if user is not None and user.role != Role.ADMIN:
        raise Forbidden(message)
