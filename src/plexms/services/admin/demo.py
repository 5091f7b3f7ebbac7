"""``plexms demo``: the seed clinic, its team and a dozen synthetic patients at every stage.

Everything goes through the use cases (so the audit trail and the stored computations are
real). Dates are relative to ``ctx.now`` so the clinic looks alive whenever it is seeded. All
names are synthetic.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from plexms.core.errors import InputError
from plexms.core.kinetics import SUBSTANCES, simulate_cohort
from plexms.core.policy import DEFAULT_TIME_ZONE, CentrePolicy, policy_to_dict
from plexms.services.admin import centres, resources, users
from plexms.services.clinical import booking, courses, outcomes, patients, referrals, sessions
from plexms.services.context import SYSTEM, Actor, ServiceContext
from plexms.services.schemas import (
    CentreIn,
    EpisodeIn,
    MeasurementIn,
    MriIn,
    PatientIn,
    ReferralIn,
    SteroidIn,
    UserIn,
)
from plexms.services.schemas.clinical import (
    AdverseEventIn,
    CoursePlanIn,
    CourseStatusIn,
    DocumentIn,
    HandBackIn,
    LabIn,
    MeasureIn,
    OutcomeIn,
    SessionRecordIn,
)
from plexms.services.schemas.resources import (
    MachineIn,
    MaintenanceIn,
    NurseIn,
    PlaceIn,
    ShiftIn,
)
from plexms.store.models import Centre

__all__ = ["DEMO_CENTRE", "DEMO_USERS", "DemoResult", "is_seeded", "seed"]

DEMO_CENTRE = CentreIn(
    code="lajolla",
    name="AgeReversalMD TPE Clinic (demo)",
    address_line="3262 Holiday Ct. Suite 210",
    city="La Jolla",
    region="CA",
    postal_code="92037",
    country="US",
    phone="760-944-9200",
    time_zone=DEFAULT_TIME_ZONE,
    holiday_calendar="US-CA",
    units="us",
    policy=policy_to_dict(CentrePolicy()),
)
DEMO_USERS = ("admin", "physician", "nurse", "coordinator", "viewer")
_FS = {
    "visual": 0,
    "brainstem": 1,
    "pyramidal": 3,
    "cerebellar": 2,
    "sensory": 2,
    "bowel_bladder": 1,
    "cerebral": 0,
}
_FS_BETTER = {**_FS, "pyramidal": 2, "cerebellar": 1}

# Measures beyond the EDSS at the demo's baseline and follow-up visits (synthetic scores):
# (measure, side, before, after); a selection, not every measure. The walk, SDMT, right-eye
# letters and MSIS-29 physical improve by more than their meaningful change; the rest do not.
_MEASURE_VALUES = (
    ("t25fw", None, 9.8, 7.6),
    ("nhpt", "dominant", 26.0, 22.5),
    ("nhpt", "non_dominant", 24.0, 23.0),
    ("sdmt", None, 42.0, 47.0),
    ("lcla_2_5", "right", 18.0, 26.0),
    ("lcla_2_5", "left", 24.0, 25.0),
    ("msis29_physical", None, 52.0, 41.0),
    ("msis29_psychological", None, 40.0, 35.0),
)
_MEASURES_BEFORE = tuple((m, side, before) for m, side, before, _ in _MEASURE_VALUES)
_MEASURES_AFTER = tuple((m, side, after) for m, side, _, after in _MEASURE_VALUES)


def _measures(values: tuple[tuple[str, str | None, float], ...]) -> list[MeasureIn]:
    return [MeasureIn(measure=m, side=side, value=value) for m, side, value in values]


@dataclass(frozen=True)
class DemoResult:
    centre_id: int
    usernames: tuple[str, ...]
    password: str
    patients: int
    generated_password: bool


def is_seeded(ctx: ServiceContext) -> bool:
    """Whether any centre exists (the demo only seeds an empty database)."""
    with ctx.db.read() as session:
        return bool(session.execute(select(func.count()).select_from(Centre)).scalar_one())


def seed(ctx: ServiceContext, password: str | None = None) -> DemoResult:
    """Seed the demo centre, users (one per role) and twelve synthetic patients, all in one
    transaction: a failure part way leaves the database empty, so a re-run works."""
    with ctx.db.transaction() as db:
        return _seed(dataclasses.replace(ctx, db=db), password)


def _seed(ctx: ServiceContext, password: str | None) -> DemoResult:
    if is_seeded(ctx):
        raise InputError("database", "is not empty: the demo seeds an empty database only")
    generated = not password
    password = password or secrets.token_urlsafe(12)
    system = ServiceContext(db=ctx.db, actor=SYSTEM, now=ctx.now, settings=ctx.settings)
    centre = centres.create_centre(system, DEMO_CENTRE)
    ids = {}
    for role in DEMO_USERS:
        user = users.create_user(
            system,
            UserIn.model_validate(
                {
                    "username": role,
                    "password": password,
                    "role": role,
                    "display_name": f"Demo {role}",
                }
            ),
            centre_code=DEMO_CENTRE.code,
        )
        ids[role] = user.id
    clinic = _Clinic(ctx, centre.id, ids)
    clinic.build()
    clinic.unit(password)
    return DemoResult(centre.id, DEMO_USERS, password, clinic.n + 2, generated)


class _Clinic:
    def __init__(self, ctx: ServiceContext, centre_id: int, ids: dict[str, int]) -> None:
        self.base = ctx
        self.centre_id = centre_id
        self.ids = ids
        self.zone = ZoneInfo(DEMO_CENTRE.time_zone)
        self.today = ctx.now.astimezone(self.zone).date()
        self.n = 0

    def as_(self, role: str) -> ServiceContext:
        actor = Actor(self.ids[role], role, role, self.centre_id)
        return ServiceContext(
            db=self.base.db,
            actor=actor,
            now=self.base.now,
            request_id="demo-seed",
            settings=self.base.settings,
        )

    def day(self, offset: int) -> dt.date:
        return self.today + dt.timedelta(days=offset)

    def patient(
        self,
        given: str,
        family: str,
        sex: str,
        born: int,
        onset: int,
        presentation: str = "relapse",
    ) -> tuple[int, int]:
        self.n += 1
        doc = self.as_("physician")
        p = patients.create_patient(
            doc,
            PatientIn(
                mrn=f"DEMO-{self.n:03d}",
                family_name=family,
                given_name=given,
                birth_date=dt.date(born, 1 + self.n % 12, 1 + self.n),
                sex=sex,  # type: ignore[arg-type]
                ms_phenotype="RRMS",
                ms_diagnosis_year=born + 25,
                referring_neurologist="Dr. Demo Neurologist",
            ),
        )
        weight = 62.0 + 3 * self.n if sex == "female" else 78.0 + 2 * self.n
        height = 163.0 + self.n if sex == "female" else 176.0 + self.n
        patients.add_measurement(
            self.as_("nurse"),
            p.id,
            MeasurementIn(
                measured_at=self.base.now - dt.timedelta(days=1),
                height_cm=height,
                weight_kg=weight,
                hematocrit=0.38 + 0.005 * (self.n % 5),
            ),
        )
        ep = patients.add_episode(
            doc,
            p.id,
            EpisodeIn(
                onset_date=self.day(onset),
                presentation=presentation,
                edss_at_onset=4.0,
                steroid_response="none",
                description="Synthetic demo relapse.",
            ),
        )
        patients.add_steroid_course(
            doc,
            p.id,
            SteroidIn(
                episode_id=ep.id,
                dose_mg_per_day=1000,
                start_date=self.day(onset + 2),
                end_date=self.day(onset + 6),
                response="none",
            ),
        )
        patients.add_mri(
            doc,
            p.id,
            MriIn(
                episode_id=ep.id,
                study_date=self.day(onset + 1),
                gd_enhancing_lesions=2,
                ring_enhancement=False,
                mass_effect=False,
            ),
        )
        return p.id, ep.id

    def course(self, pid: int, ep: int, start: int, exchanges: int = 5) -> Any:
        return courses.plan_course(
            self.as_("physician"),
            pid,
            CoursePlanIn(
                episode_id=ep,
                plan={"exchanges": exchanges, "start_date": self.day(start).isoformat()},
            ),
        )

    def do_sessions(self, course_id: int, count: int, ae_on: int | None = None) -> None:
        nurse = self.as_("nurse")
        sheets = courses.list_course_sessions(nurse, course_id)
        levels = _demo_levels(course_id, sheets[:count])
        for sheet in sheets[:count]:
            start = sheet.planned_start
            sessions.record_session(
                nurse,
                sheet.id,
                SessionRecordIn(
                    status="done",
                    actual_start=start,
                    actual_end=start + dt.timedelta(hours=2),
                    plasma_removed_ml=sheet.planned_plasma_volume_ml,
                    anticoagulant="ACD-A",
                    replacement_fluids=[
                        {
                            "fluid": "albumin_5",  # type: ignore[list-item]
                            "volume_ml": sheet.planned_plasma_volume_ml or 0,
                        }
                    ],
                    calcium_gluconate_ml=30,
                    vascular_access="peripheral",
                    # a sheet is signed once the session has happened (no future sign-off)
                    sign_off=start + dt.timedelta(hours=2) <= self.base.now,
                ),
                sheet.version,
            )
            for (analyte, timing), value in levels[sheet.sequence].items():
                if timing == "post" and start + 2 * _SAMPLE_GAP + _RUN > self.base.now:
                    continue  # no sample from the future
                sessions.add_lab(
                    nurse,
                    sheet.patient_id,
                    LabIn(
                        taken_at=start - _SAMPLE_GAP
                        if timing == "pre"
                        else start + _RUN + _SAMPLE_GAP,
                        analyte=analyte,  # type: ignore[arg-type]
                        value=round(value * 100) if analyte == "fibrinogen" else round(value, 1),
                        unit="mg/dL" if analyte == "fibrinogen" else "g/L",
                        session_id=sheet.id,
                        timing=timing,  # type: ignore[arg-type]
                    ),
                )
            if ae_on == sheet.sequence:
                sessions.report_adverse_event(
                    nurse,
                    sheet.patient_id,
                    AdverseEventIn(
                        session_id=sheet.id,
                        event_type="hypocalcaemia",
                        severity="mild",
                        onset_at=start + dt.timedelta(minutes=50),
                        action="Oral calcium; slowed the return rate.",
                        outcome="Resolved",
                    ),
                )

    def finish(self, pid: int, course_id: int, outcome_offset: int, handback: bool) -> None:
        doc = self.as_("physician")
        c = courses.get_course(doc, course_id)
        if c.status == "active":  # signing the last exchange off completes it already
            courses.set_course_status(doc, course_id, CourseStatusIn(status="completed"), c.version)
        outcomes.record_outcome(
            doc,
            pid,
            OutcomeIn(
                course_id=course_id,
                timepoint="baseline",
                assessed_on=c.start_date,
                edss={"fs": _FS, "ambulation_score": 0},
                va_right_logmar=0.2,
                va_left_logmar=0.0,
                measures=_measures(_MEASURES_BEFORE),
            ),
        )
        outcomes.record_outcome(
            doc,
            pid,
            OutcomeIn(
                course_id=course_id,
                timepoint="end_of_course" if outcome_offset < 20 else "1_month",
                assessed_on=self.day(-outcome_offset),
                edss={"fs": _FS_BETTER, "ambulation_score": 0},
                va_right_logmar=0.1,
                va_left_logmar=0.0,
                targeted_deficit="moderate",
                measures=_measures(_MEASURES_AFTER),
            ),
        )
        if handback:
            outcomes.record_handback(
                doc,
                pid,
                HandBackIn(
                    course_id=course_id,
                    planned_dmt="ocrelizumab",
                    earliest_dose_date=self.day(-outcome_offset + 3),
                    plan="Resume disease-modifying therapy after the course; infusion no sooner "
                    "than the day after the last exchange.",
                ),
            )
            outcomes.add_document(
                self.as_("coordinator"),
                pid,
                DocumentIn(
                    course_id=course_id,
                    kind="letter",
                    title="Hand-back letter (demo)",
                    media_type="text/plain",
                    content_base64=base64.b64encode(b"Synthetic demo letter.").decode(),
                ),
            )

    def build(self) -> None:
        coord = self.as_("coordinator")
        # 1-2: referrals waiting for triage (no record yet)
        for given, family, onset in (("Maya", "Okafor-Demo", -6), ("Luis", "Brennan-Demo", -3)):
            referrals.submit_referral(
                coord,
                ReferralIn(
                    referrer_name="Dr. Demo Neurologist",
                    referrer_organisation="Demo Neurology",
                    patient_given_name=given,
                    patient_family_name=family,
                    presentation="relapse",
                    onset_date=self.day(onset),
                    reason="Relapse not improving after IV steroids.",
                ),
            )
        # 3: referred, record created, not yet assessed
        self.patient("Iris", "Lindqvist-Demo", "female", 1990, -8)
        # 4: assessed (when the eligibility calculator is in this build)
        pid, ep = self.patient("Tomas", "Novak-Demo", "male", 1986, -10)
        if courses.available(*courses.ASSESS_CALCULATORS):
            try:
                courses.assess_eligibility(
                    self.as_("physician"), pid, courses.AssessmentIn(episode_id=ep, request={})
                )
            except InputError:
                pass
        # 5-6: planned courses starting soon
        for given, family, sex, start in (
            ("Grace", "Adeyemi-Demo", "female", 3),
            ("Owen", "Fitzgerald-Demo", "male", 8),
        ):
            pid, ep = self.patient(given, family, sex, 1988, -9)
            self.course(pid, ep, start)
        # 7-8: active courses, sessions under way (one adverse event)
        pid, ep = self.patient("Sofia", "Marchetti-Demo", "female", 1992, -14)
        c = self.course(pid, ep, -4)
        self.do_sessions(c.id, 2, ae_on=2)
        pid, ep = self.patient("Daniel", "Kowalski-Demo", "male", 1981, -16, "optic_neuritis")
        c = self.course(pid, ep, -6)
        self.do_sessions(c.id, 3)
        # 9-10: completed with outcomes
        for given, family, sex, start in (
            ("Hannah", "Reyes-Demo", "female", -30),
            ("Ethan", "Walsh-Demo", "male", -40),
        ):
            pid, ep = self.patient(given, family, sex, 1985, start - 10)
            c = self.course(pid, ep, start)
            self.do_sessions(c.id, 5, ae_on=1 if sex == "male" else None)
            self.finish(pid, c.id, -start - 14, handback=False)
        # 11-12: handed back to the referring neurologist
        for given, family, sex, start, pres in (
            ("Nora", "Haddad-Demo", "female", -60, "relapse"),
            ("Felix", "Berg-Demo", "male", -90, "optic_neuritis"),
        ):
            pid, ep = self.patient(given, family, sex, 1983, start - 10, pres)
            c = self.course(pid, ep, start)
            self.do_sessions(c.id, 5)
            self.finish(pid, c.id, -start - 30, handback=True)

    def unit(self, password: str) -> None:
        """The unit (issue 17): four places (a bed that takes central lines), three machines
        (one in service next Tuesday afternoon), three apheresis nurses on weekday shifts for
        four weeks, the planned and active courses booked, and six more courses starting over
        the coming week, so the calendar shows a full week."""
        admin = self.as_("admin")
        for name, kind, central in (
            ("Chair 1", "chair", False),
            ("Chair 2", "chair", False),
            ("Chair 3", "chair", False),
            ("Bed 4", "bed", True),
        ):
            resources.create_place(admin, PlaceIn(name=name, kind=kind, central_line_ok=central))
        machines = [
            resources.create_machine(
                admin, MachineIn(name=f"Optia {k}", model="Spectra Optia", serial=f"1OP-DEMO-{k}")
            )
            for k in (1, 2, 3)
        ]
        monday = self.today - dt.timedelta(days=self.today.weekday())
        tuesday = monday + dt.timedelta(days=8)
        resources.add_maintenance(
            admin,
            machines[2].id,
            MaintenanceIn(
                start_at=self.at(tuesday, 12),
                end_at=self.at(tuesday, 18),
                reason="Preventive maintenance (demo)",
            ),
        )
        nurses = [self.ids["nurse"]]
        for k in (2, 3):
            nurses.append(
                users.create_user(
                    self.base_system(),
                    UserIn.model_validate(
                        {
                            "username": f"nurse{k}",
                            "password": password,
                            "role": "nurse",
                            "display_name": f"Demo nurse {k}",
                        }
                    ),
                    centre_code=DEMO_CENTRE.code,
                ).id
            )
        for user_id in nurses:
            resources.set_nurse(admin, user_id, NurseIn(apheresis_competent=True))
            for k in range(28):
                day = monday + dt.timedelta(days=k)
                if day.weekday() < 5:
                    resources.create_shift(
                        admin,
                        ShiftIn(
                            nurse_user_id=user_id,
                            start_at=self.at(day, 7, 30),
                            end_at=self.at(day, 17, 30),
                        ),
                    )
        coord = self.as_("coordinator")
        for c in courses.list_courses(coord, limit=50).items:
            if c.status in ("planned", "active"):
                booking.book_course(coord, c.id)
        for k, (given, family, sex) in enumerate(
            (
                ("Ava", "Moreno-Demo", "female"),
                ("Liam", "Petrov-Demo", "male"),
                ("Zoe", "Tanaka-Demo", "female"),
                ("Noah", "Lindgren-Demo", "male"),
                ("Mia", "Osei-Demo", "female"),
                ("Jonas", "Weber-Demo", "male"),
            ),
            start=1,
        ):
            pid, ep = self.patient(given, family, sex, 1980 + k, -10)
            self.course(pid, ep, (monday + dt.timedelta(days=7) - self.today).days + k // 2)

    def at(self, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour, minute), self.zone)

    def base_system(self) -> ServiceContext:
        return ServiceContext(
            db=self.base.db, actor=SYSTEM, now=self.base.now, settings=self.base.settings
        )


_SAMPLE_GAP = dt.timedelta(minutes=15)  # samples drawn before the run and after it
_RUN = dt.timedelta(hours=2)


def _demo_levels(course_id: int, sheets: list[Any]) -> dict[int, dict[tuple[str, str], float]]:
    """IgG and fibrinogen before and after each done exchange (g/L), simulated with the exact
    kinetic model for a synthetic patient whose parameters differ a little from the population
    (so the course page's fit has something to find), with a small fixed assay scatter."""
    if not sheets:
        return {}
    t0 = sheets[0].planned_start  # time 0 is an hour before the first exchange
    start = [(s.planned_start - t0).total_seconds() / 3600 + 1.0 for s in sheets]
    times = [t for h in start for t in (h - 0.25, h + 2.25)]
    volume = [float(s.planned_plasma_volume_ml or 3000.0) for s in sheets]
    out: dict[int, dict[tuple[str, str], float]] = {s.sequence: {} for s in sheets}
    for key, baseline in (
        ("igg", 8.0 + course_id % 5),
        ("fibrinogen", 2.4 + 0.2 * (course_id % 4)),
    ):
        sub = SUBSTANCES[key]
        curve = simulate_cohort(
            key,
            plasma_volume_ml=volume[0],
            exchange_volume_ml=volume,
            exchange_start_h=start,
            exchange_duration_h=2.0,
            elimination_half_life_h=sub.elimination_half_life_h * (0.8, 1.0, 1.25)[course_id % 3],
            baseline=baseline,
            sample_times_h=times,
        ).curve
        values = [float(v) for v in (curve if curve is not None else [[]])[0]]
        for i, s in enumerate(sheets):
            for j, timing in enumerate(("pre", "post")):
                scatter = 1.0 + 0.03 * (((s.sequence * 7 + j * 3 + course_id) % 5) - 2) / 2
                out[s.sequence][(key, timing)] = values[2 * i + j] * scatter
    return out
