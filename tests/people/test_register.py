"""The national register through its adapter: the SIASN client against a local HTTP server speaking the format of
BKN's web services (token from the gateway, `data-utama` by NIP), and the register imported as a file. The client
fills a person; survives a timeout, a 5xx, a malformed answer and a rate limit (the person stays as it was, the
breaker opens); the case workflow never waits on it."""

from __future__ import annotations

import base64
import json
import threading
import time
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select

from app.db import db
from app.models.people import Person
from app.people import register as reg
from app.people.retention import retention_report
from tests.factories import NIP, S, case_in, make_cast, new_case_payload

OTHER = "197001011995031002"
SLOW = "198512122010122003"
BROKEN = "199003032019031004"
FAILING = "198609262015051005"
LIMITED = "197505052000031001"
UNKNOWN = "196601011990031001"


class Siasn(BaseHTTPRequestHandler):
    """BKN's gateway and SIASN's `data-utama`, as their published clients use them."""

    calls: list[str] = []  # noqa: RUF012 - shared by the server's threads, reset per test

    def log_message(self, *args):  # quiet
        pass

    def _send(self, status, body, headers=None, raw=False):
        data = body if raw else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        form = self.rfile.read(length).decode()
        expected = "Basic " + base64.b64encode(b"kunci:rahasia").decode()
        Siasn.calls.append("token")
        if self.path != "/oauth2/token" or self.headers.get("Authorization") != expected:
            return self._send(401, {"error": "invalid_client"})
        if form != "grant_type=client_credentials":
            return self._send(400, {"error": "unsupported_grant_type"})
        return self._send(200, {"access_token": "gw-token", "token_type": "Bearer", "expires_in": 3600})

    def do_GET(self):  # noqa: N802
        prefix = "/apisiasn/1.0/pns/data-utama/"
        nip = self.path[len(prefix) :] if self.path.startswith(prefix) else ""
        Siasn.calls.append(nip)
        if self.headers.get("Authorization") != "Bearer gw-token" or self.headers.get("Auth") != "bearer sso-token":
            return self._send(401, {"message": "unauthorized"})
        if nip == SLOW:
            time.sleep(1.5)
        if nip == BROKEN:
            return self._send(200, b"<html>Gateway</html>", raw=True)
        if nip == FAILING:
            return self._send(503, {"message": "Service Unavailable"})
        if nip == LIMITED:
            return self._send(429, {"message": "rate limit"}, {"Retry-After": "120"})
        if nip == UNKNOWN:
            return self._send(404, {"code": 0, "data": "Data tidak ditemukan"})
        if nip == OTHER:
            return self._send(200, {"data": {"nipBaru": OTHER, "nama": "Tanpa Tanggal", "tmtPensiun": "kemarin"}})
        return self._send(
            200,
            {
                "success": True,
                "data": {
                    "id": "A1B2", "nipBaru": nip, "nipLama": "", "nama": "BUDI SANTOSO", "gelarDepan": "Dr.",
                    "gelarBelakang": "S.H., M.H.", "jabatanNama": "Kepala Biro Umum",
                    "instansiKerjaNama": "Kementerian Dalam Negeri", "instansiIndukNama": "Kementerian Dalam Negeri",
                    "jenisPegawaiNama": "PNS Pusat", "kedudukanPnsNama": "Aktif", "tmtPensiun": "01-10-2044",
                },
            },
        )  # fmt: skip


@pytest.fixture
def siasn():
    Siasn.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Siasn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    yield reg.SiasnRegister(base, f"{base}/oauth2/token", "kunci", "rahasia", "sso-token", timeout=0.5)
    server.shutdown()
    server.server_close()


def _person(nip):
    return db.session.scalar(select(Person).where(Person.nip == nip))


def test_the_client_fills_a_person_from_siasn(siasn, app, monkeypatch):
    monkeypatch.setitem(app.config, "REGISTER_BREAKER_FAILURES", 10)
    cast = make_cast()
    case_in(cast, S.REPORTED)
    report = reg.refresh_people(siasn)
    db.session.commit()
    assert (report.asked, report.found, report.failed) == (1, 1, 0)
    person = _person(NIP)
    assert person.name == "Dr. BUDI SANTOSO, S.H., M.H."
    assert (person.position, person.register_agency_name, person.register_status) == (
        "Kepala Biro Umum", "Kementerian Dalam Negeri", "Aktif",
    )  # fmt: skip
    assert person.retirement_on == date(2044, 10, 1) and person.employment_type == "pns"
    assert person.register_source == "siasn" and person.register_found is True
    assert Siasn.calls == ["token", NIP]
    # Asked again only once stale; the token is reused.
    assert reg.refresh_people(siasn).asked == 0
    assert siasn.fetch(NIP) is not None and Siasn.calls == ["token", NIP, NIP]


def test_an_unknown_nip_is_recorded_as_not_found(siasn):
    assert siasn.fetch(UNKNOWN) is None


@pytest.mark.parametrize(
    ("nip", "words"),
    [
        (SLOW, "batas waktu"),
        (BROKEN, "bukan JSON"),
        (FAILING, "503"),
        (LIMITED, "429"),
        (OTHER, "tanggal pensiun"),
    ],
)
def test_a_bad_answer_leaves_the_person_as_it_was(siasn, app, monkeypatch, nip, words):
    monkeypatch.setitem(app.config, "REGISTER_BREAKER_FAILURES", 10)
    cast = make_cast()
    case_in(cast, S.REPORTED, reported_person={"name": "Seperti Dilaporkan", "nip": nip})
    with pytest.raises(reg.RegisterUnavailable, match=words):
        siasn.fetch(nip)
    started = time.monotonic()
    report = reg.refresh_people(siasn)
    db.session.commit()
    assert time.monotonic() - started < 1.4  # the timeout (0.5 s) cut the slow answer short
    assert (report.asked, report.failed, report.found) == (1, 1, 0)
    person = _person(nip)
    assert person.name == "Seperti Dilaporkan" and person.register_checked_at is None


def test_the_breaker_opens_after_failures_and_on_a_rate_limit(siasn, app, monkeypatch):
    monkeypatch.setitem(app.config, "REGISTER_BREAKER_FAILURES", 2)
    cast = make_cast()
    for nip in (FAILING, BROKEN, NIP):
        case_in(cast, S.REPORTED, reported_person={"name": "Calon", "nip": nip})
    report = reg.refresh_people(siasn)
    assert (report.asked, report.failed, report.skipped) == (2, 2, 1)
    assert NIP not in Siasn.calls  # not asked while the breaker is open
    limited = reg.Breaker(5, 300)
    limited.failure(retry_after=120)
    assert not limited.allow()


def test_the_workflow_never_waits_on_the_register(app, client, monkeypatch):
    # A register that never answers in time is configured; logging a case does not ask it.
    monkeypatch.setitem(app.config, "REGISTER_ADAPTER", "siasn")
    dead = {"SIASN_BASE_URL": "http://10.255.255.1", "SIASN_TOKEN_URL": "http://10.255.255.1/t"}
    secrets = {"SIASN_CONSUMER_KEY": "k", "SIASN_CONSUMER_SECRET": "s", "SIASN_SSO_TOKEN": "t"}
    for key, value in {**dead, **secrets}.items():
        monkeypatch.setitem(app.config, key, value)
    cast = make_cast()
    cast.issue_tokens()
    started = time.monotonic()
    response = client.post("/api/v1/cases", json=new_case_payload(cast.agency.id), headers=cast.headers("investigator"))
    assert response.status_code == 201
    assert time.monotonic() - started < 1.0
    assert _person(NIP).register_checked_at is None


def test_the_register_imported_as_a_file(runner, tmp_path: Path):
    cast = make_cast()
    case_in(cast, S.REPORTED)
    path = tmp_path / "register.csv"
    path.write_text(
        "nip;nama;jabatan;instansi;jenis_pegawai;kedudukan;tmt_pensiun\n"
        f"{NIP};Budi Santoso, S.H.;Camat Cibeunying;Pemerintah Kota Bandung;PNS;Aktif;2044-10-01\n"
        f"{OTHER};Ani;Guru;Pemerintah Kab. Garut;PPPK;Aktif;\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["people", "import-register", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 baris" in result.output
    report = reg.refresh_people(reg.FileRegister())
    db.session.commit()
    assert (report.found, report.not_found) == (1, 0)
    person = _person(NIP)
    assert (person.position, person.register_agency_name, person.retirement_on) == (
        "Camat Cibeunying", "Pemerintah Kota Bandung", date(2044, 10, 1),
    )  # fmt: skip
    bad = tmp_path / "bad.csv"
    bad.write_text("nip;nama\n123;X\n", encoding="utf-8")
    refused = runner.invoke(args=["people", "import-register", str(bad)])
    assert refused.exit_code != 0 and "baris 2" in refused.output


def test_the_retention_report(runner):
    cast = make_cast()
    case_in(cast, S.COMPLETED)
    result = runner.invoke(args=["people", "retention"])
    assert result.exit_code == 0, result.output
    assert "Data orang" in result.output and "melewati masa simpan: 0" in result.output
    # Eleven years on, the person (10 years) and the reporter (5 years) of the ended case are past their periods.
    past = {row["key"]: row["past"] for row in retention_report(now=datetime(2037, 12, 1, tzinfo=UTC))}
    assert past == {"person": 1, "lookup": 0, "reporter": 1, "signin": 0}
