"""Babel extractor for texts kept as data (vocabulary labels, state and event labels, schema field labels,
error and status messages): they reach the catalogue without a second copy in the code.

babel.cfg maps `app/core/vocab.py` to this extractor; the file itself is not parsed, the modules are imported.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from marshmallow import fields, validate

from app.admin.schemas import AuthoritySchema
from app.cases.schemas import NewCaseSchema
from app.core import vocab
from app.core.states import EVENT_LABELS, STATUS_LABELS
from app.errors import HTTP_MESSAGES_ID
from app.escalations.ladder import DEFAULT_LADDER
from notifications.services import KIND_LABELS as OUTBOX_KINDS
from notifications.services import STATUS_LABELS as OUTBOX_LABELS
from workflows.transitions import TRANSITIONS


def _schema_texts(schema: Any) -> Iterator[str]:
    instance = schema() if isinstance(schema, type) else schema
    for fld in instance.fields.values():
        meta = fld.metadata
        for key in ("label", "help", "description"):
            if isinstance(meta.get(key), str):
                yield meta[key]
        if isinstance(meta.get("choices"), dict):
            yield from meta["choices"].values()
        defaults: set[str] = set()
        for cls in type(fld).__mro__:
            defaults.update(getattr(cls, "default_error_messages", {}).values())
        yield from (m for m in fld.error_messages.values() if isinstance(m, str) and m not in defaults)
        for validator in fld.validators:
            error = getattr(validator, "error", None)
            if isinstance(error, str) and "{" not in error and isinstance(validator, validate.Validator):
                yield error
        if isinstance(fld, fields.Nested):
            yield from _schema_texts(fld.schema)


def label_texts() -> list[str]:
    """Every text kept as data that a page may show."""
    texts: list[str] = []
    for mapping in (
        vocab.ROLE_LABELS,
        vocab.BODY_LABELS,
        vocab.ESCALATION_TARGET_LABELS,
        vocab.AGENCY_KIND_LABELS,
        vocab.CATEGORY_LABELS,
        vocab.NEUTRALITY_SUBCATEGORIES,
        vocab.SOURCE_LABELS,
        vocab.SANCTION_LABELS,
        vocab.SANCTION_FORMS,
        STATUS_LABELS,
        EVENT_LABELS,
        HTTP_MESSAGES_ID,
        OUTBOX_LABELS,
        OUTBOX_KINDS,
    ):
        texts.extend(mapping.values())
    texts.append(vocab.SIGNER_ROLE_LABEL)
    texts.extend(rung["label"] for rung in DEFAULT_LADDER)
    for transition in TRANSITIONS.values():
        if transition.description:
            texts.append(transition.description)
        texts.extend(_schema_texts(transition.schema))
    for schema in (NewCaseSchema, AuthoritySchema):
        texts.extend(_schema_texts(schema))
    seen: set[str] = set()
    return [t for t in texts if t and not (t in seen or seen.add(t))]


def extract(fileobj: Any, keywords: Any, comment_tags: Any, options: Any) -> Iterator[tuple[int, str, str, list[str]]]:
    for text in label_texts():
        yield 0, "gettext", text, []
