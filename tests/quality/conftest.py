"""Shared data for the quality suite: a small, realistic world and bearer tokens for each role."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import flask_babel
import pytest
from flask import g

from app.auth.services import issue_token
from app.extensions import db
from tests.factories import Cast, S, case_in, make_cast


@dataclass
class World:
    cast: Cast
    cases: dict[str, Any]
    tokens: dict[str, str]

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def tokens_for(cast: Cast) -> dict[str, str]:
    tokens = {}
    for role in ("investigator", "commissioner", "ppk", "overseer", "admin"):
        tokens[role], _ = issue_token(cast.user(role))
    tokens["other_ppk"], _ = issue_token(cast.other_ppk)
    db.session.commit()
    return tokens


@pytest.fixture
def world() -> World:
    """One agency's cast, a case in a few states, and a token per role."""
    cast = make_cast()
    cases = {
        "reported": case_in(cast, S.REPORTED),
        "awaiting": case_in(cast, S.AWAITING_FOLLOW_UP),
        "reported_follow_up": case_in(cast, S.FOLLOW_UP_REPORTED),
    }
    return World(cast=cast, cases=cases, tokens=tokens_for(cast))


_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_token(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


class Pages:
    """A browser-less user of the web pages: GET, and POST forms with the page's CSRF token. The tests keep
    an app context open, so the per-context caches (signed-in user, CSRF token, locale) are dropped before
    each request, as a fresh request in production would start."""

    def __init__(self, client: Any, password: str):
        self.client = client
        self.password = password

    def _fresh(self) -> None:
        g.pop("_login_user", None)
        g.pop("csrf_token", None)
        flask_babel.refresh()

    def get(self, url: str, **kw: Any) -> Any:
        self._fresh()
        return self.client.get(url, **kw)

    def post(self, url: str, data: dict[str, Any], **kw: Any) -> Any:
        self._fresh()
        return self.client.post(url, data=data, **kw)

    def login(self, user: Any) -> Any:
        token = csrf_token(self.get("/login").get_data(as_text=True))
        return self.post("/login", {"email": user.email, "password": self.password, "csrf_token": token})
