"""Sign-in (password, then the optional TOTP code), sign-out, language switch, home, account and help pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import segno
from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from markupsafe import Markup

from app.auth import activity
from app.auth import services as auth_services
from app.auth import sessions as auth_sessions
from app.core.clock import epoch_seconds, utcnow
from app.db import db, unit_of_work
from app.errors import Unauthorized, ValidationFailed
from app.extensions import limiter, rate_limits_off
from app.i18n import SUPPORTED_LOCALES, format_instant
from app.models.auth import User
from app.web.forms import CodeForm, LoginForm, PasswordChangeForm, SignInCodeForm, translated
from app.web.help import help_context

bp = Blueprint("web", __name__)

PENDING_KEY = "pending_2fa"
PENDING_SECONDS = 300
PENDING_ATTEMPTS = 5
SETUP_KEY = "totp_setup_secret"
SESSION_ID_KEY = "sid"
CODES_ONCE_KEY = "recovery_codes_once"


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
    """A fresh session for the user (no fixation): keep only the chosen language. The sign-in is complete:
    the failure counter starts again, and the session gets its own row (so signing out ends it for good)."""
    locale = session.get("locale") or user.locale
    session.clear()
    if locale in SUPPORTED_LOCALES:
        session["locale"] = locale
    with unit_of_work():
        auth_services.register_success(user)
        session[SESSION_ID_KEY] = auth_sessions.open_web_session(user)
    login_user(user)
    # A browser-session cookie (no Expires): closing the browser ends it, and the server ends it after
    # SESSION_IDLE_MINUTES idle or PERMANENT_SESSION_LIFETIME after sign-in (the stamps below, and the age of
    # the cookie's signature), by its own clock: no browser's clock decides when a session ends.
    session.permanent = False
    now = epoch_seconds()
    session["signed_in_at"] = now
    session["last_seen"] = now
    if auth_services.second_factor_required(user) and not user.totp_secret:
        flash(_("Peran Anda wajib memakai verifikasi dua langkah. Aktifkan sekarang untuk melanjutkan."), "warning")
        return redirect(url_for("web.account"))
    return redirect(_safe_next(next_url) or url_for("case_pages.home"))


def _blocked_response(form: Any, template: str) -> Any | None:
    until = auth_sessions.address_blocked_until(_client_address())
    if until is None:
        return None
    with unit_of_work():
        activity.sign_in_refused(activity.ADDRESS_BLOCKED, email=request.form.get("email") or None)
    flash(
        _(
            "Terlalu banyak percobaan masuk yang gagal dari alamat ini. Coba lagi dalam %(minutes)s menit "
            "(setelah %(time)s).",
            minutes=auth_sessions.minutes_until(until),
            time=format_instant(until),
        ),
        "danger",
    )
    return render_template(template, form=form), 429


def _locked_message(until: datetime) -> str:
    """The account's lock, with how long it lasts: shown only at the code step (the password was right)."""
    return _(
        "Terlalu banyak percobaan yang gagal: akun dikunci sementara. Coba lagi dalam %(minutes)s menit "
        "(setelah %(time)s).",
        minutes=auth_sessions.minutes_until(until),
        time=format_instant(until),
    )


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"], exempt_when=rate_limits_off)
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("case_pages.home"))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("login.html", form=form), 422 if request.method == "POST" else 200
    blocked = _blocked_response(form, "login.html")
    if blocked is not None:
        return blocked
    failure: Unauthorized | None = None
    with unit_of_work():  # commits the failure counters too
        try:
            user = auth_services.check_credentials(form.email.data or "", form.password.data or "")
        except Unauthorized as exc:
            failure = exc
            auth_sessions.register_address_failure(_client_address())
    if failure is not None:
        flash(
            _(
                "Email atau kata sandi salah. Bila keduanya benar, akun mungkin dikunci sementara karena terlalu "
                "banyak percobaan gagal; coba lagi nanti."
            ),
            "danger",
        )
        return render_template("login.html", form=form), 401
    if user.totp_secret:
        session.clear()
        session[PENDING_KEY] = {"uid": user.id, "at": epoch_seconds(), "next": request.args.get("next")}
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
    form = SignInCodeForm()
    if not form.validate_on_submit():
        return render_template("login_code.html", form=form), 422 if request.method == "POST" else 200
    blocked = _blocked_response(form, "login_code.html")
    if blocked is not None:
        return blocked
    user = db.session.get(User, int(pending["uid"]))
    locked = auth_services.lock_ends_at(user) if user is not None else None
    if locked is not None:  # the password was right in this browser: the lock may be shown, with its length
        session.pop(PENDING_KEY, None)
        flash(_locked_message(locked), "danger")
        return redirect(url_for("web.login"))
    if user is None or not user.is_active:
        session.pop(PENDING_KEY, None)
        flash(_("Akun tidak dapat masuk saat ini. Coba lagi nanti."), "danger")
        return redirect(url_for("web.login"))
    with unit_of_work():
        accepted = auth_services.accept_second_factor(user, form.code.data)
    if accepted:
        return _start_session(user, pending.get("next"))
    # The wrong-code count is the account's failure count, on the server (a replayed cookie resets nothing):
    # at the limit the account locks for a while and this step starts again from the password.
    with unit_of_work():
        auth_services.register_code_failure(user)
        auth_sessions.register_address_failure(_client_address())
    locked = auth_services.lock_ends_at(user)
    if locked is not None:
        session.pop(PENDING_KEY, None)
        flash(_locked_message(locked), "danger")
        return redirect(url_for("web.login"))
    form.code.errors = [_("Kode verifikasi salah.")]
    return render_template("login_code.html", form=form), 401


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    locale = session.get("locale")
    with unit_of_work():
        auth_sessions.close_web_session(session.get(SESSION_ID_KEY))
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
    return redirect(_safe_next(request.form.get("next")) or url_for("case_pages.home"))


@bp.route("/akun", methods=["GET", "POST"])
@login_required
def account() -> Any:
    """The user's account: the second factor (set it up, its recovery codes, turn it off where optional), the
    password, and signing out everywhere."""
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
                        session[CODES_ONCE_KEY] = auth_services.new_recovery_codes(current_user)
                        flash(
                            _("Verifikasi dua langkah aktif. Mulai sekarang, masuk memerlukan kode dari aplikasi."),
                            "success",
                        )
                session.pop(SETUP_KEY, None)
                return redirect(url_for("web.account"))
            except ValidationFailed as exc:
                form.code.errors = [translated(exc.message)]
        status = 422
    return _account_page(form=form, secret=secret, status=status)


def _account_page(*, form: Any = None, secret: str | None = None, status: int = 200, **extra: Any) -> Any:
    allowed = auth_services.totp_allowed(current_user)
    context: dict[str, Any] = {
        "form": form or CodeForm(),
        "codes_form": CodeForm(prefix="codes"),
        "password_form": extra.pop("password_form", None) or PasswordChangeForm(),
        "allowed": allowed,
        "required": auth_services.second_factor_required(current_user),
        "secret": None,
        "uri": None,
        "qr_svg": None,
        "new_codes": session.pop(CODES_ONCE_KEY, None),
        "codes_left": auth_services.recovery_codes_left(current_user) if current_user.totp_secret else 0,
        **extra,
    }
    secret = secret or session.get(SETUP_KEY)
    if allowed and not current_user.totp_secret and secret:
        uri = auth_services.totp_provisioning_uri(current_user, secret)
        context.update(secret=secret, uri=uri, qr_svg=_qr_svg(uri))
    return render_template("account/totp.html", **context), status


@bp.route("/akun/kode-pemulihan", methods=["POST"])
@login_required
def recovery_codes() -> Any:
    """New recovery codes (the old ones stop working); a current code is required."""
    form = CodeForm(prefix="codes")
    if current_user.totp_secret and form.validate_on_submit():
        with unit_of_work():
            accepted = auth_services.accept_totp(current_user, form.code.data)
            if accepted:
                session[CODES_ONCE_KEY] = auth_services.new_recovery_codes(current_user)
        if accepted:
            flash(_("Kode pemulihan baru dibuat; kode yang lama tidak berlaku lagi."), "success")
            return redirect(url_for("web.account"))
        form.code.errors = [_("Kode verifikasi salah.")]
    return _account_page(codes_form=form, status=422)


@bp.route("/akun/kata-sandi", methods=["POST"])
@login_required
def change_password() -> Any:
    """Change one's own password: every other session and API token ends; this browser stays signed in."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                auth_services.change_own_password(
                    current_user, form.current_password.data or "", form.new_password.data or ""
                )
        except ValidationFailed as exc:
            for name, messages in (exc.details.get("fields") or {}).items():
                getattr(form, name).errors = [translated(m) for m in messages]
        else:
            user = db.session.get(User, current_user.id)
            assert user is not None  # signed in
            _start_session(user, None)
            flash(_("Kata sandi diganti. Sesi lain dan token API Anda telah diakhiri."), "success")
            return redirect(url_for("web.account"))
    return _account_page(password_form=form, status=422)


@bp.route("/akun/keluar-semua", methods=["POST"])
@login_required
def sign_out_everywhere() -> Any:
    """End every session (this one too) and every API token of the signed-in user."""
    with unit_of_work():
        user = db.session.get(User, current_user.id)
        assert user is not None  # signed in
        auth_sessions.end_all_sessions(user)
    locale = session.get("locale")
    logout_user()
    session.clear()
    if locale:
        session["locale"] = locale
    flash(_("Anda telah keluar dari semua perangkat; semua token API Anda dicabut."), "info")
    return redirect(url_for("web.login"))


def _qr_svg(data: str) -> str:

    svg = segno.make(data, error="m").svg_inline(scale=4, dark="#000", light="#fff")
    return Markup(svg)  # noqa: S704 - generated by segno from our own URI, no user markup


@bp.route("/bantuan")
def help() -> Any:  # noqa: A001 - the page's name

    return render_template("help/help.html", **help_context())


@bp.app_context_processor
def _session_info() -> dict[str, Any]:
    return {"idle_minutes": current_app.config.get("SESSION_IDLE_MINUTES", 30), "now_utc": utcnow}
