"""Outcomes of a case beyond its status: the block of the civil servant's personnel data and/or services in SIASN
that the oversight authority asked for (Peraturan BKN 1/2023, under Perpres 116/2022) while the PPK does not follow
the recommendation up, and its lifting.

Recording and lifting a block are not transitions: the case's status and version do not change, and each writes one
row of the case's history (`data_block_recorded`, `data_block_lifted`) in the same transaction. The authority's
case staff (investigator, commissioner) record and lift; everyone who may see the case sees its blocks, an outside
party (the PPK's office, a ministry) without the staff's names and internal notes: the block is sent to BKN about
the PPK's own civil servant, and it is the PPK's follow-up that lifts it. Nothing here names the reporter.
Services flush; the API commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import select

from app.agencies.authority import authority_name_on
from app.audit.history import append_history, lock_case
from app.cases.access import scoped_cases, sees_deliberation
from app.core.clock import utcnow
from app.core.vocab import CASE_STAFF
from app.db import db, get_row
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.models.auth import User
from app.models.cases import Case, Recommendation
from app.models.outcomes import BLOCK_SCOPE_LABELS, BLOCK_SCOPES, DataBlock

RECORDED = "data_block_recorded"
LIFTED = "data_block_lifted"
EVENT_LABELS = {RECORDED: "Pemblokiran data kepegawaian dicatat", LIFTED: "Pemblokiran data kepegawaian dibuka"}
SCOPE_LABELS = BLOCK_SCOPE_LABELS
# The labels of the history payload's keys, for the case page's timeline.
PAYLOAD_LABELS = {
    "block_id": "Nomor pemblokiran",
    "scope": "Yang diblokir",
    "reference": "Nomor surat",
    "authority": "Otoritas pengawas",
    "lift_reference": "Nomor surat pembukaan",
    "note_internal": "Catatan internal",
}
_required: dict[str, Any] = {"required": "Wajib diisi.", "null": "Wajib diisi."}


# -- the API's schemas ---------------------------------------------------------------------------------------------


class DataBlockIn(Schema):
    scope = fields.String(
        required=True,
        validate=validate.OneOf(BLOCK_SCOPES, error="Pilih salah satu: data, layanan, data_dan_layanan."),
        error_messages=_required,
        metadata={"description": "Yang diblokir pada SIASN: data kepegawaian, layanan kepegawaian, atau keduanya"},
    )
    reference = fields.String(
        required=True,
        validate=validate.Length(min=1, max=120, error="Nomor surat 1–120 karakter."),
        error_messages=_required,
        metadata={"description": "Nomor surat permintaan atau keputusan pemblokiran"},
    )
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class DataBlockLiftIn(Schema):
    reference = fields.String(
        required=True,
        validate=validate.Length(min=1, max=120, error="Nomor surat 1–120 karakter."),
        error_messages=_required,
        metadata={"description": "Nomor surat pembukaan blokir"},
    )
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class DataBlockOut(Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    recommendation_id = fields.Integer()
    nip = fields.String()
    authority = fields.String(metadata={"description": "Otoritas pengawas yang meminta (singkatan)"})
    scope = fields.String(metadata={"enum": list(BLOCK_SCOPES)})
    scope_label = fields.String()
    reference = fields.String()
    requested_at = fields.DateTime()
    requested_by = fields.Integer(allow_none=True, metadata={"description": "Hanya untuk staf otoritas pengawas"})
    requested_by_label = fields.String(metadata={"description": "Nama staf, atau otoritas pengawas bagi pihak luar"})
    note = fields.String(allow_none=True, metadata={"description": "Hanya untuk staf otoritas pengawas"})
    active = fields.Boolean()
    lifted_at = fields.DateTime(allow_none=True)
    lifted_by = fields.Integer(allow_none=True, metadata={"description": "Hanya untuk staf otoritas pengawas"})
    lifted_by_label = fields.String(allow_none=True)
    lift_reference = fields.String(allow_none=True)
    lift_note = fields.String(allow_none=True, metadata={"description": "Hanya untuk staf otoritas pengawas"})


class DataBlockListOut(Schema):
    items = fields.List(fields.Nested(DataBlockOut))


def _load(schema: Schema, data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValidationFailed("Badan permintaan harus berupa objek JSON.")
    try:
        loaded: dict[str, Any] = schema.load(data)
    except ValidationError as exc:
        raise ValidationFailed("Data pemblokiran tidak valid.", details={"fields": exc.messages}) from exc
    return loaded


def _text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


# -- recording and lifting -----------------------------------------------------------------------------------------


def require_staff(actor: User) -> None:
    if actor.role not in CASE_STAFF:
        raise Forbidden("Hanya penyelidik atau pejabat otoritas pengawas yang dapat mencatat atau membuka pemblokiran.")


def record_block(case: Case, data: Any, actor: User, *, now: datetime | None = None) -> DataBlock:
    """Record that the authority asked for a block of the reported civil servant's data and/or services in SIASN
    (the case's recommendation must be issued, the case still open, no other block in force). Flushes."""
    require_staff(actor)
    clean = _load(DataBlockIn(), data)
    reference = _text(clean["reference"])
    if reference is None:
        raise ValidationFailed("Data pemblokiran tidak valid.", details={"fields": {"reference": ["Wajib diisi."]}})
    lock_case(case)  # before the INSERT below takes its foreign-key lock on the case row
    rec = db.session.scalar(select(Recommendation).where(Recommendation.case_id == case.id))
    if rec is None or rec.issued_at is None:
        raise Conflict(
            "Pemblokiran hanya dapat dicatat setelah rekomendasi diterbitkan.", code="no_issued_recommendation"
        )
    if case.is_terminal:
        raise Conflict("Perkara sudah berakhir; pemblokiran baru tidak dapat dicatat.", code="case_ended")
    if active_block(rec.id) is not None:
        raise Conflict(
            "Masih ada pemblokiran yang berlaku untuk rekomendasi ini; buka dahulu sebelum mencatat yang baru.",
            code="block_in_force",
        )
    now = now or utcnow()
    block = DataBlock(
        case_id=case.id,
        recommendation_id=rec.id,
        nip=case.reported_nip,
        authority=rec.authority_name or authority_name_on(rec.issued_at.date()),  # the issuing authority
        scope=clean["scope"],
        reference=reference,
        requested_by_id=actor.id,
        requested_at=now,
        note=_text(clean.get("note")),
    )
    db.session.add(block)
    db.session.flush()
    payload: dict[str, Any] = {
        "block_id": block.id,
        "scope": block.scope,
        "reference": block.reference,
        "authority": block.authority,
    }
    if block.note:
        payload["note_internal"] = block.note  # left out of what an outside party reads (PARTY_HIDDEN_PAYLOAD_KEYS)
    append_history(case, RECORDED, case.status, case.status, actor=actor, payload=payload, at=now)
    return block


def lift_block(case: Case, block_id: int, data: Any, actor: User, *, now: datetime | None = None) -> DataBlock:
    """Record that a block of the case was lifted (the PPK followed up, or the authority decided so), under a
    letter. Allowed whatever the case's state, once. Flushes."""
    require_staff(actor)
    clean = _load(DataBlockLiftIn(), data)
    reference = _text(clean["reference"])
    if reference is None:
        raise ValidationFailed(
            "Data pembukaan blokir tidak valid.", details={"fields": {"reference": ["Wajib diisi."]}}
        )
    lock_case(case)
    block = get_row(DataBlock, block_id)
    if block is None or block.case_id != case.id:
        raise NotFound("Pemblokiran tidak ditemukan.")
    db.session.refresh(block)  # as the last writer left it (the case lock serialises the writers of its blocks)
    if not block.is_active:
        raise Conflict("Pemblokiran ini sudah dibuka.", code="block_lifted")
    now = now or utcnow()
    block.lifted_at = now
    block.lifted_by_id = actor.id
    block.lift_reference = reference
    block.lift_note = _text(clean.get("note"))
    db.session.flush()
    payload: dict[str, Any] = {"block_id": block.id, "scope": block.scope, "lift_reference": reference}
    if block.lift_note:
        payload["note_internal"] = block.lift_note
    append_history(case, LIFTED, case.status, case.status, actor=actor, payload=payload, at=now)
    return block


def active_block(recommendation_id: int) -> DataBlock | None:
    return db.session.scalar(
        select(DataBlock).where(DataBlock.recommendation_id == recommendation_id, DataBlock.lifted_at.is_(None))
    )


# -- reading -------------------------------------------------------------------------------------------------------


def case_blocks(case: Case, user: Any) -> list[dict[str, Any]]:
    """The case's blocks, oldest first, as `user` may read them (`user` may see the case)."""
    rows = list(db.session.scalars(select(DataBlock).where(DataBlock.case_id == case.id).order_by(DataBlock.id)))
    return blocks_out(rows, user)


def person_blocks(nip: str, user: Any) -> list[dict[str, Any]]:
    """Every block of one civil servant (by NIP) in the cases `user` may see, oldest first: the person's record."""
    visible = scoped_cases(user).with_only_columns(Case.id).scalar_subquery()
    rows = list(
        db.session.scalars(
            select(DataBlock).where(DataBlock.nip == nip, DataBlock.case_id.in_(visible)).order_by(DataBlock.id)
        )
    )
    return blocks_out(rows, user)


def blocks_out(rows: list[DataBlock], user: Any) -> list[dict[str, Any]]:
    """Blocks as the API and the pages show them; for an outside party, without staff and internal notes."""
    staff = sees_deliberation(user)
    names: dict[int, str] = {}
    if staff:
        ids = {i for row in rows for i in (row.requested_by_id, row.lifted_by_id) if i is not None}
        if ids:
            names = {uid: name for uid, name in db.session.execute(select(User.id, User.name).where(User.id.in_(ids)))}
    out = []
    for row in rows:
        lifted = row.lifted_at is not None
        out.append(
            {
                "id": row.id,
                "case_id": row.case_id,
                "recommendation_id": row.recommendation_id,
                "nip": row.nip,
                "authority": row.authority,
                "scope": row.scope,
                "scope_label": SCOPE_LABELS.get(row.scope, row.scope),
                "reference": row.reference,
                "requested_at": row.requested_at,
                "requested_by": row.requested_by_id if staff else None,
                "requested_by_label": names.get(row.requested_by_id or 0, row.authority) if staff else row.authority,
                "note": row.note if staff else None,
                "active": not lifted,
                "lifted_at": row.lifted_at,
                "lifted_by": row.lifted_by_id if staff else None,
                "lifted_by_label": (
                    (names.get(row.lifted_by_id or 0, row.authority) if staff else row.authority) if lifted else None
                ),
                "lift_reference": row.lift_reference,
                "lift_note": row.lift_note if staff else None,
            }
        )
    return out
