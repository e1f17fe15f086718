"""What each event does besides changing the status: records, the deadline clock, and the emails.

Everything here runs inside the caller's transaction and only flushes; emails become outbox rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.agencies.authority import AuthorityProfile, authority_name_on, issuer_profile, profile_for
from app.agencies.services import ppk_recipients, routed_body
from app.calendar.working_days import (
    DEFAULT_TIMEZONE,
    Calendar,
    due_at_for,
    follow_up_rule,
    local_today,
    working_days_between,
)
from app.core.states import CaseEvent
from app.core.vocab import Role, is_lighter
from app.db import db
from app.escalations.ladder import AUTHORITY_LEVEL, Rung, for_authority, ladder_of, working_hours
from app.escalations.routing import CENTRAL_TIMEZONE, TARGETS, authority_target, target_recipients
from app.letters.forwarders import forwarder_notices
from app.letters.mail import CaseEmail, enqueue_many
from app.letters.numbering import number_recommendation_letter
from app.models.agencies import Agency
from app.models.auth import User
from app.models.cases import Case, Clarification, FollowUp, Recommendation
from app.models.escalations import EscalationStep
from app.models.people import holder_on

RESOLVED_KIND = "escalation_resolved"  # the ministry is told that the PPK has acted


class Effects:
    """Context of one applied event."""

    def __init__(self, case: Case, actor: User, data: dict[str, Any], now: datetime):
        self.case = case
        self.actor = actor
        self.data = data
        self.now = now
        self.agency: Agency = db.session.get(Agency, case.agency_id)  # type: ignore[assignment]
        self.history_extra: dict[str, Any] = {}
        self.emails: list[CaseEmail] = []

    # -- helpers -----------------------------------------------------------------------------------------
    @property
    def recommendation(self) -> Recommendation | None:
        return db.session.scalar(select(Recommendation).where(Recommendation.case_id == self.case.id))

    def _require_recommendation(self) -> Recommendation:
        rec = self.recommendation
        if rec is None:  # the state machine makes this impossible; guard against corrupted data
            raise RuntimeError(f"case {self.case.number} has no recommendation")
        return rec

    def local_today(self) -> date:

        return local_today(self.agency, self.now)

    def start_clock(self, rec: Recommendation, received_on: date, *, new_cycle: bool) -> None:
        """Set the deadline from a receipt day (DESIGN §3); a new cycle restarts the escalation ladder."""

        days, rule_code, legal_source = follow_up_rule(received_on)
        rec.received_on = received_on
        rec.working_days = days
        rec.deadline_rule_code = rule_code
        self._recompute_due(rec)
        if new_cycle:
            rec.cycle = (rec.cycle or 0) + 1
            rec.escalation_level = None
        rec.is_open = True
        rec.paused_at = None
        rec.followed_up_at = None
        self.history_extra.update(
            {"received_on": received_on, "working_days": days, "rule": rule_code, "legal_source": legal_source}
        )

    def _recompute_due(self, rec: Recommendation) -> None:

        assert rec.received_on is not None and rec.working_days is not None
        rec.due_at, rec.due_calendar_version = due_at_for(self.agency, rec.received_on, rec.working_days)
        self.history_extra.update({"due_at": rec.due_at, "calendar_version": rec.due_calendar_version})

    def kasn_recipients(self, rec: Recommendation | None = None) -> list[str]:
        ids = {self.case.created_by_id}
        if rec is not None:
            ids |= {rec.drafted_by_id, rec.issued_by_id}
        ids.discard(None)
        if not ids:
            return []
        return list(db.session.scalars(select(User.email).where(User.id.in_(ids), User.is_active.is_(True))))

    def commissioner_recipients(self, rec: Recommendation | None) -> list[str]:
        emails = set(self.kasn_recipients(rec))
        if rec is not None and rec.issued_by_id is None:
            emails |= set(
                db.session.scalars(select(User.email).where(User.role == Role.COMMISSIONER, User.is_active.is_(True)))
            )
        return sorted(emails)

    def email(self, kind: str, recipients: list[str], **extra: Any) -> None:
        """Queue `kind` with the event (keyed by the event's history entry when it is written)."""
        self.emails.append(CaseEmail(kind, self.case, recipients, "", extra))


# -- one function per event ----------------------------------------------------------------------------------


def _dismiss(fx: Effects) -> None:
    fx.case.dismiss_reason = fx.data["reason"]
    fx.case.closed_at = fx.now


def _draft(fx: Effects) -> None:
    rec = fx.recommendation
    if rec is None:
        rec = Recommendation(case_id=fx.case.id, agency_id=fx.case.agency_id)
        db.session.add(rec)
    rec.sanction = fx.data["sanction"]
    rec.sanction_form = fx.data.get("sanction_form")
    rec.legal_basis = fx.data["legal_basis"]
    rec.text = fx.data["text"]
    rec.drafted_by_id = fx.actor.id
    rec.drafted_at = fx.now


def _issue(fx: Effects) -> None:

    rec = fx._require_recommendation()
    rec.issued_by_id = fx.actor.id
    rec.issued_at = fx.now
    rec.authority_name = authority_name_on(fx.now.date())
    fx.case.issued_at = fx.case.issued_at or fx.now
    # Receipt is the day of issue: the recommendation reaches the PPK through the system that day.
    today = fx.local_today()
    # The letter's number: the next of its authority's series for the year (a number typed into the API only
    # where the authority numbers its letters itself), recorded in the history row.
    profile = profile_for(rec.authority_name, today)
    letter = number_recommendation_letter(fx.case, profile, fx.actor, today, fx.now, fx.data.get("letter_number"))
    rec.letter_number = fx.history_extra["letter_number"] = letter.number
    # The PPK office holder it is addressed to: the one in office on the day of issue, when the agency records them.
    holder = holder_on(fx.case.agency_id, today)
    rec.addressed_holder_id = holder.id if holder is not None else None
    fx.start_clock(rec, today, new_cycle=False)
    fx.email("recommendation_issued", ppk_recipients(fx.agency), letter_number=rec.letter_number)
    fx.emails.extend(forwarder_notices(fx.case, "forwarded_recommendation_issued"))  # the offices that forwarded it


def _acknowledge(fx: Effects) -> None:
    rec = fx._require_recommendation()
    rec.acknowledged_at = fx.now


def _record_receipt(fx: Effects) -> None:
    rec = fx._require_recommendation()
    rec.received_on = fx.data["received_on"]
    fx._recompute_due(rec)
    fx.email("receipt_recorded", ppk_recipients(fx.agency), received_on=rec.received_on)


def _extend(fx: Effects) -> None:
    rec = fx._require_recommendation()
    rec.working_days = (rec.working_days or 0) + fx.data["working_days"]
    fx._recompute_due(rec)
    fx.email(
        "deadline_extended",
        ppk_recipients(fx.agency),
        working_days=fx.data["working_days"],
        reason=fx.data["reason"],
        letter_number=fx.data["letter_number"],
    )


def _request_clarification(fx: Effects) -> None:
    rec = fx._require_recommendation()
    rec.is_open = False  # the clock pauses until KASN answers
    rec.paused_at = fx.now
    db.session.add(
        Clarification(
            case_id=fx.case.id,
            letter_number=fx.data["letter_number"],
            reason=fx.data["reason"],
            document_id=fx.data.get("document_id"),
            requested_by_id=fx.actor.id,
            requested_at=fx.now,
        )
    )
    fx.email(
        "clarification_requested",
        fx.commissioner_recipients(rec),
        letter_number=fx.data["letter_number"],
        reason=fx.data["reason"],
    )


def _answer_clarification(fx: Effects) -> None:
    rec = fx._require_recommendation()
    clarification = db.session.scalar(
        select(Clarification)
        .where(Clarification.case_id == fx.case.id, Clarification.answered_at.is_(None))
        .order_by(Clarification.id.desc())
    )
    if clarification is not None:
        clarification.outcome = fx.data["outcome"]
        clarification.reply_letter_number = fx.data["letter_number"]
        clarification.answered_by_id = fx.actor.id
        clarification.answered_at = fx.now
    if fx.data["outcome"] == "revised":
        fx.history_extra["previous_sanction"] = rec.sanction
        rec.sanction = fx.data["sanction"]
        rec.sanction_form = fx.data.get("sanction_form")
        if clarification is not None:
            clarification.revised_sanction = rec.sanction
    fx.start_clock(rec, fx.local_today(), new_cycle=True)
    fx.email(
        "clarification_answered",
        ppk_recipients(fx.agency),
        outcome=fx.data["outcome"],
        letter_number=fx.data["letter_number"],
        reason=fx.data.get("reason"),
    )


def _report_follow_up(fx: Effects) -> None:

    rec = fx._require_recommendation()
    late = rec.is_past_due(fx.now)
    taken = working_days_between(rec.received_on, fx.local_today(), fx.agency.id) if rec.received_on else None
    follow_up = FollowUp(
        case_id=fx.case.id,
        decision_number=fx.data["decision_number"],
        decision_date=fx.data["decision_date"],
        sanction_imposed=fx.data["sanction_imposed"],
        sanction_form=fx.data.get("sanction_form"),
        note=fx.data.get("note"),
        is_lighter=is_lighter(fx.data["sanction_imposed"], rec.sanction),
        is_late=late,
        working_days_taken=taken,
        document_id=fx.data.get("document_id"),
        reported_by_id=fx.actor.id,
        reported_at=fx.now,
    )
    db.session.add(follow_up)
    rec.is_open = False  # reporting stops the clock, even late
    rec.followed_up_at = fx.now
    fx.history_extra.update({"is_lighter": follow_up.is_lighter, "is_late": late, "working_days_taken": taken})
    fx.email(
        "follow_up_reported",
        fx.kasn_recipients(rec),
        decision_number=follow_up.decision_number,
        sanction_imposed=follow_up.sanction_imposed,
        is_lighter=follow_up.is_lighter,
        is_late=late,
    )
    fx.emails.extend(forwarder_notices(fx.case, "forwarded_followed_up"))  # the offices that forwarded it
    db.session.flush()
    for email in resolve_escalation(fx.case, now=fx.now):
        fx.emails.append(email)


def _told_at(rung: Rung, rec: Recommendation, case: Case) -> list[str]:
    """The official recipients (escalation targets) a rung above the ministry wrote to: at level 3 those the
    issuing authority's row names, as the sweep addressed its final report."""
    authority = None
    if rung.level == AUTHORITY_LEVEL:
        authority = _issuing_authority(rec, case)
        rung = for_authority(rung, authority.level3_to, authority.level3_cc)
    recipients: list[str] = []
    for rule in rung.recipients_rules:
        if rule == "authority" and authority is not None and authority.mailboxes:
            recipients += list(authority.mailboxes)
        elif rule == "authority":
            recipients += target_recipients(authority_target(authority))
        elif rule in TARGETS:
            recipients += target_recipients(rule)
    return recipients


def _issuing_authority(rec: Recommendation, case: Case) -> AuthorityProfile:
    """The authority that issued `rec`, as on its day of issue in the agency's zone (as the sweep reads it)."""
    agency = db.session.get(Agency, case.agency_id)
    zone = agency.timezone if agency is not None else DEFAULT_TIMEZONE
    return issuer_profile(rec.authority_name, rec.issued_at or rec.due_at, zone)


def resolve_escalation(case: Case, *, now: datetime) -> list[CaseEmail]:
    """The PPK reported its follow-up: close the open steps of the current cycle and, when the case had been
    escalated to a ministry (level 2 by default), the email that tells that ministry (and, after the final
    report, the official recipients of the levels above it: the authority and BKN by default) that the PPK has
    acted, sent from the ministry's next working hour. Idempotent: its key is the recommendation's cycle."""
    # Lock the recommendation first: a sweep batch holding it commits before we read its steps.
    rec = db.session.scalar(select(Recommendation).where(Recommendation.case_id == case.id).with_for_update())
    if rec is None:
        return []
    steps = list(
        db.session.scalars(
            select(EscalationStep)
            .where(EscalationStep.recommendation_id == rec.id, EscalationStep.cycle == rec.cycle)
            .order_by(EscalationStep.level)
        )
    )
    for step in steps:
        if step.resolved_at is None:
            step.resolved_at = now
    db.session.flush()
    ladder = ladder_of(_issuing_authority(rec, case).ladder)  # the ladder this recommendation climbed
    reached = {s.level for s in steps}
    # The first level that involves the ministry; the PPK acting is news to it and to the levels after it.
    ministry_levels = [r.level for r in ladder if "ministry" in r.recipients_rules]
    if not ministry_levels or not reached or max(reached) < ministry_levels[0]:
        return []
    top = max(reached)
    body = next((s.body for s in reversed(steps) if s.body), None)
    if body is None:
        agency = db.session.get(Agency, case.agency_id)
        assert agency is not None  # the case's foreign key
        body = routed_body(agency)
    recipients = list(target_recipients(body))
    for rung in ladder:
        if ministry_levels[0] < rung.level <= top:
            recipients += _told_at(rung, rec, case)
    if not recipients:
        return []
    start, end = working_hours()
    extra = {
        "level": top,
        "body": body,
        "cycle": rec.cycle,
        "due_at": rec.due_at.isoformat() if rec.due_at else None,
        "followed_up_at": (rec.followed_up_at or now).isoformat(),
        "is_late": rec.is_past_due(rec.followed_up_at or now),
    }
    send_after = Calendar.load().next_working_moment(now, CENTRAL_TIMEZONE, None, start, end)
    return [CaseEmail(RESOLVED_KIND, case, recipients, f"esc:{rec.id}:{rec.cycle}:resolved", extra, send_after)]


def _latest_follow_up(fx: Effects) -> FollowUp:
    row = db.session.scalar(
        select(FollowUp).where(FollowUp.case_id == fx.case.id, FollowUp.verdict.is_(None)).order_by(FollowUp.id.desc())
    )
    if row is None:
        raise RuntimeError(f"case {fx.case.number} has no pending follow-up")
    return row


def _accept(fx: Effects) -> None:
    follow_up = _latest_follow_up(fx)
    follow_up.verdict = "accepted"
    follow_up.verdict_by_id = fx.actor.id
    follow_up.verdict_at = fx.now
    follow_up.verdict_reason = fx.data.get("note")
    fx.case.closed_at = fx.now
    fx.email("follow_up_accepted", ppk_recipients(fx.agency), decision_number=follow_up.decision_number)


def _reject(fx: Effects) -> None:
    follow_up = _latest_follow_up(fx)
    follow_up.verdict = "rejected"
    follow_up.verdict_reason = fx.data["reason"]
    follow_up.verdict_by_id = fx.actor.id
    follow_up.verdict_at = fx.now
    rec = fx._require_recommendation()
    fx.start_clock(rec, fx.local_today(), new_cycle=True)  # a new deadline starts
    fx.email(
        "follow_up_rejected",
        ppk_recipients(fx.agency),
        reason=fx.data["reason"],
        decision_number=follow_up.decision_number,
    )


def _close(fx: Effects) -> None:
    fx.case.close_reason = fx.data["reason"]
    fx.case.closed_at = fx.now
    rec = fx.recommendation
    if rec is not None:
        rec.is_open = False


EFFECTS: dict[CaseEvent, Callable[[Effects], None]] = {
    CaseEvent.DISMISS: _dismiss,
    CaseEvent.DRAFT_RECOMMENDATION: _draft,
    CaseEvent.ISSUE_RECOMMENDATION: _issue,
    CaseEvent.ACKNOWLEDGE: _acknowledge,
    CaseEvent.RECORD_RECEIPT: _record_receipt,
    CaseEvent.EXTEND_DEADLINE: _extend,
    CaseEvent.REQUEST_CLARIFICATION: _request_clarification,
    CaseEvent.ANSWER_CLARIFICATION: _answer_clarification,
    CaseEvent.REPORT_FOLLOW_UP: _report_follow_up,
    CaseEvent.ACCEPT_FOLLOW_UP: _accept,
    CaseEvent.REJECT_FOLLOW_UP: _reject,
    CaseEvent.CLOSE: _close,
}


def apply_effects(event: CaseEvent, fx: Effects) -> None:
    effect = EFFECTS.get(event)
    if effect is not None:
        effect(fx)


def queue_emails(fx: Effects, history_seq: int) -> None:
    """The event's emails, through the one path into the outbox (app.letters.mail), in the event's transaction;
    an email without its own key is keyed by the event's history entry."""
    if not current_app.config.get("NOTIFICATIONS_ENABLED", True):
        return
    emails = [e if e.key else replace(e, key=f"{e.kind}:{fx.case.id}:{history_seq}") for e in fx.emails]
    enqueue_many(emails)
