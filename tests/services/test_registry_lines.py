"""The registry's line infections per 1,000 line-days (both backends): the SQL totals equal
the core's line-days counted line by line in Python, the start-date window cuts line-days and
infections, another centre sees none of them."""

from __future__ import annotations

import datetime as dt

from plexms.core.access_lines import line_days, line_rate
from plexms.services.clinical import access_lines
from plexms.services.schemas.access import AccessLineIn, LineEventIn
from plexms.services.sharing import registry
from plexms.services.sharing.registry import RegistryFilter

TODAY = dt.date(2026, 11, 26)  # the suite's now, in the centre's Los Angeles
LINES = [
    # (type, site, inserted, removed, infections on)
    ("tunnelled_cvc", "right_internal_jugular", "2026-09-01", "2026-10-15", ["2026-10-10"]),
    ("apheresis_catheter", "right_femoral", "2026-11-20", None, ["2026-11-24"]),
    ("port", "left_chest_wall", "2026-06-01", None, []),
    ("peripheral_cannula", "left_forearm", "2026-11-26", "2026-11-26", []),
    ("non_tunnelled_cvc", "left_internal_jugular", "2026-11-02", "2026-11-02", []),
]


def _load(world) -> list[tuple[str, dt.date, dt.date | None, list[dt.date]]]:  # type: ignore[no-untyped-def]
    nurse = world.ctx("nurse")
    pid = world.patient().id
    made = []
    for line_type, site, inserted, removed, infections in LINES:
        body: dict[str, object] = {"line_type": line_type, "site": site, "inserted_on": inserted}
        if removed:
            body |= {"removed_on": removed, "removal_reason": "no_longer_needed"}
        out = access_lines.add_line(nurse, pid, AccessLineIn.model_validate(body))
        for day in infections:
            access_lines.add_line_event(
                nurse, out.id, LineEventIn(event_type="clabsi", event_on=dt.date.fromisoformat(day))
            )
        made.append(
            (
                out.kind,
                out.inserted_on,
                out.removed_on,
                [dt.date.fromisoformat(d) for d in infections],
            )
        )
    return made


def _expected(made, kind: str, since: dt.date | None, last: dt.date):  # type: ignore[no-untyped-def]
    rows = [m for m in made if kind == "all" or m[0] == kind]
    rows = [m for m in rows if m[1] <= last and (since is None or m[2] is None or m[2] >= since)]
    days = sum(line_days(m[1], m[2], as_of=last, since=since) for m in rows)
    infections = sum(1 for m in rows for d in m[3] if d <= last and (since is None or d >= since))
    return len(rows), days, infections, line_rate(infections, days)


def test_registry_line_rates_equal_the_core_counted_per_line(world) -> None:  # type: ignore[no-untyped-def]
    made = _load(world)
    for f, since, last in (
        (RegistryFilter(), None, TODAY),
        (RegistryFilter(start_from=dt.date(2026, 11, 1)), dt.date(2026, 11, 1), TODAY),
        (
            RegistryFilter(start_from=dt.date(2026, 10, 1), start_to=dt.date(2026, 10, 31)),
            dt.date(2026, 10, 1),
            dt.date(2026, 10, 31),
        ),
    ):
        dash = registry.dashboard(world.ctx("viewer"), f)
        assert dash.lines_as_of == TODAY
        for row in dash.line_rates:
            lines, days, infections, rate = _expected(made, row.kind, since, last)
            assert (row.lines, row.line_days, row.infections) == (lines, days, infections), row
            assert (row.per_1000, row.ci95_per_1000) == (rate.per_1000, rate.ci95_per_1000)
    everything = {r.kind: r for r in registry.dashboard(world.ctx("viewer")).line_rates}
    assert everything["peripheral"].line_days == 1  # in and out today
    assert everything["all"].infections == 2


def test_another_centre_sees_no_lines(world) -> None:  # type: ignore[no-untyped-def]
    _load(world)
    rows = registry.dashboard(world.ctx("viewer", "b")).line_rates
    assert all(r.lines == 0 and r.per_1000 is None for r in rows)
