"""The check before a promotion: a selection panel sends the NIPs of its candidates (a list or a CSV file) and
the purpose, and gets per candidate either no record or the cases within the period the rules set
(app/people/rules.py) with their state and sanctions; as JSON, CSV or PDF. Every check is logged (who, when,
which NIPs, why: `record_lookups`), visible to the administrators and in each person's record.

What the panel reads is decided in app/cases/access.py (`panel_cases`): decided cases only (the recommendation
issued), of any agency for a national panel, of its agency and of the people now in it for an agency's panel.
The answer never holds the reporter, the evidence, the summary or the authority's staff.
"""

from __future__ import annotations

import csv
import io
from calendar import monthrange
from datetime import date, datetime
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.agencies.authority import authority_on
from app.calendar.working_days import DEFAULT_TIMEZONE, local_date
from app.cases.access import panel_cases
from app.core.clock import utcnow
from app.core.nip import InvalidNIP, normalize_nip, parse_nip
from app.core.states import CaseStatus
from app.core.vocab import Role, Sanction
from app.db import db
from app.errors import Forbidden, ValidationFailed
from app.i18n import format_day
from app.letters.layout import Letterhead, Report
from app.models.agencies import Agency
from app.models.cases import Case
from app.models.outcomes import DataBlock
from app.models.people import Person
from app.people.rules import CHECK_RULES, DECIDED_STATUSES, DEFAULT_RULE, FORM_MONTHS, IN_PROCESS_STATUSES
from app.people.services import case_rows, log_lookup


def N_(text: str) -> str:  # noqa: N802 - marks a text for the catalogue (babel.cfg), translated where shown
    return text


VERDICTS = {
    "counts": N_("Ada catatan yang diperhitungkan menurut aturan"),
    "record": N_("Ada catatan (tidak diperhitungkan menurut aturan)"),
    "none": N_("Tidak ada catatan"),
}
MAX_NIPS = 500
MAX_CSV_BYTES = 256 * 1024


def may_check(user: Any) -> bool:
    return user.role == Role.PANEL


def nips_from_csv(data: bytes) -> list[str]:
    """The NIPs of a CSV file: the column headed `nip` (any case) when there is one, else the first column;
    separators `,` or `;`; a header row without digits is skipped."""
    if len(data) > MAX_CSV_BYTES:
        raise ValidationFailed(
            "Berkas CSV terlalu besar.", details={"fields": {"file": [f"Paling besar {MAX_CSV_BYTES // 1024} KB."]}}
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(
            "Berkas CSV tidak dapat dibaca.", details={"fields": {"file": ["Simpan berkas sebagai CSV UTF-8."]}}
        ) from exc
    sample = text[:2048]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    rows = [row for row in csv.reader(io.StringIO(text), delimiter=delimiter) if any(c.strip() for c in row)]
    if not rows:
        return []
    column = 0
    header = [c.strip().lower() for c in rows[0]]
    if "nip" in header:
        column = header.index("nip")
        rows = rows[1:]
    elif not any(ch.isdigit() for ch in rows[0][0]):
        rows = rows[1:]
    return [row[column].strip() for row in rows if len(row) > column and row[column].strip()]


def _clean_nips(nips: Any, fields: dict[str, list[str]]) -> list[str]:
    clean: list[str] = []
    bad: list[str] = []
    if not isinstance(nips, list) or not nips:
        fields["nips"] = ["Masukkan paling sedikit satu NIP."]
        return clean
    for raw in nips:
        value = normalize_nip(raw if isinstance(raw, str) else str(raw))
        try:
            parse_nip(value, pppk=True)
        except InvalidNIP as exc:
            bad.append(f"{raw}: {exc}")
            continue
        if value not in clean:
            clean.append(value)
    if bad:
        fields["nips"] = bad[:50]
    elif len(clean) > MAX_NIPS:
        fields["nips"] = [f"Paling banyak {MAX_NIPS} NIP per pemeriksaan."]
    return clean


def _clean_years(years: Any, spec: Any, fields: dict[str, list[str]]) -> int:
    if years in (None, ""):
        return int(spec.years)
    try:
        period = 0 if isinstance(years, (bool, float)) else int(years)
    except (TypeError, ValueError):
        period = 0
    if not spec.min_years <= period <= spec.max_years:
        fields["years"] = [f"Masa pemeriksaan {spec.min_years}–{spec.max_years} tahun."]
    return period


def clean_request(nips: Any, purpose: Any, years: Any, rule: Any) -> tuple[list[str], str, int, str]:
    """Validate a check's input; 422 naming every field at once."""
    fields: dict[str, list[str]] = {}
    rule_code = rule or DEFAULT_RULE
    if not isinstance(rule_code, str) or rule_code not in CHECK_RULES:
        fields["rule"] = [f"Aturan tidak dikenal; pilih: {', '.join(CHECK_RULES)}."]
        rule_code = DEFAULT_RULE
    spec = CHECK_RULES[rule_code]
    purpose_text = purpose.strip() if isinstance(purpose, str) else ""
    if len(purpose_text) < 5:
        fields["purpose"] = ["Tuliskan tujuan pemeriksaan (paling sedikit 5 karakter), misalnya seleksi yang mana."]
    elif len(purpose_text) > 500:
        fields["purpose"] = ["Paling banyak 500 karakter."]
    period = _clean_years(years, spec, fields)
    clean = _clean_nips(nips, fields)
    if fields:
        raise ValidationFailed("Permintaan pemeriksaan tidak valid.", details={"fields": fields})
    return clean, purpose_text, period, rule_code


def _years_before(day: date, years: int) -> date:
    year = day.year - years
    return date(year, day.month, min(day.day, monthrange(year, day.month)[1]))


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def run_check(
    user: Any, nips: Any, purpose: Any, *, years: Any = None, rule: Any = None, now: datetime | None = None
) -> dict[str, Any]:
    """Check the candidates' records (a panel only: 403 for any other role) and log the look-up. Flushes."""
    if not may_check(user):
        raise Forbidden("Hanya panitia seleksi yang dapat memeriksa rekam jejak calon.")
    clean, purpose_text, period, rule_code = clean_request(nips, purpose, years, rule)
    spec = CHECK_RULES[rule_code]
    now = now or utcnow()
    panel_agency = db.session.get(Agency, user.agency_id) if user.agency_id else None
    today = local_date(now, panel_agency.timezone if panel_agency else DEFAULT_TIMEZONE)
    since = _years_before(today, period)

    people = {p.nip: p for p in db.session.scalars(select(Person).where(Person.nip.in_(clean)))}
    # A merged (mistyped) NIP answers for the person it was merged into.
    target_ids = {nip: (p.merged_into_id or p.id) for nip, p in people.items()}
    visible = panel_cases(user, DECIDED_STATUSES).with_only_columns(Case.id, Case.person_id)
    rows = db.session.execute(visible.where(Case.person_id.in_(set(target_ids.values())))).all() if people else []
    by_person: dict[int, list[int]] = {}
    for case_id, person_id in rows:
        by_person.setdefault(person_id, []).append(case_id)
    all_ids = [case_id for ids in by_person.values() for case_id in ids]
    details = {row["id"]: row for row in case_rows(all_ids)}
    blocks: dict[int, list[DataBlock]] = {}
    if all_ids:
        for block in db.session.scalars(select(DataBlock).where(DataBlock.case_id.in_(all_ids)).order_by(DataBlock.id)):
            blocks.setdefault(block.case_id, []).append(block)

    results = []
    found: set[str] = set()
    for nip in clean:
        person = people.get(nip)
        cases = []
        for case_id in sorted(by_person.get(target_ids.get(nip, 0), []), reverse=True):
            entry = _case_entry(details[case_id], blocks.get(case_id, []), spec, since, today)
            if entry is not None:
                cases.append(entry)
        counts = any(c["counts"] for c in cases)
        if cases:
            found.add(nip)
        results.append(
            {
                "nip": nip,
                "name": person.name if person is not None and cases else None,
                "has_record": bool(cases),
                "counts_against": counts,
                "verdict_label": VERDICTS["counts" if counts else ("record" if cases else "none")],
                "cases": cases,
            }
        )
    lookup = log_lookup(user, "check", clean, purpose=purpose_text, found=found, now=now)
    return {
        "lookup_id": lookup.id,
        "checked_at": now,
        "purpose": purpose_text,
        "rule": rule_code,
        "rule_label": spec.label,
        "years": period,
        "period_from": since,
        "period_to": today,
        "scope": "agency" if panel_agency else "national",
        "scope_label": panel_agency.name if panel_agency else "Nasional",
        "sources": [{"text": text, "url": url} for text, url in spec.sources],
        "items": results,
    }


def _case_entry(
    row: dict[str, Any], blocks: list[DataBlock], spec: Any, since: date, today: date
) -> dict[str, Any] | None:
    """One decided case as the panel reads it, or None when it falls outside the period (and is not in
    process: a case in process counts whatever its age, when the rule says so)."""
    status = CaseStatus(row["status"])
    rec = row["recommendation"]
    in_process = status in IN_PROCESS_STATUSES
    imposed = row["sanctions_imposed"]
    accepted = [s for s in imposed if s["verdict"] == "accepted"] or imposed
    last = accepted[-1] if accepted else None
    decisive = (
        last["decision_date"]
        if last
        else (rec["issued_at"].date() if rec and rec["issued_at"] else (row["closed_at"] or row["created_at"]).date())
    )
    if not (in_process and spec.in_process_counts) and decisive < since:
        return None
    serving_until = None
    form = last["sanction_form"] if last else None
    if last and form is None and rec and rec["sanction"] == last["sanction"]:
        form = rec["sanction_form"]  # the SK imposed what was recommended, without naming the form again
    if last and form in FORM_MONTHS:
        serving_until = _add_months(last["decision_date"], FORM_MONTHS[form])
    level = last["sanction"] if last else (rec["sanction"] if rec else None)
    counted = level is not None and Sanction(level) in spec.counted
    counts = (in_process and spec.in_process_counts) or counted
    return {
        "number": row["number"],
        "agency": row["agency"],
        "category": row["category"],
        "category_label": row["category_label"],
        "status": row["status"],
        "status_label": row["status_label"],
        "in_process": in_process,
        "occurred_on": row["occurred_on"],
        "recommendation": (
            {
                "sanction": rec["sanction"],
                "sanction_label": rec["sanction_label"],
                "issued_on": rec["issued_at"].date() if rec["issued_at"] else None,
                "authority": rec["authority"],
            }
            if rec
            else None
        ),
        "sanctions_imposed": [
            {
                "sanction": s["sanction"],
                "sanction_label": s["sanction_label"],
                "decision_number": s["decision_number"],
                "decision_date": s["decision_date"],
                "verdict": s["verdict"],
            }
            for s in imposed
        ],
        "serving_until": serving_until,
        "serving": serving_until is not None and serving_until > today,
        "blocks": [
            {
                "scope": b.scope,
                "requested_on": b.requested_at.date(),
                "lifted_on": b.lifted_at.date() if b.lifted_at else None,
                "active": b.lifted_at is None,
            }
            for b in blocks
        ],
        "counts": counts,
    }


# -- answers as files ----------------------------------------------------------------------------------------------

CSV_HEADER = [
    "nip", "nama", "ada_catatan", "diperhitungkan", "nomor_perkara", "instansi", "jenis", "status",
    "rekomendasi", "tanggal_rekomendasi", "sanksi_dijatuhkan", "nomor_sk", "tanggal_sk", "menjalani_sampai",
    "blokir_data",
]  # fmt: skip


def _yes(value: bool) -> str:
    return "ya" if value else "tidak"


def check_csv(result: dict[str, Any]) -> str:
    """One row per case (one per candidate without a record), UTF-8 with a BOM for spreadsheet programs."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for item in result["items"]:
        if not item["cases"]:
            writer.writerow([item["nip"], "", "tidak", "tidak", *[""] * (len(CSV_HEADER) - 4)])
            continue
        for case in item["cases"]:
            imposed = case["sanctions_imposed"][-1] if case["sanctions_imposed"] else None
            rec = case["recommendation"]
            writer.writerow(
                [
                    item["nip"],
                    item["name"] or "",
                    "ya",
                    _yes(case["counts"]),
                    case["number"],
                    (case["agency"] or {}).get("name", ""),
                    case["category_label"],
                    case["status_label"],
                    rec["sanction_label"] if rec else "",
                    rec["issued_on"].isoformat() if rec and rec["issued_on"] else "",
                    imposed["sanction_label"] if imposed else "",
                    imposed["decision_number"] if imposed else "",
                    imposed["decision_date"].isoformat() if imposed else "",
                    case["serving_until"].isoformat() if case["serving_until"] else "",
                    "; ".join(
                        f"{b['requested_on'].isoformat()}–{b['lifted_on'].isoformat() if b['lifted_on'] else 'berlaku'}"
                        for b in case["blocks"]
                    ),
                ]
            )
    return out.getvalue()


def check_pdf(result: dict[str, Any], user: Any) -> bytes:
    """The answer as a PDF under the authority's letterhead: the request, the rule and its sources, and each
    candidate's record."""
    today: date = result["period_to"]
    authority = authority_on(today)
    head = Letterhead(authority=authority.name if authority is not None else "Otoritas pengawas")
    report = Report(
        "Hasil Pemeriksaan Rekam Jejak Calon",
        head,
        footer_text=f"Pemeriksaan #{result['lookup_id']} — {format_day(today)}",
    )
    report.fields(
        [
            ("Pemeriksa", f"Panitia seleksi ({result['scope_label']})"),
            ("Tujuan", result["purpose"]),
            ("Aturan", result["rule_label"]),
            ("Masa", f"{format_day(result['period_from'])} – {format_day(today)} ({result['years']} tahun)"),
            ("Jumlah NIP", str(len(result["items"]))),
        ],
        size=10,
    )
    report.heading("Hasil per calon")
    rows = []
    for item in result["items"]:
        if not item["cases"]:
            rows.append([item["nip"], "-", item["verdict_label"], "-", "-"])
        for case in item["cases"]:
            imposed = case["sanctions_imposed"][-1] if case["sanctions_imposed"] else None
            rec = case["recommendation"]
            rows.append(
                [
                    item["nip"],
                    item["name"] or "-",
                    f"{case['number']} ({(case['agency'] or {}).get('name', '')}): {case['status_label']}",
                    (rec["sanction_label"] if rec else "-")
                    + (f"; SK {imposed['decision_number']} {format_day(imposed['decision_date'])}" if imposed else ""),
                    "ya" if case["counts"] else "tidak",
                ]
            )
    report.table_rows(["NIP", "Nama", "Perkara dan status", "Sanksi", "Diperhitungkan"], rows, (34, 30, 44, 40, 17))
    report.heading("Dasar aturan")
    for source in result["sources"]:
        report.paragraph(f"{source['text']} ({source['url']})", size=8)
    return report.bytes()


def answer(result: dict[str, Any], fmt: str, user: Any) -> Any:
    """The check's answer in the asked form: the result (JSON, dumped by the API's schema), or a CSV / PDF file."""
    if fmt == "json":
        return result
    name = f"pemeriksaan-rekam-jejak-{result['lookup_id']}"
    if fmt == "csv":
        body: bytes = check_csv(result).encode("utf-8")
        mimetype = "text/csv"
    else:
        body = check_pdf(result, user)
        mimetype = "application/pdf"
    response = current_app.response_class(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    response.headers["Cache-Control"] = "no-store"
    return response
