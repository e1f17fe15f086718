"""Who receives an escalation email, and in which zone their working hours run.

Routing by agency kind comes from `app.agencies.services.routed_body` (central → Menpan-RB, regional →
Kemendagri, or the agency's `escalation_body`). The official mailboxes of the targets (menpanrb, kemendagri,
kasn, bkn) are the admin-edited EscalationRecipient rows, else `ESCALATION_RECIPIENTS_<TARGET>`.

The `authority` rule writes to the authority that issued the recommendation: the mailboxes its row names
(`mailboxes`, a body with no target of its own, e.g. the next one), else its own target (`kasn`, `bkn`), else the
oversight authority's mailbox (`kasn`, shown as "KASN / otoritas pengawas").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import delete, select

from app.agencies.authority import AuthorityProfile
from app.agencies.services import ppk_recipients, routed_body
from app.core.addresses import InvalidAddresses, address_list
from app.core.vocab import ESCALATION_TARGET_LABELS, AgencyKind, Body
from app.db import db
from app.errors import ValidationFailed
from app.escalations.ladder import load_ladder
from app.models.auth import User
from app.models.escalations import EscalationRecipient

TARGETS = ("menpanrb", "kemendagri", "kasn", "bkn")
MINISTRIES = tuple(body.value for body in Body)  # where the `ministry` rule can route
# The ministries, the oversight authority and BKN sit in Jakarta: their working hours are WIB.
CENTRAL_TIMEZONE = "Asia/Jakarta"
GOVERNED_KINDS = frozenset({AgencyKind.KABUPATEN.value, AgencyKind.KOTA.value})


def target_recipients(target: str) -> list[str]:
    """Mailboxes of an escalation target: the admin's rows, else the configuration."""
    if target not in TARGETS:
        raise ValueError(f"unknown escalation target {target!r}")
    rows = list(
        db.session.scalars(
            select(EscalationRecipient.email)
            .where(EscalationRecipient.target == target)
            .order_by(EscalationRecipient.id)
        )
    )
    if rows:
        return rows
    return list(current_app.config.get(f"ESCALATION_RECIPIENTS_{target.upper()}") or [])


def rule_targets(rules: Iterable[str]) -> list[str]:
    """The escalation targets that recipient rules can write to, in TARGETS order: `ministry` is either
    ministry (routing decides per agency), `kasn`, `bkn`, `menpanrb`, `kemendagri` themselves."""
    named = set()
    for rule in rules:
        named |= set(MINISTRIES) if rule == "ministry" else ({rule} & set(TARGETS))
    return [t for t in TARGETS if t in named]


def ladder_targets(ladder: Any = None, *, level: int | None = None) -> list[str]:
    """The targets the escalation ladder writes to (only those of `level` when given)."""
    rungs = list(ladder or load_ladder())
    return rule_targets(rule for rung in rungs if level in (None, rung.level) for rule in rung.recipients_rules)


def targets_without_mailbox(targets: Iterable[str] | None = None) -> list[str]:
    """The escalation targets the ladder writes to (or `targets`) that have no mailbox: their emails wait,
    each step still due, until an administrator gives them one (the sweep sends them then)."""
    wanted = ladder_targets() if targets is None else list(targets)
    return [t for t in wanted if not target_recipients(t)]


def authority_target(authority: AuthorityProfile | None) -> str:
    """The escalation target standing for the issuing authority (an AuthorityProfile) when its row names no
    mailbox: its own target when it has one (KASN, BKN), else the oversight authority's mailbox (`kasn`)."""
    short = authority.short_name.lower() if authority is not None else ""
    return short if short in TARGETS else "kasn"


def target_names(targets: Iterable[str]) -> str:
    """`Kementerian PANRB, Badan Kepegawaian Negara`: the targets' Indonesian names, for messages."""
    return ", ".join(ESCALATION_TARGET_LABELS.get(t, t) for t in targets)


def set_target_recipients(target: str, emails: list[str]) -> list[str]:
    """Replace the mailboxes of `target` (an empty list falls back to the configuration). Flushes only."""
    if target not in TARGETS:
        raise ValidationFailed(
            "Tujuan eskalasi tidak dikenal.",
            details={"fields": {"target": [f"pilih salah satu: {', '.join(TARGETS)}"]}},
        )
    try:
        clean = address_list(emails)
    except InvalidAddresses as exc:
        raise ValidationFailed("Alamat email tidak valid.", details={"fields": {"emails": exc.invalid}}) from exc
    db.session.execute(delete(EscalationRecipient).where(EscalationRecipient.target == target))
    for value in clean:
        db.session.add(EscalationRecipient(target=target, email=value))
    db.session.flush()
    return clean


@dataclass
class RecipientGroup:
    """Recipients sharing one working-hours zone and calendar."""

    tz_name: str
    calendar_agency_id: int | None
    emails: list[str] = field(default_factory=list)


class Directory:
    """Recipient look-ups cached for one sweep (targets, PPK mailboxes per agency, KASN staff)."""

    def __init__(self) -> None:
        self._targets = {target: target_recipients(target) for target in TARGETS}
        self._ppk: dict[int, list[str]] = {}
        self._users: dict[int, str | None] = {}

    def target(self, target: str) -> list[str]:
        return self._targets.get(target, [])

    def missing_targets(
        self, rules: tuple[str, ...], *, agency: Any, body: str | None, authority: AuthorityProfile | None = None
    ) -> list[str]:
        """The escalation targets among `rules` (the ministry as routed, the issuing authority as
        `authority_target` when its row names no mailbox) that have no mailbox."""
        missing: list[str] = []
        for rule in rules:
            if rule == "authority" and authority is not None and authority.mailboxes:
                continue
            target = (body or routed_body(agency)) if rule == "ministry" else rule
            target = authority_target(authority) if rule == "authority" else target
            if target in TARGETS and not self.target(target) and target not in missing:
                missing.append(target)
        return missing

    def ppk(self, agency: Any) -> list[str]:
        if agency.id not in self._ppk:
            self._ppk[agency.id] = ppk_recipients(agency)
        return self._ppk[agency.id]

    def preload_ppk(self, agencies: Iterable[Any]) -> None:
        """`ppk_recipients` for many agencies in one query (its rule: `ppk_email` and the active PPK users)."""
        missing = {agency.id: agency for agency in agencies if agency.id not in self._ppk}
        if not missing:
            return
        users: dict[int, list[str]] = defaultdict(list)
        rows = db.session.execute(
            select(User.agency_id, User.email).where(
                User.agency_id.in_(missing), User.role == "ppk", User.is_active.is_(True)
            )
        )
        for agency_id, email in rows:
            users[agency_id].append(email)
        for agency_id, agency in missing.items():
            emails = [agency.ppk_email] if agency.ppk_email else []
            self._ppk[agency_id] = sorted(set(emails + users[agency_id]))

    def preload_users(self, user_ids: set[int | None]) -> None:
        wanted = {i for i in user_ids if i is not None and i not in self._users}
        if not wanted:
            return
        found = dict(
            db.session.execute(select(User.id, User.email).where(User.id.in_(wanted), User.is_active.is_(True))).all()
        )
        for user_id in wanted:
            self._users[user_id] = found.get(user_id)

    def user(self, user_id: int | None) -> str | None:
        if user_id is None:
            return None
        if user_id not in self._users:
            self.preload_users({user_id})
        return self._users[user_id]

    def resolve(
        self,
        rule: str,
        *,
        agency: Any,
        investigator_ids: tuple[int | None, ...],
        body: str | None,
        authority: AuthorityProfile | None = None,
    ) -> tuple[list[str], str, int | None]:
        """Emails of one recipient rule, with the zone and calendar of their working hours."""
        if rule == "authority":
            own = list(authority.mailboxes) if authority is not None else []
            return (own or self.target(authority_target(authority))), CENTRAL_TIMEZONE, None
        if rule == "ppk":
            return self.ppk(agency), agency.timezone, agency.id
        if rule == "investigator":
            for user_id in investigator_ids:
                email = self.user(user_id)
                if email:
                    return [email], CENTRAL_TIMEZONE, None
            return [], CENTRAL_TIMEZONE, None
        if rule == "governor":
            parent = agency.parent
            if agency.kind in GOVERNED_KINDS and parent is not None and parent.ppk_email:
                return [parent.ppk_email], parent.timezone, parent.id
            return [], CENTRAL_TIMEZONE, None
        if rule == "ministry":
            return self.target(body or routed_body(agency)), CENTRAL_TIMEZONE, None
        return self.target(rule), CENTRAL_TIMEZONE, None

    def groups(
        self,
        rules: tuple[str, ...],
        *,
        agency: Any,
        investigator_ids: tuple[int | None, ...],
        body: str | None,
        authority: AuthorityProfile | None = None,
    ) -> tuple[list[RecipientGroup], list[str]]:
        """Recipients of `rules` grouped by working-hours zone (each address once), and the flat list."""
        groups: dict[tuple[str, int | None], RecipientGroup] = {}
        seen: set[str] = set()
        ordered: list[str] = []
        for rule in rules:
            emails, tz_name, calendar_agency_id = self.resolve(
                rule, agency=agency, investigator_ids=investigator_ids, body=body, authority=authority
            )
            for email in emails:
                address = email.strip().lower()
                if not address or address in seen:
                    continue
                seen.add(address)
                ordered.append(address)
                group = groups.setdefault((tz_name, calendar_agency_id), RecipientGroup(tz_name, calendar_agency_id))
                group.emails.append(address)
        return list(groups.values()), ordered
