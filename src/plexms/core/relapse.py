"""Is this a confirmed attack? Relapse confirmation before an exchange is offered.

An attack lasts at least 24 hours without fever or infection (``MCDONALD_2017``; the hours a
centre setting, ``EligibilityPolicy.relapse_min_hours``): shorter symptoms, or symptoms with
fever or an infection, may be a pseudo-relapse, and the assessment is deferred. On natalizumab,
a new deficit may be progressive multifocal leukoencephalopathy (``TYSABRI_PML``): JCV antibody
status and an MRI read for PML are needed before the deficit is called a relapse.

The confirmation is optional in the request (old requests still work, with a reason saying it
was not recorded); once given, each of its fields is required, and a missing one makes the
answer ``incomplete``.

>>> check = RelapseCheck(symptom_hours=48, fever=False, infection=False, on_natalizumab=False)
>>> confirmation_missing(check)
()
>>> status, reasons = confirm_relapse(check, "relapsing_ms", 24.0)
>>> status, reasons[0].rule
('confirmed', 'ELIG-RELAPSE-CONFIRMED')
>>> short = RelapseCheck(symptom_hours=23.5, fever=False, infection=False, on_natalizumab=False)
>>> confirm_relapse(short, "cis", 24.0)[0]
'unconfirmed'
"""

from __future__ import annotations

from dataclasses import dataclass

from plexms.core.rules import Reason

__all__ = ["JCV_STATUSES", "RelapseCheck", "confirm_relapse", "confirmation_missing"]

JCV_STATUSES = ("positive", "negative")
# ADEM often follows an infection: fever or infection does not make it a pseudo-relapse.
_NO_PSEUDO_RELAPSE_RULE = ("adem",)


@dataclass(frozen=True)
class RelapseCheck:
    """What confirms the attack; each ``None`` = not stated.

    ``pml_excluded``: an MRI (with CSF JCV DNA where indicated) read as showing no PML.
    """

    symptom_hours: float | None = None
    fever: bool | None = None
    infection: bool | None = None
    on_natalizumab: bool | None = None
    jcv_status: str | None = None
    pml_excluded: bool | None = None


def confirmation_missing(check: RelapseCheck | None) -> tuple[str, ...]:
    """The confirmation fields not given (``relapse.<name>``); nothing when not given at all.

    >>> confirmation_missing(RelapseCheck(symptom_hours=30, on_natalizumab=True))
    ('relapse.fever', 'relapse.infection', 'relapse.jcv_status', 'relapse.pml_excluded')
    """
    if check is None:
        return ()
    names = ["symptom_hours", "fever", "infection", "on_natalizumab"]
    if check.on_natalizumab:
        names += ["jcv_status", "pml_excluded"]
    return tuple(f"relapse.{n}" for n in names if getattr(check, n) is None)


def confirm_relapse(
    check: RelapseCheck | None, diagnosis: str | None, min_hours: float
) -> tuple[str, tuple[Reason, ...]]:
    """``(status, reasons)``: ``confirmed``, ``unconfirmed`` (defer), or ``not_recorded``.

    Call with a complete check (see :func:`confirmation_missing`).
    """
    if check is None:
        text = (
            f"Relapse confirmation not recorded: confirm symptoms >= {min_hours:g} h without "
            "fever or infection (and, on natalizumab, PML considered) before treating."
        )
        return "not_recorded", (Reason("ELIG-RELAPSE-NOT-RECORDED", text, "MCDONALD_2017"),)
    assert check.symptom_hours is not None  # noqa: S101 - checked by confirmation_missing
    found: list[Reason] = []
    if check.symptom_hours < min_hours:
        text = (
            f"Symptoms for {check.symptom_hours:g} h: under {min_hours:g} h, not yet a confirmed "
            "attack (>= is needed); reassess when they have lasted that long."
        )
        found.append(Reason("ELIG-RELAPSE-DURATION", text, "MCDONALD_2017"))
    if (check.fever or check.infection) and diagnosis not in _NO_PSEUDO_RELAPSE_RULE:
        what = " and ".join(
            w for w, on in (("fever", check.fever), ("an infection", check.infection)) if on
        )
        text = f"With {what}, a pseudo-relapse is not excluded: treat the cause and reassess."
        found.append(Reason("ELIG-PSEUDO-RELAPSE", text, "MCDONALD_2017"))
    if check.on_natalizumab:
        jcv = f"JCV antibody {check.jcv_status}"
        if not check.pml_excluded:
            text = (
                f"On natalizumab ({jcv}): PML is not excluded. MRI read for PML (and CSF JCV "
                "DNA) before the new deficit is called a relapse."
            )
            found.append(Reason("ELIG-PML", text, "TYSABRI_PML"))
        else:
            text = f"On natalizumab ({jcv}): PML considered and excluded on MRI."
            found.append(Reason("ELIG-PML-EXCLUDED", text, "TYSABRI_PML"))
    deferring = [r for r in found if r.rule != "ELIG-PML-EXCLUDED"]
    if deferring:
        return "unconfirmed", tuple(found)
    text = (
        f"Attack confirmed: symptoms for {check.symptom_hours:g} h (>= {min_hours:g} h) "
        "without fever or infection."
    )
    return "confirmed", (Reason("ELIG-RELAPSE-CONFIRMED", text, "MCDONALD_2017"), *found)
