"""marshmallow schemas for case payloads and answers (DESIGN §7)."""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates, validates_schema

from app.calendar.working_days import latest_today
from app.cases.outcomes import DataBlockOut
from app.core.nip import InvalidNIP, parse_nip
from app.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, keyset_cursor
from app.core.states import CaseStatus
from app.core.vocab import NEUTRALITY_SUBCATEGORIES, Category, Source
from app.db import MAX_ROW_ID
from workflows.transitions import TRANSITIONS

_required = {"required": "Wajib diisi.", "null": "Wajib diisi."}

# The case list's search (`q`): a term needs three letters or digits, the shortest the trigram index of
# PostgreSQL (app.models.cases `SEARCH_INDEX`) can serve; a shorter one would read every case.
SEARCH_MIN_CHARS = 3
SEARCH_TOO_SHORT = f"Kata pencarian (q) minimal {SEARCH_MIN_CHARS} huruf atau angka."


def search_term_too_short(term: str) -> bool:
    """Whether `term` has fewer letters and digits than a search needs (spaces and punctuation do not count)."""
    return sum(char.isalnum() for char in term) < SEARCH_MIN_CHARS


def _search_term(value: str) -> None:
    if search_term_too_short(value):
        raise ValidationError(SEARCH_TOO_SHORT)


class ReportedPersonSchema(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Length(min=2, max=200), error_messages=_required)
    nip = fields.String(required=True, error_messages=_required)
    position = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    pppk = fields.Boolean(load_default=False, load_only=True)

    @validates_schema(skip_on_field_errors=False)  # the NIP is checked even when the name is missing: one round
    def _nip(self, data: dict[str, Any], **_: Any) -> None:
        if "nip" not in data:
            return  # missing or not text: its field error says so
        try:
            data["nip"] = parse_nip(data.get("nip", ""), pppk=data.get("pppk", False)).value
        except InvalidNIP as exc:
            raise ValidationError(str(exc), field_name="nip") from exc


class ReporterSchema(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    contact = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class NewCaseSchema(Schema):
    class Meta:
        unknown = RAISE

    agency_id = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1, max=MAX_ROW_ID, error="Instansi tidak ditemukan."),
        error_messages=_required,
    )
    category = fields.String(
        required=True,
        validate=validate.OneOf([c.value for c in Category], error="Kategori tidak dikenal."),
        error_messages=_required,
    )
    subcategory = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=60))
    source = fields.String(
        required=True,
        validate=validate.OneOf([s.value for s in Source], error="Sumber laporan tidak dikenal."),
        error_messages=_required,
    )
    reported_person = fields.Nested(ReportedPersonSchema, required=True, error_messages=_required)
    summary = fields.String(required=True, validate=validate.Length(min=10, max=20000), error_messages=_required)
    occurred_on = fields.Date(required=True, error_messages={**_required, "invalid": "Tanggal tidak sah."})
    reporter = fields.Nested(ReporterSchema, load_default=None, allow_none=True)
    assignee_id = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=1, max=MAX_ROW_ID, error="Pengguna tidak ditemukan."),
        metadata={
            "label": "Penanggung jawab (penyelidik)",
            "description": "staf otoritas pengawas yang menangani perkara; kosong: pencatatnya sendiri",
        },
    )

    @validates("occurred_on")
    def _past(self, value: date, **_: Any) -> None:
        if value > latest_today():
            raise ValidationError("Tanggal kejadian tidak boleh di masa depan.")
        if value.year < 1990:
            raise ValidationError("Tanggal kejadian tidak masuk akal.")

    @validates_schema(skip_on_field_errors=False)  # with the other fields' errors, not after them
    def _subcategory(self, data: dict[str, Any], **_: Any) -> None:
        sub = data.get("subcategory")
        if sub and data.get("category") == Category.NETRALITAS and sub not in NEUTRALITY_SUBCATEGORIES:
            raise ValidationError(
                f"Subkategori netralitas tidak dikenal; pilih: {', '.join(NEUTRALITY_SUBCATEGORIES)}",
                field_name="subcategory",
            )


class CaseUpdateSchema(NewCaseSchema):
    """Editable fields before the recommendation is issued; `version` is required."""

    version = fields.Integer(required=True, strict=True, error_messages=_required)

    class Meta:
        unknown = RAISE
        # Who handles the case changes through its own request, with a reason (POST /cases/<id>/assignee).
        exclude = ("assignee_id",)


def _partial_update_schema() -> CaseUpdateSchema:
    return CaseUpdateSchema(partial=tuple(NewCaseSchema().fields))


class CaseQuerySchema(Schema):
    status = fields.String(
        metadata={"description": "one status or several separated by commas"},
    )
    agency_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ROW_ID))
    category = fields.String(validate=validate.OneOf([c.value for c in Category]))
    election_id = fields.Integer(
        validate=validate.Range(min=1, max=MAX_ROW_ID),
        metadata={
            "description": "perkara netralitas yang dikaitkan dengan pemilihan ini (GET /api/v1/elections); id "
            "pemilihan yang tidak ada memberi daftar kosong, seperti instansi yang tidak ada"
        },
    )
    overdue = fields.Boolean()
    escalated = fields.Boolean()
    q = fields.String(
        validate=[validate.Length(max=100), _search_term],
        metadata={
            "description": "cari di nomor perkara, nama dan NIP terlapor, uraian, nama dan kode instansi, nomor SK "
            f"tindak lanjut dan nomor surat (minimal {SEARCH_MIN_CHARS} huruf atau angka; huruf besar-kecil diabaikan, "
            "% dan _ dicari apa adanya)"
        },
    )
    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT))
    # A key beyond the integer ids is "past every case" (an empty page); the service never sends it on.
    cursor = fields.String(validate=keyset_cursor(), metadata={"description": "next_cursor of the previous page"})

    @validates("status")
    def _statuses(self, value: str, **_: Any) -> None:
        bad = [s for s in value.split(",") if s and s not in CaseStatus._value2member_map_]
        if bad:
            raise ValidationError(f"Status tidak dikenal: {', '.join(bad)}")


TRANSITION_SCHEMA_PREFIX = "Transition"


@cache
def transition_request_schemas() -> dict[str, type[Schema]]:
    """The body of `POST /cases/<id>/transitions` for each event, `{event, version, ...payload}`: the event's own
    payload schema (workflows/transitions.py, the one table) with `event` (that event) and `version` added. Built
    once: the OpenAPI document names each one (`TransitionStartReview` ...)."""
    schemas: dict[str, type[Schema]] = {}
    for event, transition in TRANSITIONS.items():
        name = TRANSITION_SCHEMA_PREFIX + "".join(part.capitalize() for part in event.value.split("_"))
        schemas[event.value] = type(
            f"{name}Schema",
            (transition.schema,),
            {
                "__doc__": transition.label,
                "__module__": __name__,
                "event": fields.String(required=True, validate=validate.OneOf([event.value])),
                "version": fields.Integer(
                    required=True, strict=True, metadata={"description": "versi perkara yang dibaca pengirim"}
                ),
            },
        )
    return schemas


def transition_request_doc() -> dict[str, Any]:
    """The OpenAPI schema of a transition request: one of the per-event schemas, told apart by `event`."""
    schemas = transition_request_schemas()
    return {
        "oneOf": list(schemas.values()),
        "discriminator": {
            "propertyName": "event",
            "mapping": {
                event: f"#/components/schemas/{schema.__name__.removesuffix('Schema')}"
                for event, schema in schemas.items()
            },
        },
    }


# Answer schemas (documentation; the services build the dicts)
class PersonOut(Schema):
    name = fields.String()
    nip = fields.String()
    position = fields.String(allow_none=True)


class SuccessorRef(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()


class AgencyRef(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    kind = fields.String()
    timezone = fields.String()
    ended_on = fields.Date(
        allow_none=True, metadata={"description": "hari pertama instansi tidak ada lagi (detail perkara saja)"}
    )
    successor = fields.Nested(
        SuccessorRef,
        allow_none=True,
        metadata={"description": "instansi yang mengambil alih tugas instansi yang berakhir (detail perkara saja)"},
    )


class StaffRef(Schema):
    id = fields.Integer()
    name = fields.String()


class OfficeHolderRef(Schema):
    id = fields.Integer()
    agency_id = fields.Integer()
    name = fields.String()
    title = fields.String()
    started_on = fields.Date()
    ended_on = fields.Date(allow_none=True)
    acting = fields.Boolean(metadata={"description": "Pelaksana tugas / penjabat (Plt./Pj.)"})
    acting_label = fields.String()


class IncumbentPpkOut(Schema):
    label = fields.String(metadata={"description": "PPK petahana mencalonkan diri"})
    text = fields.String(metadata={"description": "siapa, dalam pemilihan apa, sejak kapan (kalimat)"})
    holder_id = fields.Integer()
    holder_name = fields.String()
    holder_title = fields.String()
    election_id = fields.Integer()
    election_name = fields.String()
    since = fields.Date()
    shift = fields.Integer(metadata={"description": "berapa tingkat eskalasi lebih awal (0: tidak dipercepat)"})


class RecommendationOut(Schema):
    sanction = fields.String()
    sanction_form = fields.String(allow_none=True)
    legal_basis = fields.String()
    text = fields.String()
    letter_number = fields.String(allow_none=True)
    authority = fields.String(allow_none=True)
    drafted_by = fields.Integer(allow_none=True)
    drafted_at = fields.DateTime(allow_none=True)
    issued_by = fields.Integer(allow_none=True)
    issued_at = fields.DateTime(allow_none=True)
    acknowledged_at = fields.DateTime(allow_none=True)
    received_on = fields.Date(allow_none=True)
    working_days = fields.Integer(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    due_calendar_version = fields.String(allow_none=True)
    cycle = fields.Integer()
    escalation_level = fields.Integer(allow_none=True)
    addressed_holder = fields.Nested(
        OfficeHolderRef,
        allow_none=True,
        metadata={"description": "pejabat PPK yang dituju: yang menjabat pada hari rekomendasi diterbitkan"},
    )


class FollowUpOut(Schema):
    id = fields.Integer()
    decision_number = fields.String()
    decision_date = fields.Date()
    sanction_imposed = fields.String()
    sanction_form = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    is_lighter = fields.Boolean()
    is_late = fields.Boolean()
    working_days_taken = fields.Integer(allow_none=True)
    document_id = fields.Integer(allow_none=True)
    reported_at = fields.DateTime()
    verdict = fields.String(allow_none=True)
    verdict_reason = fields.String(allow_none=True)


class CaseSummaryOut(Schema):
    id = fields.Integer()
    number = fields.String()
    status = fields.String()
    status_label = fields.String()
    version = fields.Integer()
    agency_id = fields.Integer()
    agency = fields.Nested(AgencyRef)
    category = fields.String()
    subcategory = fields.String(allow_none=True)
    source = fields.String()
    reported_person = fields.Nested(PersonOut)
    summary = fields.String()
    occurred_on = fields.Date()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    issued_at = fields.DateTime(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    escalation_level = fields.Integer(allow_none=True)
    overdue = fields.Boolean()


class RegisterNoticeOut(Schema):
    kind = fields.String(metadata={"enum": ["transfer", "retired", "status"]})
    text = fields.String()
    agency_name = fields.String()
    on = fields.Date()
    status = fields.String()


class CasePersonOut(Schema):
    nip = fields.String(metadata={"description": "Orang perkara ini: rekam jejaknya di GET /api/v1/people/<nip>"})
    notices = fields.List(
        fields.Nested(RegisterNoticeOut),
        metadata={"description": "Temuan register ASN pada perkara terbuka: mutasi (PPK mungkin berganti), pensiun"},
    )


class CaseElectionRef(Schema):
    id = fields.Integer()
    name = fields.String()


class CaseOut(CaseSummaryOut):
    allowed_events = fields.List(fields.String())
    recommendation = fields.Nested(RecommendationOut, allow_none=True)
    follow_up = fields.Nested(FollowUpOut, allow_none=True)
    follow_ups = fields.List(fields.Nested(FollowUpOut))
    clarifications = fields.List(fields.Dict())
    working_days_left = fields.Integer(allow_none=True)
    working_days_late = fields.Integer(allow_none=True)
    dismiss_reason = fields.String(allow_none=True)
    close_reason = fields.String(allow_none=True)
    reporter = fields.Dict(allow_none=True, metadata={"description": "KASN roles only"})
    assignee = fields.Nested(
        StaffRef, allow_none=True, metadata={"description": "penanggung jawab perkara (peran KASN saja)"}
    )
    team = fields.String(allow_none=True, metadata={"description": "tim penanggung jawab (peran KASN saja)"})
    escalations = fields.List(fields.Dict())
    blocks = fields.List(fields.Nested(DataBlockOut), metadata={"description": "pemblokiran data/layanan SIASN"})
    person = fields.Nested(CasePersonOut, allow_none=True)
    election = fields.Nested(
        CaseElectionRef,
        allow_none=True,
        metadata={"description": "pemilihan yang dikaitkan dengan perkara netralitas ini (PUT /cases/<id>/election)"},
    )
    incumbent_ppk = fields.Nested(
        IncumbentPpkOut,
        allow_none=True,
        metadata={
            "description": "PPK yang menjabat mencalonkan diri dalam pemilihan perkara netralitas ini (eskalasi "
            "lebih awal); staf otoritas, PPK instansi itu dan kementerian pengawas"
        },
    )


class CasePageOut(Schema):
    items = fields.List(fields.Nested(CaseSummaryOut))
    next_cursor = fields.String(allow_none=True)


class HistoryRowOut(Schema):
    seq = fields.Integer()
    event = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    actor = fields.String()
    actor_id = fields.Integer(allow_none=True)
    payload = fields.Dict()
    request_id = fields.String(allow_none=True)
    created_at = fields.DateTime()
    hash = fields.String()
    prev_hash = fields.String()


class HistoryOut(Schema):
    items = fields.List(fields.Nested(HistoryRowOut))


class AttachmentOut(Schema):
    id = fields.Integer()
    filename = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    content_type = fields.String()
    purpose = fields.String()
    created_at = fields.DateTime()


class WorkflowTransitionOut(Schema):
    """One row of the state machine (workflows/transitions.py)."""

    event = fields.String(required=True)
    label = fields.String(required=True)
    sources = fields.List(
        fields.String(),
        required=True,
        data_key="from",
        attribute="from",
        metadata={"description": "statuses it leaves"},
    )
    to = fields.String(
        required=True, allow_none=True, metadata={"description": "status it reaches; null when the status stays"}
    )
    roles = fields.List(fields.String(), required=True)
    payload = fields.List(fields.String(), required=True, metadata={"description": "fields of the event's payload"})
    irreversible = fields.Boolean(required=True)


class WorkflowOut(Schema):
    transitions = fields.List(fields.Nested(WorkflowTransitionOut), required=True)


class ReporterViewOut(Schema):
    """One view of a reporter's identity (app/cases/reporter_views.py)."""

    id = fields.Integer()
    at = fields.DateTime()
    user_id = fields.Integer(allow_none=True)
    user_name = fields.String(allow_none=True)
    role = fields.String()
    role_label = fields.String()
    channel = fields.String(metadata={"enum": ["page", "api", "export", "intake_page", "intake_api"]})
    channel_label = fields.String()
    case_id = fields.Integer(allow_none=True)
    case_number = fields.String(allow_none=True)
    report_id = fields.Integer(allow_none=True, metadata={"description": "Laporan masuk (intake)"})
    tracking_code = fields.String(allow_none=True)
    scope = fields.Dict(allow_none=True, metadata={"description": "Ekspor: saringan daftar atau perkara terpilih"})


class ReporterViewPageOut(Schema):
    items = fields.List(fields.Nested(ReporterViewOut))
    next_before_id = fields.Integer(allow_none=True, metadata={"description": "Halaman berikutnya: ?before_id="})
