"""Helpers for the page tests: sign in through the real form (CSRF on), and cases in a given state."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import flask_babel
import pytest
from flask import g

from app.cases import services as case_services
from app.db import unit_of_work
from tests import factories
from workflows import fire

_CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"|<input[^>]*value="([^"]+)"[^>]*name="csrf_token"')
NIP = "198609262015051001"


def csrf_token(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


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

    def login(self, user: Any, password: str = factories.PASSWORD) -> Any:
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


@dataclass
class World:
    agency: Any
    other_agency: Any
    investigator: Any
    commissioner: Any
    commissioner2: Any
    ppk: Any
    other_ppk: Any
    overseer: Any
    admin: Any


@pytest.fixture
def world(make_agency: Any, make_user: Any) -> World:
    agency = make_agency(code="KAB-SLM", name="Pemerintah Kabupaten Sleman", kind="kabupaten")
    other = make_agency(code="KOTA-MKS", name="Pemerintah Kota Makassar", kind="kota", timezone="Asia/Makassar")
    return World(
        agency=agency,
        other_agency=other,
        investigator=make_user("investigator", name="Ina Penyelidik"),
        commissioner=make_user("commissioner", name="Kurnia Komisioner"),
        commissioner2=make_user("commissioner", name="Dewi Komisioner"),
        ppk=make_user("ppk", agency=agency, name="PPK Sleman"),
        other_ppk=make_user("ppk", agency=other, name="PPK Makassar"),
        overseer=make_user("overseer", body="kemendagri", name="Pengawas Kemendagri"),
        admin=make_user("admin", name="Adi Admin"),
    )


def new_case_payload(agency_id: int, **kw: Any) -> dict[str, Any]:
    payload = {
        "agency_id": agency_id,
        "category": "netralitas",
        "subcategory": "kampanye_medsos",
        "source": "bawaslu",
        "reported_person": {"name": "Budi Santoso", "nip": NIP, "position": "Camat"},
        "summary": "Mengunggah dukungan kepada calon bupati di media sosial.",
        "occurred_on": date(2026, 9, 1).isoformat(),
        "reporter": {"name": "Pelapor Rahasia", "contact": "0812-0000-0000"},
    }
    payload.update(kw)
    return payload


STEPS = (
    ("start_review", "investigator", {}),
    (
        "draft_recommendation",
        "investigator",
        {
            "sanction": "disiplin_sedang",
            "legal_basis": "PP 94/2021 Pasal 8",
            "text": "Menjatuhkan hukuman disiplin sedang.",
        },
    ),
    ("issue_recommendation", "commissioner", {"letter_number": "R-1/KASN/9/2026"}),
)
STATE_AFTER = {"reported": 0, "under_review": 1, "recommendation_drafted": 2, "awaiting_follow_up": 3}


@pytest.fixture
def make_case(world: World) -> Any:
    """A case of `world.agency` moved through the workflow to `state` (up to awaiting_follow_up)."""

    def _make(state: str = "reported", agency: Any = None) -> Any:
        with unit_of_work():
            case = case_services.create_case(new_case_payload((agency or world.agency).id), world.investigator)
            for event, who, payload in STEPS[: STATE_AFTER[state]]:
                fire(case, event, getattr(world, who), payload)
        return case

    return _make
