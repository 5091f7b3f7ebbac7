"""The corticosteroid trial before TPE for an attack (rules ``ELIG-STEROID-*``).

TPE is second line for MS attacks (AAN 2011: level B for steroid-resistant relapses): a course
of IV methylprednisolone for this attack, judged a few days after its last dose (the drug,
route, dose, days and wait are centre settings, local policy). NMOSD and MOGAD attacks do not
wait for it (:mod:`plexms.core.eligibility`, ELIG-NMOSD-EARLY).

>>> course = SteroidCourse("methylprednisolone", "iv", 1000.0, dt.date(2026, 3, 2), 5, "none")
>>> steroid_finding((course,), dt.date(2026, 3, 1), dt.date(2026, 3, 12),
...                 EligibilityPolicy())[0]
'refractory'
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from plexms.core.policy import EligibilityPolicy
from plexms.core.rules import Reason
from plexms.core.sources import LOCAL_POLICY

__all__ = ["SteroidCourse", "adequate_course", "steroid_finding"]


@dataclass(frozen=True)
class SteroidCourse:
    """One corticosteroid course; ``days`` counts treatment days from ``start_date``."""

    drug: str | None = None
    route: str | None = None
    dose_mg_per_day: float | None = None
    start_date: dt.date | None = None
    days: int | None = None
    response: str | None = None

    @property
    def last_dose_date(self) -> dt.date:
        """Date of the last dose (complete courses only)."""
        assert self.start_date is not None and self.days is not None  # noqa: S101
        return self.start_date + dt.timedelta(days=self.days - 1)


def adequate_course(course: SteroidCourse, pol: EligibilityPolicy) -> bool:
    """True when the course meets the centre's adequate-trial settings (ELIG-STEROID-ADEQUATE)."""
    assert course.dose_mg_per_day is not None and course.days is not None  # noqa: S101
    return (
        (course.drug or "").strip().lower() in pol.steroid_drugs
        and course.route in pol.steroid_routes
        and course.dose_mg_per_day >= pol.steroid_min_mg_per_day
        and course.days >= pol.steroid_min_days
    )


def steroid_finding(
    steroids: tuple[SteroidCourse, ...], onset: dt.date, today: dt.date, pol: EligibilityPolicy
) -> tuple[str, list[Reason], dt.date | None]:
    """``(status, reasons, reassess_on)`` of the steroid trial for the attack of ``onset``.

    Status: ``not_tried``, ``responded``, ``inadequate``, ``ongoing``, ``waiting`` or
    ``refractory`` (no or partial response after the wait). Courses must be complete.
    """
    reasons: list[Reason] = []
    earlier = [c for c in steroids if c.start_date and c.start_date < onset]
    if earlier:
        text = f"{len(earlier)} steroid course(s) began before this attack ({onset}): not counted."
        reasons.append(Reason("ELIG-STEROID-EARLIER", text, LOCAL_POLICY))
    current = sorted((c for c in steroids if c not in earlier), key=lambda c: c.start_date or onset)
    if not current:
        text = (
            "No corticosteroid course for this attack: TPE is second-line, for attacks not "
            "responding to IV methylprednisolone (AAN 2011: level B for steroid-resistant "
            "relapses)."
        )
        return "not_tried", [*reasons, Reason("ELIG-STEROID-NOT-TRIED", text, "AAN_2011")], None
    latest = current[-1]
    if latest.response == "full":
        text = f"Full response to the steroid course of {latest.start_date}: not refractory."
        return "responded", [*reasons, Reason("ELIG-STEROID-RESPONDED", text, "AAN_2011")], None
    rule = (
        f"{'/'.join(pol.steroid_drugs)} {'/'.join(pol.steroid_routes)} >= "
        f"{pol.steroid_min_mg_per_day:g} mg/day for >= {pol.steroid_min_days} days, local policy"
    )
    adequate = [c for c in current if adequate_course(c, pol)]
    if not adequate:
        text = f"No adequate steroid trial for this attack ({rule}): complete one first."
        return "inadequate", [*reasons, Reason("ELIG-STEROID-ADEQUATE", text, LOCAL_POLICY)], None
    last = adequate[-1]
    text = (
        f"Adequate steroid trial: {last.drug} {last.route} {last.dose_mg_per_day:g} mg/day x "
        f"{last.days} days from {last.start_date} ({rule})."
    )
    reasons.append(Reason("ELIG-STEROID-ADEQUATE", text, LOCAL_POLICY))
    judge_on = last.last_dose_date + dt.timedelta(days=pol.steroid_wait_days)
    if last.last_dose_date > today:
        text = f"Steroid course still running (last dose {last.last_dose_date}): reassess then."
        return "ongoing", [*reasons, Reason("ELIG-STEROID-ONGOING", text, LOCAL_POLICY)], judge_on
    if today < judge_on:
        text = (
            f"{(today - last.last_dose_date).days} days since the last steroid dose; the "
            f"response is judged {pol.steroid_wait_days} days after it (local policy): "
            f"reassess on {judge_on}."
        )
        return "waiting", [*reasons, Reason("ELIG-STEROID-WAIT", text, LOCAL_POLICY)], judge_on
    if latest.response == "none":
        text = "No response to an adequate steroid trial: steroid-refractory attack."
        return "refractory", [*reasons, Reason("ELIG-STEROID-REFRACTORY", text, "AAN_2011")], None
    text = "Partial response with a persisting deficit: inadequate response to steroids."
    return "refractory", [*reasons, Reason("ELIG-STEROID-PARTIAL", text, "SCI_REP_2022")], None
