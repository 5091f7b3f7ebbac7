"""Every core calculation over its documented domain, as one table (Hypothesis).

The documented domain of a calculation is its ``plexms calc`` request model (pydantic bounds,
enums, required fields: the JSON Schema that ``plexms calc NAME --schema`` prints); the core
behind it is volumes + prescription + schedule + kinetics (``plan``), edss, acuity, response,
eligibility (``assess``), precheck and dmt. Schemathesis generates requests from that schema:

- inside the schema (positive): the answer is a result, or an error naming a field (the
  documented InputError/InfeasibleError for cross-field limits the schema cannot say, such as
  a course that does not fit the clinic's hours); never any other exception;
- outside it (negative): always an error naming the field, never a result, never an exception.

Rows for the calculations without a calculator (adverse-event rates, the kinetic model with
any float) call the core directly. The core modules' own tests prove the published values.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from plexms.core.adverse_events import SEVERITIES, waa_rates
from plexms.core.errors import InputError
from plexms.core.kinetics import ExchangeEvent, predict_course
from plexms.services import calc
from tests.reliability.support import scale

pytestmark = [pytest.mark.fuzz]

EXAMPLES = scale(20, 1000)
CALCULATORS = sorted(calc.calculators())
CORE_BEHIND = {
    "acuity": "acuity",
    "assess": "eligibility",
    "cohort": "kinetics.population, kinetics.protocols",
    "dmt": "dmt",
    "edss": "edss",
    "fit": "kinetics.fit, kinetics.fit_course",
    "plan": "volumes, prescription, schedule, kinetics",
    "precheck": "precheck",
    "response": "response",
}
SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def _spec() -> dict[str, Any]:
    """A small OpenAPI document: one operation per calculator, its request model as the body."""
    paths: dict[str, Any] = {}
    components: dict[str, Any] = {}
    for name, calculator in calc.calculators().items():
        schema = calculator.request_model.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        components.update(schema.pop("$defs", {}))
        paths[f"/{name}"] = {
            "post": {
                "operationId": name,
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": schema}},
                },
                "responses": {"200": {"description": "ok"}},
            }
        }
    return {
        "openapi": "3.1.0",
        "info": {"title": "calc", "version": "1"},
        "paths": paths,
        "components": {"schemas": components},
    }


_SCHEMA = schemathesis.openapi.from_dict(_spec())


def _strategy(name: str, mode: GenerationMode):  # type: ignore[no-untyped-def]
    return _SCHEMA[f"/{name}"]["POST"].as_strategy(generation_mode=mode).map(lambda c: c.body)


def test_every_core_calculation_has_a_row() -> None:
    assert set(CALCULATORS) == set(CORE_BEHIND)


@pytest.mark.parametrize("name", CALCULATORS)
def test_inside_the_documented_domain_only_documented_errors(name: str, capsys) -> None:  # type: ignore[no-untyped-def]
    seen: Counter[str] = Counter()

    @SETTINGS
    @given(_strategy(name, GenerationMode.POSITIVE))
    def inside(payload: Any) -> None:
        outcome = calc.run(name, payload)  # any other exception fails the test here
        if outcome.ok:
            seen["result"] += 1
            assert "error" not in outcome.body
        else:
            seen["documented error"] += 1
            error = outcome.body["error"]
            assert error["field"] and error["message"], error

    inside()
    assert seen["result"] + seen["documented error"] >= 1
    with capsys.disabled():
        print(f"\n[core-domain] {name}: {dict(seen)}")


@pytest.mark.parametrize("name", CALCULATORS)
def test_outside_the_documented_domain_always_the_documented_error(name: str) -> None:
    @SETTINGS
    @given(_strategy(name, GenerationMode.NEGATIVE))
    def outside(payload: Any) -> None:
        if isinstance(payload, list):
            return  # an array is a batch, a documented form (its elements are drawn above)
        outcome = calc.run(name, payload)
        assert not outcome.ok, payload
        error = outcome.body["error"]
        assert error["field"] and error["message"], error

    outside()


_ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True)


@SETTINGS
@given(
    plasma_volume_ml=_ANY_FLOAT,
    volume_ml=_ANY_FLOAT,
    start_h=_ANY_FLOAT,
    duration_h=_ANY_FLOAT,
)
def test_kinetics_any_float(
    plasma_volume_ml: float, volume_ml: float, start_h: float, duration_h: float
) -> None:
    inside = (
        1000 <= plasma_volume_ml <= 8000
        and 0 < volume_ml <= 2 * plasma_volume_ml
        and 0 <= start_h <= 24 * 60
        and 0.25 <= duration_h <= 8
    )
    finite = all(math.isfinite(v) for v in (plasma_volume_ml, volume_ml, start_h, duration_h))
    try:
        prediction = predict_course(
            "igg",
            plasma_volume_ml=plasma_volume_ml,
            exchanges=[ExchangeEvent(start_h=start_h, duration_h=duration_h, volume_ml=volume_ml)],
        )
    except InputError as exc:
        assert not inside, exc
        assert exc.field
        return
    assert finite and plasma_volume_ml > 0 and volume_ml > 0, "out-of-domain input accepted"
    assert all(0 <= v <= 1.0 + 1e-9 for v in (*prediction.pre, *prediction.post))


@SETTINGS
@given(
    procedures=st.one_of(st.integers(-5, 10**6), st.booleans(), st.floats()),
    counts=st.dictionaries(
        st.sampled_from([*SEVERITIES, "fatal", ""]),
        st.one_of(st.integers(-5, 10**6), st.booleans(), st.floats()),
        max_size=5,
    ),
)
def test_adverse_event_rates_any_input(procedures: Any, counts: dict[str, Any]) -> None:
    inside = (
        type(procedures) is int
        and procedures >= 1
        and all(k in SEVERITIES and type(v) is int and v >= 0 for k, v in counts.items())
        and sum(counts.values()) <= procedures
    )
    try:
        rates = waa_rates(procedures, counts)
    except InputError as exc:
        assert not inside, exc
        assert exc.field and exc.allowed
        return
    assert inside, "out-of-domain input accepted"
    for row in rates.rows:
        low, high = row.ci95_per_100
        assert 0 <= low <= row.per_100 <= high <= 100


@SETTINGS
@given(
    sex=st.sampled_from(["female", "male"]),
    height_cm=st.floats(120, 230),
    weight_kg=st.floats(30, 250),
    hematocrit=st.floats(0.15, 0.65),
    method=st.sampled_from(["nadler", "kaplan", "weight", "lemmens"]),
    plasma_volumes=st.floats(1.0, 1.5),
    exchanges=st.integers(1, 10),
    start=st.dates(dt.date(2026, 1, 1), dt.date(2030, 12, 31)),
)
def test_plan_inside_the_ranges_its_help_documents(
    sex: str,
    height_cm: float,
    weight_kg: float,
    hematocrit: float,
    method: str,
    plasma_volumes: float,
    exchanges: int,
    start: dt.date,
) -> None:
    """The plan request's ranges live in its field descriptions: inside them every answer is
    a plan, or a course that does not fit the clinic (InfeasibleError with alternatives)."""
    outcome = calc.run(
        "plan",
        {
            "sex": sex,
            "height_cm": height_cm,
            "weight_kg": weight_kg,
            "hematocrit": hematocrit,
            "volume_method": method,
            "plasma_volumes_per_exchange": plasma_volumes,
            "exchanges": exchanges,
            "start_date": start.isoformat(),
        },
    )
    if not outcome.ok:
        # Infeasible, never invalid: the course does not fit the calendar (exchanges), or one
        # session of a very large patient does not fit any day's opening hours (session_minutes).
        error = outcome.body["error"]
        assert error["field"] in {"exchanges", "session_minutes"}, error
        assert error["alternatives"], error


@SETTINGS
@given(
    value=st.one_of(
        st.sampled_from([10, 15, 20, 25, 30, 40, 50, 60, 70, 80, 100, 200, 400]).map(
            lambda d: f"20/{d}"
        ),
        st.sampled_from([3, 6, 9, 12, 18, 24, 36, 60]).map(lambda d: f"6/{d}"),
        st.sampled_from(["CF", "HM", "LP", "NLP"]),
    )
)
def test_acuity_every_documented_notation_answers(value: str) -> None:
    for payload in ({"value": value}, {"right": {"value": value}, "left": {"value": "20/20"}}):
        outcome = calc.run("acuity", payload)
        assert outcome.ok, outcome.body
