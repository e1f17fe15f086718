"""Validating one row: turns the cells of a row (field -> value) into the rows to insert, or refuses it with
every problem found, in Indonesian.

The case's own fields go through the same schema as a case logged through the API (`NewCaseSchema`); what each
status requires of the rest (reason, recommendation, clarification, follow-up, closing) is read from
`STATUS_RULES` (app/core/states.py), the table the workflow is tested against. Deadlines and escalation levels
are computed as the workflow and the sweep would have computed them.

Why it is long: one row carries a whole case's life (the case, its recommendation and deadline, its escalation,
clarification and follow-up, with the sanction rules of app/core/sanction_rules.py), and each part is checked
against what its status requires, every problem gathered for the one error report of the row.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from marshmallow import ValidationError

from app.agencies.services import ended_agencies, ended_message, has_ended
from app.cases.importing.context import AgencyInfo, ImportContext, PreparedRow
from app.cases.importing.reading import (
    CATEGORY_VALUES,
    FIELD_LABELS,
    FORM_VALUES,
    SANCTION_VALUES,
    SOURCE_VALUES,
    STATUS_VALUES,
    SUBCATEGORY_VALUES,
    employee_in_row,
    lookup_value,
    normalize_value,
    optional_text,
    parse_date,
    parse_instant,
)
from app.cases.importing.writing import recommendation_row
from app.cases.schemas import NewCaseSchema
from app.core.sanction_rules import Employee, employee_of_nip, sanction_problem
from app.core.states import STATUS_LABELS, STATUS_RULES, CaseStatus, Need, RecommendationStage
from app.core.vocab import Category, Source, is_lighter

ST = CaseStatus
STAGE = RecommendationStage
RECOMMENDATION_FIELDS = ("sanction", "sanction_form", "legal_basis", "recommendation_text", "letter_number",
                         "issued_on", "received_on", "due_on", "escalation_level", "escalated_on")  # fmt: skip
FOLLOW_UP_FIELDS = ("decision_number", "decision_date", "sanction_imposed", "imposed_form", "followed_up_on",
                    "follow_up_note")  # fmt: skip
CLARIFICATION_FIELDS = ("clarification_letter", "clarification_reason", "clarification_on")
NO_RECOMMENDATION = frozenset({STAGE.ABSENT})
DRAFTED_ONLY = frozenset({STAGE.DRAFTED})
ISSUED_ONLY = frozenset({STAGE.ISSUED})


class RowInvalid(Exception):
    """The row cannot be imported; `messages` says why, each problem once."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


def stable_reference(agency_code: str, nip: str, occurred_on: date, category: str, subcategory: str | None) -> str:
    """The external reference of a row without one: a hash of the fields that identify the violation."""
    key = "|".join([agency_code.upper(), nip, occurred_on.isoformat(), category, subcategory or ""])
    return "imp-" + hashlib.sha256(key.encode()).hexdigest()[:40]


_SCHEMA = NewCaseSchema()
_SCHEMA_FIELDS = {
    "agency_id": "agency",
    "category": "category",
    "subcategory": "subcategory",
    "source": "source",
    "summary": "summary",
    "occurred_on": "occurred_on",
    "name": "reported_name",
    "nip": "reported_nip",
    "position": "reported_position",
    "reporter": "reporter_name",
}


# marshmallow's own English messages, said in Indonesian.
_SCHEMA_MESSAGES = (
    (re.compile(r"Shorter than minimum length (\d+)\."), r"terlalu pendek (minimal \1 karakter)"),
    (re.compile(r"Longer than maximum length (\d+)\."), r"terlalu panjang (maksimal \1 karakter)"),
    (re.compile(r"Length must be between (\d+) and (\d+)\."), r"panjang harus \1 sampai \2 karakter"),
    (re.compile(r"Not a valid string\."), "bukan teks yang sah"),
    (re.compile(r"Not a valid date\."), "bukan tanggal yang sah"),
    (re.compile(r"Missing data for required field\."), "wajib diisi"),
    (re.compile(r"Field may not be null\."), "wajib diisi"),
    (re.compile(r"Unknown field\."), "kolom tidak dikenal"),
)


def _indonesian(message: str) -> str:
    for pattern, replacement in _SCHEMA_MESSAGES:
        if pattern.fullmatch(message):
            return pattern.sub(replacement, message)
    return message


def _flatten(messages: Any, prefix: str = "") -> list[str]:
    out: list[str] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = _SCHEMA_FIELDS.get(str(key))
            label = FIELD_LABELS.get(name, str(key)) if name else prefix or str(key)
            out += _flatten(value, label if name else prefix or label)
    elif isinstance(messages, list | tuple):
        for item in messages:
            out += _flatten(item, prefix)
    else:
        text = _indonesian(str(messages))
        out.append(f"{prefix}: {text}" if prefix else text)
    return out


def _sanction_errors(cells: dict[str, Any], level: str | None, form: str | None, field: str, nip: str) -> list[str]:
    """The sanction rule every place applies (app/core/sanction_rules.py) for the person the row names (PNS or
    PPPK: as "jenis pegawai" says, else as the NIP shows), said on the form's column."""
    problem = sanction_problem(level, form, employee=employee_in_row(cells) or employee_of_nip(nip))
    return [f"{FIELD_LABELS[field]}: {problem}"] if problem else []


class RowValidator:
    """Turns one row (field -> cell) into the values to insert, or raises RowInvalid with every problem."""

    def __init__(self, ctx: ImportContext):
        self.ctx = ctx
        self.ended = ended_agencies()  # id -> (ended_on, successor's name): an ended agency takes no new case

    def prepare(self, line: int, cells: dict[str, Any]) -> PreparedRow:
        errors: list[str] = []
        agency: AgencyInfo | None = None
        try:
            agency = self.ctx.agency(cells.get("agency"), cells.get("agency_name"))
        except ValueError as exc:
            errors.append(f"Instansi: {exc}")
        core = self._core(cells, agency, errors)
        status = self._status(cells, errors)
        tz = agency.tz if agency else ZoneInfo("Asia/Jakarta")
        dates = self._dates(cells, tz, errors)
        if errors or agency is None or core is None or status is None:
            raise RowInvalid(errors or ["baris tidak valid"])
        prepared = self._assemble(line, cells, agency, core, status, dates, errors)
        if errors:
            raise RowInvalid(errors)
        return prepared

    # core fields: the same schema as a case logged through the API
    def _core(self, cells: dict[str, Any], agency: AgencyInfo | None, errors: list[str]) -> dict[str, Any] | None:
        category = lookup_value(CATEGORY_VALUES, cells.get("category"), "category", errors, required=True)
        source = lookup_value(SOURCE_VALUES, cells.get("source"), "source", errors, required=True)
        occurred: date | None = None
        if cells.get("occurred_on") is None:
            errors.append("Tanggal kejadian: wajib diisi")
        else:
            try:
                occurred = parse_date(cells["occurred_on"])
            except ValueError:
                errors.append(f"Tanggal kejadian: '{cells['occurred_on']}' bukan tanggal yang dikenali")
        nip_cell = cells.get("reported_nip")
        if isinstance(nip_cell, int | float) and not isinstance(nip_cell, bool):
            # A spreadsheet number keeps 15 significant digits: the last digits of an 18-digit NIP are lost.
            errors.append("NIP: tersimpan sebagai angka sehingga digit terakhir hilang; format kolom NIP sebagai teks")
        reporter = None
        if cells.get("reporter_name") or cells.get("reporter_contact"):
            reporter = {
                "name": optional_text(cells.get("reporter_name")),
                "contact": optional_text(cells.get("reporter_contact")),
            }
        subcategory = optional_text(cells.get("subcategory"))
        if subcategory and category == Category.NETRALITAS.value:
            # A neutrality sub-type by its key or its label; an unknown one reaches the schema as written.
            subcategory = SUBCATEGORY_VALUES.get(normalize_value(subcategory), subcategory)
        # Fields already found wrong above get a stand-in, so each problem is reported once.
        payload = {
            "agency_id": agency.id if agency else 0,
            "category": category or Category.KODE_ETIK_LAINNYA.value,
            "subcategory": subcategory,
            "source": source or Source.MONITORING.value,
            "reported_person": {
                "name": optional_text(cells.get("reported_name")) or "",
                "nip": optional_text(cells.get("reported_nip")) or "",
                "position": optional_text(cells.get("reported_position")),
                "pppk": employee_in_row(cells, errors) is Employee.PPPK,
            },
            "summary": optional_text(cells.get("summary")) or "",
            "occurred_on": (occurred or date(2000, 1, 1)).isoformat(),
            "reporter": reporter,
        }
        try:
            clean = _SCHEMA.load(payload)
        except ValidationError as exc:
            errors.extend(_flatten(exc.messages))
            return None
        return None if errors else clean

    def _status(self, cells: dict[str, Any], errors: list[str]) -> CaseStatus | None:
        raw = cells.get("status")
        if raw is None:
            return ST.REPORTED
        value = STATUS_VALUES.get(normalize_value(str(raw)))
        if value is None:
            errors.append(f"Status: '{raw}' tidak dikenal")
            return None
        return CaseStatus(value)

    def _dates(self, cells: dict[str, Any], tz: ZoneInfo, errors: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in ("reported_on", "issued_on", "closed_on", "escalated_on", "clarification_on", "followed_up_on"):
            if cells.get(name) is not None:
                try:
                    out[name] = parse_instant(cells[name], tz)
                except ValueError:
                    errors.append(f"{FIELD_LABELS[name]}: '{cells[name]}' bukan tanggal yang dikenali")
        if cells.get("due_on") is not None:
            try:
                out["due_on"] = parse_instant(cells["due_on"], tz, end_of_day=True)
            except ValueError:
                errors.append(f"Tenggat: '{cells['due_on']}' bukan tanggal yang dikenali")
        for name in ("received_on", "decision_date"):
            if cells.get(name) is not None:
                try:
                    out[name] = parse_date(cells[name])
                except ValueError:
                    errors.append(f"{FIELD_LABELS[name]}: '{cells[name]}' bukan tanggal yang dikenali")
        for name, value in out.items():
            instant = value if isinstance(value, datetime) else datetime.combine(value, time.min, tzinfo=tz)
            if instant > self.ctx.now + timedelta(days=1) and name != "due_on":
                errors.append(f"{FIELD_LABELS[name]}: tidak boleh di masa depan")
        return out

    def _assemble(
        self,
        line: int,
        cells: dict[str, Any],
        agency: AgencyInfo,
        core: dict[str, Any],
        status: CaseStatus,
        dates: dict[str, Any],
        errors: list[str],
    ) -> PreparedRow:
        ctx = self.ctx
        tz = agency.tz
        person = core["reported_person"]
        reporter = core.get("reporter") or {}
        occurred: date = core["occurred_on"]
        created_at: datetime = dates.get("reported_on") or ctx.now
        if dates.get("reported_on") and dates["reported_on"].astimezone(tz).date() < occurred:
            errors.append("Tanggal laporan: tidak boleh sebelum tanggal kejadian")
        ended_on, successor = self.ended.get(agency.id, (None, None))
        if ended_on is not None and has_ended(ended_on, created_at.astimezone(tz).date()):
            errors.append(f"Instansi: {ended_message(agency.code, ended_on, successor)}")
        external_ref = optional_text(cells.get("external_ref")) or stable_reference(
            agency.code, person["nip"], occurred, core["category"], core.get("subcategory")
        )
        if len(external_ref) > 100:
            errors.append("Referensi: paling banyak 100 karakter")
        case: dict[str, Any] = {
            "agency_id": agency.id,
            "category": core["category"],
            "subcategory": core.get("subcategory"),
            "source": core["source"],
            "reported_name": person["name"],
            "reported_nip": person["nip"],
            "reported_position": person.get("position"),
            "summary": core["summary"],
            "occurred_on": occurred,
            "reporter_name": reporter.get("name"),
            "reporter_contact": reporter.get("contact"),
            "status": status.value,
            "version": 1,
            "dismiss_reason": None,
            "close_reason": None,
            "external_ref": external_ref,
            "created_by_id": ctx.actor_id,
            "assignee_id": ctx.assignee_id,
            "team": None,
            "created_at": created_at,
            "updated_at": ctx.now,
            "issued_at": None,
            "closed_at": None,
        }
        prepared = PreparedRow(line=line, external_ref=external_ref, year=created_at.astimezone(tz).year, case=case)

        self._status_parts(prepared, cells, agency, status, dates, errors)
        prepared.payload = {
            "external_ref": external_ref,
            "file": ctx.filename,
            "row": line,
            "status": status.value,
            "agency_id": agency.id,
            "category": case["category"],
            "source": case["source"],
            "has_reporter": bool(reporter.get("name") or reporter.get("contact")),
            "reported_on": created_at.isoformat() if dates.get("reported_on") else None,
        }
        return prepared

    def _status_parts(
        self,
        prepared: PreparedRow,
        cells: dict[str, Any],
        agency: AgencyInfo,
        status: CaseStatus,
        dates: dict[str, Any],
        errors: list[str],
    ) -> None:
        """What the status requires (`STATUS_RULES`: reason, recommendation, follow-up, clarification, closing)
        and what it may not have."""
        case = prepared.case
        rules = STATUS_RULES[status]
        has_rec = any(cells.get(f) is not None for f in RECOMMENDATION_FIELDS)
        has_fu = any(cells.get(f) is not None for f in FOLLOW_UP_FIELDS)
        has_cl = any(cells.get(f) is not None for f in CLARIFICATION_FIELDS)
        reason = optional_text(cells.get("status_reason"))
        if rules.reason_column is not None:
            if not reason:
                errors.append(f"Alasan: wajib diisi untuk status {STATUS_LABELS[status]}")
            case[rules.reason_column] = reason
        if rules.recommendation == NO_RECOMMENDATION and (has_rec or has_fu or has_cl):
            errors.append(f"Status {STATUS_LABELS[status]} tidak boleh memiliki data rekomendasi atau tindak lanjut")
            return
        if STAGE.ABSENT not in rules.recommendation or has_rec:
            self._recommendation(prepared, cells, agency, status, dates, errors)
        if has_fu and rules.follow_up is Need.FORBIDDEN:
            errors.append(f"Status {STATUS_LABELS[status]} tidak boleh memiliki data tindak lanjut (SK)")
        elif rules.follow_up is Need.REQUIRED or has_fu:
            self._follow_up(prepared, cells, status, dates, errors)
        # A file gives an objection only as the reason a case waits (the status that requires one): the objection
        # a case closed while it waited may keep (Need.OPTIONAL) is not imported.
        if has_cl and rules.clarification is not Need.REQUIRED:
            errors.append(f"Status {STATUS_LABELS[status]} tidak boleh memiliki data sanggahan")
        elif rules.clarification is Need.REQUIRED:
            self._clarification(prepared, cells, dates, errors)
        if rules.closed:
            fallback = (prepared.follow_up or {}).get("reported_at") or case["created_at"]
            case["closed_at"] = dates.get("closed_on") or fallback

    def _recommendation(
        self,
        prepared: PreparedRow,
        cells: dict[str, Any],
        agency: AgencyInfo,
        status: CaseStatus,
        dates: dict[str, Any],
        errors: list[str],
    ) -> None:
        ctx = self.ctx
        case = prepared.case
        sanction = lookup_value(SANCTION_VALUES, cells.get("sanction"), "sanction", errors, required=True)
        form = lookup_value(FORM_VALUES, cells.get("sanction_form"), "sanction_form", errors)
        errors += _sanction_errors(cells, sanction, form, "sanction_form", case["reported_nip"])
        letter = optional_text(cells.get("letter_number"))
        issued_at: datetime | None = dates.get("issued_on")
        stages = STATUS_RULES[status].recommendation
        # Issued when the status says so, or when it allows either stage (closed) and the file gives the day.
        issued = stages == ISSUED_ONLY or (STAGE.ISSUED in stages and issued_at is not None)
        if stages == DRAFTED_ONLY and (letter or issued_at or cells.get("due_on") is not None):
            errors.append("Status Draf rekomendasi: nomor surat, tanggal rekomendasi dan tenggat belum boleh diisi")
            issued = False
        if issued and not letter:
            errors.append("Nomor surat rekomendasi: wajib diisi untuk rekomendasi yang telah terbit")
        if issued and issued_at is None:
            errors.append("Tanggal rekomendasi: wajib diisi untuk rekomendasi yang telah terbit")
        rec = recommendation_row(
            case_id=None,  # known once the case is written
            agency_id=agency.id,
            sanction=sanction,
            sanction_form=form,
            legal_basis=optional_text(cells.get("legal_basis")) or "",
            text=optional_text(cells.get("recommendation_text")) or "",
            drafted_by_id=ctx.actor_id,
            drafted_at=issued_at or case["created_at"],
            letter_number=letter if issued else None,
            issued_by_id=ctx.actor_id if issued else None,
        )
        prepared.recommendation = rec
        if not issued or issued_at is None or sanction is None:
            return
        tz = agency.tz
        issued_day = issued_at.astimezone(tz).date()
        if issued_day < case["occurred_on"]:
            errors.append("Tanggal rekomendasi: tidak boleh sebelum tanggal kejadian")
        received: date = dates.get("received_on") or issued_day
        if received < issued_day:
            errors.append("Tanggal diterima PPK: tidak boleh sebelum tanggal rekomendasi")
        days, rule_code = ctx.rule(received)
        if dates.get("due_on") is not None:
            due_at, version = dates["due_on"], "impor"
        else:
            due_at, version = ctx.calendar.due_at(agency, received, days)
        if due_at < issued_at:
            errors.append("Tenggat: tidak boleh sebelum tanggal rekomendasi")
        rec.update(
            {
                "authority_name": ctx.authority(issued_day),
                "issued_at": issued_at,
                "received_on": received,
                "working_days": days,
                "due_at": due_at,
                "due_calendar_version": version,
                "deadline_rule_code": rule_code,
                "is_open": STATUS_RULES[status].deadline_running,
            }
        )
        case["issued_at"] = issued_at
        self._escalation(prepared, cells, agency, status, dates, errors)

    def _escalation(
        self,
        prepared: PreparedRow,
        cells: dict[str, Any],
        agency: AgencyInfo,
        status: CaseStatus,
        dates: dict[str, Any],
        errors: list[str],
    ) -> None:
        rec = prepared.recommendation
        assert rec is not None
        due_at: datetime = rec["due_at"]
        ctx = self.ctx
        level_raw = cells.get("escalation_level")
        if level_raw is not None:
            try:
                level = int(float(str(level_raw).strip()))
            except ValueError:
                level = -1
            if not 0 <= level <= 3:
                errors.append(f"Tingkat eskalasi: '{level_raw}' harus 0, 1, 2 atau 3")
            else:
                rec["escalation_level"] = level
                prepared.escalation_level = level
                prepared.escalation_reached = [dates.get("escalated_on") or due_at] * (level + 1)
        elif STATUS_RULES[status].deadline_running:
            # Still open, and the file does not say how far it went: the levels its dates have already passed
            # are recorded as reached (never emailed), so the sweep escalates only what falls due from now on.
            reached = ctx.passed_levels(agency, due_at, rec["issued_at"].astimezone(ZoneInfo(agency.timezone)).date())
            if reached:
                rec["escalation_level"] = prepared.escalation_level = len(reached) - 1
                prepared.escalation_reached = reached

    def _follow_up(
        self, prepared: PreparedRow, cells: dict[str, Any], status: CaseStatus, dates: dict[str, Any], errors: list[str]
    ) -> None:
        rec = prepared.recommendation
        if rec is None or rec.get("issued_at") is None:
            errors.append("Tindak lanjut (SK) memerlukan rekomendasi yang telah terbit (nomor dan tanggal rekomendasi)")
            return
        number = optional_text(cells.get("decision_number"))
        if not number:
            errors.append("Nomor SK: wajib diisi")
        decided: date | None = dates.get("decision_date")
        if cells.get("decision_date") is None:
            errors.append("Tanggal SK: wajib diisi")
        imposed = lookup_value(
            SANCTION_VALUES, cells.get("sanction_imposed"), "sanction_imposed", errors, required=True
        )
        form = lookup_value(FORM_VALUES, cells.get("imposed_form"), "imposed_form", errors)
        errors += _sanction_errors(cells, imposed, form, "imposed_form", prepared.case["reported_nip"])
        if decided is None or imposed is None or not number or rec["sanction"] is None:
            return
        tz = ZoneInfo(self.ctx.timezone_of(prepared.case["agency_id"]))
        issued_day = rec["issued_at"].astimezone(tz).date()
        if decided < issued_day:
            errors.append("Tanggal SK: tidak boleh sebelum tanggal rekomendasi")
        reported_at: datetime = dates.get("followed_up_on") or datetime.combine(decided, time.min, tzinfo=tz)
        if reported_at < rec["issued_at"]:
            errors.append("Tanggal tindak lanjut: tidak boleh sebelum tanggal rekomendasi")
        taken = self.ctx.calendar.working_days_between(
            rec["received_on"], reported_at.astimezone(tz).date(), prepared.case["agency_id"]
        )
        verdict = STATUS_RULES[status].follow_up_verdict
        prepared.follow_up = {
            "decision_number": number,
            "decision_date": decided,
            "sanction_imposed": imposed,
            "sanction_form": form,
            "note": optional_text(cells.get("follow_up_note")),
            "is_lighter": is_lighter(imposed, rec["sanction"]),
            "is_late": reported_at > rec["due_at"],
            "working_days_taken": taken,
            "document_id": None,
            "reported_by_id": None,
            "reported_at": reported_at,
            "verdict": verdict,
            "verdict_reason": None,
            "verdict_by_id": self.ctx.actor_id if verdict else None,
            "verdict_at": (dates.get("closed_on") or reported_at) if verdict else None,
        }
        rec["followed_up_at"] = reported_at

    def _clarification(
        self, prepared: PreparedRow, cells: dict[str, Any], dates: dict[str, Any], errors: list[str]
    ) -> None:
        letter = optional_text(cells.get("clarification_letter"))
        if not letter:
            errors.append("Nomor surat sanggahan: wajib diisi untuk status Sanggahan / klarifikasi PPK")
            return
        rec = prepared.recommendation or {}
        requested_at = dates.get("clarification_on") or rec.get("issued_at") or prepared.case["created_at"]
        prepared.clarification = {
            "letter_number": letter,
            "reason": optional_text(cells.get("clarification_reason")) or "(diimpor tanpa uraian)",
            "document_id": None,
            "requested_by_id": None,
            "requested_at": requested_at,
            "outcome": None,
        }
        if prepared.recommendation is not None:
            prepared.recommendation["paused_at"] = requested_at
