"""The public page on personal data (`/privasi`, no sign-in; UU 27/2022): which personal data is held, why, who
sees it and for how long — written from the retention periods of app/people/retention.py, the same data the
`flask people retention` command works from (docs/personal-data.md says the same)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template

from app.people.retention import RETENTION

bp = Blueprint("privacy_pages", __name__)


@bp.route("/privasi")
def privacy() -> Any:
    return render_template(
        "people/privacy.html",
        periods=RETENTION,
        pseudonymising=bool(current_app.config.get("RETENTION_PSEUDONYMISE")),
    )
