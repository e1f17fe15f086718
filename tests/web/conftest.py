"""Helpers for the page tests: sign in through the real form (CSRF on), and cases in a given state."""

from __future__ import annotations

from typing import Any

import flask_babel
import pytest
from flask import g

from app.core.states import CaseStatus
from tests.factories import PASSWORD, Cast, case_in, csrf_token, make_agency, make_cast


class _FreshUserClient:
    """The tests keep one app context open, so the per-context caches of Flask-Login (the user), Flask-WTF
    (the CSRF token) and Flask-Babel (the locale) would leak from one request and client to the next; each
    request here starts without them, as in production."""

    def __init__(self, client: Any):
        self._client = client

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if name in ("get", "post", "open"):

            def call(*args: Any, **kw: Any) -> Any:
                g.pop("_login_user", None)
                g.pop("csrf_token", None)
                flask_babel.refresh()
                return attr(*args, **kw)

            return call
        return attr


class Pages:
    """A signed-in browser-less user: GET pages, POST forms with the page's CSRF token."""

    def __init__(self, client: Any):
        self.client = _FreshUserClient(client)

    def token(self, url: str = "/login") -> str:
        return csrf_token(self.client.get(url).get_data(as_text=True))

    def login(self, user: Any, password: str = PASSWORD) -> Any:
        token = self.token("/login")
        return self.client.post("/login", data={"email": user.email, "password": password, "csrf_token": token})

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(url, **kw)

    def post(self, url: str, data: dict[str, Any] | None = None, *, page: str | None = None, **kw: Any) -> Any:
        form = dict(data or {})
        form.setdefault("csrf_token", self.token(page or url))
        return self.client.post(url, data=form, **kw)


@pytest.fixture
def pages(client: Any) -> Pages:
    return Pages(client)


@pytest.fixture
def pages_for(app: Any) -> Any:
    """`pages_for(user)`: a fresh client signed in as `user`."""

    def _make(user: Any) -> Pages:
        p = Pages(app.test_client())
        response = p.login(user)
        assert response.status_code == 302, response.get_data(as_text=True)
        return p

    return _make


@pytest.fixture
def world() -> Cast:
    """A regency and a city in another zone, with named people; the overseer is the Ministry of Home Affairs."""
    return make_cast(
        agency=make_agency(code="KAB-SLM", name="Pemerintah Kabupaten Sleman", kind="kabupaten"),
        other_agency=make_agency(
            code="KOTA-MKS", name="Pemerintah Kota Makassar", kind="kota", timezone="Asia/Makassar"
        ),
        overseer_body="kemendagri",
        names={
            "investigator": "Ina Penyelidik",
            "commissioner": "Kurnia Komisioner",
            "commissioner2": "Dewi Komisioner",
            "ppk": "PPK Sleman",
            "other_ppk": "PPK Makassar",
            "overseer": "Pengawas Kemendagri",
            "admin": "Adi Admin",
        },
    )


@pytest.fixture
def make_case(world: Cast) -> Any:
    """`make_case(state, agency=None)`: a case of `world.agency` (or `agency`) in `state`, through the workflow."""

    def _make(state: str = "reported", agency: Any = None) -> Any:
        return case_in(world, CaseStatus(state), agency=agency)

    return _make
