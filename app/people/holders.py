"""Who holds each agency's PPK office and when, and the holders standing as candidates in an election (an
incumbent: app/models/people.py `incumbencies`). Who reads and records them is app/cases/access.py's
(`sees_agency_holders`, `may_record_candidacy`). Services flush; the API commits."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from app.cases.access import may_record_candidacy, sees_agency_holders
from app.core.vocab import Role
from app.db import db, valid_row_id
from app.errors import Forbidden, NotFound, ValidationFailed
from app.models.agencies import Agency
from app.models.auth import User
from app.models.intake import Election
from app.models.people import PpkCandidacy, PpkOfficeHolder, holder_out


def holders_of(user: Any, agency_id: int) -> list[dict[str, Any]]:
    """The agency's PPK office holders (newest first), each with its candidacies: 404 for an agency `user` may not
    read the holders of (`access.sees_agency_holders`: a PPK reads its own agency's only)."""
    if not sees_agency_holders(user, agency_id) or db.session.get(Agency, agency_id) is None:
        raise NotFound("Instansi tidak ditemukan.")
    rows = list(
        db.session.scalars(
            select(PpkOfficeHolder)
            .where(PpkOfficeHolder.agency_id == agency_id)
            .order_by(PpkOfficeHolder.started_on.desc(), PpkOfficeHolder.id.desc())
        )
    )
    candidacies: dict[int, list[dict[str, Any]]] = {}
    if rows:
        found = db.session.execute(
            select(PpkCandidacy, Election.name)
            .join(Election, Election.id == PpkCandidacy.election_id)
            .where(PpkCandidacy.holder_id.in_([r.id for r in rows]))
            .order_by(PpkCandidacy.since.desc(), PpkCandidacy.id.desc())
        ).all()
        for cand, election_name in found:
            candidacies.setdefault(cand.holder_id, []).append(candidacy_out(cand, election_name))
    return [{**h, "candidacies": candidacies.get(h["id"], [])} for h in (holder_out(r) for r in rows) if h]


def candidacy_out(row: PpkCandidacy, election_name: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "holder_id": row.holder_id,
        "election_id": row.election_id,
        "election_name": election_name,
        "since": row.since,
        "created_at": row.created_at,
    }


def add_candidacy(agency_id: int, holder_id: int, data: Any, actor: User) -> dict[str, Any]:
    """Record that an office holder of the agency stands as a candidate in an election since a day (the holder is
    then an incumbent: app/models/people.py `incumbencies`). Administrators and the authority's staff; 404 for
    an agency or holder that is not there, 422 naming every field."""
    if not may_record_candidacy(actor):
        raise Forbidden("Hanya administrator dan staf otoritas yang dapat mencatat pencalonan pejabat PPK.")
    holder = db.session.get(PpkOfficeHolder, holder_id)
    if holder is None or holder.agency_id != agency_id:
        raise NotFound("Pejabat PPK tidak ditemukan pada instansi ini.")
    if not isinstance(data, dict):
        raise ValidationFailed("Badan permintaan harus berupa objek JSON.")
    fields: dict[str, list[str]] = {}
    election = _election(data.get("election_id"), fields)
    since = _day(data.get("since"), "since", fields, required=True)
    if since is not None:
        if since < holder.started_on:
            fields["since"] = ["Tanggal pencalonan tidak boleh sebelum pejabat mulai menjabat."]
        elif holder.ended_on is not None and since > holder.ended_on:
            fields["since"] = ["Tanggal pencalonan tidak boleh setelah pejabat selesai menjabat."]
    unknown = sorted(set(data) - {"election_id", "since"})
    for name in unknown:
        fields[name] = ["Kolom tidak dikenal."]
    if election is not None and db.session.scalar(
        select(PpkCandidacy.id).where(PpkCandidacy.holder_id == holder.id, PpkCandidacy.election_id == election.id)
    ):
        fields["election_id"] = ["Pencalonan pejabat ini dalam pemilihan tersebut sudah tercatat."]
    if fields:
        raise ValidationFailed("Data pencalonan pejabat PPK tidak valid.", details={"fields": fields})
    assert election is not None and since is not None
    row = PpkCandidacy(holder_id=holder.id, election_id=election.id, since=since, created_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    return candidacy_out(row, election.name)


def add_holder(agency_id: int, data: Any, actor: User) -> PpkOfficeHolder:
    """Record who held the agency's PPK office from when to when (administrators). 422 naming every field."""
    if actor.role != Role.ADMIN:
        raise Forbidden("Hanya administrator yang dapat mencatat pejabat PPK.")
    agency = db.session.get(Agency, agency_id)
    if agency is None:
        raise NotFound("Instansi tidak ditemukan.")
    if not isinstance(data, dict):
        raise ValidationFailed("Badan permintaan harus berupa objek JSON.")
    fields: dict[str, list[str]] = {}
    raw_name, raw_title = data.get("name"), data.get("title") or agency.ppk_title or ""
    name = raw_name.strip() if isinstance(raw_name, str) else ""
    title = raw_title.strip() if isinstance(raw_title, str) else ""
    if not name or len(name) > 200:
        fields["name"] = ["Nama 1–200 karakter."]
    if not title or len(title) > 200:
        fields["title"] = ["Jabatan 1–200 karakter."]
    started = _day(data.get("started_on"), "started_on", fields, required=True)
    ended = _day(data.get("ended_on"), "ended_on", fields, required=False)
    if started and ended and ended < started:
        fields["ended_on"] = ["Tanggal selesai tidak boleh sebelum tanggal mulai."]
    acting = data.get("acting", False)
    if not isinstance(acting, bool):
        fields["acting"] = ["true atau false."]
    if fields:
        raise ValidationFailed("Data pejabat PPK tidak valid.", details={"fields": fields})
    row = PpkOfficeHolder(
        agency_id=agency.id, name=name, title=title, started_on=started, ended_on=ended, acting=bool(acting)
    )
    db.session.add(row)
    db.session.flush()
    return row


def _election(raw: Any, fields: dict[str, list[str]]) -> Election | None:
    if raw in (None, ""):
        fields["election_id"] = ["Pemilihan wajib dipilih."]
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or not valid_row_id(raw):
        fields["election_id"] = ["Pemilihan harus berupa nomor pemilihan (bilangan bulat)."]
        return None
    election = db.session.get(Election, raw)
    if election is None:
        fields["election_id"] = ["Pemilihan tidak ditemukan."]
    return election


def _day(value: Any, name: str, fields: dict[str, list[str]], *, required: bool) -> Any:
    if value in (None, ""):
        if required:
            fields[name] = ["Wajib diisi (YYYY-MM-DD)."]
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        fields[name] = ["Tanggal tidak sah (YYYY-MM-DD)."]
        return None
