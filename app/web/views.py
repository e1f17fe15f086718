"""Sign-in (password, then the optional TOTP code), sign-out, language switch, home, account and help pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.auth import services as auth_services
from app.auth.models import User
from app.core.clock import epoch_seconds, utcnow
from app.db import unit_of_work
from app.errors import Unauthorized, ValidationFailed
from app.extensions import db, limiter, rate_limits_off
from app.i18n import SUPPORTED_LOCALES, format_instant
from app.web.forms import CodeForm, LoginForm, translated

bp = Blueprint("web", __name__)

PENDING_KEY = "pending_2fa"
PENDING_SECONDS = 300
PENDING_ATTEMPTS = 5
SETUP_KEY = "totp_setup_secret"


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def _client_address() -> str:
    return request.remote_addr or "unknown"


def _start_session(user: User, next_url: str | None) -> Any:
    """A fresh session for the user (no fixation): keep only the chosen language."""
    locale = session.get("locale") or user.locale
    session.clear()
    if locale in SUPPORTED_LOCALES:
        session["locale"] = locale
    login_user(user)
    # A browser-session cookie (no Expires): closing the browser ends it, and the server ends it after
    # SESSION_IDLE_MINUTES idle or PERMANENT_SESSION_LIFETIME after sign-in (the stamps below, and the age of
    # the cookie's signature), by its own clock: no browser's clock decides when a session ends.
    session.permanent = False
    now = epoch_seconds()
    session["signed_in_at"] = now
    session["last_seen"] = now
    return redirect(_safe_next(next_url) or url_for("web.home"))


def _blocked_response(form: Any, template: str) -> Any | None:
    until = auth_services.address_blocked_until(_client_address())
    if until is None:
        return None
    flash(
        _(
            "Terlalu banyak percobaan masuk yang gagal dari alamat ini. Coba lagi setelah %(time)s.",
            time=format_instant(until),
        ),
        "danger",
    )
    return render_template(template, form=form), 429


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"], exempt_when=rate_limits_off)
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("web.home"))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("login.html", form=form), 422 if request.method == "POST" else 200
    blocked = _blocked_response(form, "login.html")
    if blocked is not None:
        return blocked
    failure: Unauthorized | None = None
    with unit_of_work():  # commits the failure counters too
        try:
            user = auth_services.authenticate(form.email.data or "", form.password.data or "")
        except Unauthorized as exc:
            failure = exc
            auth_services.register_address_failure(_client_address())
    if failure is not None:
        flash(translated(failure.message), "danger")
        return render_template("login.html", form=form), 401
    if user.totp_secret:
        session.clear()
        session[PENDING_KEY] = {"uid": user.id, "at": epoch_seconds(), "tries": 0, "next": request.args.get("next")}
        return redirect(url_for("web.login_code"))
    return _start_session(user, request.args.get("next"))


@bp.route("/login/kode", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"], exempt_when=rate_limits_off)
def login_code() -> Any:
    pending = session.get(PENDING_KEY)
    if not pending or epoch_seconds() - float(pending.get("at", 0)) > PENDING_SECONDS:
        session.pop(PENDING_KEY, None)
        flash(_("Langkah verifikasi kedaluwarsa. Silakan masuk lagi."), "warning")
        return redirect(url_for("web.login"))
    form = CodeForm()
    if not form.validate_on_submit():
        return render_template("login_code.html", form=form), 422 if request.method == "POST" else 200
    blocked = _blocked_response(form, "login_code.html")
    if blocked is not None:
        return blocked
    user = db.session.get(User, int(pending["uid"]))
    if user is None or not user.is_active or auth_services.is_locked(user):
        session.pop(PENDING_KEY, None)
        flash(_("Akun tidak dapat masuk saat ini. Coba lagi nanti."), "danger")
        return redirect(url_for("web.login"))
    with unit_of_work():
        accepted = auth_services.accept_totp(user, form.code.data)
    if accepted:
        return _start_session(user, pending.get("next"))
    with unit_of_work():
        auth_services.register_failure(user)
        auth_services.register_address_failure(_client_address())
    pending["tries"] = int(pending.get("tries", 0)) + 1
    if pending["tries"] >= PENDING_ATTEMPTS:
        session.pop(PENDING_KEY, None)
        flash(_("Terlalu banyak kode yang salah. Silakan masuk lagi."), "danger")
        return redirect(url_for("web.login"))
    session[PENDING_KEY] = pending
    form.code.errors = [_("Kode verifikasi salah.")]
    return render_template("login_code.html", form=form), 401


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    locale = session.get("locale")
    logout_user()
    session.clear()
    if locale:
        session["locale"] = locale
    flash(_("Anda telah keluar."), "info")
    return redirect(url_for("web.login"))


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str) -> Any:
    if code in SUPPORTED_LOCALES:
        session["locale"] = code
        if current_user.is_authenticated:
            with unit_of_work():
                current_user.locale = code
    return redirect(_safe_next(request.form.get("next")) or url_for("web.home"))


@bp.route("/")
@login_required
def home() -> Any:
    from app.web.home import home_context

    return render_template("home.html", **home_context(current_user))


@bp.route("/akun", methods=["GET", "POST"])
@login_required
def account() -> Any:
    """The user's second factor: set it up (KASN roles) or turn it off."""
    allowed = auth_services.totp_allowed(current_user)
    form = CodeForm()
    secret = session.get(SETUP_KEY)
    if allowed and not current_user.totp_secret and not secret:
        secret = auth_services.new_totp_secret()
        session[SETUP_KEY] = secret
    status = 200
    if request.method == "POST" and allowed:
        if form.validate_on_submit():
            try:
                with unit_of_work():
                    if current_user.totp_secret:
                        auth_services.disable_totp(current_user, form.code.data or "")
                        flash(_("Verifikasi dua langkah dimatikan."), "info")
                    else:
                        auth_services.enable_totp(current_user, secret or "", form.code.data or "")
                        flash(
                            _("Verifikasi dua langkah aktif. Mulai sekarang, masuk memerlukan kode dari aplikasi."),
                            "success",
                        )
                session.pop(SETUP_KEY, None)
                return redirect(url_for("web.account"))
            except ValidationFailed:
                form.code.errors = [_("Kode verifikasi salah.")]
        status = 422
    context: dict[str, Any] = {"form": form, "allowed": allowed, "secret": None, "uri": None, "qr_svg": None}
    if allowed and not current_user.totp_secret and secret:
        uri = auth_services.totp_provisioning_uri(current_user, secret)
        context.update(secret=secret, uri=uri, qr_svg=_qr_svg(uri))
    return render_template("account/totp.html", **context), status


def _qr_svg(data: str) -> str:
    import segno
    from markupsafe import Markup

    svg = segno.make(data, error="m").svg_inline(scale=4, dark="#000", light="#fff")
    return Markup(svg)  # noqa: S704 - generated by segno from our own URI, no user markup


@bp.route("/bantuan")
def help() -> Any:  # noqa: A001 - the page's name
    from app.web.help import help_context

    return render_template("help/help.html", **help_context())


@bp.app_context_processor
def _session_info() -> dict[str, Any]:
    return {"idle_minutes": current_app.config.get("SESSION_IDLE_MINUTES", 30), "now_utc": utcnow}
