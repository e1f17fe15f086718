"""marshmallow schemas of the administration forms that have no domain schema elsewhere."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.escalations.ladder import RECIPIENT_RULES, parse_ladder
from config import ConfigError

_required = {"required": "Wajib diisi.", "null": "Wajib diisi."}
RULE_NAMES = ", ".join(sorted(RECIPIENT_RULES))
_EMAIL = re.compile(r"[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+")


def _split(value: str | None, separator: str) -> list[str]:
    return [part.strip() for part in (value or "").split(separator) if part.strip()]


LADDER_RULE = (
    "harus berupa daftar JSON tingkat 0, 1, 2 … (paling banyak 4) berurutan; tiap tingkat menyebut level, kind, "
    "offset (hari kerja dari tenggat, atau setelah tingkat yang disebut 'after') dan penerima 'to'; tiap tingkat "
    "jatuh setelah tingkat sebelumnya; aturan penerima hanya: " + RULE_NAMES + "."
)


class AuthoritySchema(Schema):
    """The oversight authority over a period (KASN, then BKN/KemenPAN-RB, then a new body)."""

    name = fields.String(
        required=True,
        validate=validate.Length(min=2, max=200),
        error_messages=_required,
        metadata={"label": "Nama lengkap"},
    )
    short_name = fields.String(
        required=True,
        validate=validate.Length(min=2, max=40),
        error_messages=_required,
        metadata={"label": "Singkatan"},
    )
    letter_format = fields.String(
        load_default="R-{seq}/{short}/{month}/{year}",
        validate=validate.Length(max=100),
        metadata={"label": "Format nomor surat", "help": "Penanda: {seq}, {short}, {month}, {year}."},
    )
    legal_basis = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=2000),
        metadata={"label": "Dasar hukum", "widget": "textarea"},
    )
    head_title = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=200),
        metadata={"label": "Sebutan pimpinan", "help": "Mis. Ketua KASN, Kepala BKN."},
    )
    signer_title = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=200),
        metadata={"label": "Jabatan penanda tangan surat"},
    )
    address = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=300),
        metadata={"label": "Alamat pada kop surat"},
    )
    level3_addressee = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=300),
        metadata={"label": "Tujuan eskalasi tingkat 3"},
    )
    level3_request = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=4000),
        metadata={
            "label": "Isi permohonan eskalasi tingkat 3",
            "help": "Langkah yang diminta sesuai kewenangan lembaga ini dan dasar hukumnya.",
            "widget": "textarea",
        },
    )
    level3_copies = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=2000),
        metadata={"label": "Tembusan eskalasi tingkat 3", "help": "Pisahkan dengan titik koma (;)."},
    )
    level3_to = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=200),
        metadata={
            "label": "Penerima eskalasi tingkat 3",
            "help": "Aturan penerima, pisahkan dengan titik koma (;): " + RULE_NAMES + ". Kosongkan: penerima baku.",
        },
    )
    level3_cc = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=200),
        metadata={"label": "Tembusan email eskalasi tingkat 3", "help": "Aturan penerima seperti di atas."},
    )
    level3_actions = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=4000),
        metadata={
            "label": "Tindakan administratif yang diminta pada tingkat 3",
            "help": "Satu tindakan per butir, pisahkan dengan titik koma (;).",
            "widget": "textarea",
        },
    )
    level3_basis = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=4000),
        metadata={"label": "Dasar hukum eskalasi tingkat 3", "widget": "textarea"},
    )
    mailboxes = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=500),
        metadata={
            "label": "Kotak surat resmi lembaga",
            "help": "Alamat email, pisahkan dengan koma; dipakai oleh aturan penerima 'authority'.",
        },
    )
    letter_manual = fields.Boolean(
        load_default=False,
        truthy={"1", "on", "true", "ya", True},
        falsy={"", "0", "off", "false", "tidak", False, None},
        metadata={
            "label": "Nomor surat diketik dari tata naskah lembaga",
            "help": "Bila dicentang, API menerima nomor surat dari sistem tata naskah lembaga.",
        },
    )
    ladder = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=8000),
        metadata={
            "label": "Tangga eskalasi lembaga ini (JSON)",
            "help": (
                "Kosongkan untuk memakai tangga baku. Bila diisi: daftar tingkat 0, 1, 2, 3 dengan level, kind, "
                "label, offset (hari kerja), after (opsional), to dan cc, seperti tangga baku."
            ),
            "widget": "textarea",
        },
    )
    signer_role_label = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=100),
        metadata={"label": "Sebutan peran pejabat penanda tangan", "help": "Mis. Komisioner (KASN)."},
    )
    sources = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=4000),
        metadata={"label": "Sumber", "widget": "textarea"},
    )
    valid_from = fields.Date(
        required=True,
        error_messages={**_required, "invalid": "Tanggal tidak sah."},
        metadata={"label": "Berlaku sejak"},
    )
    valid_to = fields.Date(
        load_default=None,
        allow_none=True,
        error_messages={"invalid": "Tanggal tidak sah."},
        metadata={"label": "Berlaku sampai (kosongkan bila masih berlaku)"},
    )

    @validates_schema
    def _rules(self, data: dict[str, Any], **_: Any) -> None:
        """Recipient rules the ladder knows, mailboxes that are addresses, a ladder that parses."""
        errors: dict[str, list[str]] = {}
        for name in ("level3_to", "level3_cc"):
            unknown = [rule for rule in _split(data.get(name), ";") if rule.lower() not in RECIPIENT_RULES]
            if unknown:
                errors[name] = [f"Aturan penerima tidak dikenal: {', '.join(unknown)}. Pilihan: {RULE_NAMES}."]
        wrong = [address for address in _split(data.get("mailboxes"), ",") if not _EMAIL.fullmatch(address)]
        if wrong:
            errors["mailboxes"] = [f"Bukan alamat email: {', '.join(wrong)}."]
        text = (data.get("ladder") or "").strip()
        if text:
            try:
                parse_ladder(text)
            except ConfigError:
                errors["ladder"] = [f"Tangga eskalasi tidak sah: {LADDER_RULE}"]
        if errors:
            raise ValidationError(errors)

    @validates_schema
    def _period(self, data: dict[str, Any], **_: Any) -> None:
        start: date | None = data.get("valid_from")
        end: date | None = data.get("valid_to")
        if start and end and end < start:
            raise ValidationError("Tidak boleh sebelum tanggal mulai berlaku.", field_name="valid_to")
