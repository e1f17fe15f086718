"""Imports every model module so metadata (and Alembic autogenerate) sees every table."""

from app.models.agencies import Agency
from app.models.auth import ApiToken, LoginThrottle, User
from app.models.calendar import CalendarOverride, DeadlineRule
from app.models.cases import (
    Attachment,
    Case,
    CaseCounter,
    CaseHistory,
    Clarification,
    FollowUp,
    Recommendation,
)
from app.models.core import JobHeartbeat, OversightAuthority
from app.models.escalations import EscalationRecipient, EscalationStep
from app.models.feeds import CalendarFeed
from app.models.forms import FormSubmission
from app.models.index import IndexSnapshot, SelfAssessment
from app.models.intake import (
    CaseElection,
    DuplicateOverride,
    Election,
    ElectionStage,
    EventCase,
    IncidentEvent,
    IntakeFile,
    IntakeReport,
    IntakeThrottle,
)
from app.models.letters import IssuedLetter, LetterCounter
from app.models.notifications import ActivityEvent, Notification
from app.models.outbox import OutboxAttachment, OutboxMessage
from app.models.outcomes import DataBlock
from app.models.people import (
    Person,
    PersonMerge,
    PpkOfficeHolder,
    RecordLookup,
    RecordLookupNip,
    RegisterEntry,
)
from app.models.public import PublicFigure, PublicPublication, PublicRelease
from app.models.saved_filters import SavedFilter

__all__ = [
    "ActivityEvent",
    "CaseElection",
    "DuplicateOverride",
    "Election",
    "ElectionStage",
    "EventCase",
    "IncidentEvent",
    "IntakeFile",
    "IntakeReport",
    "IntakeThrottle",
    "Agency",
    "ApiToken",
    "Attachment",
    "CalendarFeed",
    "CalendarOverride",
    "Case",
    "CaseCounter",
    "CaseHistory",
    "Clarification",
    "DataBlock",
    "DeadlineRule",
    "EscalationRecipient",
    "EscalationStep",
    "FollowUp",
    "FormSubmission",
    "IndexSnapshot",
    "IssuedLetter",
    "JobHeartbeat",
    "LetterCounter",
    "LoginThrottle",
    "Notification",
    "OutboxAttachment",
    "OutboxMessage",
    "OversightAuthority",
    "Person",
    "PersonMerge",
    "PpkOfficeHolder",
    "PublicFigure",
    "PublicPublication",
    "PublicRelease",
    "Recommendation",
    "RecordLookup",
    "RecordLookupNip",
    "RegisterEntry",
    "SavedFilter",
    "SelfAssessment",
    "User",
]
