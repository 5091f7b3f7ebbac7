"""TPE vs IVIG content: every aspect, both audiences, sourced."""

from __future__ import annotations

import json

import pytest

from plexms.core.errors import InputError
from plexms.core.ivig import AUDIENCES, COMPARISON, comparison
from plexms.core.sources import SOURCES


def test_every_aspect_the_issue_asks_for() -> None:
    assert [a.key for a in COMPARISON] == [
        "mechanism",
        "onset",
        "role_in_ms_relapse",
        "evidence",
        "cost_and_logistics",
        "contraindications",
    ]
    for aspect in COMPARISON:
        assert aspect.sources and all(key in SOURCES for key in aspect.sources)
        assert all((aspect.tpe, aspect.ivig, aspect.tpe_plain, aspect.ivig_plain))


@pytest.mark.parametrize("audience", AUDIENCES)
def test_both_audiences(audience: str) -> None:
    body = comparison(audience)
    assert body["audience"] == audience
    json.dumps(body)
    texts = {a["key"]: a["tpe"] for a in body["aspects"]}  # type: ignore[attr-defined]
    plain = {a.key: a.tpe_plain for a in COMPARISON}
    assert (texts == plain) == (audience == "patient")


def test_seed_table_and_evidence_are_kept() -> None:
    by_key = {a.key: a for a in COMPARISON}
    assert "second or third" in by_key["onset"].tpe  # seed: rapid (2-3 sessions)
    assert "days to weeks" in by_key["onset"].ivig
    assert "8/19 (42.1%)" in by_key["evidence"].tpe  # Weinshenker 1999
    assert "1A" in by_key["role_in_ms_relapse"].tpe  # ASFA 2023


def test_unknown_audience() -> None:
    with pytest.raises(InputError) as info:
        comparison("press")
    assert info.value.field == "audience"
