"""Forms derived from marshmallow schemas: the schema is the one rule, the page only renders and parses it.

`field_specs(schema)` turns a schema's fields into what a template needs (label, widget, choices, limits),
`form_payload(specs, form)` turns the submitted form back into the payload the schema loads, and
`field_errors(messages)` flattens marshmallow's messages to `{"a.b": [text, ...]}`, in Indonesian.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext
from marshmallow import Schema, fields, validate
from werkzeug.datastructures import MultiDict

from app.core import vocab


def N_(text: str) -> str:
    """Marks a text for the message catalogue; it is translated where it is shown."""
    return text


# Labels of fields that carry none in their schema metadata (UI text; translated at render time).
FIELD_LABELS = {
    "note": N_("Catatan"),
    "reason": N_("Alasan"),
    "agency_id": N_("Instansi"),
    "category": N_("Kategori"),
    "subcategory": N_("Subkategori (netralitas)"),
    "source": N_("Sumber laporan"),
    "summary": N_("Uraian kejadian"),
    "occurred_on": N_("Tanggal kejadian"),
    "reported_person": N_("Terlapor"),
    "reported_person.name": N_("Nama terlapor"),
    "reported_person.nip": N_("NIP terlapor"),
    "reported_person.position": N_("Jabatan terlapor"),
    "reported_person.pppk": N_("Terlapor adalah PPPK"),
    "reporter": N_("Pelapor (rahasia)"),
    "reporter.name": N_("Nama pelapor"),
    "reporter.contact": N_("Kontak pelapor"),
    "code": N_("Kode"),
    "name": N_("Nama"),
    "kind": N_("Jenis instansi"),
    "timezone": N_("Zona waktu"),
    "ppk_title": N_("Jabatan PPK"),
    "ppk_email": N_("Email PPK"),
    "parent_id": N_("Instansi induk"),
    "escalation_body": N_("Tujuan eskalasi (pengecualian)"),
    "file": N_("Berkas"),
    "confirm": N_("Konfirmasi"),
}

FIELD_HELP = {
    "reported_person.nip": N_("18 angka, boleh dengan spasi (mis. 19860926 201505 1 001)."),
    "escalation_body": N_("Kosongkan agar ditentukan oleh jenis instansi."),
    "reporter.name": N_("Hanya terlihat oleh KASN."),
}

# Vocabularies a field may name in its metadata ("vocab": ...), or that its name implies.
VOCABULARIES: dict[str, dict[Any, str]] = {
    "sanction": vocab.SANCTION_LABELS,
    "sanction_imposed": vocab.SANCTION_LABELS,
    "sanction_form": vocab.SANCTION_FORMS,
    "category": vocab.CATEGORY_LABELS,
    "subcategory": vocab.NEUTRALITY_SUBCATEGORIES,
    "source": vocab.SOURCE_LABELS,
    "kind": vocab.AGENCY_KIND_LABELS,
    "escalation_body": vocab.BODY_LABELS,
    "body": vocab.BODY_LABELS,
    "role": vocab.ROLE_LABELS,
}

# marshmallow's own (English) messages, for fields whose schema gives none.
_LIBRARY_MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^Missing data for required field\.$"), N_("Wajib diisi.")),
    (re.compile(r"^Field may not be null\.$"), N_("Wajib diisi.")),
    (re.compile(r"^Unknown field\.$"), N_("Isian tidak dikenal.")),
    (re.compile(r"^Not a valid integer\.$"), N_("Harus berupa bilangan bulat.")),
    (re.compile(r"^Not a valid number\.$"), N_("Harus berupa angka.")),
    (re.compile(r"^Not a valid string\.$"), N_("Harus berupa teks.")),
    (re.compile(r"^Not a valid date\.$"), N_("Tanggal tidak sah.")),
    (re.compile(r"^Not a valid boolean\.$"), N_("Nilai ya/tidak tidak sah.")),
    (re.compile(r"^Not a valid email address\.$"), N_("Alamat email tidak sah.")),
    (re.compile(r"^Must be one of: .*\.$"), N_("Pilihan tidak sah.")),
    (re.compile(r"^Invalid input type\.$"), N_("Isian tidak sah.")),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"), N_("Minimal %(n)s karakter.")),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), N_("Maksimal %(n)s karakter.")),
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"), N_("Panjang harus %(n)s sampai %(m)s karakter.")),
    (
        re.compile(r"^Must be greater than or equal to (-?\d+) and less than or equal to (-?\d+)\.$"),
        N_("Harus antara %(n)s dan %(m)s."),
    ),
    (re.compile(r"^Must be greater than or equal to (-?\d+)\.$"), N_("Minimal %(n)s.")),
    (re.compile(r"^Must be less than or equal to (-?\d+)\.$"), N_("Maksimal %(n)s.")),
    (re.compile(r"^String does not match expected pattern\.$"), N_("Format tidak sah.")),
    (re.compile(r"^Invalid value\.$"), N_("Nilai tidak sah.")),
]


@dataclass
class FieldSpec:
    name: str
    label: str
    widget: str = "text"
    required: bool = False
    choices: list[tuple[str, str]] = field(default_factory=list)
    max_length: int | None = None
    min: int | None = None
    max: int | None = None
    help: str | None = None
    default: Any = None
    accept: str | None = None
    autocomplete: str | None = None
    inputmode: str | None = None
    integer: bool = False  # the schema wants an int (whatever the widget)


def _choices(name: str, fld: fields.Field, one_of: validate.OneOf) -> list[tuple[str, str]]:
    meta = fld.metadata
    if isinstance(meta.get("choices"), dict):
        mapping: dict[Any, str] = meta["choices"]
    else:
        mapping = VOCABULARIES.get(meta.get("vocab") or name.rsplit(".", 1)[-1], {})
    result = []
    for value in one_of.choices:
        text = next((t for k, t in mapping.items() if k == value or getattr(k, "value", None) == value), str(value))
        result.append((str(value), gettext(text)))
    return result


def _label(name: str, fld: fields.Field) -> str:
    text = fld.metadata.get("label") or FIELD_LABELS.get(name) or FIELD_LABELS.get(name.rsplit(".", 1)[-1]) or name
    return gettext(text)


def _spec(name: str, fld: fields.Field) -> FieldSpec:
    meta = fld.metadata
    # `form_required`: the page asks for it though the schema lets an API client leave it out (the SK's file).
    spec = FieldSpec(name=name, label=_label(name, fld), required=bool(fld.required or meta.get("form_required")))
    help_text = meta.get("help") or FIELD_HELP.get(name)
    spec.help = gettext(help_text) if help_text else None
    widget = meta.get("widget")
    if isinstance(fld, fields.Date):
        spec.widget = "date"
    elif isinstance(fld, fields.Boolean):
        spec.widget = "checkbox"
    elif isinstance(fld, fields.Integer) and widget != "file":
        spec.widget = "number"
        spec.inputmode = "numeric"
        spec.integer = True
    elif isinstance(fld, fields.Email):
        spec.widget = "email"
        spec.autocomplete = "email"
    if widget:
        spec.widget = widget
    for validator in fld.validators:
        if isinstance(validator, validate.OneOf) and spec.widget not in ("file",):
            spec.widget = "select"
            spec.choices = _choices(name, fld, validator)
        elif isinstance(validator, validate.Length) and validator.max is not None:
            spec.max_length = validator.max
        elif isinstance(validator, validate.Range):
            spec.min = validator.min
            spec.max = validator.max
    if spec.widget == "file":
        spec.accept = ".pdf,.jpg,.jpeg,.png,.webp,.docx,.xlsx,.odt"
    return spec


def field_specs(schema: Schema | type[Schema], *, exclude: tuple[str, ...] = (), prefix: str = "") -> list[FieldSpec]:
    """The form fields of `schema` in declaration order; nested schemas become `outer.inner` fields."""
    instance = schema() if isinstance(schema, type) else schema
    specs: list[FieldSpec] = []
    for name, fld in instance.fields.items():
        full = f"{prefix}{name}"
        if name in exclude or full in exclude or fld.dump_only:
            continue
        if isinstance(fld, fields.Nested):
            specs.extend(field_specs(fld.schema, exclude=exclude, prefix=f"{full}."))
            continue
        specs.append(_spec(full, fld))
    return specs


_INT = re.compile(r"^-?\d+$")


def form_payload(specs: list[FieldSpec], form: MultiDict[str, str]) -> dict[str, Any]:
    """The payload for the schema from submitted form values: empty inputs are left out (the schema then
    applies its defaults or says the field is required); numbers become ints; nested names become dicts."""
    payload: dict[str, Any] = {}
    for spec in specs:
        if spec.widget == "file":
            continue
        if spec.widget == "checkbox":
            value: Any = spec.name in form
            if not value:
                continue
        else:
            raw = (form.get(spec.name) or "").strip()
            if raw == "":
                continue
            value = int(raw) if spec.integer and _INT.match(raw) else raw
        target = payload
        *parents, leaf = spec.name.split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = value
    return payload


def form_values(form: MultiDict[str, str]) -> dict[str, str]:
    """What the user typed, to show again next to the errors."""
    return {key: form.get(key, "") for key in form if key != "csrf_token"}


def translate_message(message: str) -> str:
    for pattern, text in _LIBRARY_MESSAGES:
        match = pattern.match(message)
        if match:
            groups = match.groups()
            variables = {"n": groups[0]} if groups else {}
            if len(groups) > 1:
                variables["m"] = groups[1]
            return gettext(text, **variables)
    return gettext(message)


def field_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Flatten marshmallow messages (nested dicts, lists) to `{"outer.inner": [...]}` in the reader's language."""
    result: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}{key}" if key != "_schema" or not prefix else prefix.rstrip(".")
            if isinstance(value, dict):
                result.update(field_errors(value, prefix=f"{name}."))
            else:
                items = value if isinstance(value, list) else [value]
                texts = [translate_message(str(m)) for m in items if not isinstance(m, dict)]
                for m in items:
                    if isinstance(m, dict):
                        result.update(field_errors(m, prefix=f"{name}."))
                if texts:
                    result.setdefault(name, []).extend(texts)
    elif isinstance(messages, list):
        result.setdefault(prefix.rstrip(".") or "_schema", []).extend(translate_message(str(m)) for m in messages)
    elif messages:
        result.setdefault(prefix.rstrip(".") or "_schema", []).append(translate_message(str(messages)))
    return result


def spread_errors(errors: dict[str, list[str]], specs: list[FieldSpec]) -> dict[str, list[str]]:
    """Errors on a group the form shows as its fields (a nested schema left empty: `reported_person` is required)
    are put on each required field of the group, so every field to fill is marked in the same round."""
    names = {spec.name for spec in specs}
    result: dict[str, list[str]] = {}
    for key, messages in errors.items():
        children = [s.name for s in specs if s.name.startswith(f"{key}.") and s.required]
        if key in names or not children:
            result.setdefault(key, []).extend(messages)
            continue
        for child in children:
            result.setdefault(child, []).extend(m for m in messages if m not in result.get(child, []))
    return result
