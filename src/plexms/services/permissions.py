"""Permissions and the role that grants each one.

Every API and web route declares exactly one :class:`Permission` (a dependency whose callable
has a ``permission`` attribute); ``tests/api/test_route_permissions.py`` fails on any route
without one. ``PUBLIC`` needs no sign-in; ``AUTHENTICATED`` any signed-in user.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ROLES", "ROLE_PERMISSIONS", "Permission", "allowed"]


class Permission(StrEnum):
    PUBLIC = "public"
    AUTHENTICATED = "authenticated"
    PATIENT_READ = "patient:read"
    PATIENT_WRITE = "patient:write"
    REFERRAL_SUBMIT = "referral:submit"
    REFERRAL_TRIAGE = "referral:triage"
    ASSESSMENT_WRITE = "assessment:write"
    COURSE_PLAN = "course:plan"
    COURSE_MANAGE = "course:manage"
    COURSE_COSIGN = "course:cosign"
    SESSION_RECORD = "session:record"
    LOTS_RECALL = "lots:recall"
    STOCK_WRITE = "supplies:stock"
    OUTCOME_RECORD = "outcome:record"
    HANDBACK_WRITE = "handback:write"
    DOCUMENT_WRITE = "document:write"
    EXPORT = "patient:export"
    DELETE = "record:delete"
    ERASE = "record:erase"
    CALC = "calc:use"
    AUDIT_READ = "audit:read"
    USERS_MANAGE = "users:manage"
    CENTRE_MANAGE = "centre:manage"
    RESOURCES_MANAGE = "resources:manage"
    BOOKING_MANAGE = "booking:manage"


ROLES = ("admin", "physician", "pharmacist", "nurse", "coordinator", "viewer")
_P = Permission
_EVERYONE = {_P.PUBLIC, _P.AUTHENTICATED, _P.PATIENT_READ, _P.CALC, _P.REFERRAL_SUBMIT}
_CLINICAL = {
    _P.PATIENT_WRITE,
    _P.REFERRAL_TRIAGE,
    _P.ASSESSMENT_WRITE,
    _P.COURSE_PLAN,
    _P.COURSE_MANAGE,
    _P.BOOKING_MANAGE,
    _P.COURSE_COSIGN,
    _P.SESSION_RECORD,
    _P.OUTCOME_RECORD,
    _P.HANDBACK_WRITE,
    _P.DOCUMENT_WRITE,
    _P.EXPORT,
    _P.DELETE,
}

ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "admin": frozenset(Permission),
    "physician": frozenset(_EVERYONE | _CLINICAL | {_P.LOTS_RECALL}),
    # A pharmacist co-signs prescriptions (issue 14: a second physician or pharmacist).
    "pharmacist": frozenset(_EVERYONE | {_P.COURSE_COSIGN}),
    "nurse": frozenset(
        _EVERYONE
        | {
            _P.PATIENT_WRITE,
            _P.SESSION_RECORD,
            _P.OUTCOME_RECORD,
            _P.COURSE_MANAGE,
            _P.BOOKING_MANAGE,
            _P.EXPORT,
        }
        | {_P.LOTS_RECALL, _P.STOCK_WRITE}
    ),
    "coordinator": frozenset(
        _EVERYONE
        | {
            _P.PATIENT_WRITE,
            _P.REFERRAL_TRIAGE,
            _P.COURSE_MANAGE,
            _P.BOOKING_MANAGE,
            _P.DOCUMENT_WRITE,
            _P.EXPORT,
        }
        | {_P.LOTS_RECALL, _P.STOCK_WRITE}
    ),
    "viewer": frozenset(_EVERYONE),
    "system": frozenset(Permission),
}


def allowed(role: str, permission: Permission) -> bool:
    """Whether ``role`` holds ``permission``."""
    return permission in ROLE_PERMISSIONS.get(role, frozenset({_P.PUBLIC}))
