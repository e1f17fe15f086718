"""What a case page says when a form cannot go through, in words and without losing what was typed.

- An edit conflict (the case changed since the form was opened: `VersionConflict`, a status the event no longer
  leaves, `StaleDataError` at flush): what changed and by whom (the last history row that changed the case, its
  event and actor as the viewer may see them), the status now, and whether the action is still possible.
- Another refusal (a rule of the workflow): its message, with the event and the status by their labels.
- An upload over the size limit (413): the limit in MB; the text fields of the refused request are read (the files
  thrown away, up to a bound) so that the form comes back filled in.
- An action held back by the four-eyes rule: said where the action would be.
"""

from __future__ import annotations

from typing import IO, Any

from flask import request
from flask_babel import gettext
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import MultiDict
from werkzeug.formparser import FormDataParser
from werkzeug.wsgi import get_input_stream

from app.agencies.authority import role_labels
from app.cases import history_words, services
from app.core.states import STATUS_LABELS, CaseEvent, CaseStatus
from app.core.vocab import Role
from app.errors import Forbidden, InvalidTransition, VersionConflict, size_words, upload_limit
from app.i18n import format_instant
from app.models.auth import User
from app.models.cases import Case
from app.web.filters import current_locale, label
from workflows import TRANSITIONS, allowed_events, guards
from workflows.transitions import Transition

# A request over the limit is read (files discarded) only up to this many times the limit, to give the typed
# text back; past it the form comes back empty rather than the server reading without end.
DRAIN_FACTOR = 4
# History rows that change the case's version (the sweep, uploads and blocks do not).
VERSION_EVENTS = frozenset({*CaseEvent._value2member_map_, "create", "update", "imported"})


# -- edit conflicts ------------------------------------------------------------------------------------------------


def is_edit_conflict(exc: BaseException, case: Case, submitted_version: Any) -> bool:
    """Whether a refusal comes from someone else's change since the form was read."""
    if isinstance(exc, (VersionConflict, StaleDataError)):
        return True
    return str(submitted_version).isdigit() and int(submitted_version) != case.version


def edit_conflict(case: Case, event: str | None, user: User) -> dict[str, Any]:
    """What to tell a user whose form met a newer case: the change, by whom and when, the status now, and whether
    the event can still be sent (then the form is sent again against the case as it is now). `event` None: the
    form is the edit of the report (its page decides whether it is still possible)."""
    rows = [r for r in services.case_history(case, user) if r["event"] in VERSION_EVENTS]
    last = rows[-1] if rows else None
    return {
        "change": history_words.event_title(last["event"], last["payload"] or {}) if last else None,
        "actor": history_words.actor_words([last])[last["seq"]] if last else None,
        "when": format_instant(last["created_at"], locale=current_locale()) if last else None,
        "status": label(STATUS_LABELS, case.status),
        "still_allowed": event in allowed_events(case, user) if event else True,
        "action": gettext(TRANSITIONS[CaseEvent(event)].label) if event else gettext("Ubah data perkara"),
    }


def refusal_words(exc: BaseException, case: Case, event: str | None) -> str:
    """A refusal of the workflow in words: the role and state checks name the event and the status by their
    labels (their own messages carry keys for API clients); a guard's message is already worded. `event` None:
    a refusal outside the transition table (an edit of the report), already worded."""
    if event is None:
        return gettext(getattr(exc, "message", "") or str(exc))
    action = gettext(TRANSITIONS[CaseEvent(event)].label)
    if isinstance(exc, Forbidden) and exc.code == "forbidden":
        return gettext("Tindakan \u201c%(action)s\u201d tidak termasuk wewenang peran Anda.", action=action)
    if isinstance(exc, InvalidTransition) and exc.code == "invalid_transition" and "status" in exc.details:
        status = label(STATUS_LABELS, case.status)
        return gettext(
            "Tindakan \u201c%(action)s\u201d tidak dapat dilakukan pada status %(status)s.",
            action=action,
            status=status,
        )
    return gettext(getattr(exc, "message", "") or str(exc))


# -- uploads over the limit ----------------------------------------------------------------------------------------


def upload_limit_words() -> str:
    return size_words(upload_limit())


def too_large_message() -> str:
    return gettext(
        "Berkas melebihi batas unggah %(size)s. Pilih berkas yang lebih kecil (misalnya PDF yang dikompres), "
        "lalu kirim lagi.",
        size=upload_limit_words(),
    )


class _Discard:
    """Where the files of a refused upload go: nowhere."""

    def write(self, data: bytes) -> int:
        return len(data)

    def seek(self, *args: Any) -> int:
        return 0

    def read(self, *args: Any) -> bytes:
        return b""


def _discard(*args: Any, **kwargs: Any) -> IO[bytes]:
    return _Discard()  # type: ignore[return-value]


def typed_fields() -> MultiDict[str, str]:
    """The text fields of a request refused for its size, its files thrown away: so that the form comes back as
    the user filled it in. Empty when the request is far over the limit or not a form."""
    length = request.content_length
    if length is None or length > DRAIN_FACTOR * upload_limit():
        return MultiDict()
    stream = get_input_stream(request.environ, max_content_length=None)
    parser = FormDataParser(stream_factory=_discard, max_form_memory_size=1024 * 1024, max_form_parts=200)
    try:
        _, form, _ = parser.parse(stream, request.mimetype, length, request.mimetype_params)
    except Exception:  # noqa: BLE001 - a malformed body: the form comes back empty, the limit is still said
        return MultiDict()
    form.pop("csrf_token", None)
    return form


# -- the four-eyes rule --------------------------------------------------------------------------------------------


def held_back(case: Case, user: User) -> list[dict[str, str]]:
    """Actions the user's role could take now that the four-eyes rule holds back (the recommendation they drafted
    themselves): said where the action would be, instead of the action disappearing without a word."""
    status = CaseStatus(case.status)
    notes = []
    for transition in TRANSITIONS.values():
        if status in transition.sources and user.role in transition.roles and _four_eyes_holds(transition, case, user):
            signer = label(role_labels(), Role.COMMISSIONER.value).lower()
            notes.append(
                {
                    "event": transition.event.value,
                    "label": gettext(transition.label),
                    "note": gettext(
                        "Prinsip empat mata: draf ini Anda susun sendiri, sehingga rekomendasi diterbitkan oleh "
                        "%(signer)s lain.",
                        signer=signer,
                    ),
                }
            )
    return notes


def _four_eyes_holds(transition: Transition, case: Case, user: User) -> bool:
    return guards.four_eyes in transition.guards and guards.four_eyes(case, user, {}) is not None
