"""A readable API reference at /api/v1/docs, rendered on the server from the OpenAPI document (no CDN, no JS)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from app.api import api

bp = Blueprint("api_docs", __name__, template_folder="templates")
METHODS = ("get", "post", "put", "patch", "delete")


def _resolve(spec: dict[str, Any], node: Any) -> Any:
    if isinstance(node, dict) and "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return {"name": name, **spec.get("components", {}).get("schemas", {}).get(name, {})}
    return node


@bp.route("/api/v1/docs")
def docs() -> str:
    spec: dict[str, Any] = api.spec.to_dict()
    operations = []
    for path, item in sorted(spec.get("paths", {}).items()):
        for method in METHODS:
            op: dict[str, Any] | None = item.get(method)
            if not op:
                continue
            body: dict[str, Any] = op.get("requestBody", {}).get("content", {})
            media: dict[str, Any] = next(iter(body.values()), {})
            body_schema = media.get("schema")
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary") or "",
                    "description": op.get("description") or "",
                    "tag": (op.get("tags") or [""])[0],
                    "auth": bool(op.get("security")),
                    "parameters": [p for p in op.get("parameters", []) if isinstance(p, dict)],
                    "body": _resolve(spec, body_schema) if body_schema else None,
                    "responses": sorted(op.get("responses", {}).items()),
                }
            )
    return render_template("api/docs.html", spec=spec, operations=operations)
