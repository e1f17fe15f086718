"""Indonesian by default, English from the switch, and a message catalogue that is complete and compiled."""

from __future__ import annotations

import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from sqlalchemy import select

from app.db import db
from app.models.cases import Recommendation

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# Words of English UI text that libraries print when a message escaped translation.
ENGLISH_LEAKS = (
    "This field is required",
    "Not a valid",
    "Missing data",
    "Submit",
    "Redirecting",
    "Invalid value",
    "Longer than",
    "CSRF token",
)


def _extracted() -> set[str]:
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "N_": None}
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_of_the_ui_has_an_english_translation():
    catalogue = read_po(PO.open("rb"))
    translated = {m.id: m.string for m in catalogue if m.id}
    extracted = _extracted()
    assert len(extracted) > 300
    missing = sorted(extracted - set(translated))
    assert missing == [], f"run the babel.cfg commands: not in the catalogue: {missing[:20]}"
    empty = sorted(k for k, v in translated.items() if not v)
    assert empty == [], f"untranslated: {empty[:20]}"
    assert not [m.id for m in catalogue if m.id and m.fuzzy]


def test_translations_keep_their_placeholders():
    catalogue = read_po(PO.open("rb"))
    for message in catalogue:
        if message.id:
            assert set(PLACEHOLDER.findall(message.id)) == set(PLACEHOLDER.findall(message.string)), message.id
    problems = [(message.id, [str(e) for e in errors]) for message, errors in catalogue.check()]
    assert problems == [], problems  # what `pybabel compile` would refuse


def test_no_message_is_in_the_catalogue_twice():
    """Two entries of one text give it one translation only, whichever the compiler keeps (a merge of two
    branches' additions can leave both): say it once, or give the second use its own text."""
    ids = re.findall(r'^msgid "(.+)"$', PO.read_text(encoding="utf-8"), flags=re.M)
    assert sorted({i for i in ids if ids.count(i) > 1}) == []


def test_compiled_catalogue_agrees_with_the_po_file():
    po = {m.id: m.string for m in read_po(PO.open("rb")) if m.id}
    mo = {m.id: m.string for m in read_mo(MO.open("rb")) if m.id}
    assert po == mo, "recompile: pybabel compile -d translations"


@pytest.mark.parametrize("role", ["investigator", "commissioner", "ppk", "overseer", "admin"])
def test_pages_answer_in_indonesian_by_default(role, world, make_case, pages_for):
    case = make_case("awaiting_follow_up")
    user = getattr(world, role)
    pages = pages_for(user)
    urls = ["/", "/cases", "/bantuan", "/cases?status=nope"]
    urls += [f"/cases/{case.id}"] if role != "overseer" else []
    urls += ["/akun"] if user.is_kasn else []
    urls += ["/cases/new"] if role in ("investigator", "commissioner") else []
    urls += (
        [
            "/admin/",
            "/admin/agencies",
            "/admin/users",
            "/admin/calendar",
            "/admin/outbox",
            "/admin/recipients",
            "/admin/authorities",
            "/admin/users/new",
        ]
        if role == "admin"
        else []
    )
    for url in urls:
        response = pages.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code in (200, 422), (url, response.status_code)
        assert '<html lang="id">' in html, url
        assert "Keluar" in html and "Beranda" in html, url
        leaks = [w for w in ENGLISH_LEAKS if w in html]
        assert leaks == [], (url, leaks)


def test_login_page_is_indonesian_and_the_switch_gives_english(pages):
    html = pages.get("/login").get_data(as_text=True)
    assert '<html lang="id">' in html
    assert "Masuk ke Tindak" in html and "Kata sandi" in html

    response = pages.post("/lang/en", {"next": "/login"}, page="/login")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    html = pages.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Sign in to Tindak" in html and "Password" in html and "Masuk ke Tindak" not in html

    pages.post("/lang/id", {"next": "/login"}, page="/login")
    assert "Masuk ke Tindak" in pages.get("/login").get_data(as_text=True)


def test_language_switch_is_remembered_for_the_user(world, pages_for, app):
    pages = pages_for(world.investigator)
    pages.post("/lang/en", {"next": "/"}, page="/")
    assert "Open cases I handle" in pages.get("/").get_data(as_text=True)
    pages.post("/logout", page="/")
    again = pages_for(world.investigator)  # a new browser: the account's language comes back
    assert "Open cases I handle" in again.get("/").get_data(as_text=True)


def test_language_switch_ignores_unknown_languages_and_foreign_targets(pages):
    response = pages.post("/lang/fr", {"next": "https://evil.example/"}, page="/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert '<html lang="id">' in pages.get("/login").get_data(as_text=True)


def test_dates_follow_the_reader_language(world, make_case, pages_for):
    """Indonesian pages write `24 Desember 2026 23.59 WIB`; English pages `24 December 2026 23:59 WIB`."""
    case = make_case("awaiting_follow_up")
    pages = pages_for(world.investigator)
    due_at = db.session.scalar(select(Recommendation.due_at).where(Recommendation.case_id == case.id))
    due = due_at.astimezone(ZoneInfo("Asia/Jakarta"))
    months_id = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
                 "Oktober", "November", "Desember"]  # fmt: skip
    indonesian = f"{due.day} {months_id[due.month - 1]} {due.year} {due:%H.%M} WIB"
    english = f"{due.day} {due:%B} {due.year} {due:%H:%M} WIB"
    html = pages.get(f"/cases/{case.id}").get_data(as_text=True)
    assert indonesian in html and english not in html
    pages.post("/lang/en", {"next": "/"}, page="/")
    html = pages.get(f"/cases/{case.id}").get_data(as_text=True)
    assert english in html and indonesian not in html


def test_reader_zone_is_the_agency_zone_and_a_database_error_loading_it_propagates(app, world, monkeypatch):
    import flask_login
    from sqlalchemy.exc import OperationalError

    from app.i18n import DEFAULT_TZ, reader_timezone

    assert reader_timezone() == DEFAULT_TZ  # outside a request
    with app.test_request_context("/"):
        assert reader_timezone() == DEFAULT_TZ  # nobody signed in

    class Reader:
        is_authenticated = True

        def __init__(self, agency):
            self._agency = agency

        @property
        def agency(self):
            if self._agency is None:
                raise OperationalError("SELECT agencies", {}, Exception("the database system is shutting down"))
            return self._agency

    class Zone:
        timezone = "Asia/Makassar"

    for reader, expected in ((Reader(Zone()), "Asia/Makassar"), (Reader(None), OperationalError)):
        with app.test_request_context("/"):
            monkeypatch.setattr(flask_login.utils, "_get_user", lambda reader=reader: reader)
            if expected is OperationalError:
                with pytest.raises(OperationalError):
                    reader_timezone()
            else:
                assert reader_timezone() == expected
