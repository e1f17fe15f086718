"""Shared data for the quality suite: a small, realistic world and bearer tokens for each role; a page client."""

from __future__ import annotations

from typing import Any

import flask_babel
import pytest
from flask import g

from app.auth.services import issue_token
from app.db import db
from tests.factories import Cast, S, case_in, csrf_token, make_cast, make_user


@pytest.fixture
def world() -> Cast:
    """One agency's cast, a case in a few states (`cases`), and a token per role (`tokens`, `headers`)."""
    cast = make_cast()
    cast.cases.update(
        reported=case_in(cast, S.REPORTED),
        awaiting=case_in(cast, S.AWAITING_FOLLOW_UP),
        reported_follow_up=case_in(cast, S.FOLLOW_UP_REPORTED),
    )
    cast.issue_tokens()
    # A Bawaslu office (app/intake): it forwards reports and reads their status, and sees nothing of any case.
    cast.tokens["forwarder"], _ = issue_token(make_user("forwarder"))
    db.session.commit()
    return cast


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
