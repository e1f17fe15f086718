"""The dashboard and the deadline calendar pages, the calendar feed's address on the user's own page (make, make anew,
revoke) and the feed itself (thin: parse → service → template)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import force_locale, gettext
from flask_login import current_user, login_required

from app.calendar.working_days import local_date
from app.cases.elections import NOT_FOUND, election_choices
from app.core.clock import utcnow
from app.db import unit_of_work
from app.errors import ValidationFailed
from app.extensions import limiter, rate_limits_off
from app.i18n import SUPPORTED_LOCALES, day_name, format_month, format_number, format_short_day
from app.season import feeds
from app.season.dashboard import dashboard, reader_zone
from app.season.deadlines import KINDS, Deadline, deadlines_for
from app.season.ical import calendar_document, fingerprint
from app.web.charts import Bar, bar_chart
from app.web.filters import current_locale

bp = Blueprint("season", __name__)

# The new feed address, kept in the session between the form that made it and the page that shows it once.
NEW_FEED_KEY = "calendar_feed_once"
MONTH, WEEK = "month", "week"
PER_DAY_IN_MONTH = 3  # entries a day's cell lists in the month grid; the week view lists them all
FEED_PAST = timedelta(days=31)  # the feed's window: a month back (late deadlines), a year ahead
FEED_AHEAD = timedelta(days=366)


# -- the dashboard -------------------------------------------------------------------------------------------------


@bp.route("/dasbor")
@login_required
def dashboard_page() -> Any:
    """The dashboard; `?election_id=` counts the cases of one election (an election that does not exist is said,
    and the figures of every case shown)."""
    raw = request.args.get("election_id", "").strip()
    error = None
    election_id = int(raw) if raw.isdecimal() and len(raw) < 11 else None
    try:
        if raw and election_id is None:
            raise ValidationFailed(NOT_FOUND)
        figures = dashboard(current_user, utcnow(), election_id)
    except ValidationFailed as exc:
        error, figures = gettext(exc.message), dashboard(current_user, utcnow())
    return render_template(
        "season/dashboard.html",
        figures=figures,
        panels=_panels(figures),
        elections=election_choices(),
        election_error=error,
    ), (422 if error else 200)


def _count(value: float | None) -> str:
    return format_number(value, 0, locale=current_locale())


@dataclass(frozen=True)
class Panel:
    """One figure of the dashboard: its chart, and the same figures as a table's header and rows."""

    id: str
    title: str
    chart: Any
    headers: list[str]
    rows: list[list[str]]
    note: str = ""


def _panel(
    key: str, title: str, description: str, bars: list[Bar], headers: list[str], note: str = "", **chart: Any
) -> Panel:
    rows = [[bar.label, *bar.texts] for bar in bars]
    return Panel(
        f"chart-{key}", title, bar_chart(f"chart-{key}", title, description, bars, **chart), headers, rows, note
    )


def _panels(figures: dict[str, Any]) -> list[Panel]:
    """Each figure drawn as a bar chart with its table, titles and numbers in the reader's language."""
    locale = current_locale()
    totals, deadlines = figures["totals"], figures["deadlines"]
    open_cases = gettext("%(n)s perkara terbuka", n=_count(totals["open"]))
    both = [gettext("Semua"), gettext("Terbuka")]
    elections = figures["by_election"]
    return [
        _panel(
            "status",
            gettext("Perkara terbuka menurut status"),
            open_cases,
            [Bar(i["label"], [i["count"]], [_count(i["count"])]) for i in figures["open_by_status"]],
            [gettext("Status"), gettext("Perkara")],
        ),
        _panel(
            "level",
            gettext("Perkara terbuka menurut tingkat eskalasi"),
            open_cases,
            [Bar(i["label"], [i["count"]], [_count(i["count"])]) for i in figures["open_by_level"]],
            [gettext("Tingkat"), gettext("Perkara")],
        ),
        _panel(
            "deadlines",
            gettext("Tenggat tindak lanjut minggu ini dan minggu depan"),
            gettext(
                "Minggu ini %(this)s, minggu depan %(next)s; lewat tenggat %(late)s",
                this=_count(deadlines["this_week"]),
                next=_count(deadlines["next_week"]),
                late=_count(deadlines["overdue"]),
            ),
            [
                Bar(
                    format_short_day(d["date"], locale) + (f" ({gettext('hari ini')})" if d["today"] else ""),
                    [d["count"]],
                    [_count(d["count"])],
                    emphasis=d["today"],
                )
                for d in deadlines["days"]
            ],
            [gettext("Hari"), gettext("Tenggat")],
            gettext(
                "Dihitung pada hari berakhirnya tenggat di zona waktu instansinya. Lewat tenggat dan masih terbuka: "
                "%(n)s.",
                n=_count(deadlines["overdue"]),
            ),
        ),
        _panel(
            "follow-up",
            gettext("Tingkat tindak lanjut menurut bulan terbit rekomendasi"),
            gettext("Bagian rekomendasi yang telah ditindaklanjuti PPK, per bulan terbit, 12 bulan terakhir"),
            [
                Bar(format_month(m["start"], locale), [_percent(m["rate"])], [_rate_text(m)])
                for m in figures["follow_up_by_month"]
            ],
            [gettext("Bulan terbit"), gettext("Tingkat tindak lanjut")],
            gettext(
                "Rekomendasi yang PPK-nya telah melaporkan SK tindak lanjut (yang tidak ditolak), dibagi rekomendasi "
                "yang terbit pada bulan itu."
            ),
            max_value=100,
        ),
        _panel(
            "category",
            gettext("Perkara menurut kategori"),
            gettext("%(n)s perkara", n=_count(totals["all"])),
            [
                Bar(i["label"], [i["count"], i["open"]], [_count(i["count"]), _count(i["open"])])
                for i in figures["by_category"]
            ],
            [gettext("Kategori"), *both],
            series=both,
        ),
        _panel(
            "region",
            gettext("Perkara menurut wilayah (provinsi)"),
            gettext("%(n)s wilayah", n=_count(len(figures["by_region"]))),
            [
                Bar(i["label"], [i["count"], i["open"]], [_count(i["count"]), _count(i["open"])])
                for i in figures["by_region"]
            ],
            [gettext("Wilayah"), *both],
            gettext(
                "Perkara kabupaten/kota dihitung pada provinsinya; kementerian dan lembaga sebagai instansi pusat."
            ),
            series=both,
            empty_text=gettext("Belum ada perkara."),
        ),
        _panel(
            "election",
            gettext("Perkara netralitas menurut pemilihan"),
            gettext("Perkara netralitas yang dikaitkan dengan tiap pemilu atau pilkada, dan yang belum dikaitkan"),
            [Bar(i["label"], [i["count"], i["open"]], [_count(i["count"]), _count(i["open"])]) for i in elections],
            [gettext("Pemilihan"), *both],
            gettext(
                "Pemilihan terbaru lebih dulu. Perkara dikaitkan dengan pemilihan saat laporannya diterima atau oleh "
                "penyelidik."
            ),
            series=both,
            empty_text=gettext("Belum ada perkara netralitas."),
        ),
        _panel(
            "year",
            gettext("Perkara netralitas dan perkara lain menurut tahun kejadian"),
            gettext("Perkara netralitas ASN dan perkara lain per tahun terjadinya perbuatan"),
            [
                Bar(str(i["year"]), [i["neutrality"], i["other"]], [_count(i["neutrality"]), _count(i["other"])])
                for i in figures["neutrality_by_year"]
            ],
            [gettext("Tahun"), gettext("Netralitas ASN"), gettext("Lainnya")],
            series=[gettext("Netralitas ASN"), gettext("Lainnya")],
            empty_text=gettext("Belum ada perkara."),
        ),
    ]


def _percent(rate: float | None) -> float | None:
    return None if rate is None else rate * 100


def _rate_text(month: dict[str, Any]) -> str:
    if not month["issued"]:
        return gettext("tidak ada rekomendasi terbit")
    return gettext(
        "%(rate)s%% (%(done)s dari %(issued)s)",
        rate=format_number(month["rate"] * 100, 1, locale=current_locale()),
        done=_count(month["followed_up"]),
        issued=_count(month["issued"]),
    )


# -- the deadline calendar ------------------------------------------------------------------------------------------


def _parse_day(text: str | None, today: date) -> tuple[date, bool]:
    """The day asked for (`YYYY-MM-DD` or `YYYY-MM`), else today; whether the text was understood."""
    if not text:
        return today, True
    try:
        return (date.fromisoformat(f"{text}-01") if len(text) == 7 else date.fromisoformat(text)), True
    except ValueError:
        return today, False


@bp.route("/kalender")
@login_required
def calendar_page() -> Any:
    """The user's open deadlines by month (a grid; a list of days on a phone) or by week (`view=week`), around
    `date` (YYYY-MM-DD, or YYYY-MM)."""
    now = utcnow()
    today = local_date(now, reader_zone(current_user))
    view = WEEK if request.args.get("view") == WEEK else MONTH
    anchor, understood = _parse_day(request.args.get("date"), today)
    if view == MONTH:
        month_first = anchor.replace(day=1)
        month_last = (month_first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        first = month_first - timedelta(days=month_first.weekday())
        last = month_last + timedelta(days=6 - month_last.weekday())
        previous_date, next_date = (month_first - timedelta(days=1)).replace(day=1), month_last + timedelta(days=1)
        heading = format_month(month_first, current_locale())
    else:
        month_first = None
        first = anchor - timedelta(days=anchor.weekday())
        last = first + timedelta(days=6)
        previous_date, next_date = first - timedelta(days=7), first + timedelta(days=7)
        heading = gettext(
            "Minggu %(first)s – %(last)s",
            first=format_short_day(first, current_locale()),
            last=format_short_day(last, current_locale()),
        )
    entries = deadlines_for(current_user, first, last, now)
    by_day: dict[date, list[Deadline]] = {}
    for entry in entries:
        by_day.setdefault(entry.day, []).append(entry)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    in_view = [e for e in entries if month_first is None or e.day.month == month_first.month]
    return render_template(
        "season/calendar.html",
        view=view,
        heading=heading,
        today=today,
        anchor=anchor,
        understood=understood,
        month_first=month_first,
        weeks=[days[i : i + 7] for i in range(0, len(days), 7)],
        days=days,
        by_day=by_day,
        total=len(in_view),
        kinds=KINDS,
        per_day=PER_DAY_IN_MONTH,
        weekday_names=[day_name(n, current_locale()) for n in range(7)],
        previous_date=previous_date,
        next_date=next_date,
        feed=feeds.active_feed(current_user),
    )


# -- the feed's address on the user's own page, and the feed ---------------------------------------------------------


@bp.route("/akun/kalender", methods=["POST"])
@login_required
def make_feed() -> Any:
    """A new secret address (the one before stops working); shown once on the account page."""
    with unit_of_work():
        token = feeds.create_feed(current_user)
    session[NEW_FEED_KEY] = url_for(".feed", token=token, _external=True)
    flash(gettext("Alamat kalender baru dibuat. Alamat sebelumnya, bila ada, tidak berlaku lagi."), "success")
    return redirect(url_for("web.account") + "#kalender")


@bp.route("/akun/kalender/cabut", methods=["POST"])
@login_required
def revoke_feed() -> Any:
    with unit_of_work():
        revoked = feeds.revoke_feeds(current_user)
    session.pop(NEW_FEED_KEY, None)
    if revoked:
        flash(gettext("Alamat kalender dicabut: program kalender tidak dapat lagi membacanya."), "info")
    return redirect(url_for("web.account") + "#kalender")


@bp.app_context_processor
def _feed_on_account_page() -> dict[str, Any]:
    """`calendar_feed()` for the account page's section: the address in force and, once, a new address."""

    def calendar_feed() -> dict[str, Any]:
        return {"feed": feeds.active_feed(current_user), "new_url": session.pop(NEW_FEED_KEY, None)}

    return {"calendar_feed": calendar_feed}


@bp.route("/kalender/langganan/<token>.ics")
@limiter.limit("60 per minute", exempt_when=rate_limits_off)
def feed(token: str) -> Any:
    """The user's deadlines as iCalendar, decided now with the user's current rights; 404 for a revoked or unknown
    address and for a disabled user. ETag from the data it is written from: a calendar program that has it gets 304."""
    now = utcnow()
    owner = feeds.feed_owner(token)
    if owner is None:
        abort(404)
    row, user = owner
    locale = user.locale if user.locale in SUPPORTED_LOCALES else "id"
    today = local_date(now, reader_zone(user))
    with force_locale(locale):
        entries = deadlines_for(user, today - FEED_PAST, today + FEED_AHEAD, now)
        etag = fingerprint(entries, locale)
        if etag in request.if_none_match:
            response = current_app.response_class(status=304)
        else:
            name = gettext("Tenggat Tindak — %(name)s", name=user.name or user.email)
            response = current_app.response_class(
                calendar_document(entries, calendar_name=name, locale=locale),
                mimetype="text/calendar",
            )
            response.headers["Content-Disposition"] = 'inline; filename="tindak-tenggat.ics"'
    response.set_etag(etag)
    # Each read asks again (the address may be revoked, the user's rights may change); an unchanged feed is a 304.
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Robots-Tag"] = "noindex"
    with unit_of_work():
        feeds.note_fetch(row, now)
    return response
