"""Domain errors and the one JSON error shape for `/api/` (HTML pages elsewhere).

`{"error": {"code": ..., "message": ..., "details": {...}}}` — never an HTML page or a stack trace
from the API.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, current_app, jsonify, make_response, render_template, request
from flask_babel import gettext
from marshmallow import Schema, fields
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from app.db import db

log = logging.getLogger(__name__)


class DomainError(Exception):
    """An error a client can act on: carries an HTTP status, a stable code and details."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}
        if code:
            self.code = code


class ValidationFailed(DomainError):
    status = 422
    code = "validation_error"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class TooManyRequests(DomainError):
    status = 429
    code = "too_many_requests"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class VersionConflict(Conflict):
    code = "version_conflict"


MEGABYTE = 1024 * 1024
DEFAULT_UPLOAD_LIMIT = 20 * MEGABYTE

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    500: "internal_error",
}

HTTP_MESSAGES_ID = {
    400: "Permintaan tidak valid.",
    401: "Autentikasi diperlukan.",
    403: "Anda tidak berwenang melakukan tindakan ini.",
    404: "Data tidak ditemukan.",
    405: "Metode tidak diizinkan.",
    409: "Terjadi konflik dengan keadaan data saat ini.",
    413: "Berkas atau permintaan terlalu besar.",
    415: "Jenis konten tidak didukung.",
    422: "Data yang dikirim tidak valid.",
    429: "Terlalu banyak permintaan. Coba lagi nanti.",
    500: "Terjadi kesalahan pada server.",
}


class ErrorBodySchema(Schema):
    """The inside of the envelope (documentation only: `error_body` writes it)."""

    code = fields.String(
        required=True,
        metadata={"description": "Kode stabil untuk program, mis. validation_error, version_conflict, not_found"},
    )
    message = fields.String(required=True, metadata={"description": "Pesan untuk pengguna (bahasa Indonesia)"})
    details = fields.Dict(
        required=True,
        metadata={"description": 'Rincian; untuk 422: {"fields": {nama_field: [pesan, ...]}}'},
    )


class ErrorSchema(Schema):
    """The one error shape of the API, documented as the OpenAPI `Error` schema (see app.extensions)."""

    error = fields.Nested(ErrorBodySchema, required=True)


def error_body(status: int, code: str, message: str, details: dict[str, Any] | None = None) -> Response:
    response = jsonify({"error": {"code": code, "message": message, "details": details or {}}})
    response.status_code = status
    return response


def wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json" and not request.accept_mimetypes.accept_html
    )


def _page(status: int, message: str) -> tuple[str, int]:
    try:
        return render_template("error.html", status=status, message=message), status
    except Exception:  # noqa: BLE001 - the error page must never fail
        return f"<h1>{status}</h1><p>{message}</p>", status


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(413, too_large_response)  # says the limit (before the generic handler below)

    @app.errorhandler(DomainError)
    def _domain(exc: DomainError) -> Any:
        response = make_response(
            error_body(exc.status, exc.code, exc.message, exc.details)
            if wants_json()
            else _page(exc.status, exc.message)
        )
        if isinstance(exc.details.get("retry_after"), int):  # a refusal that ends: when to come back (429)
            response.headers["Retry-After"] = str(exc.details["retry_after"])
        return response

    @app.errorhandler(StaleDataError)
    def _stale(exc: StaleDataError) -> Any:
        db.session.rollback()
        message = "Perkara telah diubah oleh pengguna lain; muat ulang dan coba lagi."
        if wants_json():
            return error_body(409, "version_conflict", message)
        return _page(409, message)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        status = exc.code or 500
        if not wants_json():
            return _page(status, HTTP_MESSAGES_ID.get(status, exc.description or ""))
        return _http_error_body(exc, status)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def _database_unavailable(exc: Exception) -> Any:
        """The database does not answer (restart, failover, network; SQLite busy past its timeout): 503 with
        Retry-After, never 500. The request's transaction is rolled back."""
        log.error(
            "database unavailable on %s %s: %s", request.method, request.path, exc.__class__.__name__, exc_info=True
        )
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001,S110 - the connection is gone; the teardown discards it
            pass
        message = "Basis data sedang tidak dapat dihubungi. Coba lagi sebentar lagi."
        response = (
            error_body(503, "database_unavailable", message) if wants_json() else make_response(_page(503, message))
        )
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        log.exception("unhandled error on %s %s", request.method, request.path)
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001,S110
            pass
        if wants_json():
            return error_body(500, "internal_error", HTTP_MESSAGES_ID[500])
        return _page(500, HTTP_MESSAGES_ID[500])


def upload_limit() -> int:
    """The largest request the server reads (MAX_CONTENT_LENGTH, MAX_UPLOAD_BYTES in the environment)."""
    return int(current_app.config.get("MAX_CONTENT_LENGTH") or DEFAULT_UPLOAD_LIMIT)


def size_words(size: int) -> str:
    """A size as people say it: whole megabytes ("20 MB"), kilobytes below one."""
    if size >= MEGABYTE:
        return f"{size // MEGABYTE} MB"
    return f"{size // 1024 or 1} KB"


def too_large_response(exc: Exception | None = None) -> Any:
    """413 says the limit: the API in its details (max_bytes), a page in words with the way back to its form. The
    case pages keep their own form on the screen instead (app/cases/pages.py)."""
    limit = upload_limit()
    if wants_json():
        message = f"Berkas atau permintaan terlalu besar; batasnya {size_words(limit)}."
        return error_body(413, "payload_too_large", message, {"max_bytes": limit})
    message = gettext(
        "Berkas atau permintaan terlalu besar: batas unggah %(size)s. Kembali ke formulir dan pilih berkas yang "
        "lebih kecil.",
        size=size_words(limit),
    )
    return _page(413, message)


def _http_error_body(exc: HTTPException, status: int) -> Response:
    """The envelope for a werkzeug/webargs HTTP error (422 from argument parsing names its fields)."""
    details: dict[str, Any] = {}
    data = getattr(exc, "data", None)  # webargs / flask-smorest validation errors
    if isinstance(data, dict) and "messages" in data:
        details = {"fields": _flatten_messages(data["messages"])}
    code = HTTP_CODES.get(status, "http_error")
    message = HTTP_MESSAGES_ID.get(status, exc.description or exc.name)
    if status == 400 and "JSON" in (exc.description or ""):
        code, message = "malformed_json", "Badan permintaan bukan JSON yang sah."
    response = error_body(status, code, message, details)
    valid_methods = getattr(exc, "valid_methods", None)
    if status == 405 and valid_methods:
        response.headers["Allow"] = ", ".join(valid_methods)
    return response


def _flatten_messages(messages: Any) -> dict[str, Any]:
    """webargs nests messages by location (json, query, form); clients want the field names."""
    if isinstance(messages, dict) and set(messages) <= {"json", "query", "form", "files", "headers", "view_args"}:
        merged: dict[str, Any] = {}
        for part in messages.values():
            if isinstance(part, dict):
                merged.update(part)
        return merged
    return messages if isinstance(messages, dict) else {"_schema": messages}
