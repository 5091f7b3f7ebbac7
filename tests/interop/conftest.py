"""A database holding one centre and one fully documented synthetic patient (no real data)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from plexms.store.base import Base
from plexms.store.database import Database
from plexms.store.models import (
    AdverseEvent,
    Centre,
    Course,
    DmtHistory,
    Document,
    Episode,
    ExchangeSession,
    HandBack,
    LabResult,
    Measurement,
    OutcomeAssessment,
    OutcomeMeasure,
    Patient,
    SteroidCourse,
)

NOW = dt.datetime(2025, 3, 20, 12, 0, tzinfo=dt.UTC)


#: The lots and serials of the seed's first exchange (issue 17): a scanned albumin lot with its
#: GTIN and expiry, a typed ACD-A lot, the tubing set and the machine.
SEED_LOTS = [
    {
        "kind": "albumin",
        "lot": "ALB-2501",
        "serial": "",
        "gtin": "09506000134352",
        "expiry": "2027-12-31",
    },
    {"kind": "acd_a", "lot": "ACD-77", "serial": "", "gtin": "", "expiry": None},
    {"kind": "tubing_set", "lot": "TS-2025-4", "serial": "", "gtin": "", "expiry": "2026-06-30"},
    {"kind": "machine", "lot": "", "serial": "OPT-12345", "gtin": "", "expiry": None},
]


def make_db(path: Path) -> Database:
    db = Database(f"sqlite:///{path}")
    Base.metadata.create_all(db.engine)
    return db


def add_centre(db: Database, code: str = "SEED") -> int:
    with db.write() as s:
        centre = Centre(
            code=code,
            name="Seed TPE Clinic",
            address_line="1 Example Way",
            city="Los Angeles",
            region="CA",
            postal_code="90001",
            phone="+1 555 0100",
            email="clinic@example.org",
            time_zone="America/Los_Angeles",
            units="us",
            policy={},
            created_at=NOW,
        )
        s.add(centre)
        s.flush()
        return centre.id


def _meta(centre_id: int) -> dict[str, object]:
    return {"centre_id": centre_id, "created_at": NOW, "updated_at": NOW, "created_by": "test"}


def seed_patient(db: Database, centre_id: int, mrn: str = "MRN-0001") -> int:
    """One patient through a whole course: 5 sessions, labs, an AE, outcomes, hand-back."""
    m = _meta(centre_id)
    t0 = dt.datetime(2025, 3, 3, 16, 0, tzinfo=dt.UTC)
    with db.write() as s:
        p = Patient(
            mrn=mrn,
            family_name="Testperson",
            given_name="Alex",
            birth_date=dt.date(1988, 5, 14),
            sex="female",
            phone="+1 555 0199",
            ms_phenotype="rrms",
            ms_diagnosis_year=2016,
            referring_neurologist="Dr. Example Neuro",
            stage="course_completed",
            **m,
        )
        s.add(p)
        s.flush()
        pm = {**m, "patient_id": p.id}
        s.add(Measurement(measured_at=t0, height_cm=167.64, weight_kg=68.0, hematocrit=0.41, **pm))
        ep = Episode(
            onset_date=dt.date(2025, 2, 20),
            presentation="relapse",
            description="Left leg weakness",
            edss_at_onset=5.5,
            steroid_response="none",
            **pm,
        )
        s.add(ep)
        s.flush()
        s.add(
            SteroidCourse(
                episode_id=ep.id,
                dose_mg_per_day=1000,
                start_date=dt.date(2025, 2, 21),
                end_date=dt.date(2025, 2, 25),
                response="none",
                **pm,
            )
        )
        s.add(DmtHistory(drug="ocrelizumab", started_on=dt.date(2022, 1, 10), **pm))
        course = Course(
            episode_id=ep.id,
            indication="relapse",
            status="completed",
            planned_exchanges=5,
            plasma_volumes_per_exchange=1.0,
            start_date=dt.date(2025, 3, 3),
            started_on=dt.date(2025, 3, 3),
            completed_on=dt.date(2025, 3, 12),
            inputs={"weight_kg": 68.0, "height_cm": 167.64},
            prescription={"plasma_volume_ml": 2950, "albumin_g": 147.5},
            rule_version="prescription/1",
            **pm,
        )
        s.add(course)
        s.flush()
        sessions = []
        for i in range(5):
            start = t0 + dt.timedelta(days=2 * i)
            sess = ExchangeSession(
                course_id=course.id,
                sequence=i + 1,
                status="done",
                planned_start=start,
                planned_end=start + dt.timedelta(hours=2),
                actual_start=start + dt.timedelta(minutes=5),
                actual_end=start + dt.timedelta(hours=2, minutes=5),
                planned_plasma_volume_ml=2950,
                plasma_removed_ml=2900 + i,
                whole_blood_processed_ml=4200,
                replacement_fluids=[{"fluid": "albumin_5", "volume_ml": 2950}],
                anticoagulant="ACD-A",
                anticoagulant_ml=300,
                calcium_gluconate_ml=29.5,
                vascular_access="peripheral",
                vitals=[{"at": "start", "sbp": 118}],
                go_decision="go",
                operator="nurse",
                lots=SEED_LOTS if i == 0 else [],
                **pm,
            )
            s.add(sess)
            s.flush()
            sessions.append(sess)
            for analyte, value, unit in (
                ("igg", 10.2 * 0.4**i, "g/L"),
                ("fibrinogen", 2.9 * 0.4**i, "g/L"),
            ):
                s.add(
                    LabResult(
                        session_id=sess.id,
                        taken_at=start,
                        analyte=analyte,
                        value=value,
                        unit=unit,
                        timing="pre",
                        **pm,
                    )
                )
        s.add(LabResult(taken_at=t0, analyte="ionized_calcium", value=1.15, unit="mmol/L", **pm))
        s.add(LabResult(taken_at=t0, analyte="platelets", value=250, unit="10*9/L", **pm))
        s.add(
            AdverseEvent(
                course_id=course.id,
                session_id=sessions[1].id,
                event_type="hypocalcaemia",
                severity="mild",
                onset_at=sessions[1].actual_start + dt.timedelta(minutes=40),
                action="calcium infusion rate increased",
                outcome="resolved",
                **pm,
            )
        )
        # measures beyond the EDSS at each visit: (measure, side, value, unit, result)
        measures = {
            "baseline": (
                ("t25fw", None, 9.0, "s", {"result": "baseline", "source": "KRAGT_2006"}),
                ("lcla_2_5", "right", 20.0, "{letters}", {"result": "baseline"}),
            ),
            "6_months": (
                (
                    "t25fw",
                    None,
                    7.0,
                    "s",
                    {"result": "improved", "change": -2.0, "change_percent": -22.222222},
                ),
                ("lcla_2_5", "right", 24.0, "{letters}", {"result": "unchanged", "change": 4.0}),
            ),
        }
        for tp, day, edss, va in (
            ("baseline", dt.date(2025, 3, 1), 5.5, 0.5),
            ("6_months", dt.date(2025, 9, 1), 3.5, 0.1),
        ):
            visit = OutcomeAssessment(
                course_id=course.id,
                timepoint=tp,
                assessed_on=day,
                assessed_by="physician",
                edss=edss,
                va_right_logmar=va,
                va_left_logmar=0.0,
                targeted_deficit="moderate" if tp != "baseline" else None,
                inputs={"fs": {"visual": 2, "pyramidal": 3, "ambulation": 3}},
                result={"edss": edss},
                rule_version="edss/1",
                **pm,
            )
            s.add(visit)
            s.flush()
            for measure, side, value, unit, result in measures[tp]:
                s.add(
                    OutcomeMeasure(
                        outcome_id=visit.id,
                        measure=measure,
                        side=side,
                        value=value,
                        unit=unit,
                        taken_on=day,
                        result=result,
                        rule_version="measures:1",
                        **pm,
                    )
                )
        s.add(
            HandBack(
                course_id=course.id,
                planned_dmt="ocrelizumab",
                earliest_dose_date=dt.date(2025, 3, 14),
                plan="Resume ocrelizumab at least 48 h after the last exchange.",
                **pm,
            )
        )
        content = b"%PDF-1.4 synthetic"
        s.add(
            Document(
                course_id=course.id,
                kind="report",
                title="Course summary",
                media_type="application/pdf",
                content=content,
                sha256=hashlib.sha256(content).hexdigest(),
                **pm,
            )
        )
        s.flush()
        return p.id


@pytest.fixture
def seeded(migrated_url: str) -> Iterator[tuple[Database, int, int]]:
    """The seed patient in a migrated database, on each backend (SQLite, PostgreSQL)."""
    db = Database(migrated_url)
    centre_id = add_centre(db)
    patient_id = seed_patient(db, centre_id)
    yield db, centre_id, patient_id
    db.dispose()
