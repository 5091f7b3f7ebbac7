"""Assessments, courses, sessions, labs, adverse events, outcomes, hand-back (use cases)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api", tags=["clinical"])
