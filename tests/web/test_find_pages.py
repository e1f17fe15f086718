"""Finding a case from any page: the header's box on every signed-in page opens a case by its exact number (a
number its reader may not see answers exactly as an unknown one), searches the list otherwise; and the case
list's saved filters: save the current filter under a name, apply it from the menu, delete it, each user's own."""

from __future__ import annotations

import re

from app.db import db
from app.models.saved_filters import SavedFilter
from tests.factories import NIPS, S, case_in


def _not_found_text(response) -> str:
    html = response.get_data(as_text=True)
    main = html[html.index('<main id="main"') : html.index("</main>")]
    return re.sub(r"NKK-\d{4}-\d{6}", "NKK-…", main)


def test_every_signed_in_page_has_the_box_and_the_sign_in_page_does_not(world, pages, pages_for):
    assert 'id="jump-q"' not in pages.get("/login").get_data(as_text=True)
    for user in (world.investigator, world.ppk, world.overseer, world.admin):
        signed_in = pages_for(user)
        for path in ("/", "/cases", "/bantuan"):
            html = signed_in.get(path).get_data(as_text=True)
            assert 'action="/cari"' in html and 'id="jump-q"' in html, (user.role, path)


def test_a_visible_case_number_opens_the_case(world, pages_for):
    case = case_in(world, S.AWAITING_FOLLOW_UP)
    for user in (world.investigator, world.ppk):
        response = pages_for(user).get("/cari", query_string={"q": f" {case.number.lower()} "})
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"/cases/{case.id}")


def test_a_number_the_reader_may_not_see_answers_like_an_unknown_one(world, pages_for):
    case = case_in(world, S.AWAITING_FOLLOW_UP)
    before_issue = case_in(world, S.UNDER_REVIEW)
    other_ppk = pages_for(world.other_ppk)
    hidden = other_ppk.get("/cari", query_string={"q": case.number})
    unknown = other_ppk.get("/cari", query_string={"q": "NKK-1999-000042"})
    own_ppk_before_issue = pages_for(world.ppk).get("/cari", query_string={"q": before_issue.number})
    for response in (hidden, unknown, own_ppk_before_issue):
        assert response.status_code == 404
        assert "Tidak ada perkara bernomor" in response.get_data(as_text=True)
    assert _not_found_text(hidden) == _not_found_text(unknown)
    assert case.number in hidden.get_data(as_text=True)  # the number typed, said back
    assert "Sleman" not in hidden.get_data(as_text=True)  # nothing of the case


def test_anything_else_searches_the_list(world, pages_for):
    case = case_in(world, S.REPORTED, reported_person={"name": "Rahmat Hidayat", "nip": NIPS[1]})
    pages = pages_for(world.investigator)
    response = pages.get("/cari", query_string={"q": "Hidayat"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/cases?q=Hidayat")
    assert case.number in pages.get(response.headers["Location"]).get_data(as_text=True)
    assert pages.get("/cari", query_string={"q": "  "}).headers["Location"].endswith("/cases")
    assert pages.get("/cari", query_string={"q": "2026-000"}).headers["Location"].endswith("/cases?q=2026-000")


def test_the_box_needs_a_sign_in(client):
    response = client.get("/cari?q=NKK-2026-000001")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_filter_is_saved_applied_and_deleted_from_the_list_page(world, pages_for):
    case_in(world, S.AWAITING_FOLLOW_UP, reported_person={"name": "Yusuf Saputra", "nip": NIPS[1]})
    pages = pages_for(world.investigator)
    listed = pages.get("/cases?status=awaiting_follow_up&q=yusuf&sort=deadline&dir=desc")
    html = listed.get_data(as_text=True)
    assert "Belum ada saringan tersimpan." in html
    assert '<input type="hidden" name="status" value="awaiting_follow_up">' in html

    saved = pages.post(
        "/cases/filters",
        {"name": "Yusuf menunggu", "status": "awaiting_follow_up", "q": "yusuf", "sort": "deadline", "dir": "desc"},
        page="/cases",
    )
    assert saved.status_code == 302
    target = "/cases?status=awaiting_follow_up&q=yusuf&sort=deadline&dir=desc"
    assert saved.headers["Location"].endswith(target)
    html = pages.get("/cases").get_data(as_text=True)
    assert "Saringan “Yusuf menunggu” disimpan." in html
    assert f'href="{target.replace("&", "&amp;")}">Yusuf menunggu</a>' in html

    # the same name again: refused, the name kept in the form and every reason shown
    again = pages.post("/cases/filters", {"name": "yusuf MENUNGGU", "q": "ab"}, page="/cases")
    assert again.status_code == 302 and again.headers["Location"].endswith("/cases?q=ab#saved-filters")
    html = pages.get(again.headers["Location"]).get_data(as_text=True)
    assert '<details class="saved-filters mb-3" id="saved-filters" open>' in html
    assert 'value="yusuf MENUNGGU"' in html
    assert "Anda sudah punya saringan dengan nama ini" in html
    assert html.count("Kata pencarian (q) minimal 3 huruf atau angka.") >= 2  # the menu's and the list's own

    row = db.session.query(SavedFilter).one()
    deleted = pages.post(f"/cases/filters/{row.id}/delete", {}, page="/cases")
    assert deleted.status_code == 302
    html = pages.get("/cases").get_data(as_text=True)
    assert "Saringan “Yusuf menunggu” dihapus." in html and "Belum ada saringan tersimpan." in html


def test_another_users_filter_is_neither_shown_nor_deleted(world, pages_for):
    owner, other = pages_for(world.investigator), pages_for(world.commissioner)
    owner.post("/cases/filters", {"name": "Milik penyelidik", "escalated": "true"}, page="/cases")
    row = db.session.query(SavedFilter).one()
    assert "Milik penyelidik" not in other.get("/cases").get_data(as_text=True)
    refused = other.post(f"/cases/filters/{row.id}/delete", {}, page="/cases")
    assert refused.status_code == 302
    assert "Saringan tersimpan tidak ditemukan." in other.get("/cases").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(SavedFilter, row.id) is not None
    assert "Milik penyelidik" in owner.get("/cases").get_data(as_text=True)
