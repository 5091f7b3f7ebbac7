"""The clinical word lists of plexms, each defined once: every value with its label.

Everything that offers a choice is generated from these: the pydantic ``Literal``-style types of
the API and of the ``plexms calc`` contract (:class:`plexms.services.schemas.common.OneOf`), the
web forms' options, the FHIR code table's keys (checked by ``tests/core/test_vocabulary.py``)
and ``docs/vocabularies.md`` (written by ``scripts/vocabularies.py``). A value is the word
stored and exchanged; where an external contract spells one differently (the ``calc response``
request says ``clinically_isolated_syndrome`` for ``cis``) the term names that spelling and
:meth:`Vocabulary.word` maps it back, in this one place.

>>> SYMPTOMS.label("syncope")
'Fainting (syncope)'
>>> PRESENTATIONS.word("clinically_isolated_syndrome")
'cis'
>>> PRESENTATIONS.contract("cis")
'clinically_isolated_syndrome'
>>> "death" in AE_SEVERITIES
True
"""

from __future__ import annotations

from dataclasses import dataclass

from plexms.core.sources import LOCAL_POLICY

__all__ = [
    "AE_SEVERITIES",
    "AE_TYPES",
    "ANTICOAGULANTS",
    "ASFA_PRESENTATIONS",
    "BOOKING_STATUSES",
    "COURSE_STATUSES",
    "CTCAE_GRADES",
    "DIAGNOSES",
    "EDSS_STEPS",
    "LINE_DRESSING",
    "LINE_EVENTS",
    "LINE_KINDS",
    "LINE_REMOVAL_REASONS",
    "LINE_SITES",
    "LINE_TYPES",
    "LOCK_SOLUTIONS",
    "LOT_KINDS",
    "MEASURES",
    "MEASURE_SIDES",
    "OUTCOME_MEASURES",
    "PLACE_KINDS",
    "PRECHECK_ACCESS",
    "PRESENTATIONS",
    "REPLACEMENT_FLUIDS",
    "SUPPLY_ITEMS",
    "SYMPTOMS",
    "TND_GRADES",
    "VASCULAR_ACCESS",
    "VOCABULARIES",
    "Measure",
    "Term",
    "Vocabulary",
]


@dataclass(frozen=True, slots=True)
class Term:
    """One value of a vocabulary: the stored word, its label, and (when clinical) what it
    means. ``contract`` is the spelling of an external contract where it differs."""

    value: str
    label: str
    description: str = ""
    contract: str = ""


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """A named, ordered list of terms and the source (a ``core.sources`` key) it follows."""

    name: str
    title: str
    terms: tuple[Term, ...]
    source: str = LOCAL_POLICY
    used_by: str = ""

    @property
    def values(self) -> tuple[str, ...]:
        """The stored words, in order."""
        return tuple(t.value for t in self.terms)

    @property
    def contract_values(self) -> tuple[str, ...]:
        """The words as the external contract spells them, in order."""
        return tuple(t.contract or t.value for t in self.terms)

    @property
    def options(self) -> tuple[tuple[str, str], ...]:
        """``(value, label)`` pairs, what a form's select or checkboxes offer."""
        return tuple((t.value, t.label) for t in self.terms)

    def label(self, value: str) -> str:
        """The label of ``value`` (the value itself when unknown)."""
        return next((t.label for t in self.terms if value in (t.value, t.contract)), value)

    def contract(self, value: str) -> str:
        """How the external contract spells the stored word ``value``."""
        return next((t.contract or t.value for t in self.terms if t.value == value), value)

    def word(self, value: str) -> str:
        """The stored word for ``value`` in either spelling (unknown values unchanged)."""
        return next((t.value for t in self.terms if t.contract and t.contract == value), value)

    def __contains__(self, value: object) -> bool:
        return value in self.values


def _vocabulary(
    name: str, title: str, *terms: Term | tuple[str, str], source: str = LOCAL_POLICY, used_by: str
) -> Vocabulary:
    built = tuple(t if isinstance(t, Term) else Term(*t) for t in terms)
    return Vocabulary(name, title, built, source, used_by)


SYMPTOMS = _vocabulary(
    "symptoms",
    "Pre-session symptoms",
    ("fever", "Fever"),
    ("chills", "Chills"),
    ("chest_pain", "Chest pain"),
    ("dyspnoea", "Breathlessness"),
    ("palpitations", "Palpitations"),
    ("syncope", "Fainting (syncope)"),
    ("dizziness", "Dizziness"),
    ("paraesthesia", "Tingling (paraesthesia)"),
    ("muscle_cramps", "Muscle cramps"),
    ("nausea", "Nausea"),
    ("headache", "Headache"),
    ("rash", "Rash"),
    ("bleeding", "Bleeding"),
    ("catheter_site_infection", "Catheter site infection"),
    ("new_neurological_deficit", "New neurological deficit"),
    ("other", "Other symptom"),
    used_by="calc precheck symptoms; the session sheet; which hold: PrecheckPolicy.hold_symptoms",
)
PRECHECK_ACCESS = _vocabulary(
    "precheck_access",
    "Vascular access (pre-session check)",
    Term("peripheral", "Peripheral", "peripheral venous access"),
    Term("central", "Central line", "a central venous catheter or port"),
    used_by="calc precheck access; the session sheet's go/no-go part",
)
VASCULAR_ACCESS = _vocabulary(
    "vascular_access",
    "Vascular access (recorded procedure)",
    ("peripheral", "Peripheral"),
    ("cvc", "Central venous catheter"),
    ("port", "Port"),
    ("other", "Other"),
    used_by="the session record (API and session sheet)",
)
LINE_KINDS = _vocabulary(
    "line_kinds",
    "Vascular access line kind",
    Term("peripheral", "Peripheral", "a peripheral venous cannula or midline"),
    Term("central", "Central", "a central venous catheter or port"),
    used_by="access lines (API, patient page, registry); the kind follows the line type",
)
LINE_TYPES = _vocabulary(
    "line_types",
    "Vascular access line type",
    ("peripheral_cannula", "Peripheral venous cannula"),
    ("midline", "Midline catheter"),
    ("non_tunnelled_cvc", "Non-tunnelled central venous catheter"),
    ("tunnelled_cvc", "Tunnelled central venous catheter"),
    Term("apheresis_catheter", "Apheresis catheter", "a dual-lumen apheresis/dialysis catheter"),
    Term("port", "Implanted port", "a totally implanted venous access port"),
    used_by="access lines (API, patient page); kind: core.access_lines.LINE_TYPE_KIND",
)
LINE_SITES = _vocabulary(
    "line_sites",
    "Vascular access site",
    ("right_internal_jugular", "Right internal jugular"),
    ("left_internal_jugular", "Left internal jugular"),
    ("right_subclavian", "Right subclavian"),
    ("left_subclavian", "Left subclavian"),
    ("right_femoral", "Right femoral"),
    ("left_femoral", "Left femoral"),
    ("right_chest_wall", "Right chest wall (port)"),
    ("left_chest_wall", "Left chest wall (port)"),
    ("right_antecubital", "Right antecubital"),
    ("left_antecubital", "Left antecubital"),
    ("right_forearm", "Right forearm / hand"),
    ("left_forearm", "Left forearm / hand"),
    ("other", "Other site"),
    used_by="access lines (API, patient page): one central line in place per site",
)
LOCK_SOLUTIONS = _vocabulary(
    "lock_solutions",
    "Catheter lock solution",
    ("heparin_1000", "Heparin 1,000 units/mL"),
    ("heparin_5000", "Heparin 5,000 units/mL"),
    ("heparin_100", "Heparin 100 units/mL"),
    ("citrate_4", "Trisodium citrate 4%"),
    ("taurolidine_citrate", "Taurolidine-citrate"),
    ("alteplase", "Alteplase"),
    ("saline", "0.9% saline only"),
    ("other", "Other"),
    used_by="access lines' lock solution; the session sheet's post-run line care",
)
LINE_EVENTS = _vocabulary(
    "line_events",
    "Line care, problems and infections",
    ("dressing_change", "Dressing change"),
    ("flush", "Flush / lock"),
    ("occlusion", "Occlusion"),
    ("poor_flow", "Poor flow"),
    ("dislodgement", "Dislodgement / migration"),
    ("thrombosis", "Catheter-related thrombosis"),
    ("other_problem", "Other line problem"),
    Term("exit_site_infection", "Exit-site infection", "infection at the catheter exit site"),
    Term("tunnel_infection", "Tunnel infection", "infection along the subcutaneous tunnel"),
    Term(
        "clabsi",
        "CLABSI",
        "central line-associated bloodstream infection (CDC NHSN definition)",
    ),
    source="CDC_NHSN_CLABSI",
    used_by="access line events (API, patient page); infections: core.access_lines",
)
LINE_REMOVAL_REASONS = _vocabulary(
    "line_removal_reasons",
    "Why a line was removed",
    ("no_longer_needed", "No longer needed (course completed)"),
    ("infection", "Infection"),
    ("occlusion", "Occlusion / malfunction"),
    ("dislodged", "Dislodged"),
    ("thrombosis", "Thrombosis"),
    ("other", "Other"),
    used_by="access lines (API, patient page)",
)
LINE_DRESSING = _vocabulary(
    "line_dressing",
    "Line dressing after the run",
    ("intact", "Intact, not changed"),
    ("changed", "Changed"),
    ("reinforced", "Reinforced"),
    used_by="the session sheet's post-run line care",
)
ANTICOAGULANTS = _vocabulary(
    "anticoagulants",
    "Anticoagulant (recorded procedure)",
    ("ACD-A", "ACD-A (acid citrate dextrose, solution A)"),
    ("heparin", "Heparin"),
    ("other", "Other"),
    used_by="the session record (API, session sheet, FHIR import)",
)
PRESENTATIONS = _vocabulary(
    "presentations",
    "Presentations and course indications",
    Term("relapse", "Relapse", "a relapse not recovering after steroids"),
    Term("optic_neuritis", "Optic neuritis"),
    Term(
        "cis",
        "Clinically isolated syndrome",
        "a first demyelinating episode",
        contract="clinically_isolated_syndrome",
    ),
    Term("tumefactive", "Tumefactive lesion", "a tumefactive demyelinating lesion"),
    Term("other", "Other", "another acute demyelinating presentation"),
    used_by=(
        "episodes, referrals and courses (API, web, store, FHIR); calc response indication "
        "(which spells cis as clinically_isolated_syndrome)"
    ),
)
ASFA_PRESENTATIONS = _vocabulary(
    "asfa_presentations",
    "Presentations of an attack (eligibility)",
    ("relapse", "Relapse"),
    ("optic_neuritis", "Optic neuritis"),
    ("tumefactive", "Tumefactive lesion"),
    Term("cis_aggressive", "Aggressive CIS", "a clinically isolated syndrome with a severe attack"),
    Term("progression", "Progression", "chronic progression, not an acute attack"),
    source="ASFA_2023",
    used_by="calc assess / eligibility presentation; the eligibility form",
)
DIAGNOSES = _vocabulary(
    "diagnoses",
    "Diagnoses",
    ("relapsing_ms", "Relapsing MS"),
    ("progressive_ms", "Progressive MS"),
    ("cis", "Clinically isolated syndrome"),
    Term("nmosd", "NMOSD", "neuromyelitis optica spectrum disorder"),
    Term("adem", "ADEM", "acute disseminated encephalomyelitis"),
    Term("mogad", "MOGAD", "myelin oligodendrocyte glycoprotein antibody-associated disease"),
    ("other", "Other"),
    source="ASFA_2023",
    used_by="calc assess / eligibility diagnosis; the eligibility form",
)
TND_GRADES = _vocabulary(
    "tnd_grades",
    "Response of the targeted neurological deficit",
    ("marked", "Marked improvement"),
    ("moderate", "Moderate improvement"),
    ("mild", "Mild improvement"),
    ("none", "No change"),
    ("worse", "Worse"),
    source="WEINSHENKER_1999",
    used_by="outcome visits (API, web); calc response tnd; responder = moderate or marked",
)
REPLACEMENT_FLUIDS = _vocabulary(
    "replacement_fluids",
    "Replacement fluids",
    ("albumin_5", "5% albumin"),
    ("albumin_25", "25% albumin"),
    ("saline_0_9", "0.9% saline"),
    ("plasma", "Plasma"),
    ("other", "Other fluid"),
    used_by="the session record's replacement fluids (API, session sheet, FHIR)",
)
AE_TYPES = _vocabulary(
    "ae_types",
    "Adverse event types",
    ("hypotension", "Hypotension"),
    ("fatigue", "Fatigue"),
    (
        "hypocalcaemia",
        "Hypocalcaemia / citrate reaction (perioral or finger paraesthesia, cramps)",
    ),
    ("catheter_infection", "Catheter-related infection (central venous access)"),
    ("allergic_reaction", "Allergic reaction / urticaria"),
    ("bleeding", "Bleeding"),
    ("arrhythmia", "Arrhythmia"),
    ("vasovagal", "Vasovagal reaction"),
    ("nausea", "Nausea"),
    ("chills", "Chills"),
    Term("other", "Other", "described in the notes"),
    source="WAA_2016",
    used_by="adverse events (API, session sheet); what to do: core.adverse_events catalogue",
)
AE_SEVERITIES = _vocabulary(
    "ae_severities",
    "Adverse event severity (WAA)",
    Term("mild", "Mild", "no medication needed; the procedure continued"),
    Term("moderate", "Moderate", "needed medication"),
    Term("severe", "Severe", "the procedure was interrupted or stopped"),
    Term("death", "Death", "death"),
    source="WAA_2016",
    used_by="adverse events (API, store, FHIR); computed from what happened by the service",
)
COURSE_STATUSES = _vocabulary(
    "course_statuses",
    "Course states",
    Term("planned", "Planned", "prescribed and booked; no exchange done yet"),
    Term("active", "Active", "at least one exchange done"),
    Term("completed", "Completed", "the last exchange is signed off"),
    Term("closed", "Closed", "completed and handed back to the referring neurologist"),
    Term("stopped", "Stopped", "ended early, with a reason"),
    used_by="courses (API, store, course page, letter, PDFs); moves: services.clinical.courses",
)
LOT_KINDS = _vocabulary(
    "lot_kinds",
    "Lots and serials recorded on a session",
    Term("albumin", "Albumin", "lot of the albumin bottles given"),
    Term("acd_a", "ACD-A", "lot of the ACD-A anticoagulant bags"),
    Term("saline", "Saline", "lot of the 0.9% saline bags"),
    Term("calcium", "Calcium gluconate", "lot of the calcium gluconate given"),
    Term("tubing_set", "Tubing set", "lot (and serial) of the disposable exchange set"),
    Term("machine", "Machine", "serial number of the apheresis machine"),
    used_by="session sheet lots (API, web, FHIR Device/Medication, registry export, recall)",
)
SUPPLY_ITEMS = _vocabulary(
    "supply_items",
    "Supplies counted and forecast",
    Term("albumin", "Albumin bottles", "bottles of the centre's albumin (size: local policy)"),
    Term("acd_a", "ACD-A bags", "bags of ACD-A anticoagulant (size: local policy)"),
    Term("calcium", "Calcium gluconate ampoules", "10% calcium gluconate ampoules"),
    Term("tubing_set", "Tubing sets", "disposable exchange sets, one per session"),
    used_by="stock counts and the supplies forecast (API, web, Today board)",
)
PLACE_KINDS = _vocabulary(
    "place_kinds",
    "Treatment places",
    Term("chair", "Chair", "a reclining apheresis chair"),
    Term("bed", "Bed", "a bed (patients who cannot sit through a run)"),
    Term("room", "Room", "a single room (isolation, privacy)"),
    used_by="treatment places (API /api/resources, store, booking)",
)
BOOKING_STATUSES = _vocabulary(
    "booking_statuses",
    "Booking states",
    Term("booked", "Booked", "holds its place, machine and nurse"),
    Term("completed", "Completed", "the exchange was done as booked"),
    Term("released", "Released", "the session was moved, held or cancelled: resources free"),
    used_by="bookings (API /api/calendar, store); moves: services.clinical.booking",
)


@dataclass(frozen=True, slots=True)
class Measure:
    """An outcome measure beyond the EDSS: its unit, which way is worse, the range a recorded
    value must lie in, the sides it is taken on (``()``: one value a visit) and the source
    of the instrument. Only the score is stored, never a licensed questionnaire's items."""

    code: str
    label: str
    unit: str
    higher_is_worse: bool
    low: float
    high: float
    sides: tuple[str, ...]
    source: str
    description: str = ""

    @property
    def direction(self) -> str:
        """``higher_is_worse`` or ``higher_is_better``."""
        return "higher_is_worse" if self.higher_is_worse else "higher_is_better"


_HANDS = ("dominant", "non_dominant")
_EYES = ("right", "left", "both")
# The measures. The ranges are plausibility limits on what may be recorded (local policy: the
# scales' own bounds for the scores, generous limits for the timed tests), not clinical rules.
MEASURES: dict[str, Measure] = {
    m.code: m
    for m in (
        Measure(
            "t25fw",
            "Timed 25-foot walk",
            "s",
            True,
            1.0,
            180.0,
            (),
            "KALINOWSKI_2022",
            "mean of two trials, seconds",
        ),
        Measure(
            "nhpt",
            "9-hole peg test",
            "s",
            True,
            5.0,
            300.0,
            _HANDS,
            "FEYS_2017",
            "mean of two trials per hand, seconds",
        ),
        Measure(
            "sdmt",
            "Symbol Digit Modalities Test",
            "{correct}",
            False,
            0.0,
            110.0,
            (),
            "BENEDICT_2017",
            "correct answers in 90 seconds",
        ),
        Measure(
            "lcla_2_5",
            "Low-contrast letter acuity (2.5% Sloan)",
            "{letters}",
            False,
            0.0,
            60.0,
            _EYES,
            "BALCER_2017",
            "letters read correctly at 2.5% contrast",
        ),
        Measure(
            "msis29_physical",
            "MSIS-29 physical",
            "{score}",
            True,
            0.0,
            100.0,
            (),
            "HOBART_2001",
            "transformed score 0-100 (the score only, not the items)",
        ),
        Measure(
            "msis29_psychological",
            "MSIS-29 psychological",
            "{score}",
            True,
            0.0,
            100.0,
            (),
            "HOBART_2001",
            "transformed score 0-100 (the score only, not the items)",
        ),
        Measure(
            "msws12",
            "MSWS-12",
            "{score}",
            True,
            0.0,
            100.0,
            (),
            "HOBART_2003",
            "transformed score 0-100 (the score only, not the items)",
        ),
        Measure(
            "mfis",
            "Modified Fatigue Impact Scale (MFIS)",
            "{score}",
            True,
            0.0,
            84.0,
            (),
            "ROONEY_2019",
            "total score 0-84 (the score only, not the items)",
        ),
        Measure(
            "fss",
            "Fatigue Severity Scale (FSS)",
            "{score}",
            True,
            1.0,
            7.0,
            (),
            "ROONEY_2019",
            "mean item score 1-7 (the score only, not the items)",
        ),
    )
}
OUTCOME_MEASURES = _vocabulary(
    "outcome_measures",
    "Outcome measures beyond the EDSS",
    *(
        Term(m.code, m.label, f"{m.description}; {m.unit}; {m.direction}")
        for m in MEASURES.values()
    ),
    used_by="outcome visits (API, web, store, FHIR, registry, letter, PDF); thresholds: "
    "core.policy.MeasurePolicy",
)
MEASURE_SIDES = _vocabulary(
    "measure_sides",
    "Side of an outcome measure",
    ("dominant", "Dominant hand"),
    ("non_dominant", "Non-dominant hand"),
    ("right", "Right eye"),
    ("left", "Left eye"),
    ("both", "Both eyes"),
    used_by="outcome measures: hands for the 9-hole peg test, eyes for low-contrast acuity",
)
# CTCAE-style grade of a WAA severity (CTCAE_V5): 4 = a severe event that was life-threatening.
CTCAE_GRADES: dict[int, str] = {
    1: "Mild",
    2: "Moderate",
    3: "Severe",
    4: "Life-threatening",
    5: "Death",
}
# The EDSS steps (KURTZKE_1983): 0, then 1.0 to 10.0 by 0.5.
EDSS_STEPS: tuple[float, ...] = (0.0, *(k / 2 for k in range(2, 21)))

VOCABULARIES: tuple[Vocabulary, ...] = (
    SYMPTOMS,
    PRECHECK_ACCESS,
    VASCULAR_ACCESS,
    LINE_KINDS,
    LINE_TYPES,
    LINE_SITES,
    LOCK_SOLUTIONS,
    LINE_EVENTS,
    LINE_REMOVAL_REASONS,
    LINE_DRESSING,
    ANTICOAGULANTS,
    PRESENTATIONS,
    ASFA_PRESENTATIONS,
    DIAGNOSES,
    TND_GRADES,
    REPLACEMENT_FLUIDS,
    AE_TYPES,
    AE_SEVERITIES,
    COURSE_STATUSES,
    LOT_KINDS,
    SUPPLY_ITEMS,
    PLACE_KINDS,
    BOOKING_STATUSES,
    OUTCOME_MEASURES,
    MEASURE_SIDES,
)
