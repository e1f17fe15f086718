"""What the people API answers (OpenAPI): a person's record, a merge, a panel's check, the look-up log."""

from __future__ import annotations

from marshmallow import Schema, fields

from app.cases.outcomes import DataBlockOut
from app.cases.schemas import OfficeHolderRef


class PersonAgencyRef(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()


class PersonRegisterOut(Schema):
    source = fields.String(allow_none=True, metadata={"description": "siasn | file (the register that answered)"})
    checked_at = fields.DateTime(allow_none=True)
    found = fields.Boolean(allow_none=True)
    agency_name = fields.String(allow_none=True)
    status = fields.String(allow_none=True, metadata={"description": "Kedudukan hukum menurut register"})
    retirement_on = fields.Date(allow_none=True)


class PpkCandidacyOut(Schema):
    id = fields.Integer()
    holder_id = fields.Integer()
    election_id = fields.Integer()
    election_name = fields.String()
    since = fields.Date(metadata={"description": "sejak kapan pejabat ini calon (petahana) dalam pemilihan itu"})
    created_at = fields.DateTime()


class PpkCandidacyIn(Schema):
    election_id = fields.Integer(required=True, metadata={"description": "pemilihan (GET /api/v1/elections)"})
    since = fields.Date(required=True, metadata={"description": "sejak kapan pejabat ini calon (YYYY-MM-DD)"})


class PpkHolderOut(OfficeHolderRef):
    """An office holder (the case detail's `recommendation.addressed_holder` has the same fields), with its
    candidacies."""

    candidacies = fields.List(
        fields.Nested(PpkCandidacyOut),
        metadata={"description": "pencalonan pejabat ini (petahana) dalam pemilihan; daftar pejabat saja"},
    )


class PpkHolderIn(Schema):
    name = fields.String(required=True)
    title = fields.String(metadata={"description": "Bawaan: jabatan PPK instansi"})
    started_on = fields.Date(required=True)
    ended_on = fields.Date(allow_none=True)
    acting = fields.Boolean()


class PpkHolderPageOut(Schema):
    items = fields.List(fields.Nested(PpkHolderOut))


class PersonRecommendationRef(Schema):
    sanction = fields.String()
    sanction_form = fields.String(allow_none=True)
    sanction_label = fields.String()
    letter_number = fields.String(allow_none=True)
    authority = fields.String(allow_none=True)
    issued_at = fields.DateTime(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    followed_up_at = fields.DateTime(allow_none=True)
    addressed_to = fields.Nested(
        PpkHolderOut, allow_none=True, metadata={"description": "Pejabat PPK pada hari rekomendasi diterbitkan"}
    )


class PersonImposedOut(Schema):
    decision_number = fields.String()
    decision_date = fields.Date()
    sanction = fields.String()
    sanction_form = fields.String(allow_none=True)
    sanction_label = fields.String()
    is_lighter = fields.Boolean()
    verdict = fields.String(allow_none=True)


class RecordCaseOut(Schema):
    id = fields.Integer()
    number = fields.String(metadata={"description": "Nomor perkara NKK-YYYY-NNNNNN"})
    agency = fields.Nested(PersonAgencyRef, allow_none=True)
    category = fields.String()
    category_label = fields.String()
    status = fields.String()
    status_label = fields.String()
    reported_name = fields.String(metadata={"description": "Nama sebagaimana dilaporkan pada perkara ini"})
    reported_nip = fields.String(metadata={"description": "NIP sebagaimana dilaporkan (bisa NIP yang digabungkan)"})
    reported_position = fields.String(allow_none=True)
    occurred_on = fields.Date()
    created_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
    recommendation = fields.Nested(PersonRecommendationRef, allow_none=True)
    sanctions_imposed = fields.List(fields.Nested(PersonImposedOut))


class BlockInRecordOut(DataBlockOut):
    case_number = fields.String(allow_none=True)


class PersonMergeOut(Schema):
    id = fields.Integer()
    from_nip = fields.String()
    into_nip = fields.String()
    case_ids = fields.List(fields.Integer())
    reason = fields.String()
    merged_by = fields.String(allow_none=True)
    merged_at = fields.DateTime()


class RecordLookupOut(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"enum": ["check", "view"]})
    kind_label = fields.String()
    at = fields.DateTime()
    user_id = fields.Integer(allow_none=True)
    user_name = fields.String(allow_none=True)
    role = fields.String()
    role_label = fields.String()
    agency = fields.String(allow_none=True)
    purpose = fields.String(allow_none=True)
    nip_count = fields.Integer()
    nip = fields.String(metadata={"description": "Dalam rekam jejak orang: NIP yang ditanyakan"})
    had_record = fields.Boolean()
    nips = fields.List(fields.String(), metadata={"description": "Dalam log administrator: semua NIP"})


class PersonRecordOut(Schema):
    nip = fields.String()
    name = fields.String()
    position = fields.String(allow_none=True)
    employment_type = fields.String(allow_none=True, metadata={"enum": ["pns", "pppk"]})
    employment_label = fields.String(allow_none=True)
    agency = fields.Nested(PersonAgencyRef, allow_none=True)
    register = fields.Nested(PersonRegisterOut)
    items = fields.List(fields.Nested(RecordCaseOut), metadata={"description": "Perkara orang ini, terbaru dahulu"})
    blocks = fields.List(fields.Nested(BlockInRecordOut))
    merged_nips = fields.List(fields.String())
    merges = fields.List(fields.Nested(PersonMergeOut), metadata={"description": "Hanya untuk otoritas pengawas"})
    lookups = fields.List(fields.Nested(RecordLookupOut), metadata={"description": "Hanya untuk otoritas pengawas"})


class PersonMergeIn(Schema):
    from_nip = fields.String(required=True, metadata={"description": "NIP yang salah ketik"})
    into_nip = fields.String(required=True, metadata={"description": "NIP orang yang benar"})
    reason = fields.String(required=True)


class CheckIn(Schema):
    nips = fields.List(fields.String(), required=True, metadata={"description": "NIP para calon (paling banyak 500)"})
    purpose = fields.String(required=True, metadata={"description": "Tujuan pemeriksaan (seleksi yang mana)"})
    years = fields.Integer(metadata={"description": "Masa pemeriksaan dalam tahun (bawaan menurut aturan: 3)"})
    rule = fields.String(metadata={"enum": ["jpt"]})


class CheckRecOut(Schema):
    sanction = fields.String()
    sanction_label = fields.String()
    issued_on = fields.Date(allow_none=True)
    authority = fields.String(allow_none=True)


class CheckImposedOut(Schema):
    sanction = fields.String()
    sanction_label = fields.String()
    decision_number = fields.String()
    decision_date = fields.Date()
    verdict = fields.String(allow_none=True)


class CheckBlockOut(Schema):
    scope = fields.String()
    requested_on = fields.Date()
    lifted_on = fields.Date(allow_none=True)
    active = fields.Boolean()


class CheckCaseOut(Schema):
    number = fields.String()
    agency = fields.Nested(PersonAgencyRef, allow_none=True)
    category = fields.String()
    category_label = fields.String()
    status = fields.String()
    status_label = fields.String()
    in_process = fields.Boolean()
    occurred_on = fields.Date()
    recommendation = fields.Nested(CheckRecOut, allow_none=True)
    sanctions_imposed = fields.List(fields.Nested(CheckImposedOut))
    serving_until = fields.Date(allow_none=True)
    serving = fields.Boolean()
    blocks = fields.List(fields.Nested(CheckBlockOut))
    counts = fields.Boolean(metadata={"description": "Diperhitungkan menurut aturan"})


class CheckItemOut(Schema):
    nip = fields.String()
    name = fields.String(allow_none=True)
    has_record = fields.Boolean()
    counts_against = fields.Boolean()
    verdict_label = fields.String()
    cases = fields.List(fields.Nested(CheckCaseOut))


class CheckSourceOut(Schema):
    text = fields.String()
    url = fields.String()


class CheckOut(Schema):
    lookup_id = fields.Integer()
    checked_at = fields.DateTime()
    purpose = fields.String()
    rule = fields.String()
    rule_label = fields.String()
    years = fields.Integer()
    period_from = fields.Date()
    period_to = fields.Date()
    scope = fields.String(metadata={"enum": ["agency", "national"]})
    scope_label = fields.String()
    sources = fields.List(fields.Nested(CheckSourceOut))
    items = fields.List(fields.Nested(CheckItemOut))


class RecordLookupPageOut(Schema):
    items = fields.List(fields.Nested(RecordLookupOut))
