"""marshmallow schemas of the administration forms that have no domain schema elsewhere."""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

_required = {"required": "Wajib diisi.", "null": "Wajib diisi."}


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
    def _period(self, data: dict[str, Any], **_: Any) -> None:
        start: date | None = data.get("valid_from")
        end: date | None = data.get("valid_to")
        if start and end and end < start:
            raise ValidationError("Tidak boleh sebelum tanggal mulai berlaku.", field_name="valid_to")
