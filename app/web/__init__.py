"""Server-rendered pages (session cookie + CSRF): blueprints, session expiry and the CSRF refusal page."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import current_user, logout_user
from flask_wtf.csrf import CSRFError

from app.auth import services as auth_services
from app.auth import sessions as auth_sessions
from app.core.clock import epoch_seconds
from app.errors import error_body, wants_json
from app.extensions import login_manager
from app.web import filters


def register_web(app: Flask, blueprints: Iterable[Blueprint]) -> None:
    """The pages' filters, session expiry and CSRF page, and the domains' page blueprints (listed by the app
    factory)."""
    filters.register(app)
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    login_manager.login_message = lazy_gettext("Silakan masuk untuk membuka halaman ini.")
    app.before_request(_expire_idle_session)
    app.register_error_handler(CSRFError, _csrf_refused)


def _expire_idle_session() -> Any:
    """End a web session that was signed out (its row revoked: a copied cookie opens nothing), idle longer than
    SESSION_IDLE_MINUTES or older than PERMANENT_SESSION_LIFETIME; keep a user whose role must use a second
    factor on the account page until it is set up."""
    if request.path.startswith(("/api/", "/static/", "/bootstrap/")) or not current_user.is_authenticated:
        return None
    now = epoch_seconds()
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    signed_out = not auth_sessions.web_session_live(session.get("sid"), current_user.id)
    if signed_out or auth_sessions.session_expired(
        session.get("last_seen"),
        session.get("signed_in_at"),
        now,
        idle_minutes=int(current_app.config["SESSION_IDLE_MINUTES"]),
        max_seconds=int(lifetime),
    ):
        locale = session.get("locale")
        logout_user()
        session.clear()
        if locale:
            session["locale"] = locale
        if signed_out:
            flash(gettext("Sesi ini telah berakhir. Silakan masuk lagi."), "warning")
        else:
            flash(gettext("Sesi Anda berakhir karena tidak ada aktivitas. Silakan masuk lagi."), "warning")
        if request.method == "GET":
            return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
        return redirect(url_for("web.login"))
    session["last_seen"] = now
    if (
        not current_user.totp_secret
        and auth_services.second_factor_required(current_user)
        and request.endpoint not in ENROLMENT_ENDPOINTS
    ):
        flash(
            gettext("Peran Anda wajib memakai verifikasi dua langkah. Aktifkan sekarang untuk melanjutkan."), "warning"
        )
        return redirect(url_for("web.account"))
    return None


# What a user who must still set up the second factor may open: the set-up page itself, and the way out.
ENROLMENT_ENDPOINTS = frozenset(
    {"web.account", "web.logout", "web.set_language", "web.help", "web.sign_out_everywhere"}
)


def _csrf_refused(exc: CSRFError) -> Any:
    message = gettext(
        "Formulir ditolak karena token keamanannya tidak ada atau sudah kedaluwarsa. Muat ulang halaman lalu coba lagi."
    )
    if wants_json():
        return error_body(400, "csrf_failed", message)
    return render_template("error.html", status=400, message=message), 400
