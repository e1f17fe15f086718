"""Apply an event to a case: role, state, version, payload, guards; then status, history, effects, emails.

All in the caller's transaction (flush only). A status changes nowhere else.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from marshmallow import ValidationError

from app.audit.history import append_history, lock_case
from app.core.clock import utcnow
from app.core.states import STATUS_LABELS, CaseEvent, CaseStatus
from app.db import db
from app.errors import DomainError, Forbidden, InvalidTransition, ValidationFailed, VersionConflict
from app.models.auth import User
from app.models.cases import Case
from workflows.effects import Effects, apply_effects, queue_emails
from workflows.transitions import TRANSITIONS, Transition


def _parse_event(event: str | CaseEvent) -> CaseEvent:
    try:
        return CaseEvent(event)
    except ValueError as exc:
        raise ValidationFailed(
            f"Peristiwa tidak dikenal: {event!r}.",
            details={"fields": {"event": [f"pilih salah satu: {', '.join(e.value for e in CaseEvent)}"]}},
        ) from exc


def _guard_error(transition: Transition, case: Case, actor: User, payload: dict[str, Any]) -> DomainError | None:
    for guard in transition.guards:
        error = guard(case, actor, payload)
        if error is not None:
            return error
    return None


def allowed_events(case: Case, user: User) -> list[str]:
    """Events this user may fire on this case now (role, state and payload-free guards)."""
    status = CaseStatus(case.status)
    allowed = []
    for transition in TRANSITIONS.values():
        if status not in transition.sources or user.role not in transition.roles:
            continue
        if _guard_error(transition, case, user, {}) is None:
            allowed.append(transition.event.value)
    return allowed


def fire(
    case: Case,
    event: str | CaseEvent,
    actor: User,
    payload: dict[str, Any] | None = None,
    expected_version: int | None = None,
    *,
    now: datetime | None = None,
) -> Case:
    """Apply `event` to `case` as `actor`. Raises 403 Forbidden, 409 InvalidTransition / VersionConflict,
    422 ValidationFailed (details.fields names each bad field). Flushes; the caller commits."""
    ev = _parse_event(event)
    transition = TRANSITIONS[ev]
    lock_case(case)  # before reading state and version: decisions below are taken on the locked row
    status = CaseStatus(case.status)
    if actor.role not in transition.roles:
        raise Forbidden(
            f"Peran {actor.role} tidak berwenang melakukan '{ev.value}'.",
            details={"allowed_events": allowed_events(case, actor)},
        )
    if status not in transition.sources:
        raise InvalidTransition(
            f"'{ev.value}' tidak dapat dilakukan pada status '{STATUS_LABELS[status]}'.",
            details={"status": status.value, "allowed_events": allowed_events(case, actor)},
        )
    if expected_version is not None and expected_version != case.version:
        raise VersionConflict(
            "Perkara telah diubah oleh pengguna lain; muat ulang dan coba lagi.",
            details={"current_version": case.version, "your_version": expected_version},
        )
    try:
        data = transition.schema().load(payload or {})
    except ValidationError as exc:
        raise ValidationFailed("Data tindakan tidak valid.", details={"fields": exc.messages}) from exc
    error = _guard_error(transition, case, actor, data)
    if error is not None:
        if isinstance(error, (Forbidden, InvalidTransition)):
            error.details.setdefault("allowed_events", allowed_events(case, actor))
        raise error

    now = now or utcnow()
    target = transition.target_from(status)
    # The status and the columns tied to it by CHECK constraints change in one flush, which is also where the
    # version check happens (a concurrent winner makes this UPDATE match no row → StaleDataError → 409).
    with db.session.no_autoflush:
        case._status = target.value
        case.updated_at = now
        fx = Effects(case, actor, data, now)
        apply_effects(ev, fx)
    db.session.flush()
    history_payload = {k: v for k, v in data.items() if v is not None} | fx.history_extra
    row = append_history(case, ev.value, status.value, target.value, actor=actor, payload=history_payload, at=now)
    queue_emails(fx, row.seq)
    return case
