"""People endpoints: a person's record, merging a mistyped NIP, a selection panel's check before a promotion and
the log of look-ups. Thin: parse, call app/people, serialize."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_smorest import Blueprint

from app.api.openapi import file_response
from app.api.security import current_api_user, require_auth, require_role
from app.core.vocab import Role
from app.db import unit_of_work
from app.errors import ValidationFailed
from app.models.people import holder_out
from app.people import checks, holders, services
from app.people.schemas import (
    CheckIn,
    CheckOut,
    PersonMergeIn,
    PersonMergeOut,
    PersonRecordOut,
    PpkCandidacyIn,
    PpkCandidacyOut,
    PpkHolderIn,
    PpkHolderOut,
    PpkHolderPageOut,
    RecordLookupPageOut,
)

blp = Blueprint("people", __name__, description="Orang (ASN): rekam jejak, penggabungan NIP, pemeriksaan calon")
SECURITY = [{"bearerAuth": []}]


@blp.route("/people/<nip>")
@blp.doc(security=SECURITY)
@blp.response(200, PersonRecordOut)
@require_auth
def person_record(nip: str) -> dict[str, Any]:
    """A civil servant's record: every case the caller may see (`items`, each with its `number`), recommendations,
    sanctions imposed and blocks of data, across agencies. 404 for an unknown NIP or a person the caller may not
    see (a PPK: only the cases of its agency it already sees). Each view is logged."""
    user = current_api_user()
    with unit_of_work():
        person = services.find_person(user, nip)
        out = services.person_record(user, person)
        services.log_lookup(user, "view", [person.nip])
    return out


@blp.route("/people/merges", methods=["POST"])
@blp.doc(security=SECURITY, requestBody={"required": True, "content": {"application/json": {"schema": PersonMergeIn}}})
@blp.response(201, PersonMergeOut)
@require_role(Role.INVESTIGATOR, Role.COMMISSIONER)
def merge() -> dict[str, Any]:
    """Merge the person of a mistyped NIP into the right person (its cases move; each case's history says so)."""
    user = current_api_user()
    body = request.get_json(silent=False)
    if not isinstance(body, dict):
        raise ValidationFailed("Badan permintaan harus berupa objek JSON.")
    with unit_of_work():
        row = services.merge_people(body.get("from_nip", ""), body.get("into_nip", ""), body.get("reason", ""), user)
        out = services.merge_out(row)
    return out


def _check_input() -> tuple[Any, Any, Any, Any]:
    """The check's input: JSON `{nips, purpose, years?, rule?}`, or a form with a CSV `file` (and/or `nips`, one per
    line) and `purpose`, `years`, `rule`."""
    if request.mimetype == "multipart/form-data" or request.mimetype == "application/x-www-form-urlencoded":
        nips: list[str] = []
        upload = request.files.get("file")
        if upload is not None and upload.filename:
            nips += checks.nips_from_csv(upload.read(checks.MAX_CSV_BYTES + 1))
        typed = request.form.get("nips") or ""
        nips += [line.strip() for line in typed.replace(",", "\n").splitlines() if line.strip()]
        form = request.form
        return nips, form.get("purpose"), form.get("years"), form.get("rule")
    body = request.get_json(silent=False)
    if not isinstance(body, dict):
        raise ValidationFailed("Badan permintaan harus berupa objek JSON.")
    return body.get("nips"), body.get("purpose"), body.get("years"), body.get("rule")


FORMAT_PARAM = {
    "name": "format",
    "in": "query",
    "schema": {"type": "string", "enum": ["json", "csv", "pdf"], "default": "json"},
    "description": "Bentuk jawaban: JSON, CSV (satu baris per perkara) atau PDF",
}


@blp.route("/people/checks", methods=["POST"])
@blp.doc(
    security=SECURITY,
    parameters=[FORMAT_PARAM],
    requestBody={
        "required": True,
        "content": {
            "application/json": {"schema": CheckIn},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "CSV: kolom `nip` atau kolom pertama",
                        },
                        "nips": {"type": "string", "description": "NIP, satu per baris"},
                        "purpose": {"type": "string"},
                        "years": {"type": "integer"},
                        "rule": {"type": "string", "enum": ["jpt"]},
                    },
                    "required": ["purpose"],
                }
            },
        },
    },
    responses={"200": {**file_response("CSV atau PDF (format=csv|pdf)", ["text/csv", "application/pdf"])}},
)
@blp.response(200, CheckOut)
@require_role(Role.PANEL)
def check() -> Any:
    """The check before a promotion (selection panel): per NIP, no record or the decided cases within the period
    the rules set, with state and sanctions; never the reporter, the evidence or an undecided case. Logged."""
    user = current_api_user()
    fmt = (request.args.get("format") or "json").lower()
    if fmt not in ("json", "csv", "pdf"):
        raise ValidationFailed("Format tidak dikenal.", details={"fields": {"format": ["Pilih json, csv atau pdf."]}})
    nips, purpose, years, rule = _check_input()
    with unit_of_work():
        result = checks.run_check(user, nips, purpose, years=years, rule=rule)
    return checks.answer(result, fmt, user)


@blp.route("/people/lookups")
@blp.doc(
    security=SECURITY,
    parameters=[
        {"name": "kind", "in": "query", "schema": {"type": "string", "enum": ["check", "view"]}},
        {"name": "before_id", "in": "query", "schema": {"type": "integer"}},
    ],
)
@blp.response(200, RecordLookupPageOut)
@require_role(Role.ADMIN)
def lookups() -> dict[str, Any]:
    """Every look-up of a record (panel checks and views), newest first, 200 a page (administrators)."""
    kind = request.args.get("kind")
    if kind not in (None, "", "check", "view"):
        raise ValidationFailed("Jenis tidak dikenal.", details={"fields": {"kind": ["Pilih check atau view."]}})
    before = request.args.get("before_id")
    before_id = int(before) if before and before.isdigit() and len(before) < 11 else None
    return {"items": services.all_lookups(kind or None, before_id=before_id)}


@blp.route("/agencies/<id:agency_id>/ppk-holders")
@blp.doc(security=SECURITY)
@blp.response(200, PpkHolderPageOut)
@require_auth
def ppk_holders(agency_id: int) -> dict[str, Any]:
    """Who held the agency's PPK office, from when to when, definitive or acting (newest first), each with its
    candidacies in elections (an incumbent). The authority's roles and the ministries read every agency's, a PPK
    its own agency's only (404 otherwise)."""
    return {"items": holders.holders_of(current_api_user(), agency_id)}


@blp.route("/agencies/<id:agency_id>/ppk-holders", methods=["POST"])
@blp.doc(security=SECURITY, requestBody={"required": True, "content": {"application/json": {"schema": PpkHolderIn}}})
@blp.response(201, PpkHolderOut)
@require_role(Role.ADMIN)
def add_ppk_holder(agency_id: int) -> dict[str, Any]:
    """Record a PPK office holder of the agency (administrators); a recommendation names the holder in office
    on its day of issue."""
    user = current_api_user()
    with unit_of_work():
        row = holders.add_holder(agency_id, request.get_json(silent=False), user)
        out = holder_out(row)
    return out  # type: ignore[return-value]


@blp.route("/agencies/<id:agency_id>/ppk-holders/<id:holder_id>/candidacies", methods=["POST"])
@blp.doc(security=SECURITY, requestBody={"required": True, "content": {"application/json": {"schema": PpkCandidacyIn}}})
@blp.response(201, PpkCandidacyOut)
@require_role(Role.ADMIN, Role.INVESTIGATOR, Role.COMMISSIONER)
def add_candidacy(agency_id: int, holder_id: int) -> dict[str, Any]:
    """Record that the office holder stands as a candidate in an election, since a day (administrators and the
    authority's staff). The holder is then an incumbent: every neutrality case of that election in the agency is
    flagged "PPK petahana mencalonkan diri" while the holder is in office, and climbs the escalation ladder
    `INCUMBENT_ESCALATION_SHIFT` levels earlier. 422 naming every field (one candidacy per holder and election)."""
    user = current_api_user()
    with unit_of_work():
        out = holders.add_candidacy(agency_id, holder_id, request.get_json(silent=False), user)
    return out
