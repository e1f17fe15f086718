"""Plain factory functions bound to db.session; each commits so other connections see the rows."""

from __future__ import annotations

import itertools
from typing import Any

from app.auth.services import hash_password
from app.extensions import db
from app.models.agencies import Agency
from app.models.auth import User

PASSWORD = "kata-sandi-uji-123"  # noqa: S105
_seq = itertools.count(1)
_HASH: dict[str, str] = {}


def _password_hash() -> str:
    if PASSWORD not in _HASH:
        _HASH[PASSWORD] = hash_password(PASSWORD)
    return _HASH[PASSWORD]


def make_agency(**kw: Any) -> Agency:
    n = next(_seq)
    values: dict[str, Any] = {
        "code": f"AG{n:04d}",
        "name": f"Instansi Uji {n}",
        "kind": "kementerian",
        "timezone": "Asia/Jakarta",
        "ppk_title": "Menteri",
        "ppk_email": f"ppk{n}@instansi.go.id",
    }
    values.update(kw)
    agency = Agency(**values)
    db.session.add(agency)
    db.session.commit()
    return agency


def make_user(role: str = "investigator", **kw: Any) -> User:
    n = next(_seq)
    values: dict[str, Any] = {
        "email": f"{role}{n}@tindak.test",
        "name": f"{role.title()} {n}",
        "password_hash": _password_hash(),
        "role": role,
    }
    if role == "ppk" and "agency_id" not in kw and "agency" not in kw:
        values["agency_id"] = make_agency().id
    if role == "overseer" and "body" not in kw:
        values["body"] = "menpanrb"
    if "agency" in kw:
        kw["agency_id"] = kw.pop("agency").id
    values.update(kw)
    user = User(**values)
    db.session.add(user)
    db.session.commit()
    return user
