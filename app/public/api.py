"""The public figures' API under /api/v1/public/ (no token): the years, each year's figures as JSON and CSV (the
latest version at a stable URL, every version at its own), the data dictionary, the DCAT catalogue and the frozen
IM-NKK snapshots' penegakan; and the administrator's switch that publishes or withholds a year.

Rate-limited per client address (`PUBLIC_RATE_LIMIT`); every file answer carries ETag and Last-Modified.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.api.reads import read_only
from app.api.security import current_api_user, require_role
from app.core.vocab import Role
from app.db import get_row, unit_of_work
from app.errors import NotFound
from app.extensions import limiter, rate_limits_off
from app.index.access import check_year
from app.models.index import IndexSnapshot
from app.models.intake import Election
from app.public import catalog, definitions, serving
from app.public import release as releases

blp = Blueprint(
    "public",
    __name__,
    description="Angka publik penegakan (tanpa login): per instansi dan wilayah, data terbuka, katalog DCAT",
)
SECURITY = [{"bearerAuth": []}]


def _public_limit() -> str:
    return str(current_app.config.get("PUBLIC_RATE_LIMIT", "300 per minute"))


limiter.limit(_public_limit, exempt_when=rate_limits_off)(blp)

CONDITIONAL = {
    "304": {"description": "Tidak berubah (If-None-Match / If-Modified-Since cocok)"},
    "404": {"description": "Tahun atau versi tidak tersedia, atau tahun belum diterbitkan"},
    "429": {"description": "Terlalu banyak permintaan dari alamat ini"},
}


def _file_doc(description: str, media: str) -> dict[str, Any]:
    return {
        "responses": {
            "200": {
                "description": description,
                "content": {media: {"schema": {"type": "string" if media == "text/csv" else "object"}}},
                "headers": {
                    "ETag": {"schema": {"type": "string"}},
                    "Last-Modified": {"schema": {"type": "string"}},
                    "Cache-Control": {"schema": {"type": "string"}},
                },
            },
            **CONDITIONAL,
        }
    }


class ReleaseSchema(Schema):
    version = fields.Int(required=True)
    released_at = fields.DateTime(required=True)
    checked_at = fields.DateTime(required=True)
    published = fields.Bool(required=True)
    json_url = fields.Str(required=True)
    csv_url = fields.Str(required=True)


class YearSchema(ReleaseSchema):
    year = fields.Int(required=True)


class ElectionReleaseSchema(ReleaseSchema):
    election_id = fields.Int(required=True)
    election = fields.Dict(required=True)


class YearsSchema(Schema):
    licence = fields.Dict(required=True)
    threshold = fields.Int(required=True)
    dictionary_url = fields.Str(required=True)
    catalog_url = fields.Str(required=True)
    page_url = fields.Str(required=True)
    years = fields.List(fields.Nested(YearSchema), required=True)
    elections = fields.List(fields.Nested(ElectionReleaseSchema), required=True)


class PublicationInputSchema(Schema):
    published = fields.Bool(required=True)
    reason = fields.Str(required=True, validate=validate.Length(min=3, max=2000))


class PublicationSchema(Schema):
    year = fields.Int(allow_none=True)
    election_id = fields.Int()
    published = fields.Bool(required=True)
    history = fields.List(fields.Dict(), required=True)


def year_urls(year: int) -> dict[str, str]:
    return {
        "json_url": f"/api/v1/public/years/{year}/figures.json",
        "csv_url": f"/api/v1/public/years/{year}/figures.csv",
    }


def election_urls(election_id: int) -> dict[str, str]:
    return {
        "json_url": f"/api/v1/public/elections/{election_id}/figures.json",
        "csv_url": f"/api/v1/public/elections/{election_id}/figures.csv",
    }


def _election(election_id: int) -> Election:
    election = get_row(Election, election_id)
    if election is None:
        raise NotFound("Pemilu tidak ditemukan.")
    return election


@blp.route("/public")
@blp.response(200, YearsSchema)
@read_only
def years() -> dict[str, Any]:
    """The published years and elections, each with its latest version and the stable URLs of its files."""
    listed = []
    for row in releases.release_years():
        published = releases.is_published(row["year"])
        if published:
            listed.append({**row, "published": published, **year_urls(row["year"])})
    elections = [
        {**row, "published": True, **election_urls(row["election_id"])}
        for row in releases.release_elections()
        if releases.is_published(0, row["election_id"])
    ]
    return {
        "licence": definitions.LICENCE,
        "threshold": releases.threshold(),
        "dictionary_url": "/api/v1/public/dictionary",
        "catalog_url": "/api/v1/public/catalog.jsonld",
        "page_url": url_for("public_pages.dashboard"),
        "years": listed,
        "elections": elections,
    }


@blp.route("/public/years/<int:year>/figures.json")
@blp.doc(**_file_doc("Angka publik tahun itu, versi terakhir (JSON)", "application/json"))
@read_only
def year_json(year: int) -> Any:
    """The year's figures, latest version: national, per province, per agency, the ranking and the monthly trend;
    small counts as "< 5", complementary suppressions as "x"."""
    served = serving.release_for(check_year(year))
    return serving.conditional(served.body_json, served.etag_json, served.released_at, "application/json")


@blp.route("/public/years/<int:year>/figures.csv")
@blp.doc(**_file_doc("Angka publik tahun itu, versi terakhir (CSV, satu baris per angka)", "text/csv"))
@read_only
def year_csv(year: int) -> Any:
    """The year's figures as CSV, one row per figure (columns in the data dictionary)."""
    served = serving.release_for(check_year(year))
    name = f"tindak-angka-publik-{served.year}-v{served.version}.csv"
    return serving.conditional(served.body_csv, served.etag_csv, served.released_at, "text/csv", filename=name)


@blp.route("/public/years/<int:year>/versions/<int:version>/figures.json")
@blp.doc(**_file_doc("Satu versi angka publik tahun itu (JSON), tetap untuk dikutip", "application/json"))
@read_only
def version_json(year: int, version: int) -> Any:
    """One version of the year's figures: its bytes never change."""
    served = serving.release_for(check_year(year), version)
    return serving.conditional(served.body_json, served.etag_json, served.released_at, "application/json")


@blp.route("/public/years/<int:year>/versions/<int:version>/figures.csv")
@blp.doc(**_file_doc("Satu versi angka publik tahun itu (CSV), tetap untuk dikutip", "text/csv"))
@read_only
def version_csv(year: int, version: int) -> Any:
    """One version of the year's figures as CSV: its bytes never change."""
    served = serving.release_for(check_year(year), version)
    name = f"tindak-angka-publik-{served.year}-v{served.version}.csv"
    return serving.conditional(served.body_csv, served.etag_csv, served.released_at, "text/csv", filename=name)


@blp.route("/public/elections/<id:election_id>/figures.json")
@blp.doc(**_file_doc("Angka publik satu pemilu, versi terakhir (JSON)", "application/json"))
@read_only
def election_json(election_id: int) -> Any:
    """An election's figures (the cases linked to it), latest version: national, per province and per agency,
    the ranking; small counts as "< 5", complementary suppressions as "x"."""
    served = serving.release_for(0, None, _election(election_id).id)
    return serving.conditional(served.body_json, served.etag_json, served.released_at, "application/json")


@blp.route("/public/elections/<id:election_id>/figures.csv")
@blp.doc(**_file_doc("Angka publik satu pemilu, versi terakhir (CSV, satu baris per angka)", "text/csv"))
@read_only
def election_csv(election_id: int) -> Any:
    """An election's figures as CSV, one row per figure (columns in the data dictionary, `election_csv_schema`)."""
    served = serving.release_for(0, None, _election(election_id).id)
    name = f"tindak-angka-publik-pemilu-{election_id}-v{served.version}.csv"
    return serving.conditional(served.body_csv, served.etag_csv, served.released_at, "text/csv", filename=name)


@blp.route("/public/elections/<id:election_id>/versions/<int:version>/figures.json")
@blp.doc(**_file_doc("Satu versi angka publik pemilu (JSON), tetap untuk dikutip", "application/json"))
@read_only
def election_version_json(election_id: int, version: int) -> Any:
    """One version of an election's figures: its bytes never change."""
    served = serving.release_for(0, version, _election(election_id).id)
    return serving.conditional(served.body_json, served.etag_json, served.released_at, "application/json")


@blp.route("/public/elections/<id:election_id>/versions/<int:version>/figures.csv")
@blp.doc(**_file_doc("Satu versi angka publik pemilu (CSV), tetap untuk dikutip", "text/csv"))
@read_only
def election_version_csv(election_id: int, version: int) -> Any:
    """One version of an election's figures as CSV: its bytes never change."""
    served = serving.release_for(0, version, _election(election_id).id)
    name = f"tindak-angka-publik-pemilu-{election_id}-v{served.version}.csv"
    return serving.conditional(served.body_csv, served.etag_csv, served.released_at, "text/csv", filename=name)


@blp.route("/public/dictionary")
@blp.doc(**_file_doc("Kamus data: setiap ukuran, definisinya, dan skema kolom CSV", "application/json"))
@read_only
def dictionary() -> Any:
    """The data dictionary (every measure's label and definition, Indonesian and English; the CSV's columns)."""
    body = catalog.dictionary_body()
    return serving.conditional(body, serving._etag(body), catalog.DICTIONARY_DATE, "application/json")


@blp.route("/public/catalog.jsonld")
@blp.doc(**_file_doc("Metadata katalog DCAT (JSON-LD) untuk portal data", "application/ld+json"))
@read_only
def dcat_catalog() -> Any:
    """The open data described in DCAT (W3C Data Catalog Vocabulary), as JSON-LD: one dataset per published year,
    its CSV and JSON distributions, licence, dates and version."""
    body, modified = catalog.dcat_body(url_for("public_pages.dashboard", _external=True).rsplit("/publik", 1)[0])
    return serving.conditional(body, serving._etag(body), modified, "application/ld+json")


@blp.route("/public/index-snapshots/<id:snapshot_id>")
@blp.doc(**_file_doc("Skor penegakan IM-NKK dari satu snapshot yang dibekukan", "application/json"))
@read_only
def index_snapshot(snapshot_id: int) -> Any:
    """The penegakan score per agency of one frozen IM-NKK snapshot (also after it was lifted: a citation stays
    valid), only for agencies with at least the threshold of recommendations."""
    snapshot = get_row(IndexSnapshot, snapshot_id)
    if snapshot is None or not releases.is_published(snapshot.year):
        raise NotFound("Snapshot IM-NKK tidak ditemukan.")
    body = catalog.snapshot_body(snapshot, releases.threshold())
    return serving.conditional(body, serving._etag(body), snapshot.frozen_at, "application/json")


@blp.route("/public/years/<int:year>/publication", methods=["POST"])
@blp.doc(security=SECURITY)
@blp.arguments(PublicationInputSchema())
@blp.response(200, PublicationSchema)
@require_role(Role.ADMIN)
def publication(data: dict[str, Any], year: int) -> dict[str, Any]:
    """Publish or withhold a year's public figures, with a reason (administrator); the history keeps every switch."""
    year = check_year(year)
    with unit_of_work():
        releases.set_published(year, data["published"], data["reason"].strip(), current_api_user().id)
    serving.clear_cache()
    return _publication_answer(year, 0)


@blp.route("/public/elections/<id:election_id>/publication", methods=["POST"])
@blp.doc(security=SECURITY)
@blp.arguments(PublicationInputSchema())
@blp.response(200, PublicationSchema)
@require_role(Role.ADMIN)
def election_publication(data: dict[str, Any], election_id: int) -> dict[str, Any]:
    """Publish or withhold an election's public figures, with a reason (administrator), as a year's."""
    election_id = _election(election_id).id
    with unit_of_work():
        releases.set_published(0, data["published"], data["reason"].strip(), current_api_user().id,
                               election_id=election_id)  # fmt: skip
    serving.clear_cache()
    return _publication_answer(0, election_id)


def _publication_answer(year: int, election_id: int) -> dict[str, Any]:
    return {
        **({"election_id": election_id, "year": None} if election_id else {"year": year}),
        "published": releases.is_published(year, election_id),
        "history": [
            {"published": row.published, "reason": row.reason, "changed_at": row.changed_at.isoformat(),
             "changed_by_role": "admin" if row.changed_by_id else None}
            for row in releases.publication_history(year, election_id)
        ],
    }  # fmt: skip


__all__ = ["blp"]
