"""The one table of clinical codes plexms writes into FHIR, each with its system and where it
was confirmed. Nothing here is guessed: a concept whose code we could not confirm in a
published source is a text-only concept (``code=None``) and is exported as
``CodeableConcept.text`` without a coding.

>>> [c["code"] for c in CODES["ms"].coding()]
['24700007', 'G35']
>>> CODES["plasma_exchange"].coding()
[]
>>> concept("ms")["text"]
'Multiple sclerosis'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plexms.core.vocabulary import OUTCOME_MEASURES

__all__ = [
    "CODES",
    "EXT",
    "ICD10",
    "LAB_CODES",
    "LOINC",
    "MEASURE_SYSTEM",
    "RXNORM",
    "SNOMED",
    "UCUM",
    "Code",
    "concept",
    "concept_key",
    "measure_concept",
    "measure_key",
]

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
# Our own extensions and identifier systems (a URN namespace we control; no made-up domain).
EXT = "urn:plexms:fhir:"
# The outcome measures beyond the EDSS (core.vocabulary.MEASURES) in a local code system: no
# LOINC or SNOMED CT code for the timed 25-foot walk, 9-hole peg test, SDMT, 2.5% low-contrast
# letter acuity, MSIS-29 subscales, MSWS-12, MFIS or FSS score could be confirmed against a
# published code table, so none is written (add a coding here once one is confirmed).
MEASURE_SYSTEM = f"{EXT}CodeSystem:outcome-measure"


@dataclass(frozen=True)
class Code:
    """A concept: its text, and (when confirmed) the codings that identify it."""

    text: str
    codings: tuple[tuple[str, str, str], ...] = ()  # (system, code, display)
    confirmed_in: str = ""
    # Further confirmed codes read as this concept on import but never written on export (e.g.
    # the same analyte measured on another specimen or by a named method).
    also_read: tuple[tuple[str, str, str], ...] = ()

    @property
    def code(self) -> str | None:
        return self.codings[0][1] if self.codings else None

    def coding(self) -> list[dict[str, str]]:
        return [{"system": s, "code": c, "display": d} for s, c, d in self.codings]


_TEXT_ONLY = "not confirmed in a published source: exported as text only"

CODES: dict[str, Code] = {
    # --- conditions ------------------------------------------------------------------------
    "ms": Code(
        "Multiple sclerosis",
        ((SNOMED, "24700007", "Multiple sclerosis"), (ICD10, "G35", "Multiple sclerosis")),
        "shared/reference/edss.md (Codes)",
    ),
    "relapse": Code("Multiple sclerosis relapse", (), _TEXT_ONLY),
    "optic_neuritis": Code("Optic neuritis", (), _TEXT_ONLY),
    "cis": Code("Clinically isolated syndrome", (), _TEXT_ONLY),
    "tumefactive": Code("Tumefactive demyelinating lesion", (), _TEXT_ONLY),
    "other": Code("Other acute demyelinating presentation", (), _TEXT_ONLY),
    # --- procedures ------------------------------------------------------------------------
    # No SNOMED CT code for plasmapheresis could be confirmed (18286008, often quoted from
    # memory, is "Catheterization of urinary bladder"; 5447007 is "Transfusion").
    "plasma_exchange": Code("Therapeutic plasma exchange (plasmapheresis)", (), _TEXT_ONLY),
    # --- observations: laboratory (LOINC) ----------------------------------------------------
    # LOINC 2.83 extract (generated analyte catalogue; public repo) and a second code table.
    "igg": Code(
        "IgG",
        ((LOINC, "2465-3", "IgG [Mass/volume] in Serum or Plasma"),),
        "LOINC 2.83 extract (public repository analyte catalogue)",
    ),
    # HL7 PDDI CDS IG, ValueSet valueset-calcium-LOINC (LOINC 2.82): 17861-6, 1994-3, 1995-0.
    # 2000-8 (moles): public lab code tables (mass/molar pairs with 17861-6).
    "calcium": Code(
        "Calcium",
        ((LOINC, "2000-8", "Calcium [Moles/volume] in Serum or Plasma"),),
        "public LOINC mass/molar tables; hl7.org/fhir/uv/pddi ValueSet-valueset-calcium-LOINC",
    ),
    # Blood-gas analysers measure ionised calcium in whole blood: 1994-3, read on import (the
    # same PDDI value set lists it); plexms writes the serum/plasma code it has always written.
    "ionized_calcium": Code(
        "Ionized calcium",
        ((LOINC, "1995-0", "Calcium.ionized [Moles/volume] in Serum or Plasma"),),
        "hl7.org/fhir/uv/pddi/ValueSet-valueset-calcium-LOINC.html",
        also_read=((LOINC, "1994-3", "Calcium.ionized [Moles/volume] in Blood"),),
    ),
    "fibrinogen": Code(
        "Fibrinogen",
        (
            (
                LOINC,
                "3255-7",
                "Fibrinogen [Mass/volume] in Platelet poor plasma by Coagulation assay",
            ),
        ),
        "several public LOINC tables (OMOP, lab mapping files)",
    ),
    "hemoglobin": Code(
        "Hemoglobin",
        ((LOINC, "718-7", "Hemoglobin [Mass/volume] in Blood"),),
        "LOINC 2.83 extract (public repository analyte catalogue)",
    ),
    # 777-3, the automated count haematology analysers report: HL7 US Core example
    # Observation-cbc-platelets (hl7.org/fhir/us/core/STU7/Observation-cbc-platelets.html).
    "platelets": Code(
        "Platelets",
        ((LOINC, "26515-7", "Platelets [#/volume] in Blood"),),
        "LOINC 2.83 extract (public repository analyte catalogue); US Core cbc-platelets",
        also_read=((LOINC, "777-3", "Platelets [#/volume] in Blood by Automated count"),),
    ),
    # HL7 Vulcan schedule-of-activities IG, ObservationDefinition LOINC-2823-3 (LOINC 2.74).
    # Not a lab plexms stores (no unit in interop.units): a coded concept for documents only.
    "potassium": Code(
        "Potassium",
        ((LOINC, "2823-3", "Potassium [Moles/volume] in Serum or Plasma"),),
        "github.com/HL7/Vulcan-schedule-ig LOINC-2823-3-ObservationDefinition (LOINC 2.74)",
    ),
    "hematocrit": Code(
        "Hematocrit",
        ((LOINC, "4544-3", "Hematocrit [Volume Fraction] of Blood by Automated count"),),
        "LOINC 2.83 extract (public repository analyte catalogue)",
    ),
    "albumin": Code(
        "Albumin",
        ((LOINC, "1751-7", "Albumin [Mass/volume] in Serum or Plasma"),),
        "LOINC 2.83 extract (public repository analyte catalogue)",
    ),
    # --- observations: clinical ------------------------------------------------------------
    # SNOMED CT 273554001 "Kurtzke multiple sclerosis rating scale (assessment scale)": two
    # independent public sources (an MS trial-matching profile noting "no LOINC code"; a
    # corrected Synthea MS module replacing a LOINC part code with it).
    "edss": Code(
        "Expanded Disability Status Scale (EDSS)",
        ((SNOMED, "273554001", "Kurtzke multiple sclerosis rating scale"),),
        "public MS profiles/modules citing SNOMED CT 273554001",
    ),
    # Functional system scores have no confirmed code: text-only components.
    "fs_visual": Code("EDSS functional system: visual"),
    "fs_brainstem": Code("EDSS functional system: brainstem"),
    "fs_pyramidal": Code("EDSS functional system: pyramidal"),
    "fs_cerebellar": Code("EDSS functional system: cerebellar"),
    "fs_sensory": Code("EDSS functional system: sensory"),
    "fs_bowel_bladder": Code("EDSS functional system: bowel and bladder"),
    "fs_cerebral": Code("EDSS functional system: cerebral"),
    "fs_ambulation": Code("EDSS ambulation score"),
    # Australian Digital Health Agency FHIR IG, Observation-visualacuity-03/-06 examples.
    "visual_acuity": Code(
        "Distance visual acuity",
        ((SNOMED, "251739003", "Distance visual acuity"),),
        "build.fhir.org/ig/AuDigitalHealth/ci-fhir-r4/Observation-visualacuity-03.html",
    ),
    "right_eye": Code(
        "Entire right eye",
        ((SNOMED, "362502000", "Entire right eye"),),
        "build.fhir.org/ig/AuDigitalHealth/ci-fhir-r4/Observation-visualacuity-06.html",
    ),
    "left_eye": Code(
        "Entire left eye",
        ((SNOMED, "362503005", "Entire left eye"),),
        "build.fhir.org/ig/AuDigitalHealth/ci-fhir-r4/Observation-visualacuity-03.html",
    ),
    # FHIR body height / body weight profiles fix these LOINC codes (hl7.org/fhir/bodyheight,
    # hl7.org/fhir/bodyweight).
    "height": Code("Body height", ((LOINC, "8302-2", "Body height"),), "hl7.org/fhir/bodyheight"),
    "weight": Code("Body weight", ((LOINC, "29463-7", "Body weight"),), "hl7.org/fhir/bodyweight"),
    # --- medications: RxNorm/SNOMED codes not confirmed -> text only -------------------------
    "albumin_5": Code("Albumin human 5% solution", (), _TEXT_ONLY),
    "albumin_25": Code("Albumin human 25% solution", (), _TEXT_ONLY),
    "saline_0_9": Code("Sodium chloride 0.9% solution", (), _TEXT_ONLY),
    "plasma": Code("Fresh frozen plasma", (), _TEXT_ONLY),
    "calcium_gluconate": Code("Calcium gluconate 10% solution", (), _TEXT_ONLY),
    "methylprednisolone": Code("Methylprednisolone", (), _TEXT_ONLY),
}

# The laboratory analytes plexms exchanges (keys of CODES and of interop.units.QUANTITIES).
LAB_CODES: tuple[str, ...] = (
    "albumin",
    "calcium",
    "fibrinogen",
    "hematocrit",
    "hemoglobin",
    "igg",
    "ionized_calcium",
    "platelets",
)


def concept(key: str, text: str | None = None) -> dict[str, Any]:
    """A FHIR CodeableConcept for table entry ``key`` (or a text-only concept for free text).

    >>> concept("natalizumab_unknown_key_example", "Natalizumab")
    {'text': 'Natalizumab'}
    """
    entry = CODES.get(key)
    if entry is None:
        return {"text": text or key}
    body: dict[str, Any] = {}
    if entry.codings:
        body["coding"] = entry.coding()
    body["text"] = text or entry.text
    return body


def concept_key(value: dict[str, Any], candidates: tuple[str, ...] | None = None) -> str | None:
    """The table key a CodeableConcept stands for: by coding first, then by text.

    >>> concept_key({"coding": [{"system": "http://loinc.org", "code": "3255-7"}]})
    'fibrinogen'
    >>> concept_key({"coding": [{"system": "http://loinc.org", "code": "1994-3"}]})
    'ionized_calcium'
    >>> concept_key({"text": "Optic neuritis"})
    'optic_neuritis'
    """
    keys = candidates or tuple(CODES)
    for coding in value.get("coding") or []:
        for key in keys:
            entry = CODES.get(key)
            if entry and (coding.get("system"), coding.get("code")) in {
                (s, c) for s, c, _ in (*entry.codings, *entry.also_read)
            }:
                return key
    text = (value.get("text") or "").strip().lower()
    for key in keys:
        entry = CODES.get(key)
        if entry and entry.text.lower() == text:
            return key
    return None


def measure_concept(code: str) -> dict[str, Any]:
    """The CodeableConcept of outcome measure ``code`` in the local code system.

    >>> measure_concept("t25fw")["coding"][0]["code"]
    't25fw'
    """
    label = OUTCOME_MEASURES.label(code)
    return {"coding": [{"system": MEASURE_SYSTEM, "code": code, "display": label}], "text": label}


def measure_key(value: dict[str, Any]) -> str | None:
    """The outcome measure a CodeableConcept codes in the local system (else ``None``).

    >>> measure_key(measure_concept("sdmt"))
    'sdmt'
    >>> measure_key({"text": "Timed 25-foot walk"}) is None
    True
    """
    for coding in value.get("coding") or []:
        if isinstance(coding, dict) and coding.get("system") == MEASURE_SYSTEM:
            return str(coding.get("code"))
    return None
