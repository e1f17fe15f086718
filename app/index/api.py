"""IM-NKK endpoints under /api/v1: the index (DESIGN §7), an agency's detail, the cases behind an
indicator, freezing a year and lifting a freeze with its history, and the self-assessment with its four stages.

Why it is long: it is the whole IM-NKK contract of the API in one place, about half of it the marshmallow
schemas whose field descriptions are the OpenAPI document readers rely on; each endpoint itself is a few lines
calling app/index/services.py."""

from __future__ import annotations

from typing import Any

from flask import send_file
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.api.openapi import file_response
from app.api.security import current_api_user, require_auth, require_role
from app.core.pagination import MAX_LIMIT
from app.core.vocab import Role
from app.db import MAX_ROW_ID, unit_of_work
from app.errors import ValidationFailed
from app.index import services
from app.index.scoring import INDICATOR_KEYS
from app.index.stages import STAGE_LABELS, TRANSITIONS, Stage, StageAction

blp = Blueprint(
    "imnkk",
    __name__,
    description=(
        "Indeks Maturitas NKK (IM-NKK). Empat kriteria, masing-masing 0-100 (null bila belum dapat diukur): "
        "penetapan kebijakan 20 %, penerapan 30 %, penegakan 40 %, kesinambungan sistem 10 %. Rata-rata "
        "berbobotnya adalah persentase instansi; skor mentah = persentase x 300 / 100 (maksimum 300, seperti "
        "hasil yang dipublikasikan: DIY 275 -> 0,92) dan indeks = skor / 300. Kriteria yang belum dapat diukur "
        "bernilai null dan menyumbang 0; instansi yang diukur pada kurang dari empat kriteria tidak diberi kategori "
        '(category null, category_label "Belum lengkap" dan missing_criteria menyebut kriteria yang belum '
        "terukur). Instansi yang sudah berakhir tidak diperingkat pada tahun-tahun sesudah berakhirnya. "
        "Penegakan dihitung dari data perkara (rekomendasi yang diterbitkan "
        "kepada instansi pada tahun itu) ditambah subkriteria yang dinilai mandiri (saluran pengaduan, Majelis "
        "Kode Etik); bila instansi tidak menerima rekomendasi, bobot bagian perkara dialihkan ke subkriteria "
        "penegakan yang dinilai mandiri. Tahun yang sudah dibekukan dijawab dari snapshot-nya. Hak akses: peran "
        "KASN melihat semuanya; pengawas (Menpan-RB/Kemendagri) melihat peringkat dan nilai setiap instansi, "
        "tanpa daftar perkara dan penilaian mandiri; PPK hanya instansinya sendiri. Metode lengkap: "
        "docs/index-method.md."
    ),
)

SECURITY = [{"bearerAuth": []}]
STAGES_TEXT = "; ".join(f"{stage} = {label}" for stage, label in STAGE_LABELS.items())
STAGE_DOC = {"enum": [stage.value for stage in Stage], "description": f"Tahap penilaian mandiri: {STAGES_TEXT}"}


# --- schemas ---------------------------------------------------------------------------------------------


class CriteriaSchema(Schema):
    penetapan = fields.Float(allow_none=True)
    penerapan = fields.Float(allow_none=True)
    penegakan = fields.Float(allow_none=True)
    kesinambungan = fields.Float(allow_none=True)


class EnforcementSchema(Schema):
    received = fields.Int(metadata={"description": "rekomendasi yang diterbitkan kepada instansi pada tahun itu"})
    followed_up = fields.Int(metadata={"description": "tindak lanjut diterima KASN (dari received)"})
    on_time = fields.Int(metadata={"description": "tindak lanjut diterima yang dilaporkan sebelum tenggat"})
    lighter_sanction = fields.Int(metadata={"description": "tindak lanjut dengan sanksi lebih ringan dari rekomendasi"})
    escalated = fields.Int(metadata={"description": "rekomendasi yang mencapai eskalasi level 2 atau lebih"})
    open = fields.Int(metadata={"description": "rekomendasi yang masih menunggu tindak lanjut"})
    median_working_days = fields.Float(
        allow_none=True, metadata={"description": "median hari kerja sampai tindak lanjut (dari followed_up)"}
    )


class MissingCriterionSchema(Schema):
    key = fields.Str(metadata={"description": "penetapan, penerapan, penegakan atau kesinambungan"})
    label = fields.Str(metadata={"description": "nama kriteria dalam bahasa Indonesia"})


class IndexItemSchema(Schema):
    agency_id = fields.Int()
    agency_code = fields.Str()
    agency_name = fields.Str()
    rank = fields.Int(
        allow_none=True,
        metadata={
            "description": "peringkat menurut skor (seri berbagi peringkat); null bila belum ada kriteria yang "
            "terukur atau instansi sudah berakhir sebelum tahun itu"
        },
    )
    criteria = fields.Nested(CriteriaSchema)
    score = fields.Float(metadata={"description": "skor mentah dari 300"})
    index = fields.Float(metadata={"description": "skor / 300"})
    category = fields.Str(
        allow_none=True,
        metadata={
            "description": "kategori (mis. Patuh, Cukup Patuh); hanya bila keempat kriteria terukur, selain itu "
            "null: instansi yang belum lengkap tidak diberi kategori"
        },
    )
    category_label = fields.Str(
        allow_none=True,
        metadata={
            "description": 'yang ditampilkan sebagai kategori: kategori itu sendiri, atau "Belum lengkap (belum '
            'terukur: ...)" dengan nama kriteria yang belum terukur'
        },
    )
    complete = fields.Bool(metadata={"description": "keempat kriteria sudah terukur"})
    missing_criteria = fields.List(
        fields.Nested(MissingCriterionSchema),
        metadata={"description": "kriteria yang belum terukur (kosong bila lengkap)"},
    )
    ended_on = fields.Str(
        allow_none=True,
        metadata={
            "format": "date",
            "description": "hari pertama instansi tidak ada lagi; tidak diperingkat pada tahun sesudahnya",
        },
    )
    successor_name = fields.Str(allow_none=True, metadata={"description": "instansi yang mengambil alih tugasnya"})
    enforcement = fields.Nested(EnforcementSchema)


class IndexPageSchema(Schema):
    year = fields.Int()
    method_version = fields.Str()
    frozen = fields.Bool()
    frozen_at = fields.DateTime(allow_none=True)
    items = fields.List(fields.Nested(IndexItemSchema))


class IndexQuerySchema(Schema):
    year = fields.Int(required=True, validate=validate.Range(min=services.MIN_YEAR, max=services.MAX_YEAR))
    live = fields.Bool(load_default=False, metadata={"description": "hitung ulang walau tahun sudah dibekukan"})


class YearQuerySchema(Schema):
    live = fields.Bool(load_default=False)


class IndicatorSchema(Schema):
    key = fields.Str()
    label = fields.Str()
    value = fields.Float(allow_none=True)
    denominator = fields.Str(allow_none=True)
    denominator_value = fields.Int(allow_none=True)
    share = fields.Float(allow_none=True)
    has_cases = fields.Bool()


class ComponentSchema(Schema):
    key = fields.Str()
    label = fields.Str()
    weight = fields.Float()
    share = fields.Float(allow_none=True)
    points = fields.Float(allow_none=True)


class SubcriterionSchema(Schema):
    key = fields.Str()
    label = fields.Str()
    criterion = fields.Str()
    source = fields.Str()
    weight = fields.Float()
    effective_weight = fields.Float()
    score = fields.Float(allow_none=True)
    note = fields.Str(allow_none=True)
    stage = fields.Str(
        allow_none=True,
        metadata={"description": f"Tahap penilaian mandiri ({STAGES_TEXT}); null untuk subkriteria dari data perkara"},
    )
    verified = fields.Bool()


class TrendPointSchema(Schema):
    year = fields.Int()
    score = fields.Float()
    index = fields.Float()
    category = fields.Str(allow_none=True, metadata={"description": "null bila belum lengkap"})
    category_label = fields.Str(allow_none=True)
    complete = fields.Bool()
    penegakan = fields.Float(allow_none=True)
    frozen = fields.Bool()


class AgencyIndexSchema(IndexItemSchema):
    year = fields.Int()
    method_version = fields.Str()
    frozen = fields.Bool()
    frozen_at = fields.DateTime(allow_none=True)
    as_of = fields.DateTime()
    agency_kind = fields.Str()
    agency_count = fields.Int()
    enforcement_score = fields.Float(allow_none=True)
    enforcement_note = fields.Str(allow_none=True)
    enforcement_components = fields.List(fields.Nested(ComponentSchema))
    indicators = fields.List(fields.Nested(IndicatorSchema))
    subcriteria = fields.List(fields.Nested(SubcriterionSchema))
    trend = fields.List(fields.Nested(TrendPointSchema))


class CaseRowSchema(Schema):
    id = fields.Int()
    number = fields.Str()
    status = fields.Str()
    sanction_recommended = fields.Str(allow_none=True)
    sanction_imposed = fields.Str(allow_none=True)
    issued_at = fields.DateTime(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    followed_up_at = fields.DateTime(allow_none=True)
    working_days_taken = fields.Int(allow_none=True)
    escalation_level = fields.Int(allow_none=True)
    url = fields.Str()


ELECTION_ID_DOC = "id pemilihan (GET /api/v1/elections): hanya perkara yang dikaitkan dengan pemilihan itu"


def _election_id(**kwargs: Any) -> fields.Int:
    return fields.Int(
        validate=validate.Range(min=1, max=MAX_ROW_ID, error="Pemilihan tidak ditemukan."),
        metadata={"description": ELECTION_ID_DOC},
        **kwargs,
    )


class CaseQuerySchema(Schema):
    indicator = fields.Str(required=True, validate=validate.OneOf(sorted(INDICATOR_KEYS)))
    limit = fields.Int(load_default=50, validate=validate.Range(min=1, max=MAX_LIMIT))
    cursor = fields.Str()
    live = fields.Bool(load_default=False)
    election_id = _election_id()


class CasePageSchema(Schema):
    year = fields.Int()
    agency_id = fields.Int()
    indicator = fields.Str()
    election_id = fields.Int(allow_none=True, metadata={"description": "pemilihan yang disaring (selalu data terkini)"})
    frozen = fields.Bool()
    as_of = fields.DateTime()
    items = fields.List(fields.Nested(CaseRowSchema))
    next_cursor = fields.Str(allow_none=True)


class ElectionEnforcementQuerySchema(Schema):
    year = fields.Int(required=True, validate=validate.Range(min=services.MIN_YEAR, max=services.MAX_YEAR))
    election_id = _election_id(required=True)


class ElectionEnforcementCountsSchema(EnforcementSchema):
    assessable = fields.Int(metadata={"description": "rekomendasi yang sudah jatuh tempo (dinilai)"})
    escalated_level3 = fields.Int(metadata={"description": "rekomendasi yang mencapai eskalasi level 3"})


class ElectionEnforcementItemSchema(Schema):
    agency_id = fields.Int()
    agency_code = fields.Str()
    agency_name = fields.Str()
    agency_kind = fields.Str()
    rank = fields.Int(
        allow_none=True,
        metadata={"description": "peringkat menurut enforcement_score (seri berbagi); null bila tidak terukur"},
    )
    enforcement_score = fields.Float(
        allow_none=True,
        metadata={
            "description": "subkriteria penegakan dari data perkara (penegakan.tindak_lanjut, 0-100) atas "
            "perkara pemilihan ini saja; null bila belum ada rekomendasi yang jatuh tempo"
        },
    )
    enforcement_note = fields.Str(allow_none=True)
    enforcement_components = fields.List(fields.Nested(ComponentSchema))
    enforcement = fields.Nested(ElectionEnforcementCountsSchema)


class IndexElectionSchema(Schema):
    id = fields.Int()
    name = fields.Str()
    kind = fields.Str(metadata={"enum": ["pemilu", "pilkada"]})
    region = fields.Str(allow_none=True)
    starts_on = fields.Date()
    ends_on = fields.Date()


class ElectionEnforcementSchema(Schema):
    year = fields.Int()
    election = fields.Nested(IndexElectionSchema)
    method_version = fields.Str()
    as_of = fields.DateTime(metadata={"description": "selalu dihitung dari data terkini"})
    year_frozen = fields.Bool(
        metadata={
            "description": "tahun ini sudah dibekukan: angka yang dipublikasikan tetap dari snapshot, yang tidak "
            "dibaca dan tidak diubah di sini"
        }
    )
    totals = fields.Nested(
        ElectionEnforcementCountsSchema,
        metadata={
            "description": "jumlah atas instansi yang tercantum (median_working_days: null, median per instansi)"
        },
    )
    items = fields.List(fields.Nested(ElectionEnforcementItemSchema))


class SnapshotSchema(Schema):
    id = fields.Int()
    year = fields.Int()
    method_version = fields.Str()
    frozen_at = fields.DateTime()
    agencies = fields.Int()
    cases = fields.Int()


class LiftInputSchema(Schema):
    reason = fields.Str(
        required=True,
        validate=validate.Length(min=1, max=2000),
        metadata={"description": "mengapa pembekuan dicabut; tercatat di riwayat tahun itu bersama siapa dan kapan"},
    )


class FreezeRecordSchema(Schema):
    id = fields.Int()
    year = fields.Int()
    method_version = fields.Str()
    frozen_at = fields.DateTime()
    frozen_by_role = fields.Str(allow_none=True, metadata={"description": "peran yang membekukan; null: CLI"})
    agencies = fields.Int()
    in_force = fields.Bool(metadata={"description": "pembekuan ini yang berlaku (belum dicabut)"})
    lifted_at = fields.DateTime(allow_none=True)
    lifted_by_role = fields.Str(allow_none=True, metadata={"description": "peran yang mencabut; null: CLI"})
    lift_reason = fields.Str(allow_none=True)


class FreezeHistorySchema(Schema):
    year = fields.Int()
    items = fields.List(fields.Nested(FreezeRecordSchema), metadata={"description": "terbaru lebih dahulu"})


class EvidenceSchema(Schema):
    filename = fields.Str()
    sha256 = fields.Str()
    size = fields.Int()


class AnswerSchema(Schema):
    agency_id = fields.Int()
    year = fields.Int()
    criterion = fields.Str()
    subcriterion = fields.Str()
    label = fields.Str()
    stage = fields.Str(metadata=STAGE_DOC)
    self_score = fields.Float(allow_none=True)
    answer = fields.Str(allow_none=True)
    verified_score = fields.Float(allow_none=True)
    verifier_note = fields.Str(allow_none=True)
    clarification_question = fields.Str(allow_none=True)
    evidence = fields.Nested(EvidenceSchema, allow_none=True)
    submitted_at = fields.DateTime(allow_none=True)
    verified_at = fields.DateTime(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    exists = fields.Bool()


class AnswerListSchema(Schema):
    items = fields.List(fields.Nested(AnswerSchema))


class AnswerQuerySchema(Schema):
    year = fields.Int(required=True, validate=validate.Range(min=services.MIN_YEAR, max=services.MAX_YEAR))
    agency_id = fields.Int()


class AnswerInputSchema(Schema):
    self_score = fields.Float(required=True, allow_none=True, validate=validate.Range(min=0, max=100))
    answer = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=20000))


class VerifyInputSchema(Schema):
    verified_score = fields.Float(required=True, validate=validate.Range(min=0, max=100))
    note = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=5000))


class ClarificationInputSchema(Schema):
    question = fields.Str(required=True, validate=validate.Length(min=1, max=5000))


class ClarificationAnswerSchema(Schema):
    answer = fields.Str(required=True, validate=validate.Length(min=1, max=20000))
    self_score = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=0, max=100))


class FileSchema(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class MovedSchema(Schema):
    moved = fields.Int()
    stage = fields.Str(metadata=STAGE_DOC)


# --- the index -------------------------------------------------------------------------------------------


@blp.route("/index")
@blp.doc(security=SECURITY)
@blp.arguments(IndexQuerySchema(), location="query")
@blp.response(200, IndexPageSchema)
@require_auth
def get_index(args: dict[str, Any]) -> dict[str, Any]:
    """The index of a year, one item per agency, ranked (a PPK gets its own agency's item only)."""
    return services.index_for(current_api_user(), args["year"], live=args["live"])


@blp.route("/index/enforcement")
@blp.doc(security=SECURITY)
@blp.arguments(ElectionEnforcementQuerySchema(), location="query")
@blp.response(200, ElectionEnforcementSchema)
@require_auth
def election_enforcement(args: dict[str, Any]) -> dict[str, Any]:
    """Penegakan for the cases of one election: per agency, the case-based sub-criterion (0-100) and its counts over
    the year's recommendations whose case is linked to the election, ranked by it. Not an IM-NKK (no score out of
    300, no category), always live: a frozen year's snapshot is neither read nor changed (docs/index-method.md
    §14). Readers as for the index (a PPK: its own agency); 422 naming `election_id` for an unknown election."""
    return services.election_enforcement(current_api_user(), args["year"], args["election_id"])


@blp.route("/index/<int:year>/snapshot", methods=["POST"])
@blp.doc(security=SECURITY)
@blp.response(201, SnapshotSchema)
@require_auth
def freeze(year: int) -> dict[str, Any]:
    """Freeze (publish) the year's index: later data never changes it (commissioner). The page asks for a
    confirmation first; the API freezes at once. An administrator may lift it (`.../snapshot/lift`)."""
    with unit_of_work():
        snapshot = services.freeze_year(year, current_api_user())
        summary = {
            "id": snapshot.id,
            "year": snapshot.year,
            "method_version": snapshot.method_version,
            "frozen_at": snapshot.frozen_at,
            "agencies": len(snapshot.data["items"]),
            "cases": sum(i["enforcement"]["received"] for i in snapshot.data["items"]),
        }
    return summary


def _record(item: dict[str, Any]) -> dict[str, Any]:
    """A freeze of the history as the API gives it: roles, never names."""
    return {**item, "frozen_by_role": item["frozen_by"]["role"], "lifted_by_role": item["lifted_by"]["role"]}


@blp.route("/index/<int:year>/snapshot/lift", methods=["POST"])
@blp.doc(security=SECURITY)
@blp.arguments(LiftInputSchema())
@blp.response(200, FreezeRecordSchema)
@blp.alt_response(409, response="CONFLICT")
@require_role(Role.ADMIN)
def lift_freeze(data: dict[str, Any], year: int) -> dict[str, Any]:
    """Lift the year's freeze in force, with a reason (administrator): the year is computed from live data again
    and may be frozen anew; the lifted snapshot stays in the year's history with who, when and why. 409
    `not_frozen` when no freeze is in force."""
    with unit_of_work():
        snapshot = services.lift_freeze(year, current_api_user(), data["reason"])
        record = next(item for item in services.freeze_history(year) if item["id"] == snapshot.id)
    return _record(record)


@blp.route("/index/<int:year>/snapshots")
@blp.doc(security=SECURITY)
@blp.response(200, FreezeHistorySchema)
@require_auth
def freeze_history(year: int) -> dict[str, Any]:
    """The year's freezes and their lifts, newest first (every reader of the index)."""
    services.check_index_reader(current_api_user())
    year = services.check_year(year)
    return {"year": year, "items": [_record(item) for item in services.freeze_history(year)]}


@blp.route("/index/<int:year>/agencies/<id:agency_id>")
@blp.doc(security=SECURITY)
@blp.arguments(YearQuerySchema(), location="query")
@blp.response(200, AgencyIndexSchema)
@require_auth
def agency_index(args: dict[str, Any], year: int, agency_id: int) -> dict[str, Any]:
    """An agency's full result: criteria, sub-criteria, indicators with denominators, and its trend."""
    return services.agency_detail(current_api_user(), year, agency_id, live=args["live"])


@blp.route("/index/<int:year>/agencies/<id:agency_id>/cases")
@blp.doc(security=SECURITY)
@blp.arguments(CaseQuerySchema(), location="query")
@blp.response(200, CasePageSchema)
@require_auth
def indicator_cases(args: dict[str, Any], year: int, agency_id: int) -> dict[str, Any]:
    """The cases behind one indicator (KASN roles, and a PPK for its own agency); with `election_id`, those of the
    election's cases, from live data."""
    page = services.indicator_cases(
        current_api_user(), year, agency_id, args["indicator"],
        cursor=services.check_cursor(args.get("cursor")), limit=args["limit"], live=args["live"],
        election_id=args.get("election_id"),
    )  # fmt: skip
    for row in page["items"]:
        row["url"] = f"/api/v1/cases/{row['id']}"
    page["next_cursor"] = None if page["next_cursor"] is None else str(page["next_cursor"])
    return page


# --- self-assessment -------------------------------------------------------------------------------------


@blp.route("/self-assessments")
@blp.doc(security=SECURITY)
@blp.arguments(AnswerQuerySchema(), location="query")
@blp.response(200, AnswerListSchema)
@require_auth
def list_answers(args: dict[str, Any]) -> dict[str, Any]:
    """Every self-assessed sub-criterion of an agency and year (a PPK: its own agency)."""
    user = current_api_user()
    agency_id = args.get("agency_id") or user.agency_id
    if agency_id is None:
        raise ValidationFailed("agency_id wajib diisi.", details={"fields": {"agency_id": ["wajib"]}})
    return {"items": services.list_answers(user, agency_id, args["year"])}


def _one(agency_id: int, year: int, subcriterion: str) -> dict[str, Any]:
    items = services.list_answers(current_api_user(), agency_id, year)
    return next(i for i in items if i["subcriterion"] == subcriterion)


@blp.route("/self-assessments/<id:agency_id>/<int:year>/<subcriterion>", methods=["PUT"])
@blp.doc(security=SECURITY)
@blp.arguments(AnswerInputSchema())
@blp.response(200, AnswerSchema)
@require_auth
def save_answer(data: dict[str, Any], agency_id: int, year: int, subcriterion: str) -> dict[str, Any]:
    """The agency's PPK fills in an answer (stage self_assessment, or clarification)."""
    with unit_of_work():
        services.save_answer(
            current_api_user(), agency_id, year, subcriterion, self_score=data["self_score"], answer=data["answer"]
        )
    return _one(agency_id, year, subcriterion)


@blp.route("/self-assessments/<id:agency_id>/<int:year>/<subcriterion>/evidence", methods=["POST"])
@blp.doc(security=SECURITY)
@blp.arguments(FileSchema(), location="files")
@blp.response(201, AnswerSchema)
@require_auth
def upload_evidence(files: dict[str, Any], agency_id: int, year: int, subcriterion: str) -> dict[str, Any]:
    """Attach an evidence file (PDF, PNG, JPG, DOCX, XLSX) to an answer."""
    upload = files["file"]
    with unit_of_work():
        services.store_evidence(current_api_user(), agency_id, year, subcriterion, upload.stream, upload.filename)
    return _one(agency_id, year, subcriterion)


@blp.route("/self-assessments/<id:agency_id>/<int:year>/<subcriterion>/evidence")
@blp.doc(
    security=SECURITY,
    responses={
        "200": file_response(
            "Berkas bukti jawaban, sebagai lampiran",
            [*services.ALLOWED_EVIDENCE.values(), "application/octet-stream"],
        )
    },
)
@require_auth
def download_evidence(agency_id: int, year: int, subcriterion: str) -> Any:
    """Download an answer's evidence file (as an attachment)."""
    path, row = services.evidence_file(current_api_user(), agency_id, year, subcriterion)
    response = send_file(
        path, mimetype=row.evidence_content_type or "application/octet-stream", as_attachment=True,
        download_name=row.evidence_filename or "bukti",
    )  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.route("/self-assessments/<id:agency_id>/<int:year>/submit", methods=["POST"])
@blp.doc(security=SECURITY)
@blp.response(200, MovedSchema)
@require_auth
def submit(agency_id: int, year: int) -> dict[str, Any]:
    """The PPK submits its answers: self-assessment -> verification."""
    with unit_of_work():
        moved = services.submit(current_api_user(), agency_id, year)
    return {"moved": moved, "stage": TRANSITIONS[StageAction.SUBMIT].target}


@blp.route("/self-assessments/<id:agency_id>/<int:year>/<subcriterion>/verify", methods=["POST"])
@blp.doc(security=SECURITY)
@blp.arguments(VerifyInputSchema())
@blp.response(200, AnswerSchema)
@require_auth
def verify(data: dict[str, Any], agency_id: int, year: int, subcriterion: str) -> dict[str, Any]:
    """KASN confirms or corrects the score (a correction needs a note)."""
    with unit_of_work():
        services.verify(
            current_api_user(), agency_id, year, subcriterion, verified_score=data["verified_score"], note=data["note"]
        )
    return _one(agency_id, year, subcriterion)


@blp.route("/self-assessments/<id:agency_id>/<int:year>/<subcriterion>/clarification", methods=["POST"])
@blp.doc(security=SECURITY)
@blp.arguments(ClarificationInputSchema())
@blp.response(200, AnswerSchema)
@require_auth
def request_clarification(data: dict[str, Any], agency_id: int, year: int, subcriterion: str) -> dict[str, Any]:
    """KASN asks the agency to clarify an answer: verification -> clarification."""
    with unit_of_work():
        services.request_clarification(current_api_user(), agency_id, year, subcriterion, question=data["question"])
    return _one(agency_id, year, subcriterion)


@blp.route("/self-assessments/<id:agency_id>/<int:year>/<subcriterion>/clarification-answer", methods=["POST"])
@blp.doc(security=SECURITY)
@blp.arguments(ClarificationAnswerSchema())
@blp.response(200, AnswerSchema)
@require_auth
def answer_clarification(data: dict[str, Any], agency_id: int, year: int, subcriterion: str) -> dict[str, Any]:
    """The PPK answers the question (and may revise its score): clarification -> verification."""
    with unit_of_work():
        services.answer_clarification(
            current_api_user(), agency_id, year, subcriterion, answer=data["answer"], self_score=data["self_score"]
        )
    return _one(agency_id, year, subcriterion)


@blp.route("/self-assessments/<id:agency_id>/<int:year>/decide", methods=["POST"])
@blp.doc(security=SECURITY)
@blp.response(200, MovedSchema)
@require_auth
def decide(agency_id: int, year: int) -> dict[str, Any]:
    """The plenary decision locks every verified answer (commissioner)."""
    with unit_of_work():
        moved = services.decide(current_api_user(), agency_id, year)
    return {"moved": moved, "stage": TRANSITIONS[StageAction.DECIDE].target}
