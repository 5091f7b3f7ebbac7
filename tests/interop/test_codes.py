from __future__ import annotations

import doctest

from plexms.interop import codes
from plexms.interop.codes import CODES, LAB_CODES, LOINC, SNOMED, concept, concept_key
from plexms.interop.units import QUANTITIES


def test_doctests() -> None:
    assert doctest.testmod(codes).failed == 0


def test_given_codes() -> None:
    # The two codes the project reference gives (shared/reference/edss.md).
    assert (SNOMED, "24700007", "Multiple sclerosis") in CODES["ms"].codings
    assert CODES["ms"].codings[1][1] == "G35"


def test_every_coded_entry_says_where_it_was_confirmed() -> None:
    for key, entry in CODES.items():
        if entry.codings:
            assert entry.confirmed_in, key
        for system, code, display in entry.codings:
            assert system.startswith("http"), key
            assert code and display, key


def test_known_wrong_codes_are_absent() -> None:
    used = {c for e in CODES.values() for _, c, _ in e.codings}
    assert "5447007" not in used  # SNOMED CT "Transfusion"
    assert "18286008" not in used  # SNOMED CT "Catheterization of urinary bladder"


def test_lab_codes_are_loinc_and_have_units() -> None:
    for key in LAB_CODES:
        assert CODES[key].codings[0][0] == LOINC
        assert key in QUANTITIES


def test_concept_round_trip() -> None:
    for key in CODES:
        assert concept_key(concept(key)) == key
    assert concept_key({"text": "something else"}) is None
    assert concept_key({"coding": [{"system": LOINC, "code": "0000-0"}]}, ("igg",)) is None
    assert concept("plasma_exchange") == {"text": CODES["plasma_exchange"].text}
    assert CODES["plasma_exchange"].code is None
    assert CODES["igg"].code == "2465-3"


def test_blood_gas_and_automated_count_codes_are_read_not_written() -> None:
    # Blood-gas ionised calcium (whole blood) and the automated platelet count are read as
    # the lab plexms stores; export keeps the code it always wrote.
    blood_gas = {"coding": [{"system": LOINC, "code": "1994-3"}]}
    automated = {"coding": [{"system": LOINC, "code": "777-3"}]}
    assert concept_key(blood_gas, LAB_CODES) == "ionized_calcium"
    assert concept_key(automated, LAB_CODES) == "platelets"
    assert [c["code"] for c in concept("ionized_calcium")["coding"]] == ["1995-0"]
    assert [c["code"] for c in concept("platelets")["coding"]] == ["26515-7"]
    for entry in CODES.values():
        for system, code, display in entry.also_read:
            assert system == LOINC and code and display and entry.confirmed_in


def test_potassium_is_coded_but_not_a_stored_lab() -> None:
    assert CODES["potassium"].code == "2823-3"
    assert "potassium" not in LAB_CODES
