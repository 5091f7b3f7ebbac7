"""Every table of plexms (import this package to register them all on ``Base.metadata``)."""

from plexms.store.base import Base
from plexms.store.models.access import AccessLine, LineEvent
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
from plexms.store.models.feeds import CalendarFeed, CentreMail, OutboxMessage
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
from plexms.store.models.registry_facts import (
    RegistryCell,
    RegistryCellEvent,
    RegistryCourse,
    RegistryCourseEvent,
)
from plexms.store.models.resources import (
    Booking,
    Machine,
    MaintenanceBlock,
    NurseProfile,
    NurseShift,
    TreatmentPlace,
)
from plexms.store.models.supplies import SessionLot, SupplyStock
from plexms.store.models.throttle import Throttle

__all__ = [
    "AccessLine",
    "AdverseEvent",
    "Assessment",
    "AuditEvent",
    "AuditHead",
    "AuthToken",
    "Base",
    "Booking",
    "CalendarFeed",
    "Centre",
    "CentreMail",
    "Course",
    "DmtHistory",
    "Document",
    "Episode",
    "ExchangeSession",
    "HandBack",
    "LabResult",
    "LineEvent",
    "Machine",
    "MaintenanceBlock",
    "Measurement",
    "MriStudy",
    "NurseProfile",
    "NurseShift",
    "OutboxMessage",
    "OutcomeAssessment",
    "OutcomeMeasure",
    "Patient",
    "Referral",
    "RegistryCell",
    "RegistryCellEvent",
    "RegistryCourse",
    "RegistryCourseEvent",
    "SessionAddendum",
    "SessionLot",
    "SteroidCourse",
    "SupplyStock",
    "Throttle",
    "TreatmentPlace",
    "User",
]
