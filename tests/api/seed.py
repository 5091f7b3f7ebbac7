"""A patient record in one centre with one of everything, for the route tests."""

from __future__ import annotations

import datetime as dt

from plexms.services.clinical import patients, referrals
from plexms.services.schemas import EpisodeIn, ReferralIn

SEED_LOT = "SEEDLOT-1"


def seed_record(world, centre: str = "a") -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Ids of one record of each kind, by path parameter name."""
    ctx = world.ctx("physician", centre)
    patient = world.patient(centre)
    episode = patients.add_episode(
        ctx, patient.id, EpisodeIn(onset_date=dt.date(2026, 11, 1), presentation="relapse")
    )
    referral = referrals.submit_referral(ctx, ReferralIn(patient_id=patient.id, reason="x"))
    ids = {
        "patient_id": patient.id,
        "episode_id": episode.id,
        "referral_id": referral.id,
        "user_id": world.users[(centre, "viewer")],
    }
    ids.update(_clinical(world, ctx, patient.id))
    from plexms.services.sharing import calendar_feeds

    ids["feed_id"] = calendar_feeds.create_patient_feed(ctx, patient.id).id
    ids.update(_resources(world, centre))
    return ids


def _resources(world, centre: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """A place, a machine with a maintenance block and a nurse's shift (no booking: the seed
    course stays unbooked; the booking tests book their own)."""
    from plexms.services.admin import resources
    from plexms.services.schemas.resources import (
        MachineIn,
        MaintenanceIn,
        NurseIn,
        PlaceIn,
        ShiftIn,
    )

    admin = world.ctx("admin", centre)
    start = dt.datetime(2027, 3, 1, 8, tzinfo=dt.UTC)
    end = start + dt.timedelta(hours=8)
    place = resources.create_place(admin, PlaceIn(name="Chair 1"))
    machine = resources.create_machine(admin, MachineIn(name="Optia 1"))
    block = resources.add_maintenance(admin, machine.id, MaintenanceIn(start_at=start, end_at=end))
    nurse = world.users[(centre, "nurse")]
    resources.set_nurse(admin, nurse, NurseIn())
    shift = resources.create_shift(admin, ShiftIn(nurse_user_id=nurse, start_at=start, end_at=end))
    return {
        "place_id": place.id,
        "machine_id": machine.id,
        "block_id": block.id,
        "shift_id": shift.id,
    }


def _clinical(world, ctx, patient_id: int) -> dict[str, int]:  # type: ignore[no-untyped-def]
    import base64

    from plexms.services.clinical import courses, outcomes
    from plexms.services.schemas.clinical import CoursePlanIn, DocumentIn

    course = courses.plan_course(
        ctx, patient_id, CoursePlanIn(plan={"exchanges": 5, "start_date": "2026-11-30"})
    )
    first = courses.list_course_sessions(ctx, course.id)[0]
    doc = outcomes.add_document(
        ctx,
        patient_id,
        DocumentIn(
            kind="letter",
            title="Letter",
            media_type="text/plain",
            content_base64=base64.b64encode(b"Dear colleague").decode(),
        ),
    )
    from plexms.services.clinical import sessions
    from plexms.services.schemas.clinical import AdverseEventIn, OutcomeIn

    outcome = outcomes.record_outcome(
        ctx,
        patient_id,
        OutcomeIn(timepoint="baseline", assessed_on=dt.date(2026, 11, 20), va_right_logmar=0.3),
    )
    event = sessions.report_adverse_event(
        ctx,
        patient_id,
        AdverseEventIn(
            session_id=first.id,
            event_type="hypotension",
            severity="mild",
            onset_at=dt.datetime(2026, 11, 30, 18, tzinfo=dt.UTC),
        ),
    )
    # the first exchange used a lot: a recall of it names this patient (issue 17)
    from plexms.services.schemas.clinical import SessionRecordIn

    sessions.record_session(
        ctx,
        first.id,
        SessionRecordIn.model_validate(
            {
                "status": "done",
                "actual_start": "2026-11-26T09:00:00+00:00",
                "plasma_removed_ml": 2500,
                "lots": [{"kind": "albumin", "lot": SEED_LOT}],
            }
        ),
        None,
    )
    from plexms.services.clinical import access_lines
    from plexms.services.schemas.access import AccessLineIn

    line = access_lines.add_line(
        ctx,
        patient_id,
        AccessLineIn(line_type="port", site="right_chest_wall", inserted_on=dt.date(2026, 11, 2)),
    )
    return {
        "lot": SEED_LOT,  # type: ignore[dict-item]
        "line_id": line.id,
        "course_id": course.id,
        "session_id": first.id,
        "document_id": doc.id,
        "outcome_id": outcome.id,
        "event_id": event.id,
    }
