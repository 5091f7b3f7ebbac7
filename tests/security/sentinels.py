"""A centre-A record whose every text is a sentinel: any response, log line or export that
contains one of these strings leaked patient data."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

SENTINELS = {
    "mrn": "SNTMRN4417",
    "family_name": "Qzxsentinelfam",
    "given_name": "Qzxsentinelgiv",
    "phone": "555-0143",
    "email": "qzx.sentinel@example.org",
    "notes": "qzx-sentinel-notes",
    "referring_neurologist": "Dr Qzxneuro",
    "episode": "qzx-sentinel-episode",
    "referral": "qzx-sentinel-referral",
    "referrer": "Dr Qzxreferrer",
    "document_title": "Qzx sentinel letter",
    "document": "qzx-sentinel-document",
    "assessment": "qzx-sentinel-assessment",
    "outcome": "qzx-sentinel-outcome",
    "adverse_event": "qzx-sentinel-adverse-event",
    "access_line": "qzx-sentinel-access-line",
}
# Strings too common to search for (e.g. the phone is short): checked only where exact.
SEARCHED = tuple(v for k, v in SENTINELS.items() if k != "phone")


def seed_sentinel_record(world: Any, centre: str = "a") -> dict[str, int]:
    """The record, through the services; ids by path parameter name."""
    from plexms.services.clinical import courses, outcomes, patients, referrals
    from plexms.services.schemas import EpisodeIn, MeasurementIn, PatientIn, ReferralIn
    from plexms.services.schemas.clinical import AssessmentIn, CoursePlanIn, DocumentIn

    s = SENTINELS
    ctx = world.ctx("physician", centre)
    patient = patients.create_patient(
        ctx,
        PatientIn(
            mrn=s["mrn"],
            family_name=s["family_name"],
            given_name=s["given_name"],
            birth_date=dt.date(1979, 3, 9),
            sex="female",
            phone=s["phone"],
            email=s["email"],
            notes=s["notes"],
            referring_neurologist=s["referring_neurologist"],
        ),
    )
    pid = patient.id
    patients.add_measurement(
        ctx, pid, MeasurementIn(measured_at=ctx.now, height_cm=170, weight_kg=70, hematocrit=0.41)
    )
    episode = patients.add_episode(
        ctx,
        pid,
        EpisodeIn(
            onset_date=dt.date(2026, 11, 1), presentation="relapse", description=s["episode"]
        ),
    )
    referral = referrals.submit_referral(
        ctx, ReferralIn(patient_id=pid, reason=s["referral"], referrer_name=s["referrer"])
    )
    assessment = courses.assess_eligibility(
        ctx, pid, AssessmentIn(episode_id=episode.id, notes=s["assessment"])
    )
    course = courses.plan_course(
        ctx, pid, CoursePlanIn(plan={"exchanges": 5, "start_date": "2026-11-30"})
    )
    session = courses.list_course_sessions(ctx, course.id)[0]
    document = outcomes.add_document(
        ctx,
        pid,
        DocumentIn(
            kind="letter",
            title=s["document_title"],
            media_type="text/plain",
            content_base64=base64.b64encode(s["document"].encode()).decode(),
        ),
    )
    from sqlalchemy import select

    from plexms.services.clinical import sessions
    from plexms.services.schemas.clinical import AdverseEventIn, OutcomeIn
    from plexms.store.models import AuthToken

    outcome = outcomes.record_outcome(
        ctx,
        pid,
        OutcomeIn(
            timepoint="baseline",
            assessed_on=dt.date(2026, 11, 20),
            va_right_logmar=0.3,
            notes=s["outcome"],
        ),
    )
    event = sessions.report_adverse_event(
        ctx,
        pid,
        AdverseEventIn(
            session_id=session.id,
            event_type="hypotension",
            severity="mild",
            onset_at=dt.datetime(2026, 11, 30, 18, tzinfo=dt.UTC),
            notes=s["adverse_event"],
        ),
    )
    # the exchange used a lot: centre B's recall of it must name nobody (issue 17)
    from plexms.services.schemas.clinical import SessionRecordIn

    sessions.record_session(
        ctx,
        session.id,
        SessionRecordIn.model_validate(
            {
                "status": "done",
                "actual_start": "2026-11-26T09:00:00+00:00",
                "plasma_removed_ml": 2500,
                "lots": [
                    {"kind": "albumin", "lot": "SNTLOT-1"},
                    {"kind": "machine", "serial": "SNTSER-1"},
                ],
            }
        ),
        None,
    )
    from plexms.services.clinical import access_lines
    from plexms.services.schemas.access import AccessLineIn, LineEventIn
    from plexms.services.sharing import calendar_feeds
    from tests.api.seed import _resources

    line = access_lines.add_line(
        ctx,
        pid,
        AccessLineIn(
            line_type="tunnelled_cvc",
            site="right_internal_jugular",
            inserted_on=dt.date(2026, 11, 20),
            notes=s["access_line"],
        ),
    )
    access_lines.add_line_event(
        ctx,
        line.id,
        LineEventIn(event_type="flush", event_on=dt.date(2026, 11, 21), notes=s["access_line"]),
    )
    viewer = world.users[(centre, "viewer")]
    with world.db.read() as db_session:
        token_id = db_session.execute(
            select(AuthToken.id).where(AuthToken.user_id == viewer)
        ).scalar_one()
    return {
        "token_id": token_id,
        "lot": "SNTLOT-1",  # type: ignore[dict-item]
        "outcome_id": outcome.id,
        "event_id": event.id,
        "patient_id": pid,
        "episode_id": episode.id,
        "referral_id": referral.id,
        "assessment_id": assessment.id,
        "course_id": course.id,
        "session_id": session.id,
        "document_id": document.id,
        "line_id": line.id,
        "user_id": world.users[(centre, "viewer")],
        # a calendar feed of the patient's (issue 17); its public URL's secret is never one
        # another centre can know, so a made-up token answers 404
        "feed_id": calendar_feeds.create_patient_feed(ctx, pid).id,
        "token": "A" * 43,  # type: ignore[dict-item]
        **_resources(world, centre),
    }


def leaks(text: str) -> list[str]:
    """The sentinels found in ``text``."""
    return [v for v in SEARCHED if v in text]
