"""The MIME form of an outbox email: a Flask-Mail `Message` (plain text + HTML, stable Message-ID).

Built by the dispatcher when it sends the row, from the subject, text and HTML rendered when the row was
queued; every attempt carries the row's Message-ID, so a retried email is the same email.
"""

from __future__ import annotations

import re
from datetime import datetime
from email.charset import QP, Charset
from email.mime.nonmultipart import MIMENonMultipart
from email.mime.text import MIMEText

from flask_mail import Message

# Longest line (in bytes, without CRLF) a part may carry as 8-bit text (RFC 5321 allows 998).
SMTP_LINE_LIMIT = 990
_QP_UTF8 = Charset("utf-8")
_QP_UTF8.body_encoding = QP
_DATE_HEADER = re.compile(rb"(^|\r\n)Date: [^\r\n]*(?:\r\n[ \t][^\r\n]*)*")


class OutboxMail(Message):
    """A Flask-Mail message whose parts never break SMTP's line limit.

    Flask-Mail sends UTF-8 parts as raw 8-bit text, so a part with a line longer than 998 bytes (a long
    reason typed as one paragraph, an HTML paragraph) would be refused or cut by the server; such a part is
    encoded quoted-printable instead. Short-lined parts stay 8-bit (readable, and cheaper to build).
    """

    def _mimetext(self, text: str | None, subtype: str = "plain") -> MIMEText:
        if text and max((len(line.encode()) for line in text.splitlines()), default=0) > SMTP_LINE_LIMIT:
            # MIMEText looks the charset up in the registry, where Flask-Mail made UTF-8 8-bit; a part
            # built without one and given an explicit quoted-printable charset is encoded as asked.
            part = MIMENonMultipart("text", subtype)
            part.set_payload(text, _QP_UTF8)
            return part  # type: ignore[return-value]
        return super()._mimetext(text, subtype)


def build_message(
    *,
    subject: str,
    recipient: str,
    body_text: str,
    body_html: str | None,
    message_id: str,
    sender: str,
    kind: str,
    when: datetime | None = None,
) -> OutboxMail:
    """The Flask-Mail message of one outbox row, with the row's Message-ID (never a second one)."""
    message = OutboxMail(
        subject=subject,
        recipients=[recipient],
        body=body_text,
        html=body_html,
        sender=sender,
        date=when.timestamp() if when is not None else None,
        extra_headers={"Auto-Submitted": "auto-generated", "X-Tindak-Kind": kind},
    )
    message.msgId = message_id
    return message
