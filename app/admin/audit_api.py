"""`GET /api/v1/admin/audit`: the administrator's audit page (app/admin/audit.py) as data — every row of every case's
history and the sign-in log, newest first, with the page's filters and its keyset pages."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.admin import audit
from app.api.security import require_role
from app.core.pagination import MAX_LIMIT
from app.core.vocab import Role

blp = Blueprint(
    "admin_audit",
    __name__,
    description=(
        "Jejak audit (khusus administrator): siapa melakukan apa — riwayat setiap perkara dan log masuk (masuk, gagal "
        "masuk, email dikirim ulang), terbaru lebih dulu, dengan saringan dan halaman keyset yang sama dengan halaman "
        "/admin/audit."
    ),
)


class AuditQuerySchema(Schema):
    who = fields.Str(metadata={"description": "bagian dari nama atau email pelaku (huruf besar/kecil diabaikan)"})
    kind = fields.Str(
        metadata={"description": "jenis baris: " + ", ".join(f"`{key}`" for key in audit.KIND_LABELS)},
    )
    since = fields.Str(metadata={"description": "tanggal awal TTTT-BB-HH (hari WIB), inklusif"})
    until = fields.Str(metadata={"description": "tanggal akhir TTTT-BB-HH (hari WIB), inklusif"})
    case = fields.Str(metadata={"description": "nomor perkara persis (hanya riwayat perkara itu)"})
    limit = fields.Int(load_default=audit.PAGE_SIZE, validate=validate.Range(min=1, max=MAX_LIMIT))
    cursor = fields.Str(metadata={"description": "next_cursor halaman sebelumnya"})


class AuditRowSchema(Schema):
    at = fields.DateTime(required=True, metadata={"description": "waktu kejadian (UTC)"})
    kind = fields.Str(required=True, metadata={"description": "jenis baris (lihat saringan `kind`)"})
    kind_label = fields.Str(required=True, metadata={"description": "jenis baris dalam kata-kata"})
    what = fields.Str(required=True, metadata={"description": "apa yang terjadi, dalam kata-kata"})
    who = fields.Str(required=True, metadata={"description": "pelaku (nama, peran, email) atau Sistem"})
    case_id = fields.Int(allow_none=True)
    case_number = fields.Str(allow_none=True)
    details = fields.Str(required=True, metadata={"description": "kanal, alamat, email yang diketik (log masuk)"})


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditRowSchema), required=True)
    next_cursor = fields.Str(allow_none=True, metadata={"description": "null pada halaman terakhir"})


@blp.route("/admin/audit")
@blp.doc(security=[{"bearerAuth": []}])
@blp.arguments(AuditQuerySchema(), location="query")
@blp.response(200, AuditPageSchema)
@require_role(Role.ADMIN)
def list_audit(args: dict[str, Any]) -> dict[str, Any]:
    """One page of the audit stream, newest first; 422 naming each bad filter (unknown kind, a date that is not
    TTTT-BB-HH, an end before the start, a forged cursor)."""
    filters = audit.parse_filters(request.args)
    rows, next_cursor = audit.audit_page(filters, args.get("cursor"), args["limit"])
    return {"items": [asdict(row) for row in rows], "next_cursor": next_cursor}
