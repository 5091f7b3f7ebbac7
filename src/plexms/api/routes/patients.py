"""Patients and their history (measurements, episodes, steroids, MRI, DMTs)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from plexms.api.deps import IfMatch, Limit, Offset, PathId, etag, expected_version, requires
from plexms.services.clinical import patients
from plexms.services.context import ServiceContext
from plexms.services.permissions import Permission
from plexms.services.schemas.common import Page
from plexms.services.schemas.patient import (
    DmtIn,
    DmtOut,
    EpisodeIn,
    EpisodeOut,
    EpisodeUpdate,
    MeasurementIn,
    MeasurementOut,
    MriIn,
    MriOut,
    PatientIn,
    PatientOut,
    PatientUpdate,
    SteroidIn,
    SteroidOut,
)

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["patients"])
Read = Annotated[ServiceContext, requires(Permission.PATIENT_READ)]
Write = Annotated[ServiceContext, requires(Permission.PATIENT_WRITE)]
Delete = Annotated[ServiceContext, requires(Permission.DELETE)]
Erase = Annotated[ServiceContext, requires(Permission.ERASE)]
StageQ = Literal[
    "referred", "assessed", "course_planned", "course_active", "course_completed", "handed_back"
]


class EraseIn(BaseModel):
    model_config = {"extra": "forbid"}
    reason: str = Field(min_length=5, max_length=500)


def _tagged(response: Response, out: PatientOut | EpisodeOut) -> None:
    response.headers["ETag"] = etag(out.version)


@router.get("/patients", response_model=Page[PatientOut])
def list_patients(
    ctx: Read,
    q: Annotated[
        str | None, Query(max_length=100, description="MRN, name or date of birth (each word)")
    ] = None,
    stage: StageQ | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[PatientOut]:
    """Patients of your centre (paginated; filter by ``q`` and ``stage``)."""
    if q is not None and "\x00" in q:
        q = q.replace("\x00", "")
    return patients.list_patients(ctx, q=q, stage=stage, limit=limit, offset=offset)


@router.post("/patients", response_model=PatientOut, status_code=201)
def create_patient(ctx: Write, body: PatientIn, response: Response) -> PatientOut:
    out = patients.create_patient(ctx, body)
    _tagged(response, out)
    response.headers["Location"] = f"/api/patients/{out.id}"
    return out


@router.get("/patients/{patient_id}", response_model=PatientOut)
def get_patient(ctx: Read, patient_id: PathId, response: Response) -> PatientOut:
    """One patient; the ETag is what a later update sends back in If-Match."""
    out = patients.get_patient(ctx, patient_id)
    _tagged(response, out)
    return out


@router.patch("/patients/{patient_id}", response_model=PatientOut)
def update_patient(
    ctx: Write,
    patient_id: PathId,
    body: PatientUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> PatientOut:
    """Change demographics (If-Match required: 428 without, 412 when stale)."""
    out = patients.update_patient(ctx, patient_id, body, expected_version(if_match))
    _tagged(response, out)
    return out


@router.delete("/patients/{patient_id}", status_code=204)
def delete_patient(ctx: Delete, patient_id: PathId, if_match: IfMatch = None) -> Response:
    """Soft delete (the record answers 410 afterwards; history kept)."""
    patients.delete_patient(ctx, patient_id, expected_version(if_match))
    return Response(status_code=204)


@router.post("/patients/{patient_id}/erase", status_code=204)
def erase_patient(ctx: Erase, patient_id: PathId, body: EraseIn) -> Response:
    """Admin only: erase the patient and all their records for good (reason audited)."""
    patients.erase_patient(ctx, patient_id, body.reason)
    return Response(status_code=204)


@router.get("/patients/{patient_id}/measurements", response_model=list[MeasurementOut])
def list_measurements(ctx: Read, patient_id: PathId) -> list[MeasurementOut]:
    return patients.list_measurements(ctx, patient_id)


@router.post("/patients/{patient_id}/measurements", response_model=MeasurementOut, status_code=201)
def add_measurement(ctx: Write, patient_id: PathId, body: MeasurementIn) -> MeasurementOut:
    return patients.add_measurement(ctx, patient_id, body)


@router.get("/patients/{patient_id}/episodes", response_model=list[EpisodeOut])
def list_episodes(ctx: Read, patient_id: PathId) -> list[EpisodeOut]:
    return patients.list_episodes(ctx, patient_id)


@router.post("/patients/{patient_id}/episodes", response_model=EpisodeOut, status_code=201)
def add_episode(ctx: Write, patient_id: PathId, body: EpisodeIn, response: Response) -> EpisodeOut:
    out = patients.add_episode(ctx, patient_id, body)
    _tagged(response, out)
    return out


@router.patch("/episodes/{episode_id}", response_model=EpisodeOut)
def update_episode(
    ctx: Write,
    episode_id: PathId,
    body: EpisodeUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> EpisodeOut:
    out = patients.update_episode(ctx, episode_id, body, expected_version(if_match))
    _tagged(response, out)
    return out


@router.get("/patients/{patient_id}/steroid-courses", response_model=list[SteroidOut])
def list_steroid_courses(ctx: Read, patient_id: PathId) -> list[SteroidOut]:
    return patients.list_steroid_courses(ctx, patient_id)


@router.post("/patients/{patient_id}/steroid-courses", response_model=SteroidOut, status_code=201)
def add_steroid_course(ctx: Write, patient_id: PathId, body: SteroidIn) -> SteroidOut:
    return patients.add_steroid_course(ctx, patient_id, body)


@router.get("/patients/{patient_id}/mri", response_model=list[MriOut])
def list_mri(ctx: Read, patient_id: PathId) -> list[MriOut]:
    return patients.list_mri(ctx, patient_id)


@router.post("/patients/{patient_id}/mri", response_model=MriOut, status_code=201)
def add_mri(ctx: Write, patient_id: PathId, body: MriIn) -> MriOut:
    return patients.add_mri(ctx, patient_id, body)


@router.get("/patients/{patient_id}/dmts", response_model=list[DmtOut])
def list_dmts(ctx: Read, patient_id: PathId) -> list[DmtOut]:
    return patients.list_dmts(ctx, patient_id)


@router.post("/patients/{patient_id}/dmts", response_model=DmtOut, status_code=201)
def add_dmt(ctx: Write, patient_id: PathId, body: DmtIn) -> DmtOut:
    return patients.add_dmt(ctx, patient_id, body)
