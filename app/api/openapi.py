"""Small builders for the OpenAPI descriptions that marshmallow schemas cannot give (file downloads)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

BINARY = {"type": "string", "format": "binary"}
CONTENT_DISPOSITION = {
    "description": "attachment; filename=<nama berkas>",
    "required": True,
    "schema": {"type": "string"},
}


def file_response(description: str, media_types: Iterable[str], **headers: dict[str, Any]) -> dict[str, Any]:
    """A 200 answer carrying a file as an attachment, in one of `media_types` (OpenAPI 3 response object)."""
    return {
        "description": description,
        "content": {media: {"schema": dict(BINARY)} for media in sorted(set(media_types))},
        "headers": {
            "Content-Disposition": CONTENT_DISPOSITION,
            **{name.replace("_", "-"): h for name, h in headers.items()},
        },
    }
