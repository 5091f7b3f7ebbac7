"""Clinical vignettes for the DMT hand-back (issue 14 item 10): each antibody drug, a hand-back
right after a course, a dose due before the last exchange. Each vignette asserts the answer
and the rule that decides it, as a consultant would read the letter."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from plexms.core.dmt import (
    DMTS,
    LARGELY_REMOVED_FRACTION,
    Course,
    DmtAdvice,
    dmt_advice,
    removal_wording,
)

D = dt.date
COURSE = Course(D(2026, 3, 10), 5, 1.0)  # every other day: 10, 12, 14, 16, 18 March
LAST = D(2026, 3, 18)


@dataclass(frozen=True)
class Vignette:
    name: str
    dmt: str
    last_dose: dt.date | None
    due: dt.date | None
    rules: tuple[str, ...]  # rules the answer must contain
    next_dose: dt.date | None
    modelled: bool
    says: tuple[str, ...] = ()  # phrases the advice must contain


VIGNETTES = [
    Vignette(
        "natalizumab 4 days before, infusion due mid-course: deferred to the last exchange",
        "natalizumab",
        D(2026, 3, 6),
        D(2026, 3, 13),  # 4-weekly infusion due within the course
        ("DMT-AFTER-COURSE", "DMT-DOSE-RECENT", "DMT-PREDICTED"),
        LAST,
        True,
        ("falls within the course: give it on 2026-03-18", "largely removed"),
    ),
    Vignette(
        "rituximab given 2 days before the first exchange",
        "rituximab",
        D(2026, 3, 8),
        None,
        ("DMT-B-CELLS", "DMT-DOSE-RECENT", "DMT-PREDICTED"),
        None,
        True,
        ("CD19/CD20", "largely removed"),
    ),
    Vignette(
        "rituximab six months ago, next infusion due after the course: kept on its date",
        "rituximab",
        D(2025, 9, 15),
        D(2026, 3, 25),
        ("DMT-B-CELLS", "DMT-DOSE-EARLIER", "DMT-AFTER-COURSE"),
        D(2026, 3, 25),
        True,
        ("Keep the scheduled Rituximab dose on 2026-03-25", "little removed"),
    ),
    Vignette(
        "ocrelizumab 3 weeks before: modelled, B-cell count suggested",
        "ocrelizumab",
        D(2026, 2, 17),
        None,
        ("DMT-B-CELLS", "DMT-DOSE-RECENT", "DMT-PREDICTED"),
        None,
        True,
        ("CD19/CD20",),
    ),
    Vignette(
        "ofatumumab injection during the course: no kinetic model, no 'largely'",
        "ofatumumab",
        D(2026, 3, 13),
        None,
        ("DMT-B-CELLS", "DMT-DOSE-DURING"),
        None,
        False,
        ("no kinetic model: parameters not published",),
    ),
    Vignette(
        "ublituximab 10 days before: not modelled",
        "ublituximab",
        D(2026, 2, 28),
        None,
        ("DMT-B-CELLS", "DMT-DOSE-RECENT"),
        None,
        False,
        ("not quantified",),
    ),
    Vignette(
        "eculizumab for NMOSD, maintenance due during the course: supplemental dose per label",
        "eculizumab",
        D(2026, 3, 3),
        D(2026, 3, 17),
        ("DMT-SUPPLEMENT", "DMT-AFTER-COURSE", "DMT-DOSE-RECENT"),
        LAST,
        False,
        ("supplemental dose after plasma exchange", "supplemental doses after each exchange"),
    ),
    Vignette(
        "ravulizumab for NMOSD, 8-weekly dose due after the course",
        "ravulizumab",
        D(2026, 2, 1),
        D(2026, 3, 29),
        ("DMT-SUPPLEMENT", "DMT-AFTER-COURSE", "DMT-DOSE-EARLIER"),
        D(2026, 3, 29),
        False,
        ("supplemental dose",),
    ),
    Vignette(
        "satralizumab for NMOSD, monthly injection due on the last exchange day",
        "satralizumab",
        D(2026, 2, 18),
        LAST,
        ("DMT-AFTER-COURSE", "DMT-DOSE-RECENT"),
        LAST,
        False,
        ("give it on 2026-03-18, after the last exchange",),
    ),
    Vignette(
        "inebilizumab for NMOSD, infusion after the course: nothing removed",
        "inebilizumab",
        D(2026, 3, 20),
        None,
        ("DMT-B-CELLS", "DMT-DOSE-AFTER"),
        None,
        False,
        ("this course removes none",),
    ),
    Vignette(
        "alemtuzumab course long ago: little left to remove, no model",
        "alemtuzumab",
        D(2025, 5, 1),
        None,
        ("DMT-DOSE-EARLIER", "DMT-AFTER-COURSE"),
        None,
        False,
        ("not before the last exchange (2026-03-18)",),
    ),
    Vignette(
        "hand-back right after the course, natalizumab due the day after the last exchange",
        "natalizumab",
        D(2026, 2, 20),
        D(2026, 3, 19),
        ("DMT-AFTER-COURSE", "DMT-DOSE-RECENT", "DMT-PREDICTED"),
        D(2026, 3, 19),
        True,
        ("Keep the scheduled Natalizumab dose on 2026-03-19",),
    ),
]


def _advise(v: Vignette) -> DmtAdvice:
    return dmt_advice(v.dmt, last_dose_date=v.last_dose, course=COURSE, next_dose_due=v.due)


@pytest.mark.parametrize("v", VIGNETTES, ids=[v.name for v in VIGNETTES])
def test_vignette(v: Vignette) -> None:
    advice = _advise(v)
    rules = [a.rule for a in advice.advice]
    assert set(v.rules) <= set(rules), rules
    assert advice.last_exchange_date == LAST
    assert advice.next_dose_date == v.next_dose
    assert advice.prediction.modelled is v.modelled
    text = " ".join(a.text for a in advice.advice) + " " + advice.prediction.note
    for phrase in v.says:
        assert phrase in text, phrase


def test_every_antibody_drug_has_a_vignette() -> None:
    antibodies = {k for k, d in DMTS.items() if d.kind == "monoclonal_antibody"}
    assert antibodies <= {v.dmt for v in VIGNETTES}


@pytest.mark.parametrize("v", VIGNETTES, ids=[v.name for v in VIGNETTES])
def test_a_scheduled_dose_is_never_brought_forward(v: Vignette) -> None:
    advice = _advise(v)
    if v.due is not None:
        assert advice.next_dose_date is not None and advice.next_dose_date >= v.due
        assert advice.next_dose_date >= LAST


@pytest.mark.parametrize("v", VIGNETTES, ids=[v.name for v in VIGNETTES])
def test_the_words_agree_with_the_number(v: Vignette) -> None:
    advice = _advise(v)
    p = advice.prediction
    text = " ".join(a.text for a in advice.advice)
    if p.modelled and p.dose_fraction_removed is not None:
        assert p.wording == removal_wording(p.dose_fraction_removed)
        largely = p.dose_fraction_removed >= LARGELY_REMOVED_FRACTION
        assert ("largely removed" in text) is largely
    else:
        assert "largely" not in text
