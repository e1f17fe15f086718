"""The words of each notice kind (Indonesian; the English catalogue behind the language switch and for the
digest of a user whose language is English)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext, lazy_gettext

from app.core.vocab import BODY_LABELS

KIND_LABELS: dict[str, Any] = {
    "draft_waiting": lazy_gettext("Draf rekomendasi menunggu penerbitan"),
    "recommendation_issued": lazy_gettext("Rekomendasi diterbitkan"),
    "acknowledged": lazy_gettext("PPK menyatakan telah menerima rekomendasi"),
    "clarification_requested": lazy_gettext("PPK meminta klarifikasi"),
    "clarification_answered": lazy_gettext("Klarifikasi dijawab"),
    "follow_up_reported": lazy_gettext("PPK melaporkan tindak lanjut"),
    "follow_up_accepted": lazy_gettext("Tindak lanjut diterima"),
    "follow_up_rejected": lazy_gettext("Tindak lanjut ditolak"),
    "deadline_extended": lazy_gettext("Tenggat diperpanjang"),
    "escalated": lazy_gettext("Perkara dieskalasi"),
    "case_assigned": lazy_gettext("Perkara ditugaskan kepada Anda"),
    "case_reassigned": lazy_gettext("Perkara dialihkan kepada penyelidik lain"),
}


def kind_label(kind: str) -> str:
    text = KIND_LABELS.get(kind)
    return str(text) if text is not None else gettext("Perubahan pada perkara")


def detail(kind: str, data: dict[str, Any]) -> str:
    """A short line beside the label (an escalation's level and ministry), or ''."""
    if kind != "escalated" or not isinstance(data.get("level"), int):
        return ""
    body = data.get("body")
    for key, text in BODY_LABELS.items():
        if body and (key == body or getattr(key, "value", None) == body):
            return gettext("Level %(level)s, kepada %(body)s", level=data["level"], body=gettext(text))
    return gettext("Level %(level)s", level=data["level"])
