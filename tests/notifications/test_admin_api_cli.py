"""The outbox API (admin only) and the `flask outbox` / `flask mail` commands."""

from __future__ import annotations

from sqlalchemy import func, select

from app.db import db, unit_of_work
from app.letters.mail import enqueue
from app.models.outbox import OutboxMessage
from notifications.services import outbox_counts
from tests.notifications.helpers import make_case


def _queue(case, recipients, key="k"):
    with unit_of_work():
        return [r.id for r in enqueue("reminder", case=case, recipients=recipients, key=key)]


def _set_status(row_id: int, status: str) -> None:
    with unit_of_work():
        row = db.session.get(OutboxMessage, row_id)
        row.status = status
        row.last_error = "550 5.1.1 Kotak surat tidak dikenal" if status == "dead" else None


def test_outbox_api_is_for_admins_only(client, api, make_user):
    assert client.get("/api/v1/outbox").status_code == 401
    for role in ("investigator", "commissioner", "ppk", "overseer"):
        caller = api(make_user(role))
        assert caller.get("/api/v1/outbox").status_code == 403
        assert caller.post("/api/v1/outbox/1/retry").status_code == 403


def test_listing_filters_by_status_and_pages_newest_first(api, make_user):
    case = make_case()
    ids = _queue(case, [f"p{i}@instansi.go.id" for i in range(5)])
    _set_status(ids[1], "dead")
    _set_status(ids[3], "dead")
    admin = api(make_user("admin"))

    dead = admin.get("/api/v1/outbox?status=dead").get_json()
    assert [item["id"] for item in dead["items"]] == [ids[3], ids[1]]
    assert dead["items"][0]["status_label"] == "Gagal (perlu tindakan)"

    first = admin.get("/api/v1/outbox?limit=2").get_json()
    assert [item["id"] for item in first["items"]] == [ids[4], ids[3]]
    assert first["next_cursor"]
    second = admin.get(f"/api/v1/outbox?limit=2&cursor={first['next_cursor']}").get_json()
    assert [item["id"] for item in second["items"]] == [ids[2], ids[1]]
    third = admin.get(f"/api/v1/outbox?limit=2&cursor={second['next_cursor']}").get_json()
    assert [item["id"] for item in third["items"]] == [ids[0]]
    assert third["next_cursor"] is None
    item = third["items"][0]
    assert item["case_number"] == case.number and item["recipient"] == "p0@instansi.go.id"
    assert "body_text" not in item


def test_listing_rejects_bad_parameters(api, make_user):
    admin = api(make_user("admin"))
    response = admin.get("/api/v1/outbox?status=lost")
    assert response.status_code == 422
    assert "status" in response.get_json()["error"]["details"]["fields"]
    assert admin.get("/api/v1/outbox?limit=101").status_code == 422
    assert admin.get("/api/v1/outbox?cursor=%%%").status_code == 422


def test_retry_refuses_sent_rows_and_unknown_ids(api, make_user):
    case = make_case()
    (row_id,) = _queue(case, ["ppk@instansi.go.id"])
    _set_status(row_id, "sent")
    admin = api(make_user("admin"))
    conflict = admin.post(f"/api/v1/outbox/{row_id}/retry")
    assert conflict.status_code == 409
    assert conflict.get_json()["error"]["code"] == "already_sent"
    missing = admin.post("/api/v1/outbox/999999/retry")
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "not_found"


def test_counts_cover_every_status():
    case = make_case()
    ids = _queue(case, ["a@instansi.go.id", "b@instansi.go.id", "c@instansi.go.id"])
    _set_status(ids[0], "dead")
    assert outbox_counts() == {"pending": 2, "sending": 0, "sent": 0, "dead": 1}


def test_cli_send_list_retry(runner, smtp_server):
    case = make_case()
    ids = _queue(case, ["a@instansi.go.id", "b@instansi.go.id"])
    smtp_server.fail_next(1, "550 5.1.1 Kotak surat tidak dikenal")

    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert "Terkirim: 1" in result.output and "gagal permanen: 1" in result.output

    listed = runner.invoke(args=["outbox", "list", "--status", "dead"])
    assert listed.exit_code == 0, listed.output
    assert f"#{ids[0]}" in listed.output and "a@instansi.go.id" in listed.output
    assert "550 5.1.1" in listed.output
    assert "b@instansi.go.id" not in listed.output

    retried = runner.invoke(args=["outbox", "retry", str(ids[0])])
    assert retried.exit_code == 0, retried.output
    assert "dijadwalkan untuk dikirim ulang" in retried.output
    again = runner.invoke(args=["outbox", "send"])
    assert "Terkirim: 1" in again.output
    assert sorted(d.rcpt_tos[0] for d in smtp_server.deliveries) == ["a@instansi.go.id", "b@instansi.go.id"]

    refused = runner.invoke(args=["outbox", "retry", str(ids[0])])
    assert refused.exit_code != 0
    assert "sudah terkirim" in refused.output
    missing = runner.invoke(args=["outbox", "retry", "999999"])
    assert missing.exit_code != 0 and "tidak ditemukan" in missing.output
    empty = runner.invoke(args=["outbox", "list", "--status", "dead"])
    assert "Tidak ada pesan berstatus dead." in empty.output


def test_cli_mail_test_sends_directly(runner, smtp_server):
    result = runner.invoke(args=["mail", "test", "admin@kasn.go.id"])
    assert result.exit_code == 0, result.output
    assert "Email uji terkirim ke admin@kasn.go.id" in result.output
    (delivery,) = smtp_server.deliveries
    assert delivery.rcpt_tos == ("admin@kasn.go.id",)
    assert delivery.subject == "[Tindak] Email uji"
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_cli_mail_test_reports_a_failure(runner, smtp_server):
    smtp_server.stop()
    result = runner.invoke(args=["mail", "test", "admin@kasn.go.id"])
    assert result.exit_code == 1
    assert "Email uji gagal dikirim ke admin@kasn.go.id" in result.output


def test_out_of_range_ids_are_client_errors(api, make_user):
    admin = api(make_user("admin"))
    huge_cursor = "WzExODA1OTE2MjA3MTc0MTEzMDM0MjRd"  # [2**70]
    assert admin.get(f"/api/v1/outbox?cursor={huge_cursor}").status_code == 422
    assert admin.post(f"/api/v1/outbox/{2**70}/retry").status_code == 404
