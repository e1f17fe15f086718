"""A real SMTP server in the test process (aiosmtpd), and a guard against any other SMTP connection.

`smtp_server` starts an aiosmtpd `Controller` on 127.0.0.1 and a free port, points the app's
`MAIL_SERVER` / `MAIL_PORT` at it for the test, and records every accepted message. Its handler can be
told to answer 4xx/5xx for the next N messages, and the server can be stopped (connections refused)
and started again on the same port.

The autouse guard makes any test fail that opens an SMTP connection to anything but a server started
by this fixture (a dispatcher left pointing at a real relay, a forgotten `mail.send`).
"""

from __future__ import annotations

import email
import email.policy
import smtplib
import socket
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask

_ALLOWED: set[tuple[str, int]] = set()
_LOCALHOST = "127.0.0.1"


class SmtpConnectionNotAllowed(BaseException):  # noqa: N818 - BaseException: library code must not swallow it
    """A test opened an SMTP connection to something other than the test server."""


@dataclass(frozen=True)
class Delivery:
    """One message accepted by the test server."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    # The client's address and port: one value per SMTP connection.
    peer: Any = None

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])


class RecordingHandler:
    """aiosmtpd handler: records envelopes; can refuse the next messages with a given reply."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.deliveries: list[Delivery] = []
        self._failures: deque[tuple[str, str]] = deque()

    def fail_next(self, count: int, reply: str = "451 4.3.0 Coba lagi nanti", *, stage: str = "rcpt") -> None:
        """Answer `reply` (e.g. "451 …", "550 …") at RCPT or DATA for the next `count` messages."""
        assert stage in {"rcpt", "data"}
        with self._lock:
            self._failures.extend([(stage, reply)] * count)

    def _take_failure(self, stage: str) -> str | None:
        with self._lock:
            if self._failures and self._failures[0][0] == stage:
                return self._failures.popleft()[1]
        return None

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:  # noqa: N802
        failure = self._take_failure("rcpt")
        if failure:
            return failure
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        failure = self._take_failure("data")
        if failure:
            return failure
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode()
        with self._lock:
            self.deliveries.append(Delivery(envelope.mail_from, tuple(envelope.rcpt_tos), raw, session.peer))
        return "250 2.0.0 Pesan diterima"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((_LOCALHOST, 0))
        return int(sock.getsockname()[1])


class SmtpTestServer:
    """An aiosmtpd server on a fixed port that can be stopped and started again."""

    def __init__(self, port: int | None = None, **controller_options: Any) -> None:
        self.host = _LOCALHOST
        self.port = port or free_port()
        self.handler = RecordingHandler()
        self.controller_options = controller_options
        self._controller: Controller | None = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        if self._controller is None:
            # A stopped controller's event loop is closed, so each start builds a new one.
            controller = Controller(self.handler, hostname=self.host, port=self.port, **self.controller_options)
            controller.start()
            self._controller = controller

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def restart(self, **controller_options: Any) -> None:
        """Start again on the same port with other aiosmtpd options (e.g. an authenticator)."""
        self.stop()
        self.controller_options = controller_options
        self.start()

    @property
    def deliveries(self) -> list[Delivery]:
        with self.handler._lock:
            return list(self.handler.deliveries)

    def fail_next(self, count: int, reply: str = "451 4.3.0 Coba lagi nanti", *, stage: str = "rcpt") -> None:
        self.handler.fail_next(count, reply, stage=stage)

    def to(self, recipient: str) -> list[Delivery]:
        return [d for d in self.deliveries if recipient in d.rcpt_tos]


def allow_smtp(host: str, port: int) -> None:
    _ALLOWED.add((host, port))


def disallow_smtp(host: str, port: int) -> None:
    _ALLOWED.discard((host, port))


class SmtpGuard:
    """What the guard saw: the refused connection targets (the test fails at teardown if any remain)."""

    def __init__(self) -> None:
        self.violations: list[str] = []


@pytest.fixture(autouse=True)
def smtp_guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpGuard]:
    """Fail the test when code opens an SMTP connection anywhere but to a test server."""
    guard = SmtpGuard()
    violations = guard.violations
    original_connect = smtplib.SMTP.connect

    def guarded_connect(self: smtplib.SMTP, host: str = "localhost", port: int = 0, source_address: Any = None) -> Any:
        target_host, target_port = host, port
        if not port and ":" in host and host.rfind(":") == host.find(":"):
            target_host, _, port_text = host.partition(":")
            target_port = int(port_text) if port_text.isdigit() else 0
        target_port = target_port or smtplib.SMTP_PORT
        if (target_host, int(target_port)) not in _ALLOWED:
            violations.append(f"{target_host}:{target_port}")
            raise SmtpConnectionNotAllowed(
                f"test opened an SMTP connection to {target_host}:{target_port}; use the smtp_server fixture"
            )
        return original_connect(self, host, port, source_address)

    monkeypatch.setattr(smtplib.SMTP, "connect", guarded_connect)
    yield guard
    if violations:
        pytest.fail(f"unexpected SMTP connection(s) to {', '.join(violations)}")


@pytest.fixture
def smtp_server(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpTestServer]:
    """A running test SMTP server; the app sends to it for the duration of the test."""
    server = SmtpTestServer()
    allow_smtp(server.host, server.port)
    monkeypatch.setitem(app.config, "MAIL_SERVER", server.host)
    monkeypatch.setitem(app.config, "MAIL_PORT", server.port)
    monkeypatch.setitem(app.config, "MAIL_USE_TLS", False)
    monkeypatch.setitem(app.config, "MAIL_USE_SSL", False)
    monkeypatch.setitem(app.config, "MAIL_SUPPRESS_SEND", False)
    state = app.extensions.get("mail")
    if state is not None:
        monkeypatch.setattr(state, "server", server.host)
        monkeypatch.setattr(state, "port", server.port)
        monkeypatch.setattr(state, "suppress", False)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        disallow_smtp(server.host, server.port)
