"""Outcome measures beyond the EDSS over HTTP: recorded with a visit, added to it, listed with
their change from baseline; a value out of range is a 422 problem naming the field."""

from __future__ import annotations

import pytest


def _visit(client, world, pid: int, body: dict):  # type: ignore[no-untyped-def]
    return client.post(f"/api/patients/{pid}/outcomes", headers=world.headers("nurse"), json=body)


def test_record_add_and_list_measures(client, world) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    base = _visit(
        client,
        world,
        pid,
        {
            "timepoint": "baseline",
            "assessed_on": "2026-11-02",
            "measures": [
                {"measure": "t25fw", "value": 8.0},
                {"measure": "lcla_2_5", "value": 35, "side": "left"},
            ],
        },
    )
    assert base.status_code == 201, base.text
    assert [m["measure"] for m in base.json()["measures"]] == ["t25fw", "lcla_2_5"]
    follow = _visit(client, world, pid, {"timepoint": "3_months", "assessed_on": "2026-11-25"})
    assert follow.status_code == 201, follow.text
    added = client.post(
        f"/api/outcomes/{follow.json()['id']}/measures",
        headers=world.headers("nurse"),
        json={
            "measures": [
                {"measure": "t25fw", "value": 6.4},
                {"measure": "lcla_2_5", "value": 29, "side": "left"},
            ]
        },
    )
    assert added.status_code == 201, added.text
    results = {m["measure"]: m["result"] for m in added.json()["measures"]}
    assert results["t25fw"]["result"] == "improved"  # -20%
    assert results["t25fw"]["threshold"] == "20% of baseline"
    assert results["lcla_2_5"]["result"] == "unchanged"  # -6 letters, 7 needed
    listed = client.get(f"/api/patients/{pid}/measures", headers=world.headers("viewer"))
    assert listed.status_code == 200
    assert [(m["measure"], m["taken_on"]) for m in listed.json()] == [
        ("t25fw", "2026-11-02"),
        ("lcla_2_5", "2026-11-02"),
        ("t25fw", "2026-11-25"),
        ("lcla_2_5", "2026-11-25"),
    ]
    denied = client.post(
        f"/api/outcomes/{follow.json()['id']}/measures",
        headers=world.headers("viewer"),
        json={"measures": [{"measure": "sdmt", "value": 40}]},
    )
    assert denied.status_code == 403


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"measure": "t25fw", "value": 200}, "measures[0].value"),
        ({"measure": "nhpt", "value": 2, "side": "dominant"}, "measures[0].value"),
        ({"measure": "nhpt", "value": 20}, "measures[0].side"),
        ({"measure": "sdmt", "value": 120}, "measures[0].value"),
        ({"measure": "lcla_2_5", "value": 70, "side": "right"}, "measures[0].value"),
        ({"measure": "msws12", "value": 101}, "measures[0].value"),
    ],
)
def test_out_of_range_is_a_422_naming_the_field(client, world, item, field) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    r = _visit(
        client,
        world,
        pid,
        {"timepoint": "baseline", "assessed_on": "2026-11-02", "measures": [item]},
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert field in r.text


def test_unknown_measure_is_refused_by_the_schema(client, world) -> None:  # type: ignore[no-untyped-def]
    pid = world.patient().id
    r = _visit(
        client,
        world,
        pid,
        {
            "timepoint": "baseline",
            "assessed_on": "2026-11-02",
            "measures": [{"measure": "walk", "value": 1}],
        },
    )
    assert r.status_code == 422
    assert "measure" in r.text
