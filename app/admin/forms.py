"""Field lists of the administration forms (rendered by the shared form macros) and small parsers."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext
from marshmallow import ValidationError
from sqlalchemy import select

from app.admin.schemas import AuthoritySchema
from app.agencies.authority import PROFILE_FIELDS
from app.agencies.schemas import AgencySchema
from app.core import vocab
from app.db import db
from app.errors import ValidationFailed
from app.models.agencies import Agency
from app.models.core import OversightAuthority
from app.models.escalations import EscalationRecipient
from app.web.schema_forms import FieldSpec, field_specs

TIMEZONE_FIRST = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura", "Asia/Pontianak")


def load(schema: Any, data: dict[str, Any], message: str) -> dict[str, Any]:
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise ValidationFailed(message, details={"fields": exc.messages}) from exc


def agency_names() -> list[tuple[str, str]]:
    rows = db.session.execute(select(Agency.id, Agency.name).order_by(Agency.name)).all()
    return [(str(r.id), r.name) for r in rows]


def agency_fields(exclude: tuple[str, ...] = (), current: Agency | None = None) -> list[FieldSpec]:
    specs = field_specs(AgencySchema, exclude=exclude)
    for spec in specs:
        if spec.name == "timezone":
            zones = [value for value, _ in spec.choices]
            ordered = [z for z in TIMEZONE_FIRST if z in zones] + [z for z in zones if z not in TIMEZONE_FIRST]
            spec.choices = [(z, f"{z} ({vocab.TIMEZONES[z]})" if z in vocab.TIMEZONES else z) for z in ordered]
        elif spec.name == "parent_id":
            rows = db.session.execute(
                select(Agency.id, Agency.name).where(Agency.kind == vocab.AgencyKind.PROVINSI).order_by(Agency.name)
            ).all()
            spec.widget = "select"
            spec.choices = [(str(r.id), r.name) for r in rows if current is None or r.id != current.id]
            spec.help = gettext("Untuk kabupaten/kota: provinsinya (kantor gubernur ditembuskan pada eskalasi).")
        elif spec.name == "successor_id":
            spec.widget = "select"
            own = str(current.id) if current is not None else None
            spec.choices = [(value, text) for value, text in agency_names() if value != own]
    return specs


def agency_values(agency: Agency) -> dict[str, Any]:
    return {
        "name": agency.name,
        "kind": agency.kind,
        "timezone": agency.timezone,
        "ppk_title": agency.ppk_title,
        "ppk_email": agency.ppk_email or "",
        "parent_id": agency.parent_id,
        "escalation_body": agency.escalation_body,
        "ended_on": agency.ended_on.isoformat() if agency.ended_on else "",
        "successor_id": agency.successor_id,
    }


def user_fields() -> list[FieldSpec]:
    agencies = db.session.execute(select(Agency.code, Agency.name).order_by(Agency.name)).all()
    return [
        FieldSpec("email", gettext("Email"), "email", required=True, max_length=254, autocomplete="off"),
        FieldSpec("name", gettext("Nama"), required=False, max_length=200),
        FieldSpec(
            "role",
            gettext("Peran"),
            "select",
            required=True,
            choices=[(r.value, gettext(t)) for r, t in vocab.ROLE_LABELS.items()],
        ),
        FieldSpec(
            "agency",
            gettext("Instansi (untuk Kantor PPK)"),
            "select",
            choices=[(r.code, f"{r.name} ({r.code})") for r in agencies],
        ),
        FieldSpec(
            "body",
            gettext("Kementerian (untuk pengawas)"),
            "select",
            choices=[(b.value, gettext(t)) for b, t in vocab.BODY_LABELS.items()],
        ),
        FieldSpec(
            "password",
            gettext("Kata sandi awal"),
            "password",
            required=True,
            max_length=128,
            autocomplete="new-password",
            help=gettext("Minimal 8 karakter, bukan kata sandi umum. Sampaikan kepada pengguna secara aman."),
        ),
    ]


def override_fields() -> list[FieldSpec]:
    return [
        FieldSpec("day", gettext("Tanggal"), "date", required=True),
        FieldSpec(
            "kind",
            gettext("Jenis"),
            "select",
            required=True,
            choices=[("closed", gettext("Libur (tidak dihitung)")), ("open", gettext("Hari kerja (dihitung)"))],
        ),
        FieldSpec("description", gettext("Keterangan"), required=True, max_length=200),
        FieldSpec("decree", gettext("Dasar penetapan (SKB / Keppres)"), max_length=200),
        FieldSpec(
            "agency_id", gettext("Hanya untuk instansi (kosongkan bila nasional)"), "select", choices=agency_names()
        ),
    ]


def authority_fields() -> list[FieldSpec]:
    return field_specs(AuthoritySchema)


def authority_values(row: OversightAuthority) -> dict[str, Any]:
    """The form's values of an authority row: its period and every field the reference data carries."""
    return {
        "short_name": row.short_name,
        **{key: getattr(row, key) or "" for key in PROFILE_FIELDS},
        "valid_from": row.valid_from.isoformat(),
        "valid_to": row.valid_to.isoformat() if row.valid_to else "",
    }


def parse_day(raw: str, name: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError as exc:
        message = "Tanggal tidak sah." if raw.strip() else "Wajib diisi."
        raise ValidationFailed(message, details={"fields": {name: [message]}}) from exc


def parse_optional_int(raw: str, name: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise ValidationFailed("Pilihan tidak sah.", details={"fields": {name: ["Pilihan tidak sah."]}})
    return int(raw)


def has_custom_recipients(target: str) -> bool:
    stmt = select(EscalationRecipient.id).where(EscalationRecipient.target == target).limit(1)
    return db.session.scalar(stmt) is not None
