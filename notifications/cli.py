"""`flask outbox send|list|retry` (`flask mail test EMAIL` is app.letters.cli: it renders like the case emails)."""

from __future__ import annotations

import click

from app.db import unit_of_work
from app.errors import DomainError
from app.models.outbox import OUTBOX_STATUSES
from notifications import services
from notifications.dispatcher import dispatch_all


@click.group("outbox", help="Kotak keluar email: kirim, lihat, dan kirim ulang.")
def outbox() -> None:
    pass


@outbox.command("send", help="Kirim sekarang semua email yang sudah jatuh waktu, batch demi batch.")
@click.option(
    "--batch-size", type=click.IntRange(min=1), default=None, help="Jumlah email per batch (bawaan: OUTBOX_BATCH_SIZE)."
)
def send(batch_size: int | None) -> None:
    """Send every due email now, batch after batch, and print the counts."""
    result = dispatch_all(batch_size=batch_size)
    click.echo(
        f"Terkirim: {result['sent']}, dijadwalkan ulang: {result['retried']}, "
        f"gagal permanen: {result['dead']}, diambil alih: {result['reclaimed']}"
    )
    counts = services.outbox_counts()
    click.echo(
        f"Antrean sekarang — menunggu: {counts['pending']}, sedang dikirim: {counts['sending']}, "
        f"terkirim: {counts['sent']}, gagal: {counts['dead']}"
    )


@outbox.command("list", help="Tampilkan pesan outbox, yang terbaru lebih dulu.")
@click.option("--status", type=click.Choice(OUTBOX_STATUSES), default=None, help="Hanya pesan berstatus ini.")
@click.option("--limit", type=click.IntRange(min=1, max=1000), default=50, show_default=True, help="Jumlah baris.")
def list_(status: str | None, limit: int) -> None:
    """List outbox rows, newest first."""
    rows, _ = services.list_messages(status, limit, None)
    if not rows:
        click.echo("Tidak ada pesan" + (f" berstatus {status}." if status else "."))
        return
    for item in (services.message_dump(row) for row in rows):
        when = item["sent_at"] or item["next_attempt_at"]
        click.echo(
            f"#{item['id']}\t{item['status']}\t{item['attempts']}x\t{when:%Y-%m-%d %H:%M}Z\t"
            f"{item['kind']}\t{item['recipient']}\t{item['subject']}"
        )
        if item["last_error"] and item["status"] != "sent":
            click.echo(f"\tgalat terakhir: {item['last_error']}")


@outbox.command("retry", help="Masukkan kembali email yang gagal ke antrean.")
@click.argument("message_id", type=int)
def retry(message_id: int) -> None:
    """Put a dead email back in the queue."""
    try:
        with unit_of_work():
            message = services.retry_message(message_id)
            recipient = message.recipient
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"Pesan #{message_id} untuk {recipient} dijadwalkan untuk dikirim ulang.")


commands = [outbox]
