"""Every table of plexms (import this package to register them all on ``Base.metadata``)."""

from plexms.store.base import Base
from plexms.store.models.audit import AuditEvent, AuditHead
from plexms.store.models.centre import AuthToken, Centre, User
from plexms.store.models.course import (
    AdverseEvent,
    Assessment,
    Course,
    ExchangeSession,
    LabResult,
    SessionAddendum,
)
from plexms.store.models.indexes import REGISTRY_INDEXES  # noqa: F401 - registers them
from plexms.store.models.measure import OutcomeMeasure
from plexms.store.models.outcome import Document, HandBack, OutcomeAssessment
from plexms.store.models.patient import (
    DmtHistory,
    Episode,
    Measurement,
    MriStudy,
    Patient,
    Referral,
    SteroidCourse,
)
from plexms.store.models.throttle import Throttle

__all__ = [
    "AdverseEvent",
    "Assessment",
    "AuditEvent",
    "AuditHead",
    "AuthToken",
    "Base",
    "Centre",
    "Course",
    "DmtHistory",
    "Document",
    "Episode",
    "ExchangeSession",
    "HandBack",
    "LabResult",
    "Measurement",
    "MriStudy",
    "OutcomeAssessment",
    "OutcomeMeasure",
    "Patient",
    "Referral",
    "SessionAddendum",
    "SteroidCourse",
    "Throttle",
    "User",
]
