"""Payload schemas of the events (DESIGN §7 'Payloads'); the API, the pages and the docs read them."""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates, validates_schema

from app.calendar.working_days import latest_today
from app.core.sanction_rules import FORMS_BY_LEVEL, sanction_problem, suggestion_table
from app.core.vocab import SANCTION_FORMS, Sanction

_SANCTIONS = [s.value for s in Sanction]
_FORMS = list(SANCTION_FORMS)
_required: dict[str, str | list[Any] | dict[Any, Any]] = {"required": "Wajib diisi.", "null": "Wajib diisi."}


def _text(max_len: int = 4000, **kw: Any) -> fields.String:
    return fields.String(
        validate=validate.Length(min=1, max=max_len, error="Panjang harus 1 sampai {max} karakter."),
        error_messages=_required,
        **kw,
    )


class EventSchema(Schema):
    class Meta:
        unknown = RAISE

    def handle_error(self, error: ValidationError, data: Any, **kwargs: Any) -> None:
        raise error


def _form_fits_level(data: dict[str, Any], level_field: str) -> None:
    """A sanction level and a form that do not belong together are refused, on the form's field
    (app/core/sanction_rules.py: the one rule; whether the person is a PNS or a PPPK is the guard's part)."""
    problem = sanction_problem(data.get(level_field), data.get("sanction_form"))
    if problem:
        raise ValidationError(problem, field_name="sanction_form")


_FORM_HELP = (
    "Harus sesuai dengan tingkat sanksi (PP 94/2021 Pasal 8; PP 42/2004 Pasal 15) dan status terlapor (PNS/PPPK)."
)
# The OpenAPI document of the drafting payload says what the rules in force suggest and allow.
_SUGGESTIONS = {
    "x-saran-sanksi-per-subkategori": suggestion_table(),
    "x-bentuk-sanksi-per-tingkat": {level.value: list(forms) for level, forms in FORMS_BY_LEVEL.items()},
}


class EmptySchema(EventSchema):
    note = fields.String(validate=validate.Length(max=2000), load_default=None)


class ReasonSchema(EventSchema):
    reason = _text(required=True, metadata={"label": "Alasan", "widget": "textarea"})


class DraftRecommendationSchema(EventSchema):
    sanction = fields.String(
        required=True,
        validate=validate.OneOf(_SANCTIONS, error="Jenis sanksi tidak dikenal."),
        error_messages=_required,
        metadata={
            "label": "Sanksi yang direkomendasikan",
            "vocab": "sanction",
            "description": "Saran untuk perkara netralitas mengikuti subkategorinya (SKB 2/2022 Lampiran II; "
            "tabel x-saran-sanksi-per-subkategori); saran tidak mengikat.",
            **_SUGGESTIONS,
        },
    )
    sanction_form = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(_FORMS, error="Bentuk sanksi tidak dikenal."),
        metadata={
            "label": "Bentuk sanksi",
            "vocab": "sanction_form",
            "help": _FORM_HELP,
        },
    )
    legal_basis = _text(1000, required=True, metadata={"label": "Dasar hukum", "widget": "textarea"})
    text = _text(20000, required=True, metadata={"label": "Isi rekomendasi", "widget": "textarea"})

    @validates_schema
    def _form_fits(self, data: dict[str, Any], **_: Any) -> None:
        _form_fits_level(data, "sanction")


class IssueRecommendationSchema(EventSchema):
    # Numbered by the system (app/letters/numbering.py); the page never asks for it ("widget": "system").
    letter_number = _text(
        100,
        load_default=None,
        allow_none=True,
        metadata={
            "label": "Nomor surat rekomendasi",
            "widget": "system",
            "description": "Opsional; biasanya dikosongkan. Nomor surat diberikan sistem saat rekomendasi "
            "diterbitkan, menurut pola otoritas penerbit (letter_format, mis. R-{seq}/{short}/{month}/{year}) dan "
            "nomor urut per otoritas dan tahun: unik dan tanpa loncatan. Nomor yang diisi hanya diterima bila "
            "otoritas itu menomori suratnya sendiri (letter_manual); selain itu 422 pada letter_number.",
        },
    )


class RecordReceiptSchema(EventSchema):
    received_on = fields.Date(
        required=True,
        error_messages={**_required, "invalid": "Tanggal tidak sah (format YYYY-MM-DD)."},
        metadata={"label": "Tanggal diterima (tanda terima)"},
    )
    note = fields.String(validate=validate.Length(max=2000), load_default=None, metadata={"label": "Catatan"})

    @validates("received_on")
    def _not_future(self, value: date, **_: Any) -> None:
        if value > latest_today():
            raise ValidationError("Tanggal diterima tidak boleh di masa depan.")


class ExtendDeadlineSchema(EventSchema):
    working_days = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1, max=60, error="Perpanjangan 1 sampai 60 hari kerja."),
        error_messages={**_required, "invalid": "Harus berupa bilangan bulat."},
        metadata={"label": "Tambahan hari kerja"},
    )
    reason = _text(required=True, metadata={"label": "Alasan", "widget": "textarea"})
    letter_number = _text(100, required=True, metadata={"label": "Nomor surat perpanjangan"})


class RequestClarificationSchema(EventSchema):
    letter_number = _text(100, required=True, metadata={"label": "Nomor surat sanggahan / klarifikasi"})
    reason = _text(required=True, metadata={"label": "Alasan sanggahan", "widget": "textarea"})
    document_id = fields.Integer(load_default=None, allow_none=True, metadata={"label": "Dokumen", "widget": "file"})


class AnswerClarificationSchema(EventSchema):
    outcome = fields.String(
        required=True,
        validate=validate.OneOf(["upheld", "revised"], error="Pilih: rekomendasi tetap atau rekomendasi diubah."),
        error_messages=_required,
        metadata={"label": "Hasil", "choices": {"upheld": "Rekomendasi tetap", "revised": "Rekomendasi diubah"}},
    )
    letter_number = _text(100, required=True, metadata={"label": "Nomor surat tanggapan"})
    # Why the recommendation stands or changes: kept in the history row and shown on the case page (the PPK reads
    # it). Optional, so that an API client written before it keeps working.
    reason = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=4000),
        metadata={
            "label": "Alasan jawaban",
            "widget": "textarea",
            "help": "Mengapa rekomendasi tetap atau diubah; tercatat di riwayat dan dibaca PPK.",
        },
    )
    sanction = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(_SANCTIONS, error="Jenis sanksi tidak dikenal."),
        metadata={"label": "Sanksi baru (bila diubah)", "vocab": "sanction"},
    )
    sanction_form = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(_FORMS, error="Bentuk sanksi tidak dikenal."),
        metadata={"label": "Bentuk sanksi baru", "vocab": "sanction_form", "help": _FORM_HELP},
    )

    @validates_schema
    def _revised_needs_sanction(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("outcome") == "revised" and not data.get("sanction"):
            raise ValidationError("Wajib diisi bila rekomendasi diubah.", field_name="sanction")

    @validates_schema
    def _form_fits(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("outcome") == "revised":
            _form_fits_level(data, "sanction")


class ReportFollowUpSchema(EventSchema):
    decision_number = _text(100, required=True, metadata={"label": "Nomor SK"})
    decision_date = fields.Date(
        required=True,
        error_messages={**_required, "invalid": "Tanggal tidak sah (format YYYY-MM-DD)."},
        metadata={"label": "Tanggal SK"},
    )
    sanction_imposed = fields.String(
        required=True,
        validate=validate.OneOf(_SANCTIONS, error="Jenis sanksi tidak dikenal."),
        error_messages=_required,
        metadata={"label": "Sanksi yang dijatuhkan", "vocab": "sanction"},
    )
    sanction_form = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(_FORMS, error="Bentuk sanksi tidak dikenal."),
        metadata={"label": "Bentuk sanksi", "vocab": "sanction_form", "help": _FORM_HELP},
    )
    note = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=4000),
        metadata={"label": "Catatan", "widget": "textarea"},
    )
    # The SK is the proof of the follow-up: the form asks for its file (`form_required`), the help page says so;
    # an API client uploads it first and names it here.
    document_id = fields.Integer(
        load_default=None,
        allow_none=True,
        metadata={
            "label": "Dokumen SK",
            "widget": "file",
            "form_required": True,
            "help": "Wajib diunggah: salinan SK yang ditandatangani (PDF atau gambar).",
        },
    )

    @validates("decision_date")
    def _not_future(self, value: date, **_: Any) -> None:
        if value > latest_today():
            raise ValidationError("Tanggal SK tidak boleh di masa depan.")

    @validates_schema
    def _form_fits(self, data: dict[str, Any], **_: Any) -> None:
        _form_fits_level(data, "sanction_imposed")
