"""The OMOP concept of every plexms value the OMOP export writes, each with where its concept
id was confirmed. A value whose standard concept could not be confirmed in a source is mapped
to concept 0 ("No matching concept", the CDM convention) and keeps its code in the
``*_source_value`` column; ``UNMAPPED`` lists those, and ``docs/omop-mapping.md`` (generated
from this module, a test keeps them equal) shows both lists.

Sources used to confirm ids (public mapping tables; the OHDSI Athena browser was not
reachable from here):

- gender 8507 MALE / 8532 FEMALE: the French EDS FHIR IG OMOP code system (aphp/IG-fhir-dm
  ``CodeSystem-OMOP_CDM_v20240229``), the NHS SUS-to-OMOP mapper (answerdigital
  oxford-omop-data-mapper ``Person_gender_concept_id``) and Kids First OMOP constants;
- visit 9202 "Outpatient Visit": an OMOP execution engine's visit constants
  (``OMOP_OUTPATIENT_VISIT = 9202``, beside 9201 inpatient);
- type concept 32817 "EHR": an OMOP database profile listing ``condition_type_concept_id``
  32817 = "EHR";
- measurement 3024561 "Albumin serum/plasma" with unit 8713 g/dL: the Samsung Medical
  Center / Ajou University sample measurement concept table (LOINC 1751-7's standard concept).
"""

from __future__ import annotations

from dataclasses import dataclass

from plexms.interop.codes import CODES

__all__ = [
    "CONDITIONS",
    "DRUGS",
    "GENDER",
    "MEASUREMENTS",
    "NO_MATCH",
    "OBSERVATIONS",
    "PROCEDURES",
    "TYPE_EHR",
    "UNITS",
    "UNMAPPED",
    "VISIT_OUTPATIENT",
    "OmopConcept",
    "source_code",
]

NO_MATCH = 0  # "No matching concept"


@dataclass(frozen=True)
class OmopConcept:
    """An OMOP concept id (0 = none confirmed), its name and where the id was confirmed."""

    concept_id: int
    name: str
    confirmed_in: str


def _none(name: str, why: str = "no standard concept id confirmed in a source") -> OmopConcept:
    return OmopConcept(NO_MATCH, name, why)


_GENDER_SRC = "aphp/IG-fhir-dm OMOP code system; NHS SUS-to-OMOP mapper; Kids First constants"
GENDER: dict[str, OmopConcept] = {
    "female": OmopConcept(8532, "FEMALE", _GENDER_SRC),
    "male": OmopConcept(8507, "MALE", _GENDER_SRC),
    # the Gender vocabulary's 8551 UNKNOWN / 8521 OTHER are not standard concepts: 0
    "other": _none("other", "no standard Gender concept (OMOP Gender has only MALE, FEMALE)"),
    "unknown": _none("unknown", "no standard Gender concept (OMOP Gender has only MALE, FEMALE)"),
}
VISIT_OUTPATIENT = OmopConcept(9202, "Outpatient Visit", "OMOP execution engine visit constants")
TYPE_EHR = OmopConcept(32817, "EHR", "OMOP database profile (type concept 32817 = EHR)")

# the procedure: no SNOMED CT code for plasmapheresis could be confirmed (interop/codes.py),
# and CPT 36514's OMOP concept id was not found in a public table
PROCEDURES: dict[str, OmopConcept] = {
    "plasma_exchange": _none("Therapeutic plasma exchange (plasmapheresis)"),
}

# MS: SNOMED CT 24700007 is confirmed (interop/codes.py) and written as the source value;
# its OMOP concept id (374919 is widely quoted) was not found in a public table
CONDITIONS: dict[str, OmopConcept] = {
    "ms": _none("Multiple sclerosis (SNOMED CT 24700007)"),
    "relapse": _none("Multiple sclerosis relapse"),
    "optic_neuritis": _none("Optic neuritis"),
    "cis": _none("Clinically isolated syndrome"),
    "tumefactive": _none("Tumefactive demyelinating lesion"),
    "other": _none("Other acute demyelinating presentation"),
}

_ALBUMIN_SRC = "Samsung Medical Center / Ajou University sample measurement concept table"
MEASUREMENTS: dict[str, OmopConcept] = {
    "albumin": OmopConcept(3024561, "Albumin serum/plasma", _ALBUMIN_SRC),
    "calcium": _none("Calcium [Moles/volume] in Serum or Plasma"),
    "fibrinogen": _none("Fibrinogen [Mass/volume] in Platelet poor plasma"),
    "hematocrit": _none("Hematocrit [Volume Fraction] of Blood"),
    "hemoglobin": _none("Hemoglobin [Mass/volume] in Blood"),
    "igg": _none("IgG [Mass/volume] in Serum or Plasma"),
    "ionized_calcium": _none("Calcium.ionized [Moles/volume] in Serum or Plasma"),
    "platelets": _none("Platelets [#/volume] in Blood"),
    "edss": _none("Kurtzke EDSS (SNOMED CT 273554001)"),
}
UNITS: dict[str, OmopConcept] = {
    "g/dL": OmopConcept(8713, "gram per deciliter", _ALBUMIN_SRC),
}

OBSERVATIONS: dict[str, OmopConcept] = {
    "adverse_event": _none("Adverse event of the exchange (WAA type; severity as the value)"),
    "targeted_deficit": _none("Change of the targeted neurological deficit"),
}

DRUGS: dict[str, OmopConcept] = {
    "albumin_5": _none("Albumin human 5% solution"),
    "albumin_25": _none("Albumin human 25% solution"),
    "saline_0_9": _none("Sodium chloride 0.9% solution"),
    "plasma": _none("Fresh frozen plasma"),
    "calcium_gluconate": _none("Calcium gluconate 10% solution"),
    "methylprednisolone": _none("Methylprednisolone"),
    "dmt": _none("Disease-modifying therapy (any drug name: source value)"),
    "other": _none("Other replacement fluid"),
}


def source_code(key: str) -> str:
    """The confirmed source code of a plexms concept (LOINC/SNOMED, from
    :mod:`plexms.interop.codes`), else the plexms key itself.

    >>> source_code("igg"), source_code("ms"), source_code("plasma_exchange")
    ('2465-3', '24700007', 'plasma_exchange')
    """
    code = CODES[key].code if key in CODES else None
    return code or key


def _unmapped() -> tuple[tuple[str, str, str], ...]:
    groups = {
        "gender": GENDER,
        "procedure": PROCEDURES,
        "condition": CONDITIONS,
        "measurement": MEASUREMENTS,
        "observation": OBSERVATIONS,
        "drug": DRUGS,
    }
    return tuple(
        (group, key, concept.name)
        for group, concepts in groups.items()
        for key, concept in concepts.items()
        if concept.concept_id == NO_MATCH
    )


#: (domain, plexms value, meaning) of every value exported with concept 0.
UNMAPPED: tuple[tuple[str, str, str], ...] = _unmapped()
