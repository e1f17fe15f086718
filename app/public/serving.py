"""Serving the public figures fast: the latest release of a year is looked up once per few seconds per process
and its bytes are kept in memory, so a request costs a dictionary look-up; every answer carries an ETag (the
digest of its bytes) and Last-Modified (the release moment), and a client that has them gets 304 Not Modified.

The cache belongs to the app (`app.extensions`), is cleared by a refresh in the same process, and lives at most
`PUBLIC_CACHE_SECONDS` (default 10) elsewhere: another process's refresh is served within that time.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Response, current_app, request
from sqlalchemy import select

from app.db import db, valid_row_id
from app.errors import NotFound
from app.models.public import PublicRelease
from app.public import release as releases

CACHE_KEY = releases.CACHE_KEY


@dataclass(frozen=True)
class Served:
    year: int
    version: int
    released_at: datetime
    body_json: bytes
    body_csv: bytes
    etag_json: str
    etag_csv: str


def _cache() -> dict[Any, Any]:
    return current_app.extensions.setdefault(CACHE_KEY, {})


def clear_cache() -> None:
    _cache().clear()


def _etag(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _served(row: PublicRelease) -> Served:
    return Served(
        year=row.year,
        version=row.version,
        released_at=row.released_at,
        body_json=row.body_json.encode(),  # encoded once, not per answer
        body_csv=row.body_csv.encode(),
        etag_json=_etag(row.body_json),
        etag_csv=_etag(row.body_csv),
    )


def release_for(year: int, version: int | None = None, election_id: int = 0) -> Served:
    """The year's (or, with year 0, the election's) release (its latest, or the given version) when it is
    published; 404 otherwise."""
    cache = _cache()
    ttl = float(current_app.config.get("PUBLIC_CACHE_SECONDS", 10))
    key = (year, version, election_id)
    hit = cache.get(key)
    now = time.monotonic()
    if hit is not None and now - hit[0] < ttl:
        served = hit[1]
    else:
        served = None
        if releases.is_published(year, election_id):
            stmt = select(PublicRelease).where(PublicRelease.year == year, PublicRelease.election_id == election_id)
            if version is None:
                stmt = stmt.order_by(PublicRelease.version.desc()).limit(1)
            else:
                stmt = stmt.where(PublicRelease.version == version)
            # a version no row can have (past the column's range) is not asked of the database: the same 404
            row = db.session.scalar(stmt) if version is None or valid_row_id(version) else None
            served = _served(row) if row is not None else None
        if len(cache) > 256:
            cache.clear()
        cache[key] = (now, served)
    if served is None:
        what = "pemilu" if election_id else "tahun"
        raise NotFound(
            f"Angka publik {what} ini tidak tersedia: belum dihitung, versinya tidak ada, atau belum diterbitkan.",
            code="not_published",
        )
    return served


def conditional(
    body: str | bytes, etag: str, modified: datetime, mimetype: str, *, filename: str | None = None
) -> Response:
    """An answer with ETag, Last-Modified and public cache headers; 304 when the client's copy is current."""
    response = current_app.response_class(body, mimetype=mimetype)
    response.set_etag(etag)
    response.last_modified = modified
    response.cache_control.public = True
    response.cache_control.max_age = int(current_app.config.get("PUBLIC_MAX_AGE", 300))
    response.headers["Access-Control-Allow-Origin"] = "*"
    if filename:
        response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response.make_conditional(request)


def parsed(served: Served) -> dict[str, Any]:
    """The release's JSON as data (kept with the bytes, parsed once per process)."""
    cache = _cache()
    key = ("parsed", served.year, served.version, served.etag_json)
    hit = cache.get(key)
    if hit is None or hit[0] != served.etag_json:
        hit = (served.etag_json, json.loads(served.body_json))
        cache[key] = hit
    return hit[1]
