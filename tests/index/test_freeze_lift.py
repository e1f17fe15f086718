"""Freezing an IM-NKK year asks first and says what will be published; an administrator lifts a freeze with a
reason, recorded (who, when, why) and shown on the year's page; the year is live again and can be frozen anew."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.db import db
from app.index import services
from app.models.index import IndexSnapshot
from tests.index.builders import at, followed, issue

YEAR = 2025


@pytest.fixture
def record(people):
    followed(people.agency, at(YEAR, 2, 1), working_days=4)
    issue(people.other_agency, at(YEAR, 4, 1), escalations=(0, 1, 2))
    return people


def _summary(html: str) -> str:
    match = re.search(r'<ul id="confirm-summary"[^>]*>(.*?)</ul>', html, re.S)
    assert match, "no summary of what will happen"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1)))


def _history(html: str) -> str:
    section = html.split('id="freeze-history"')[1].split("</section>")[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section))


def test_the_freeze_asks_first_and_says_what_will_be_published(signed_in, record):
    user = signed_in(record.commissioner)
    ranking = user.get(f"/index?year={YEAR}").get_data(as_text=True)
    assert f'id="freeze-year" href="/index/{YEAR}/snapshot"' in ranking  # a link to the confirmation, no form
    page = user.get(f"/index/{YEAR}/snapshot")
    assert page.status_code == 200
    summary = _summary(page.get_data(as_text=True))
    assert "2 instansi" in summary and "2 diperingkat" in summary and "metode" in summary
    assert "2 rekomendasi" in summary and "administrator" in summary
    assert services.latest_snapshot(YEAR) is None
    done = user.post(f"/index/{YEAR}/snapshot", {"confirm": "1"}, page=f"/index/{YEAR}/snapshot")
    assert done.status_code == 303
    assert services.latest_snapshot(YEAR) is not None
    again = user.get(f"/index/{YEAR}/snapshot").get_data(as_text=True)
    assert "sudah dibekukan" in again and 'id="confirm-freeze"' not in again


@pytest.mark.parametrize("role", ["investigator", "admin", "overseer", "ppk"])
def test_only_a_commissioner_freezes(signed_in, record, role):
    user = signed_in(getattr(record, role))
    assert user.get(f"/index/{YEAR}/snapshot").status_code == 403
    assert user.post(f"/index/{YEAR}/snapshot", {"confirm": "1"}, page="/").status_code == 403
    assert services.latest_snapshot(YEAR) is None


def test_an_admin_lifts_a_freeze_with_a_reason_and_the_year_page_shows_it(signed_in, record):
    commissioner = signed_in(record.commissioner)
    commissioner.post(f"/index/{YEAR}/snapshot", {"confirm": "1"}, page=f"/index/{YEAR}/snapshot")
    admin = signed_in(record.admin)
    ranking = admin.get(f"/index?year={YEAR}").get_data(as_text=True)
    assert f'id="lift-freeze" href="/index/{YEAR}/snapshot/lift"' in ranking
    form = admin.get(f"/index/{YEAR}/snapshot/lift")
    assert form.status_code == 200 and "data terkini" in _summary(form.get_data(as_text=True))

    refused = admin.post(f"/index/{YEAR}/snapshot/lift", {"reason": "  "}, page=f"/index/{YEAR}/snapshot/lift")
    assert refused.status_code == 422
    assert 'id="reason-error"' in refused.get_data(as_text=True)
    assert services.latest_snapshot(YEAR) is not None

    reason = "Data tindak lanjut Provinsi Bali salah input; notula rapat pleno 3/2026."
    done = admin.post(f"/index/{YEAR}/snapshot/lift", {"reason": reason}, page=f"/index/{YEAR}/snapshot/lift")
    assert done.status_code == 303
    assert services.latest_snapshot(YEAR) is None  # live again
    row = db.session.scalar(select(IndexSnapshot))
    assert row.lifted_by_id == record.admin.id and row.lift_reason == reason and row.lifted_at is not None

    history = _history(admin.get(f"/index?year={YEAR}").get_data(as_text=True))
    assert "Dibekukan" in history and "Dicabut" in history and reason in history
    assert record.admin.name in history and record.commissioner.name in history  # staff read names
    overseer = _history(signed_in(record.overseer).get(f"/index?year={YEAR}").get_data(as_text=True))
    assert reason in overseer and record.admin.name not in overseer and "Administrator" in overseer

    # frozen anew under the same method: the lifted one stays in the history
    commissioner.post(f"/index/{YEAR}/snapshot", {"confirm": "1"}, page=f"/index/{YEAR}/snapshot")
    assert services.latest_snapshot(YEAR) is not None
    assert [h["in_force"] for h in services.freeze_history(YEAR)] == [True, False]


@pytest.mark.parametrize("role", ["investigator", "commissioner", "overseer"])
def test_only_an_admin_lifts(signed_in, record, role):
    services.freeze_year(YEAR, record.commissioner)
    db.session.commit()
    user = signed_in(getattr(record, role))
    assert user.get(f"/index/{YEAR}/snapshot/lift").status_code == 403
    assert user.post(f"/index/{YEAR}/snapshot/lift", {"reason": "x"}, page="/").status_code == 403
    assert services.latest_snapshot(YEAR) is not None


def test_lifting_a_year_that_is_not_frozen_says_so(signed_in, record):
    admin = signed_in(record.admin)
    response = admin.get(f"/index/{YEAR}/snapshot/lift")
    assert response.status_code == 303
    assert "tidak sedang dibekukan" in admin.get(f"/index?year={YEAR}").get_data(as_text=True)


def test_the_api_lifts_with_a_reason_and_lists_the_history(api, record):
    assert api(record.commissioner).post(f"/api/v1/index/{YEAR}/snapshot").status_code == 201  # no confirmation
    assert api(record.commissioner).post(f"/api/v1/index/{YEAR}/snapshot/lift", json={"reason": "x"}).status_code == 403
    missing = api(record.admin).post(f"/api/v1/index/{YEAR}/snapshot/lift", json={})
    assert missing.status_code == 422
    lifted = api(record.admin).post(f"/api/v1/index/{YEAR}/snapshot/lift", json={"reason": "Salah data."})
    assert lifted.status_code == 200, lifted.get_json()
    body = lifted.get_json()
    assert body["in_force"] is False and body["lift_reason"] == "Salah data." and body["lifted_by_role"] == "admin"
    assert body["frozen_by_role"] == "commissioner"
    again = api(record.admin).post(f"/api/v1/index/{YEAR}/snapshot/lift", json={"reason": "Lagi."})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "not_frozen"
    assert api(record.commissioner).get(f"/api/v1/index?year={YEAR}").get_json()["frozen"] is False
    history = api(record.overseer).get(f"/api/v1/index/{YEAR}/snapshots").get_json()
    assert [item["lift_reason"] for item in history["items"]] == ["Salah data."]
    assert "name" not in str(history)  # roles, never names


def test_the_cli_lifts_with_a_reason(runner, record):
    services.freeze_year(YEAR, None)
    db.session.commit()
    refused = runner.invoke(args=["index", "lift", "--year", str(YEAR), "--reason", " "])
    assert refused.exit_code != 0 and "wajib" in refused.output
    result = runner.invoke(args=["index", "lift", "--year", str(YEAR), "--reason", "Uji ulang."])
    assert result.exit_code == 0, result.output
    assert services.latest_snapshot(YEAR) is None
