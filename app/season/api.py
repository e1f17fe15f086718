"""`GET /api/v1/me/dashboard`: the figures of the caller's dashboard page, as data (app/season/dashboard.py)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.api.reads import read_only
from app.api.security import current_api_user, require_auth
from app.core.clock import utcnow
from app.db import MAX_ROW_ID
from app.season.dashboard import dashboard

blp = Blueprint(
    "me_dashboard",
    __name__,
    description=(
        "Dasbor pengguna: angka yang sama dengan halaman /dasbor, dihitung basis data (GROUP BY) atas perkara yang "
        "boleh dilihat pemanggil (staf otoritas: semua perkara; PPK: perkara instansinya sejak rekomendasi terbit; "
        "pengawas: perkara yang dieskalasi ke kementeriannya). Hari dan bulan dihitung pada kalender zona waktu "
        "instansi masing-masing perkara; hari ini dan awal minggu (Senin) menurut zona pemanggil (`timezone`)."
    ),
)
SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}]


class DashboardQuery(Schema):
    election_id = fields.Integer(
        validate=validate.Range(min=1, max=MAX_ROW_ID, error="Pemilihan tidak ditemukan."),
        metadata={
            "description": "hanya perkara yang dikaitkan dengan pemilihan ini (GET /api/v1/elections); setiap angka "
            "tetap atas perkara yang boleh dilihat pemanggil"
        },
    )


class DashboardElectionRef(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class DashboardCountOut(Schema):
    key = fields.String(required=True)
    label = fields.String(required=True)
    count = fields.Integer(required=True)


class DashboardLevelOut(DashboardCountOut):
    level = fields.Integer(
        allow_none=True,
        metadata={
            "description": "tingkat tangga eskalasi; null untuk `not_issued` (rekomendasi belum terbit) dan "
            "`none` (terbit, belum ada tingkat tercapai)"
        },
    )


class DashboardCountWithOpenOut(DashboardCountOut):
    open = fields.Integer(required=True, metadata={"description": "yang belum selesai, dihentikan atau ditutup"})


class DashboardDayOut(Schema):
    date = fields.Date(required=True)
    count = fields.Integer(required=True)
    today = fields.Boolean(required=True)


class DashboardDeadlinesOut(Schema):
    this_week = fields.Integer(required=True, metadata={"description": "tenggat tindak lanjut Senin-Minggu ini"})
    next_week = fields.Integer(required=True)
    overdue = fields.Integer(required=True, metadata={"description": "lewat tenggat, jam masih berjalan"})
    days = fields.List(
        fields.Nested(DashboardDayOut), required=True, metadata={"description": "14 hari mulai Senin ini"}
    )


class DashboardMonthOut(Schema):
    month = fields.String(required=True, metadata={"description": "YYYY-MM, bulan terbitnya rekomendasi"})
    issued = fields.Integer(required=True)
    followed_up = fields.Integer(required=True, metadata={"description": "SK tindak lanjut dilaporkan, tidak ditolak"})
    on_time = fields.Integer(required=True, metadata={"description": "dilaporkan paling lambat pada tenggatnya"})
    rate = fields.Float(
        allow_none=True, metadata={"description": "followed_up / issued; null bila tidak ada yang terbit"}
    )


class DashboardYearOut(Schema):
    year = fields.Integer(required=True)
    neutrality = fields.Integer(required=True)
    other = fields.Integer(required=True)


class DashboardElectionOut(DashboardCountOut):
    key = fields.String(
        required=True, metadata={"description": "id pemilihan; `none`: tidak dikaitkan dengan pemilihan"}
    )
    open = fields.Integer(required=True)
    kind = fields.String(metadata={"description": "pemilu atau pilkada"})
    starts_on = fields.Date()


class DashboardScopeOut(Schema):
    role = fields.String(required=True)
    label = fields.String(required=True)


class DashboardTotalsOut(Schema):
    open = fields.Integer(required=True)
    all = fields.Integer(required=True)
    overdue = fields.Integer(required=True)


class DashboardOut(Schema):
    generated_at = fields.DateTime(required=True)
    timezone = fields.String(required=True)
    scope = fields.Nested(DashboardScopeOut, required=True)
    election = fields.Nested(
        DashboardElectionRef,
        allow_none=True,
        required=True,
        metadata={"description": "pemilihan yang disaring (`election_id`), null bila semua perkara"},
    )
    totals = fields.Nested(DashboardTotalsOut, required=True)
    open_by_status = fields.List(fields.Nested(DashboardCountOut), required=True)
    open_by_level = fields.List(fields.Nested(DashboardLevelOut), required=True)
    deadlines = fields.Nested(DashboardDeadlinesOut, required=True)
    follow_up_by_month = fields.List(fields.Nested(DashboardMonthOut), required=True)
    by_category = fields.List(fields.Nested(DashboardCountWithOpenOut), required=True)
    by_region = fields.List(
        fields.Nested(DashboardCountWithOpenOut),
        required=True,
        metadata={
            "description": "per provinsi (key: id instansi provinsi), `central` instansi pusat, `unknown` "
            "kabupaten/kota tanpa provinsi tercatat; terbanyak lebih dulu"
        },
    )
    by_election = fields.List(
        fields.Nested(DashboardElectionOut),
        required=True,
        metadata={
            "description": "perkara netralitas per pemilihan yang dikaitkan dengannya (terbaru lebih dulu), lalu yang "
            "tidak dikaitkan dengan pemilihan mana pun"
        },
    )
    neutrality_by_year = fields.List(
        fields.Nested(DashboardYearOut),
        required=True,
        metadata={"description": "perkara netralitas dan lainnya menurut tahun kejadian"},
    )


@blp.route("/me/dashboard")
@blp.doc(security=SECURITY)
@blp.arguments(DashboardQuery(), location="query")
@blp.response(200, DashboardOut)
@require_auth
@read_only
def my_dashboard(args: dict[str, Any]) -> dict[str, Any]:
    """The caller's dashboard figures (every role; a role that sees no case gets zeros); with `election_id`, those
    of the cases linked to that election (422 naming `election_id` for an election that does not exist)."""
    return dashboard(current_api_user(), utcnow(), args.get("election_id"))
