"""A stored course fitted to its own measured levels, and the priors learned from the registry
(issue 18, items 1 and 5)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, ConfigDict

from plexms.api.deps import PathId, requires
from plexms.services.clinical import course_fit
from plexms.services.context import ServiceContext
from plexms.services.permissions import Permission

__all__ = ["CourseFitIn", "router"]

router = APIRouter(prefix="/api", tags=["clinical"])
Read = Annotated[ServiceContext, requires(Permission.PATIENT_READ)]
Scope = Literal["population", "centre", "registry"]


class CourseFitIn(BaseModel):
    """Which priors the fit uses."""

    model_config = ConfigDict(extra="forbid")

    priors: Scope = "population"


@router.post("/courses/{course_id}/fit")
def fit_course(
    ctx: Read, course_id: PathId, body: Annotated[CourseFitIn | None, Body()] = None
) -> dict[str, Any]:
    """``calc fit`` for a stored course: its exchanges as done (or planned) and the patient's
    IgG and fibrinogen results; the answer of ``POST /api/calc/fit`` plus ``course_id``.
    422 when the course has no measured level."""
    choice = body.priors if body else "population"
    out = course_fit.fit_stored_course(ctx, course_id, choice)
    return {"course_id": out.course_id, **out.body}


@router.get("/priors")
def learned_priors(ctx: Read, scope: Annotated[Scope, Query()] = "registry") -> dict[str, Any]:
    """The literature priors of the kinetic fit beside those re-estimated from the centre's or
    the registry's measured labs (empirical Bayes)."""
    return course_fit.learn_priors(ctx, scope).to_json()
