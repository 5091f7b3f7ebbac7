"""Each clinical vocabulary is defined once (``plexms.core.vocabulary``) and every front offers
exactly its values: the web forms, the pydantic types of the API and of ``plexms calc``, the
FHIR code table, the database checks, and ``docs/vocabularies.md``; no other module writes
the values out again."""

from __future__ import annotations

import ast
import importlib.util
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from plexms.core import vocabulary as v
from plexms.core.vocabulary import VOCABULARIES, Vocabulary

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "plexms"


def test_words_are_unique_and_labelled() -> None:
    names = [voc.name for voc in VOCABULARIES]
    assert len(set(names)) == len(names)
    for voc in VOCABULARIES:
        assert len(set(voc.values)) == len(voc.values), voc.name
        assert all(t.label and t.value == t.value.strip() for t in voc.terms), voc.name
        assert voc.used_by, voc.name


def test_labels_and_spellings() -> None:
    assert v.SYMPTOMS.label("syncope") == "Fainting (syncope)"
    assert v.SYMPTOMS.label("unknown_word") == "unknown_word"
    assert v.PRESENTATIONS.label("clinically_isolated_syndrome") == "Clinically isolated syndrome"
    assert v.PRESENTATIONS.word("clinically_isolated_syndrome") == "cis"
    assert v.PRESENTATIONS.word("relapse") == "relapse"
    assert v.PRESENTATIONS.contract("cis") == "clinically_isolated_syndrome"
    assert v.PRESENTATIONS.contract("unknown_word") == "unknown_word"
    assert v.PRESENTATIONS.contract_values[2] == "clinically_isolated_syndrome"
    assert ("syncope", "Fainting (syncope)") in v.SYMPTOMS.options
    assert "cis" in v.PRESENTATIONS and "clinically_isolated_syndrome" not in v.PRESENTATIONS


def test_core_rule_modules_use_the_vocabulary() -> None:
    from plexms.core import adverse_events, asfa, edss, precheck, response

    assert precheck.SYMPTOMS == v.SYMPTOMS.values and precheck.ACCESS == v.PRECHECK_ACCESS.values
    assert asfa.DIAGNOSES == v.DIAGNOSES.values
    assert asfa.PRESENTATIONS == v.ASFA_PRESENTATIONS.values
    assert set(asfa.ACUTE_PRESENTATIONS) == set(v.ASFA_PRESENTATIONS.values) - {"progression"}
    assert response.INDICATIONS == v.PRESENTATIONS.values
    assert response.TND_GRADES == v.TND_GRADES.values
    assert adverse_events.SEVERITIES == v.AE_SEVERITIES.values
    assert set(adverse_events.ADVERSE_EVENTS) == set(v.AE_TYPES.values) - {"other"}
    assert edss.EDSS_STEPS == v.EDSS_STEPS
    assert set(precheck.CentrePolicy().precheck.hold_symptoms) <= set(v.SYMPTOMS.values)


# --- web forms ----------------------------------------------------------------------------


def _web_options() -> list[tuple[str, tuple[tuple[str, str], ...], Vocabulary]]:
    from plexms.web import assessment_view, session_view
    from plexms.web.routes import course, outcome, referrals

    return [
        ("session_view.SYMPTOMS", session_view.SYMPTOMS, v.SYMPTOMS),
        ("session_view.EVENT_TYPES", session_view.EVENT_TYPES, v.AE_TYPES),
        ("session_view.ACCESS", session_view.ACCESS, v.PRECHECK_ACCESS),
        ("session_view.VASCULAR_ACCESS", session_view.VASCULAR_ACCESS, v.VASCULAR_ACCESS),
        ("session_view.FLUIDS", session_view.FLUIDS, v.REPLACEMENT_FLUIDS),
        ("assessment_view.DIAGNOSES", assessment_view.DIAGNOSES, v.DIAGNOSES),
        ("assessment_view.PRESENTATIONS", assessment_view.PRESENTATIONS, v.ASFA_PRESENTATIONS),
        ("course.INDICATIONS", course.INDICATIONS, v.PRESENTATIONS),
        ("referrals.PRESENTATIONS", referrals.PRESENTATIONS, v.PRESENTATIONS),
        ("outcome._DEFICITS", outcome._DEFICITS[1:], v.TND_GRADES),
    ]


@pytest.mark.parametrize("name", [n for n, _, _ in _web_options()])
def test_web_form_offers_exactly_the_core_values(name: str) -> None:
    offered, voc = next((o, voc) for n, o, voc in _web_options() if n == name)
    assert offered == voc.options


def test_the_session_sheet_offers_syncope_and_every_fluid() -> None:
    from plexms.web import session_view
    from plexms.web.forms import FormReader

    form = {"sym_syncope": "on", "sym_other": "on", "access": "central"}
    request = session_view.precheck_request(FormReader(form), None)
    assert request["symptoms"] == ["syncope", "other"] and request["access"] == "central"
    record = session_view.record_body(
        FormReader({"status": "held", "fluid_albumin_25": "100", "fluid_other": "50"}), "UTC"
    )
    assert [f["fluid"] for f in record["replacement_fluids"]] == ["albumin_25", "other"]


# --- pydantic types of the API and of plexms calc ---------------------------------------


def _enums(schema: Any, path: str = "") -> Iterator[tuple[str, tuple[str, ...]]]:
    if isinstance(schema, dict):
        if isinstance(schema.get("enum"), list) and all(isinstance(e, str) for e in schema["enum"]):
            yield path, tuple(schema["enum"])
        for key, value in schema.items():
            yield from _enums(value, f"{path}/{key}")
    elif isinstance(schema, list):
        for i, value in enumerate(schema):
            yield from _enums(value, f"{path}/{i}")


def _spellings(voc: Vocabulary) -> list[tuple[str, ...]]:
    return [voc.values, voc.contract_values, ("", *voc.values)]


def _check_enums(enums: list[tuple[str, tuple[str, ...]]]) -> list[str]:
    """Every enum equals a vocabulary, or shares at most half of any vocabulary's values."""
    wrong = []
    for path, enum in enums:
        if any(enum in _spellings(voc) for voc in VOCABULARIES):
            continue
        for voc in VOCABULARIES:
            shared = set(enum) & set(voc.values)
            if len(shared) > max(1, len(voc.values) // 2):
                wrong.append(f"{path}: {enum} is not {voc.name} {voc.values}")
    return wrong


def _field_enum(model: type[BaseModel], field: str) -> tuple[str, ...]:
    schema = model.model_json_schema()
    found = dict(_enums(schema["properties"][field], field))
    assert len(found) == 1, (model, field, found)
    return next(iter(found.values()))


def _models() -> list[tuple[type[BaseModel], str, tuple[str, ...]]]:
    from plexms.services.calc import assess, precheck, response
    from plexms.services.schemas import clinical, patient

    return [
        (precheck.PrecheckIn, "symptoms", v.SYMPTOMS.values),
        (precheck.PrecheckIn, "access", v.PRECHECK_ACCESS.values),
        (assess.AssessRequest, "diagnosis", v.DIAGNOSES.values),
        (assess.AssessRequest, "presentation", v.ASFA_PRESENTATIONS.values),
        (response.ResponseRequest, "indication", v.PRESENTATIONS.contract_values),
        (response.ResponseRequest, "tnd", v.TND_GRADES.values),
        (clinical.CoursePlanIn, "indication", v.PRESENTATIONS.values),
        (clinical.FluidIn, "fluid", v.REPLACEMENT_FLUIDS.values),
        (clinical.SessionRecordIn, "vascular_access", ("", *v.VASCULAR_ACCESS.values)),
        (clinical.AdverseEventIn, "event_type", v.AE_TYPES.values),
        (clinical.AdverseEventIn, "severity", v.AE_SEVERITIES.values),
        (clinical.AdverseEventUpdate, "severity", v.AE_SEVERITIES.values),
        (clinical.OutcomeIn, "targeted_deficit", v.TND_GRADES.values),
        (clinical.OutcomeUpdate, "targeted_deficit", v.TND_GRADES.values),
        (patient.EpisodeIn, "presentation", v.PRESENTATIONS.values),
    ]


@pytest.mark.parametrize(
    ("model", "field", "values"), _models(), ids=[f"{m.__name__}.{f}" for m, f, _ in _models()]
)
def test_pydantic_field_offers_exactly_the_core_values(
    model: type[BaseModel], field: str, values: tuple[str, ...]
) -> None:
    assert _field_enum(model, field) == values


def test_no_calc_contract_enum_drifts_from_a_vocabulary() -> None:
    from plexms.services.calc import calculators

    enums = [
        (f"{name}{path}", enum)
        for name, calc in calculators().items()
        for path, enum in _enums(calc.request_model.model_json_schema())
    ]
    assert _check_enums(enums) == []


def test_no_openapi_enum_drifts_from_a_vocabulary() -> None:
    from plexms.app import create_app
    from plexms.settings import Settings

    schema = create_app(Settings(database_url="sqlite:///:memory:")).openapi()
    enums = list(_enums(schema))
    assert len(enums) > 20
    assert _check_enums(enums) == []


# --- FHIR code table and the database ------------------------------------------------------


def test_fhir_code_table_covers_the_coded_vocabularies() -> None:
    from plexms.interop.codes import CODES

    for voc in (v.PRESENTATIONS, v.REPLACEMENT_FLUIDS):
        words = set(voc.values) - ({"other"} if voc is v.REPLACEMENT_FLUIDS else set())
        assert words <= set(CODES), (voc.name, words - set(CODES))
    fluids = {"albumin_5", "albumin_25", "saline_0_9", "plasma"}
    assert fluids == set(v.REPLACEMENT_FLUIDS.values) - {"other"}


def test_database_checks_use_the_vocabulary() -> None:
    from plexms.store.models import course, patient

    assert course.AE_SEVERITIES == v.AE_SEVERITIES.values
    assert patient.PRESENTATIONS == v.PRESENTATIONS.values


# --- written once --------------------------------------------------------------------------


def _threshold(voc: Vocabulary) -> int:
    return max(2, math.ceil(0.8 * len(voc.values)))


def _string_collections(tree: ast.AST) -> Iterator[tuple[int, list[str]]]:
    """String tuples/lists/sets, and the first strings of ``(value, label)`` pair tuples."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Tuple | ast.List | ast.Set):
            continue
        words = [e.value for e in node.elts if isinstance(e, ast.Constant)]
        firsts = [
            e.elts[0].value
            for e in node.elts
            if isinstance(e, ast.Tuple) and e.elts and isinstance(e.elts[0], ast.Constant)
        ]
        for found in (words, firsts):
            strings = [w for w in found if isinstance(w, str)]
            if len(strings) >= 2:
                yield node.lineno, strings


def _written_out(strings: list[str]) -> list[str]:
    return [
        voc.name
        for voc in VOCABULARIES
        if len(set(strings) & (set(voc.values) | set(voc.contract_values))) >= _threshold(voc)
    ]


def test_no_vocabulary_is_written_out_twice_in_python() -> None:
    defining = SRC / "core" / "vocabulary.py"
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if path == defining or "migrations" in path.parts:
            continue
        for line, strings in _string_collections(ast.parse(path.read_text(), str(path))):
            found += [f"{path.relative_to(ROOT)}:{line}: {n}" for n in _written_out(strings)]
    assert found == []


def test_no_vocabulary_is_written_out_in_a_template() -> None:
    found = []
    for path in sorted(SRC.rglob("*.html")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for group in re.findall(r"\[[^\[\]]*\]|\([^()]*\)", line):
                strings = re.findall(r"'([a-z0-9_]*)'|\"([a-z0-9_]*)\"", group)
                words = [a or b for a, b in strings]
                found += [f"{path.name}:{number}: {n}" for n in _written_out(words)]
    assert found == []


def test_the_scan_finds_a_copy() -> None:
    copy = 'X = ("fever", "chills", "chest_pain", "dyspnoea", "palpitations", "syncope",' + (
        '"dizziness", "paraesthesia", "muscle_cramps", "nausea", "headache", "rash",'
        ' "bleeding", "catheter_site_infection")\nY = (("cvc", "CVC"), ("port", "Port"),'
        ' ("peripheral", "P"), ("other", "O"))\n'
    )
    names = [n for _, s in _string_collections(ast.parse(copy)) for n in _written_out(s)]
    assert names == ["symptoms", "vascular_access"]


# --- docs ----------------------------------------------------------------------------------


def test_docs_page_is_current() -> None:
    spec = importlib.util.spec_from_file_location("vocab_doc", ROOT / "scripts/vocabularies.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (ROOT / "docs" / "vocabularies.md").read_text() == module.render(), (
        "docs/vocabularies.md is stale: run python scripts/vocabularies.py"
    )
