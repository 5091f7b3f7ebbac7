"""The demo clinic's courses with exchanges done have measured IgG and fibrinogen, so each
fits (issue 18: the demo's course pages show fitted curves, bands and advice)."""

from __future__ import annotations

import dataclasses

from plexms.services.admin import demo
from plexms.services.clinical import course_fit, courses
from plexms.services.context import SYSTEM, Actor, ServiceContext


def test_every_demo_course_with_exchanges_done_is_fitted(db, settings) -> None:  # type: ignore[no-untyped-def]
    system = ServiceContext(db=db, actor=SYSTEM, settings=settings)
    result = demo.seed(system, "demo-password-123")
    ctx = dataclasses.replace(
        system, actor=Actor(1, "physician-demo", "physician", result.centre_id)
    )
    fitted = 0
    for course in courses.list_courses(ctx).items:
        done = [s for s in courses.list_course_sessions(ctx, course.id) if s.status == "done"]
        if not done:
            continue
        out = course_fit.fit_stored_course(ctx, course.id)
        assert set(out.body["substances"]) == {"igg", "fibrinogen"}
        for sub in out.body["substances"].values():
            assert sub["flags"] == []  # the simulated labs are all plausible
            assert sub["predicted"] and all(
                p["low"] <= p["value"] <= p["high"] for p in sub["predicted"]
            )
        assert out.body["advice"] or len(done) == course.planned_exchanges
        fitted += 1
    assert fitted == 6
    learned = course_fit.learn_priors(ctx, "centre")
    assert learned.courses == {"igg": 6, "fibrinogen": 6}
    assert learned.new["igg"].patients == 6
