"""Imports every model module so metadata (and Alembic autogenerate) sees every table."""

from app.agencies.models import Agency
from app.auth.models import ApiToken, LoginThrottle, User
from app.calendar.models import CalendarOverride, DeadlineRule
from app.cases.models import (
    Attachment,
    Case,
    CaseCounter,
    CaseHistory,
    Clarification,
    FollowUp,
    Recommendation,
)
from app.core.models import JobHeartbeat, OversightAuthority
from app.escalations.models import EscalationRecipient, EscalationStep
from app.index.models import IndexSnapshot, SelfAssessment
from notifications.models import OutboxMessage

__all__ = [
    "Agency",
    "ApiToken",
    "Attachment",
    "CalendarOverride",
    "Case",
    "CaseCounter",
    "CaseHistory",
    "Clarification",
    "DeadlineRule",
    "EscalationRecipient",
    "EscalationStep",
    "FollowUp",
    "IndexSnapshot",
    "JobHeartbeat",
    "LoginThrottle",
    "OutboxMessage",
    "OversightAuthority",
    "Recommendation",
    "SelfAssessment",
    "User",
]
