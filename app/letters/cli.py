"""`flask mail test`: a test email, rendered like the case emails, sent straight through SMTP."""

from __future__ import annotations

import smtplib

import click

from app.letters.context import build_context
from notifications.dispatcher import PermanentFailure, TemporaryFailure, describe_error, send_test_message


@click.group("mail", help="Pengaturan email.")
def mail() -> None:
    pass


@mail.command("test", help="Kirim email uji langsung lewat server SMTP yang dikonfigurasi (tanpa outbox).")
@click.argument("email")
def test(email: str) -> None:
    """Send a test email directly through the configured SMTP server (not through the outbox)."""
    try:
        message_id = send_test_message(email, build_context("mail_test", case=None, extra={}))
    except (PermanentFailure, TemporaryFailure, smtplib.SMTPException, OSError) as exc:
        raise click.ClickException(f"Email uji gagal dikirim ke {email}: {describe_error(exc)}") from exc
    click.echo(f"Email uji terkirim ke {email} (Message-ID {message_id}).")


commands = [mail]
