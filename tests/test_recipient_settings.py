"""`ESCALATION_RECIPIENTS_*`: a comma-separated string or a list, refused at start-up when a value is not an email
address; the outbox refuses a recipient that is not one (issue 16, item 7)."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlalchemy import select

from app import create_app
from app.core.clock import utcnow
from app.db import db, unit_of_work
from app.errors import ValidationFailed
from app.escalations.routing import set_target_recipients, target_recipients
from app.escalations.sweep import run_sweep
from app.letters.mail import enqueue
from app.models.outbox import OutboxMessage
from config import ConfigError
from tests.escalations.helpers import open_case
from tests.notifications.helpers import make_case

# Received Monday 2 Nov 2026: due Friday 20 Nov, escalated to the ministry at the end of Friday 27 Nov (WIB).
RECEIVED = date(2026, 11, 2)
AFTER_ESCALATION = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)


def _app(app_overrides, **settings):
    return create_app({**app_overrides, **settings})


def test_a_string_given_to_create_app_is_one_address_not_its_characters(app_overrides):
    other = _app(app_overrides, ESCALATION_RECIPIENTS_KASN="ketua@kasn.go.id")
    assert other.config["ESCALATION_RECIPIENTS_KASN"] == ["ketua@kasn.go.id"]
    with other.app_context():
        assert target_recipients("kasn") == ["ketua@kasn.go.id"]


@pytest.mark.parametrize(
    "value",
    [
        "eskalasi@menpan.go.id, Deputi.SDM@menpan.go.id",
        ["eskalasi@menpan.go.id", "deputi.sdm@menpan.go.id"],
        ("eskalasi@menpan.go.id", " deputi.sdm@menpan.go.id "),
        ["eskalasi@menpan.go.id, deputi.sdm@menpan.go.id", "eskalasi@menpan.go.id"],
    ],
    ids=["comma-separated", "list", "tuple", "list-of-comma-separated"],
)
def test_a_comma_separated_string_or_a_list(app_overrides, value):
    other = _app(app_overrides, ESCALATION_RECIPIENTS_MENPANRB=value)
    assert other.config["ESCALATION_RECIPIENTS_MENPANRB"] == ["eskalasi@menpan.go.id", "deputi.sdm@menpan.go.id"]


def test_an_empty_value_is_no_mailbox(app_overrides):
    for value in ("", " , ", [], None):
        assert _app(app_overrides, ESCALATION_RECIPIENTS_BKN=value).config["ESCALATION_RECIPIENTS_BKN"] == []


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("bukan-email", "bukan-email"),
        ("ketua@kasn.go.id, ketua-kasn", "ketua-kasn"),
        (["ketua@kasn.go.id", "@"], "@"),
        ("Ketua KASN <ketua@kasn.go.id>", "Ketua KASN <ketua@kasn.go.id>"),
        ("ketua@kasn", "ketua@kasn"),
    ],
)
def test_anything_that_is_not_an_email_address_is_refused_at_start_up(app_overrides, value, named):
    with pytest.raises(ConfigError) as refused:
        _app(app_overrides, ESCALATION_RECIPIENTS_KASN=value)
    assert "ESCALATION_RECIPIENTS_KASN" in str(refused.value)
    assert repr(named) in str(refused.value)


def test_the_environment_is_read_by_the_same_rule(app_overrides, monkeypatch):
    overrides = {k: v for k, v in app_overrides.items() if k != "ESCALATION_RECIPIENTS_BKN"}
    monkeypatch.setenv("ESCALATION_RECIPIENTS_BKN", "blokir@bkn.go.id,Sekretariat@BKN.go.id")
    assert create_app(overrides).config["ESCALATION_RECIPIENTS_BKN"] == [
        "blokir@bkn.go.id",
        "sekretariat@bkn.go.id",
    ]
    monkeypatch.setenv("ESCALATION_RECIPIENTS_BKN", "blokir@bkn.go.id;sekretariat@bkn.go.id")
    with pytest.raises(ConfigError, match="ESCALATION_RECIPIENTS_BKN"):
        create_app(overrides)


def test_the_sweep_of_an_app_given_strings_writes_to_the_mailboxes(app_overrides, make_agency, make_user):
    """The reported failure: strings given to `create_app` queued emails to "e", "s", "@" ..."""
    agency = make_agency(kind="kementerian", ppk_email="ppk@kemenx.go.id")
    case, _rec = open_case(agency, received_on=RECEIVED, level=1, drafter=make_user("investigator"))
    case_id = case.id
    db.session.commit()  # the other app's sweep writes: this session holds no lock
    other = _app(
        app_overrides,
        ESCALATION_RECIPIENTS_MENPANRB="eskalasi@menpan.go.id",
        ESCALATION_RECIPIENTS_KASN="ketua@kasn.go.id",
    )
    with other.app_context():
        with time_machine.travel(AFTER_ESCALATION, tick=False):
            report = run_sweep(utcnow())
        assert dict(report.notified) == {2: 1}
        recipients = sorted(db.session.scalars(select(OutboxMessage.recipient).where(OutboxMessage.case_id == case_id)))
        db.session.remove()
    assert recipients == ["eskalasi@menpan.go.id", "ketua@kasn.go.id", "ppk@kemenx.go.id"]


def test_the_outbox_refuses_a_recipient_that_is_not_an_address(caplog, monkeypatch):
    # The suite's `db upgrade` (Alembic's fileConfig) disabled the loggers that existed before it.
    monkeypatch.setattr(logging.getLogger("notifications.outbox"), "disabled", False)
    case = make_case()
    with caplog.at_level(logging.WARNING, logger="notifications.outbox"), unit_of_work():
        rows = enqueue(
            "recommendation_issued",
            case=case,
            recipients=["e", "s", "@", "ppk@instansi.go.id", "ppk@", "Nama <x@instansi.go.id>", "  "],
            key=f"recommendation_issued:{case.id}:1",
        )
    assert [r.recipient for r in rows] == ["ppk@instansi.go.id"]
    assert list(db.session.scalars(select(OutboxMessage.recipient))) == ["ppk@instansi.go.id"]
    refused = " ".join(r.getMessage() for r in caplog.records)
    for value in ("'e'", "'s'", "'@'", "'ppk@'", "'Nama <x@instansi.go.id>'"):
        assert value in refused


def test_the_outbox_refuses_a_string_for_the_list_of_recipients():
    case = make_case()
    with pytest.raises(TypeError):
        enqueue("recommendation_issued", case=case, recipients="ppk@instansi.go.id", key=f"ri:{case.id}")
    db.session.rollback()
    assert db.session.scalar(select(OutboxMessage.id)) is None


def test_the_admin_mailboxes_follow_the_same_rule():
    with pytest.raises(ValidationFailed) as refused, unit_of_work():
        set_target_recipients("bkn", ["blokir@bkn.go.id", "blokir@bkn"])
    assert refused.value.details["fields"]["emails"] == ["blokir@bkn"]
    with unit_of_work():
        saved = set_target_recipients("bkn", ["Blokir@BKN.go.id, sekretariat@bkn.go.id", "blokir@bkn.go.id"])
    assert saved == ["blokir@bkn.go.id", "sekretariat@bkn.go.id"]
