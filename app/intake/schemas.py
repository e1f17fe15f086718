"""marshmallow schemas of intake: a report (forwarded, public or typed by staff), a batch of them, the decisions of
the queue, the tracking answer, elections and events."""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates, validates_schema

from app.calendar.working_days import latest_today
from app.cases.schemas import ReporterSchema
from app.core.nip import InvalidNIP, normalize_nip, parse_nip
from app.core.vocab import NEUTRALITY_SUBCATEGORIES, Category, Sanction, Source
from app.db import MAX_ROW_ID
from app.models.intake import ELECTION_KINDS

_required = {"required": "Wajib diisi.", "null": "Wajib diisi."}
_date_errors = {**_required, "invalid": "Tanggal tidak sah."}
MAX_BATCH = 500


def _row_id(message: str) -> validate.Range:
    return validate.Range(min=1, max=MAX_ROW_ID, error=message)


class IntakeReportPersonIn(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Length(min=2, max=200), error_messages=_required)
    nip = fields.String(
        load_default=None,
        allow_none=True,
        metadata={"description": "NIP 18 angka bila diketahui (dianjurkan: tanpa NIP laporan lebih lama diverifikasi)"},
    )
    position = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))

    @validates_schema(skip_on_field_errors=False)
    def _nip(self, data: dict[str, Any], **_: Any) -> None:
        raw = (data.get("nip") or "").strip()
        if not raw:
            data["nip"] = None
            return
        try:
            data["nip"] = parse_nip(raw, pppk=normalize_nip(raw)[12:14] == "21").value
        except InvalidNIP as exc:
            raise ValidationError(str(exc), field_name="nip") from exc


class IntakeReportIn(Schema):
    """A report: who (the reported civil servant and the agency), what and when; the reporter is optional and
    confidential (the authority's staff alone read it)."""

    class Meta:
        unknown = RAISE

    reported_person = fields.Nested(IntakeReportPersonIn, required=True, error_messages=_required)
    agency_id = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=_row_id("Instansi tidak ditemukan.")
    )
    agency_name = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=200),
        metadata={"label": "Instansi (bila tidak ada di daftar)"},
    )
    category = fields.String(
        load_default=Category.NETRALITAS.value,
        validate=validate.OneOf([c.value for c in Category], error="Kategori tidak dikenal."),
    )
    subcategory = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=60))
    summary = fields.String(required=True, validate=validate.Length(min=10, max=20000), error_messages=_required)
    occurred_on = fields.Date(required=True, error_messages=_date_errors)
    place = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=200), metadata={"label": "Tempat kejadian"}
    )
    reporter = fields.Nested(ReporterSchema, load_default=None, allow_none=True)
    external_ref = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "nomor register laporan di kantor pengirim: dikirim dua kali, tetap satu laporan"},
    )
    election_id = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=_row_id("Pemilihan tidak ditemukan.")
    )

    @validates("occurred_on")
    def _past(self, value: date, **_: Any) -> None:
        if value > latest_today():
            raise ValidationError("Tanggal kejadian tidak boleh di masa depan.")
        if value.year < 1990:
            raise ValidationError("Tanggal kejadian tidak masuk akal.")

    @validates_schema(skip_on_field_errors=False)
    def _agency_and_subcategory(self, data: dict[str, Any], **_: Any) -> None:
        if not data.get("agency_id") and not (data.get("agency_name") or "").strip():
            raise ValidationError(
                "Pilih instansi terlapor, atau tuliskan namanya bila tidak ada di daftar.", "agency_id"
            )
        sub = data.get("subcategory")
        if sub and data.get("category") == Category.NETRALITAS and sub not in NEUTRALITY_SUBCATEGORIES:
            raise ValidationError("Subkategori netralitas tidak dikenal.", field_name="subcategory")


class PublicReportIn(IntakeReportIn):
    """A report from the public by API: the fields of the form `/lapor` (no register number, no election: the
    authority's staff link one)."""

    error_messages = {"unknown": "Isian tidak dikenal pada laporan masyarakat."}

    class Meta:
        unknown = RAISE
        exclude = ("external_ref", "election_id")


class IntakeBatchIn(Schema):
    class Meta:
        unknown = RAISE

    items = fields.List(
        fields.Dict(),
        required=True,
        validate=validate.Length(min=1, max=MAX_BATCH, error=f"Satu kiriman berisi 1 sampai {MAX_BATCH} laporan."),
        error_messages=_required,
    )


class IntakeAcceptIn(Schema):
    """Accept a report as a new case: what the report lacks or the investigator corrects."""

    class Meta:
        unknown = RAISE

    agency_id = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=_row_id("Instansi tidak ditemukan.")
    )
    category = fields.String(load_default=None, allow_none=True, validate=validate.OneOf([c.value for c in Category]))
    subcategory = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=60))
    source = fields.String(load_default=None, allow_none=True, validate=validate.OneOf([s.value for s in Source]))
    reported_nip = fields.String(load_default=None, allow_none=True)
    allow_duplicates = fields.Boolean(
        load_default=False,
        metadata={
            "description": "terima juga bila ada kemungkinan duplikat (dicatat); tanpa ini: 409 possible_duplicates"
        },
    )


class IntakeAttachIn(Schema):
    class Meta:
        unknown = RAISE

    case_id = fields.Integer(
        required=True, strict=True, validate=_row_id("Perkara tidak ditemukan."), error_messages=_required
    )


class IntakeRefuseIn(Schema):
    class Meta:
        unknown = RAISE

    reason = fields.String(
        required=True,
        validate=validate.Length(min=10, max=2000),
        error_messages=_required,
        metadata={"description": "alasan yang dibaca pengirim (tanpa catatan internal)"},
    )
    internal_note = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=5000),
        metadata={"description": "untuk petugas saja"},
    )


class DuplicateCheckIn(Schema):
    class Meta:
        unknown = RAISE

    nip = fields.String(load_default=None, allow_none=True)
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    agency_id = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=_row_id("Instansi tidak ditemukan.")
    )
    summary = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20000))
    occurred_on = fields.Date(load_default=None, allow_none=True, error_messages=_date_errors)


# -- answers (documentation; the services build the dicts) ------------------------------------------------------


class TrackingStepOut(Schema):
    status = fields.String()
    label = fields.String()
    reached = fields.Boolean()


class TrackingOut(Schema):
    tracking_code = fields.String()
    status = fields.String(
        metadata={"enum": ["received", "verifying", "recommendation_issued", "followed_up", "closed"]}
    )
    status_label = fields.String()
    explanation = fields.String()
    reason = fields.String(allow_none=True, metadata={"description": "alasan penolakan untuk pengirim"})
    received_at = fields.DateTime()
    steps = fields.List(fields.Nested(TrackingStepOut))


class PublicReportTokenOut(Schema):
    token = fields.String(metadata={"description": "dikirim kembali dalam header X-Report-Token"})
    header = fields.String(metadata={"description": "nama header: X-Report-Token"})
    not_before = fields.DateTime(metadata={"description": "token baru berlaku sejak saat ini (beberapa detik)"})
    expires_at = fields.DateTime()


class PublicReportOut(Schema):
    tracking_code = fields.String()
    status = fields.String()
    status_label = fields.String()
    tracking_url = fields.String(metadata={"description": "halaman status laporan (tanpa masuk)"})
    files = fields.Integer(metadata={"description": "jumlah berkas bukti yang diterima"})


class IntakeSubmittedOut(Schema):
    id = fields.Integer()
    tracking_code = fields.String()
    status = fields.String()
    status_label = fields.String()
    duplicate_of_ref = fields.Boolean(metadata={"description": "true: external_ref sudah pernah dikirim"})


class IntakeBatchItemOut(Schema):
    index = fields.Integer()
    tracking_code = fields.String(allow_none=True)
    id = fields.Integer(allow_none=True)
    errors = fields.Dict(allow_none=True)


class IntakeBatchOut(Schema):
    created = fields.Integer()
    refused = fields.Integer()
    items = fields.List(fields.Nested(IntakeBatchItemOut))


class ForwardedReportOut(Schema):
    id = fields.Integer()
    tracking_code = fields.String()
    external_ref = fields.String(allow_none=True)
    reported_name = fields.String()
    occurred_on = fields.Date()
    received_at = fields.DateTime()
    status = fields.String()
    status_label = fields.String()
    reason = fields.String(allow_none=True)


class ForwardedReportPageOut(Schema):
    items = fields.List(fields.Nested(ForwardedReportOut))
    next_cursor = fields.String(allow_none=True)


class DuplicateCandidateOut(Schema):
    kind = fields.String(metadata={"enum": ["case", "report"]})
    id = fields.Integer()
    label = fields.String()
    reported_name = fields.String()
    agency = fields.String(allow_none=True)
    occurred_on = fields.Date()
    status = fields.String()
    reasons = fields.List(fields.String())
    reason_labels = fields.List(fields.String())
    similarity = fields.Float(allow_none=True)


class DuplicateCandidatesOut(Schema):
    items = fields.List(fields.Nested(DuplicateCandidateOut))
    method = fields.String(metadata={"description": "pg_trgm | words (SQLite)"})


class IntakeFileOut(Schema):
    id = fields.Integer()
    filename = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    content_type = fields.String()


class IntakeReportOut(Schema):
    """A report as the authority's staff read it (the reporter included)."""

    id = fields.Integer()
    tracking_code = fields.String()
    channel = fields.String()
    forwarder = fields.String(allow_none=True)
    external_ref = fields.String(allow_none=True)
    status = fields.String()
    status_label = fields.String()
    agency_id = fields.Integer(allow_none=True)
    agency_name = fields.String(allow_none=True)
    category = fields.String()
    subcategory = fields.String(allow_none=True)
    reported_person = fields.Dict()
    summary = fields.String()
    occurred_on = fields.Date()
    place = fields.String(allow_none=True)
    reporter = fields.Dict(allow_none=True)
    election_id = fields.Integer(allow_none=True)
    verify_due_at = fields.DateTime(allow_none=True)
    refuse_reason = fields.String(allow_none=True)
    internal_note = fields.String(allow_none=True)
    case_id = fields.Integer(allow_none=True)
    case_number = fields.String(allow_none=True)
    received_at = fields.DateTime()
    files = fields.List(fields.Nested(IntakeFileOut))
    duplicates = fields.List(fields.Nested(DuplicateCandidateOut))


class IntakeQueueOut(Schema):
    items = fields.List(fields.Nested(IntakeReportOut))
    next_cursor = fields.String(allow_none=True)


class IntakeQueueQuery(Schema):
    status = fields.String(
        load_default=None, validate=validate.OneOf(["received", "verifying", "accepted", "attached", "refused"])
    )
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None, validate=validate.Regexp(r"^\d{1,10}$", error="Kursor tidak sah."))


# -- elections and events ---------------------------------------------------------------------------------------


class ElectionStageIn(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Length(min=2, max=200), error_messages=_required)
    starts_on = fields.Date(required=True, error_messages=_date_errors)
    ends_on = fields.Date(required=True, error_messages=_date_errors)


class ElectionIn(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Length(min=3, max=200), error_messages=_required)
    kind = fields.String(
        required=True,
        validate=validate.OneOf(ELECTION_KINDS, error="Jenis pemilihan: pemilu atau pilkada."),
        error_messages=_required,
    )
    region = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    starts_on = fields.Date(required=True, error_messages=_date_errors)
    ends_on = fields.Date(required=True, error_messages=_date_errors)
    verify_days = fields.Integer(load_default=7, strict=True, validate=validate.Range(min=1, max=60))
    stages = fields.List(fields.Nested(ElectionStageIn), load_default=list)

    @validates_schema(skip_on_field_errors=True)
    def _periods(self, data: dict[str, Any], **_: Any) -> None:
        if data["ends_on"] < data["starts_on"]:
            raise ValidationError("Tanggal selesai tidak boleh sebelum tanggal mulai.", field_name="ends_on")
        for stage in data.get("stages") or []:
            if stage["ends_on"] < stage["starts_on"]:
                raise ValidationError("Tahapan: tanggal selesai sebelum tanggal mulai.", field_name="stages")


class ElectionStageOut(Schema):
    name = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()


class ElectionOut(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    region = fields.String(allow_none=True)
    starts_on = fields.Date()
    ends_on = fields.Date()
    verify_days = fields.Integer()
    stages = fields.List(fields.Nested(ElectionStageOut))


class ElectionListOut(Schema):
    items = fields.List(fields.Nested(ElectionOut))


class IncidentEventIn(Schema):
    class Meta:
        unknown = RAISE

    title = fields.String(required=True, validate=validate.Length(min=3, max=200), error_messages=_required)
    occurred_on = fields.Date(required=True, error_messages=_date_errors)
    place = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    description = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20000))
    election_id = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=_row_id("Pemilihan tidak ditemukan.")
    )
    case_ids = fields.List(fields.Integer(strict=True, validate=_row_id("Perkara tidak ditemukan.")), load_default=list)


class IncidentEventCasesIn(Schema):
    class Meta:
        unknown = RAISE

    case_ids = fields.List(
        fields.Integer(strict=True, validate=_row_id("Perkara tidak ditemukan.")),
        required=True,
        validate=validate.Length(min=1, max=500),
        error_messages=_required,
    )


class IncidentEventActionIn(Schema):
    """One action for every case of the event that can take it: `draft_recommendation` (the same sanction and text
    for each, or per case in `per_case`) or `issue_recommendation` (four eyes: each case's draft by someone else)."""

    class Meta:
        unknown = RAISE

    event = fields.String(
        required=True,
        validate=validate.OneOf(
            ["draft_recommendation", "issue_recommendation"], error="Tindakan kelompok tidak dikenal."
        ),
        error_messages=_required,
    )
    sanction = fields.String(load_default=None, validate=validate.OneOf([s.value for s in Sanction]))
    sanction_form = fields.String(load_default=None, allow_none=True)
    legal_basis = fields.String(load_default=None, validate=validate.Length(max=2000))
    text = fields.String(load_default=None, validate=validate.Length(max=20000))
    per_case = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(),
        load_default=dict,
        metadata={"description": "isian per perkara, kunci: id perkara (mis. sanksi berbeda per ASN)"},
    )


class IncidentEventCaseOut(Schema):
    case_id = fields.Integer()
    number = fields.String()
    reported_name = fields.String()
    agency = fields.String()
    status = fields.String()
    status_label = fields.String()
    recommendation_letter = fields.String(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    follow_up = fields.Dict(allow_none=True)


class IncidentEventOut(Schema):
    id = fields.Integer()
    title = fields.String()
    occurred_on = fields.Date()
    place = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    election_id = fields.Integer(allow_none=True)
    cases = fields.List(fields.Nested(IncidentEventCaseOut))


class ElectionCasesOut(Schema):
    cases = fields.List(fields.Nested(IncidentEventCaseOut))


class IncidentEventActionOut(Schema):
    done = fields.List(fields.Integer())
    skipped = fields.List(fields.Dict())
    event = fields.Nested(IncidentEventOut)
