"""The national civil-service register, through an adapter: who a NIP is (name, position, agency, employment type,
legal status, retirement) according to BKN, when a register is reachable.

Two implementations of `Register`:

- `SiasnRegister`, a client of BKN's SIASN web services as far as their format is published: an OAuth2
  client-credentials token from the API gateway (`POST {SIASN_TOKEN_URL}`, HTTP Basic with the consumer key and
  secret, `grant_type=client_credentials` → `{access_token, expires_in}`), then `GET {SIASN_BASE_URL}/apisiasn/1.0/
  pns/data-utama/{nip}` with `Authorization: Bearer <gateway token>` and `Auth: bearer <SSO token>`, answering
  `{"data": {nipBaru, nama, gelarDepan, gelarBelakang, jabatanNama, instansiKerjaNama, unorNama,
  jenisPegawaiNama, kedudukanPnsNama, tmtPensiun, ...}}`; an unknown NIP is `404 {"code": 0, "data": "Data tidak
  ditemukan"}`. Read from the open-source SDKs of those services (black-coffee04/ws-siasn-php: PnsService,
  AuthenticationService, HttpClient, Config; the field names also in abedeha/siasn-client and client code of
  other integrators); BKN's own documentation is given to integrating agencies and was not found in public.
- `FileRegister`, for agencies without access: the register imported as a file (`flask people import-register
  FILE`, CSV or XLSX with the columns nip, nama, jabatan, instansi, jenis_pegawai, kedudukan, tmt_pensiun) into
  `register_entries`.

`REGISTER_ADAPTER` chooses (`siasn`, `file`, `none`). The case workflow never calls a register: the scheduler
refreshes people in the background (`refresh_people`, job `register_refresh`), each request with a timeout
(`REGISTER_TIMEOUT_SECONDS`), behind a circuit breaker (`REGISTER_BREAKER_FAILURES` failures in a row open it
for `REGISTER_BREAKER_SECONDS`: no request is sent meanwhile); a 429 opens it for the `Retry-After` it names. A
timeout, a 5xx, a malformed answer or a rate limit leaves the person as it was and is counted, never raised to
the workflow.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import weakref
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from flask import current_app
from sqlalchemy import or_, select

from app.core.clock import utcnow
from app.core.nip import normalize_nip
from app.db import db
from app.models.people import Person, RegisterEntry

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RegisterRecord:
    nip: str
    name: str
    position: str | None
    agency_name: str | None
    employment_type: str | None  # pns | pppk
    status: str | None  # kedudukan hukum: Aktif, Pensiun, Diberhentikan, ...
    retirement_on: date | None


class RegisterUnavailable(Exception):
    """The register did not answer usefully (timeout, 5xx, malformed answer, rate limit, breaker open)."""

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class Register(Protocol):
    name: str

    def fetch(self, nip: str) -> RegisterRecord | None:
        """The register's record of `nip`, None when the register does not know it; RegisterUnavailable when it
        could not say."""


def parse_date(value: Any) -> date | None:
    """SIASN writes dates as dd-mm-yyyy; files may hold ISO dates or Excel dates."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for fmt in ("%d-%m-%Y", "%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"tanggal tidak dikenal: {text!r}")


def employment_of(value: Any) -> str | None:
    text = str(value or "").strip().upper()
    if "PPPK" in text or "P3K" in text:
        return "pppk"
    if "PNS" in text:
        return "pns"
    return None


def clean_text(value: Any, limit: int = 200) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text[:limit] or None


# -- BKN SIASN web services ----------------------------------------------------------------------------------------


class SiasnRegister:
    name = "siasn"

    def __init__(
        self,
        base_url: str,
        token_url: str,
        consumer_key: str,
        consumer_secret: str,
        sso_token: str,
        *,
        timeout: float = 5.0,
    ):
        self.base_url = base_url.rstrip("/")
        self.token_url = token_url
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self.sso_token = sso_token
        self.timeout = timeout
        self._token: str | None = None
        self._token_until = 0.0
        self._lock = threading.Lock()

    def _request(self, request: urllib.request.Request) -> tuple[int, dict[str, str], bytes]:
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - configured URL
                return response.status, dict(response.headers), response.read(1_000_000)
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers or {}), exc.read(1_000_000) if exc.fp else b""
        except TimeoutError as exc:
            raise RegisterUnavailable("register tidak menjawab dalam batas waktu") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise RegisterUnavailable(f"register tidak dapat dihubungi: {exc}") from exc

    @staticmethod
    def _failure(status: int, headers: dict[str, str]) -> RegisterUnavailable:
        if status == 429:
            retry = headers.get("Retry-After") or headers.get("retry-after") or ""
            seconds = float(retry) if retry.strip().isdigit() else None
            return RegisterUnavailable("register membatasi jumlah permintaan (429)", retry_after=seconds)
        return RegisterUnavailable(f"register menjawab {status}")

    def _json(self, body: bytes) -> Any:
        try:
            return json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise RegisterUnavailable("jawaban register bukan JSON yang sah") from exc

    def token(self) -> str:
        with self._lock:
            if self._token and time.monotonic() < self._token_until:
                return self._token
            basic = base64.b64encode(f"{self.consumer_key}:{self.consumer_secret}".encode()).decode()
            request = urllib.request.Request(  # noqa: S310 - configured URL
                self.token_url,
                data=urllib.parse.urlencode({"grant_type": "client_credentials"}).encode(),
                headers={"Authorization": f"Basic {basic}", "Accept": "application/json"},
                method="POST",
            )
            status, headers, body = self._request(request)
            if status != 200:
                raise self._failure(status, headers)
            data = self._json(body)
            token = data.get("access_token") if isinstance(data, dict) else None
            if not isinstance(token, str) or not token:
                raise RegisterUnavailable("jawaban token register tanpa access_token")
            expires = data.get("expires_in")
            lifetime = float(expires) if isinstance(expires, (int, float)) and expires > 0 else 3600.0
            self._token, self._token_until = token, time.monotonic() + max(lifetime - 10, 1)
            return token

    def fetch(self, nip: str) -> RegisterRecord | None:
        value = normalize_nip(nip)
        request = urllib.request.Request(  # noqa: S310 - configured URL
            f"{self.base_url}/apisiasn/1.0/pns/data-utama/{urllib.parse.quote(value)}",
            headers={
                "Authorization": f"Bearer {self.token()}",
                "Auth": f"bearer {self.sso_token}",
                "Accept": "application/json",
            },
        )
        status, headers, body = self._request(request)
        if status == 404:
            data = self._json(body) if body else {}
            if isinstance(data, dict) and data.get("data") == "Data tidak ditemukan":
                return None
            raise RegisterUnavailable("register menjawab 404 tanpa keterangan data")
        if status == 401:
            with self._lock:
                self._token = None  # fetched again next time
        if status != 200:
            raise self._failure(status, headers)
        payload = self._json(body)
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, dict):
            raise RegisterUnavailable("jawaban register tanpa objek data")
        return self.parse(value, data)

    @staticmethod
    def parse(nip: str, data: dict[str, Any]) -> RegisterRecord:
        found = normalize_nip(str(data.get("nipBaru") or ""))
        name = clean_text(data.get("nama"))
        if found != nip or name is None:
            raise RegisterUnavailable("jawaban register tidak memuat NIP atau nama yang diminta")
        title_front, title_back = clean_text(data.get("gelarDepan")), clean_text(data.get("gelarBelakang"))
        full = " ".join(p for p in (title_front, name) if p) + (f", {title_back}" if title_back else "")
        try:
            retirement = parse_date(data.get("tmtPensiun"))
        except ValueError as exc:
            raise RegisterUnavailable("tanggal pensiun pada jawaban register tidak sah") from exc
        return RegisterRecord(
            nip=nip,
            name=full[:200],
            position=clean_text(data.get("jabatanNama") or data.get("jabatanStrukturalNama")),
            agency_name=clean_text(data.get("instansiKerjaNama") or data.get("instansiIndukNama")),
            employment_type=employment_of(data.get("jenisPegawaiNama")),
            status=clean_text(data.get("kedudukanPnsNama"), 100),
            retirement_on=retirement,
        )


# -- the register imported as a file -------------------------------------------------------------------------------


class FileRegister:
    name = "file"

    def fetch(self, nip: str) -> RegisterRecord | None:
        row = db.session.get(RegisterEntry, normalize_nip(nip))
        if row is None:
            return None
        return RegisterRecord(
            nip=row.nip,
            name=row.name,
            position=row.position,
            agency_name=row.agency_name,
            employment_type=row.employment_type,
            status=row.status,
            retirement_on=row.retirement_on,
        )


# -- circuit breaker -----------------------------------------------------------------------------------------------


class Breaker:
    """Open after `failures` failures in a row, for `seconds` (or a 429's Retry-After); one per process."""

    def __init__(self, failures: int, seconds: float):
        self.failures = max(failures, 1)
        self.seconds = seconds
        self.count = 0
        self.open_until = 0.0
        self._lock = threading.Lock()

    def allow(self) -> bool:
        with self._lock:
            return time.monotonic() >= self.open_until

    def success(self) -> None:
        with self._lock:
            self.count = 0

    def failure(self, retry_after: float | None = None) -> None:
        with self._lock:
            self.count += 1
            if retry_after is not None:
                self.open_until = time.monotonic() + retry_after
            elif self.count >= self.failures:
                self.open_until = time.monotonic() + self.seconds
                self.count = 0


# Keyed by the register object itself, and forgotten with it: a key made of `id()` was reused by a later object
# at the same address, which then inherited an earlier register's open breaker.
_BREAKERS: weakref.WeakKeyDictionary[Any, Breaker] = weakref.WeakKeyDictionary()
_ADAPTERS: dict[tuple[Any, ...], Register] = {}


def breaker_for(register: Register) -> Breaker:
    config = current_app.config
    breaker = _BREAKERS.get(register)
    if breaker is None:
        breaker = _BREAKERS[register] = Breaker(
            int(config.get("REGISTER_BREAKER_FAILURES", 3)), float(config.get("REGISTER_BREAKER_SECONDS", 300))
        )
    return breaker


def configured_register() -> Register | None:
    """The adapter `REGISTER_ADAPTER` names, built once per configuration; None for `none` or a SIASN adapter
    without its credentials (logged)."""
    config = current_app.config
    kind = str(config.get("REGISTER_ADAPTER") or "none")
    if kind == "file":
        return _ADAPTERS.setdefault(("file",), FileRegister())
    if kind != "siasn":
        return None
    settings = tuple(
        config.get(k)
        for k in ("SIASN_BASE_URL", "SIASN_TOKEN_URL", "SIASN_CONSUMER_KEY", "SIASN_CONSUMER_SECRET", "SIASN_SSO_TOKEN")
    )
    if not all(settings):
        log.warning("REGISTER_ADAPTER=siasn without SIASN_CONSUMER_KEY, SIASN_CONSUMER_SECRET, SIASN_SSO_TOKEN")
        return None
    key = ("siasn", *settings, config.get("REGISTER_TIMEOUT_SECONDS"))
    if key not in _ADAPTERS:
        base, token_url, consumer_key, consumer_secret, sso = (str(s) for s in settings)
        _ADAPTERS[key] = SiasnRegister(
            base, token_url, consumer_key, consumer_secret, sso,
            timeout=float(config.get("REGISTER_TIMEOUT_SECONDS") or 5),
        )  # fmt: skip
    return _ADAPTERS[key]


# -- refreshing people ---------------------------------------------------------------------------------------------


@dataclass
class RefreshReport:
    asked: int = 0
    found: int = 0
    not_found: int = 0
    failed: int = 0
    skipped: int = 0  # not asked: the breaker was open
    errors: list[str] | None = None


def apply_record(person: Person, record: RegisterRecord | None, source: str, now: datetime) -> None:
    """What the register said about `person`: its data when found (the register speaks for the person from then
    on), and when it was asked. Flushes nothing."""
    person.register_source = source
    person.register_checked_at = now
    person.register_found = record is not None
    if record is None:
        return
    person.name = record.name
    person.position = record.position or person.position
    person.employment_type = record.employment_type or person.employment_type
    person.register_agency_name = record.agency_name
    person.register_status = record.status
    person.retirement_on = record.retirement_on


def refresh_people(
    register: Register | None = None, *, now: datetime | None = None, limit: int | None = None
) -> RefreshReport:
    """Ask the register about the people not asked for `REGISTER_STALE_HOURS` (never asked first), at most
    `limit` (`REGISTER_REFRESH_BATCH`). The database transaction is closed while the register is asked (no lock
    is held while waiting on it); the answers are written at the end. Flushes (the job commits)."""
    register = register or configured_register()
    report = RefreshReport(errors=[])
    if register is None:
        return report
    config = current_app.config
    now = now or utcnow()
    stale = now - timedelta(hours=int(config.get("REGISTER_STALE_HOURS", 24)))
    limit = limit or int(config.get("REGISTER_REFRESH_BATCH", 50))
    nips = list(
        db.session.scalars(
            select(Person.nip)
            .where(Person.merged_into_id.is_(None))
            .where(or_(Person.register_checked_at.is_(None), Person.register_checked_at < stale))
            .order_by(Person.register_checked_at.is_not(None), Person.register_checked_at, Person.id)
            .limit(limit)
        )
    )
    # The file register reads this very database; the web service is asked with no transaction open.
    if register.name != "file":
        db.session.commit()
    breaker = breaker_for(register)
    answers: dict[str, RegisterRecord | None] = {}
    for nip in nips:
        if not breaker.allow():
            report.skipped += 1
            continue
        report.asked += 1
        try:
            answers[nip] = register.fetch(nip)
        except RegisterUnavailable as exc:
            report.failed += 1
            assert report.errors is not None
            report.errors.append(f"{nip}: {exc}")
            breaker.failure(exc.retry_after)
            continue
        breaker.success()
    for nip, record in answers.items():
        person = db.session.scalar(select(Person).where(Person.nip == nip))
        if person is None:
            continue
        apply_record(person, record, register.name, now)
        if record is None:
            report.not_found += 1
        else:
            report.found += 1
    db.session.flush()
    if report.failed:
        log.warning("register refresh: %d of %d requests failed (%s)", report.failed, report.asked,
                    "; ".join((report.errors or [])[:3]))  # fmt: skip
    return report


def register_job() -> Any:
    """The scheduler's job: refresh a batch of people from the configured register."""
    return refresh_people()
