"""Paged lists: the page and its total come from one query (``count(*) OVER ()``); pages
concatenate to the whole list, and a page past the end still reports the total."""

from __future__ import annotations

from plexms.services.clinical import patients


def test_pages_concatenate_and_report_the_total(world) -> None:  # type: ignore[no-untyped-def]
    for i in range(7):
        world.patient(mrn=f"MRN-{i}", family_name=f"Family{i % 3}")
    world.patient(centre="b", mrn="MRN-B")  # another centre: never counted
    ctx = world.ctx("nurse")
    whole = patients.list_patients(ctx, limit=100)
    assert whole.total == 7 and len(whole.items) == 7
    seen = []
    for offset in range(0, 10, 3):
        part = patients.list_patients(ctx, limit=3, offset=offset)
        assert part.total == 7 and (part.limit, part.offset) == (3, offset)
        seen += part.items
    assert seen == whole.items  # same order, nothing twice, nothing missing
    past = patients.list_patients(ctx, limit=3, offset=50)
    assert past.items == [] and past.total == 7
    none = patients.list_patients(ctx, q="no such name", limit=3)
    assert none.items == [] and none.total == 0
    some = patients.list_patients(ctx, q="family1", limit=1)
    assert some.total == 2 and len(some.items) == 1
