"""The case list page's search: a term too short to search says so beside the field and in place of the list,
and searches nothing; a term long enough searches."""

from __future__ import annotations

MESSAGE = "Kata pencarian (q) minimal 3 huruf atau angka."


def test_a_short_term_shows_the_message_instead_of_searching(world, pages_for, make_case):
    case = make_case("reported")
    pages = pages_for(world.investigator)

    short = pages.get("/cases?q=bu")
    html = short.get_data(as_text=True)
    assert short.status_code == 422
    assert html.count(MESSAGE) == 2  # beside the field, and where the list would be
    assert 'class="form-control is-invalid" type="search" id="q"' in html
    assert case.number not in html and "Tidak ada perkara yang cocok." not in html

    found = pages.get("/cases?q=bud")
    assert found.status_code == 200
    assert case.number in found.get_data(as_text=True) and MESSAGE not in found.get_data(as_text=True)


def test_a_short_term_exports_nothing(world, pages_for, make_case):
    make_case("reported")
    response = pages_for(world.investigator).get("/cases/export.csv?q=bu")
    assert response.status_code == 302
    assert "/cases?q=bu" in response.headers["Location"]
