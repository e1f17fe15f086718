"""The bell's pages: the list of one's notices (`/notifikasi`), marking one or all read, and turning the daily
email on or off; the bell itself is in the page header (base.html) for every signed-in user."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.db import db, unit_of_work
from app.errors import NotFound, ValidationFailed
from app.inbox import services
from app.models.auth import User

bp = Blueprint("inbox", __name__)


def _me() -> User:
    user = db.session.get(User, current_user.id)
    assert user is not None  # signed in
    return user


@bp.route("/notifikasi")
@login_required
def notifications() -> Any:
    unread_only = request.args.get("belum") == "1"
    errors = False
    try:
        notices, next_cursor = services.list_notices(
            current_user, unread_only=unread_only, cursor=request.args.get("cursor")
        )
    except ValidationFailed:
        notices, next_cursor, errors = [], None, True
    return render_template(
        "inbox/notifications.html",
        notices=notices,
        unread_only=unread_only,
        unread=services.unread_count(current_user),
        digest_on=current_user.notify_digest,
        bad_cursor=errors,
        next_url=url_for(".notifications", cursor=next_cursor, belum="1" if unread_only else None)
        if next_cursor
        else None,
    ), 422 if errors else 200


@bp.route("/notifikasi/baca", methods=["POST"])
@login_required
def mark_read() -> Any:
    """One notice read (`id`), or every unread one (`all`); `open` goes on to the notice's case."""
    raw = request.form.get("id", "")
    with unit_of_work():
        if raw.isdigit():
            try:
                services.mark_read(_me(), [int(raw)])
            except NotFound:
                flash(_("Notifikasi tidak ditemukan."), "warning")
        elif request.form.get("all") == "1":
            count = services.mark_read(_me())
            flash(_("%(n)s notifikasi ditandai sudah dibaca.", n=count), "info")
    case_id = request.form.get("open", "")
    if case_id.isdigit():
        return redirect(url_for("case_pages.show_case", case_id=int(case_id)), code=303)
    return redirect(url_for(".notifications", belum=request.form.get("belum") or None), code=303)


@bp.route("/notifikasi/email-harian", methods=["POST"])
@login_required
def digest_setting() -> Any:
    on = request.form.get("digest") == "1"
    with unit_of_work():
        services.set_digest(_me(), on)
    if on:
        flash(_("Email harian notifikasi diaktifkan."), "success")
    else:
        flash(_("Email harian notifikasi dimatikan."), "info")
    back = request.form.get("back")
    return redirect(url_for("web.account") if back == "account" else url_for(".notifications"), code=303)


@bp.app_context_processor
def _bell() -> dict[str, Any]:
    """`unread_notices()` for the header's bell: counted only when a page draws it."""

    def unread_notices() -> int:
        if not current_user.is_authenticated:
            return 0
        return services.unread_count(current_user)

    return {"unread_notices": unread_notices}
