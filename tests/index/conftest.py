"""Fixtures of the index tests: the people who look at the index, and signed-in page clients."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from flask import g

from tests import factories

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_token(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


class SignedIn:
    """A browser-less user signed in through the real login form (CSRF on).

    The tests keep one app context open; each request starts without the per-context caches of
    Flask-Login and Flask-WTF, as in production.
    """

    def __init__(self, client: Any, user: Any):
        self.client = client
        response = self.post("/login", {"email": user.email, "password": factories.PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)

    def get(self, url: str, **kw: Any) -> Any:
        g.pop("_login_user", None)
        g.pop("csrf_token", None)
        return self.client.get(url, **kw)

    def post(self, url: str, data: dict[str, Any] | None = None, *, page: str | None = None, **kw: Any) -> Any:
        form = dict(data or {})
        form.setdefault("csrf_token", csrf_token(self.get(page or url).get_data(as_text=True)))
        g.pop("_login_user", None)
        g.pop("csrf_token", None)
        return self.client.post(url, data=form, **kw)


@dataclass
class People:
    agency: Any
    other_agency: Any
    investigator: Any
    commissioner: Any
    ppk: Any
    other_ppk: Any
    overseer: Any
    admin: Any


@pytest.fixture
def people(make_agency: Any, make_user: Any) -> People:
    agency = make_agency(code="PROV-DIY", name="Pemerintah Daerah DIY", kind="provinsi")
    other = make_agency(code="PROV-BALI", name="Pemerintah Provinsi Bali", kind="provinsi", timezone="Asia/Makassar")
    return People(
        agency=agency,
        other_agency=other,
        investigator=make_user("investigator"),
        commissioner=make_user("commissioner"),
        ppk=make_user("ppk", agency=agency),
        other_ppk=make_user("ppk", agency=other),
        overseer=make_user("overseer", body="kemendagri"),
        admin=make_user("admin"),
    )


@pytest.fixture
def signed_in(app: Any) -> Any:
    """`signed_in(user)`: a fresh client signed in as `user`."""
    return lambda user: SignedIn(app.test_client(), user)
