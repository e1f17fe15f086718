"""marshmallow schemas for agencies."""

from __future__ import annotations

from zoneinfo import available_timezones

from marshmallow import Schema, fields, validate

from app.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, keyset_cursor
from app.core.vocab import AgencyKind, Body
from app.db import MAX_ROW_ID

_TIMEZONES = sorted(tz for tz in available_timezones() if tz.startswith("Asia/"))


class AgencySuccessorSchema(Schema):
    id = fields.Int()
    code = fields.Str()
    name = fields.Str()


class AgencySchema(Schema):
    id = fields.Int(dump_only=True)
    code = fields.Str(required=True, validate=validate.Regexp(r"^[A-Za-z0-9._-]{1,32}$"))
    name = fields.Str(required=True, validate=validate.Length(min=2, max=200))
    kind = fields.Str(required=True, validate=validate.OneOf([k.value for k in AgencyKind]))
    timezone = fields.Str(load_default="Asia/Jakarta", validate=validate.OneOf(_TIMEZONES))
    ppk_title = fields.Str(load_default="", validate=validate.Length(max=200))
    ppk_email = fields.Email(allow_none=True, load_default=None)
    parent_id = fields.Int(
        allow_none=True,
        load_default=None,
        validate=validate.Range(min=1, max=MAX_ROW_ID, error="Instansi induk tidak ditemukan."),
    )
    escalation_body = fields.Str(allow_none=True, load_default=None, validate=validate.OneOf([b.value for b in Body]))
    ended_on = fields.Date(
        allow_none=True,
        load_default=None,
        metadata={
            "label": "Tanggal berakhir",
            "help": "Hari pertama instansi tidak ada lagi (dibubarkan atau digabung). Mulai hari itu instansi tidak "
            "ditawarkan untuk perkara baru dan tidak diperingkat dalam IM-NKK tahun-tahun sesudahnya; perkara "
            "yang sudah ada tetap berjalan.",
        },
    )
    successor_id = fields.Int(
        allow_none=True,
        load_default=None,
        validate=validate.Range(min=1, max=MAX_ROW_ID, error="Instansi pengganti tidak sah."),
        metadata={
            "label": "Instansi pengganti",
            "help": "Instansi yang mengambil alih tugasnya (ditampilkan pada perkara instansi ini).",
        },
    )
    routed_to = fields.Str(dump_only=True)
    is_active = fields.Bool(dump_only=True)
    successor = fields.Nested(
        AgencySuccessorSchema,
        dump_only=True,
        allow_none=True,
        metadata={"description": "instansi yang mengambil alih tugasnya bila instansi ini sudah berakhir"},
    )


class AgencyQuerySchema(Schema):
    kind = fields.Str(validate=validate.OneOf([k.value for k in AgencyKind]))
    current = fields.Bool(
        load_default=False,
        metadata={"description": "hanya instansi yang belum berakhir (yang dapat menerima perkara baru)"},
    )
    q = fields.Str(validate=validate.Length(max=100))
    limit = fields.Int(load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT))
    cursor = fields.Str(validate=keyset_cursor(), metadata={"description": "next_cursor of the previous page"})


class AgencyPageSchema(Schema):
    items = fields.List(fields.Nested(AgencySchema))
    next_cursor = fields.Str(allow_none=True)
