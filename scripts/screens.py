"""A screenshot gallery of every page of the demo clinic (US centre): ``docs/screens/*.png``.

Starts the real application on a temporary SQLite database seeded with the demo clinic
(``services.admin.demo.seed``, the same as ``make run``), serves it with ``tests/live.py``'s
LiveServer, signs in as the role that uses each page and saves a 1280 px wide viewport
screenshot of it with Playwright driving Debian's chromium (never a downloaded browser).
PNGs are reduced to a 256-colour palette when Pillow is importable. Writes
``docs/screens/README.md`` listing the pictures.

    PYTHONPATH=src python scripts/screens.py [--out docs/screens]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.live
CHROMIUM = os.environ.get("PLEXMS_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "demo-password-for-screens"  # noqa: S105 - a throwaway database
WIDTH, HEIGHT = 1280, 900
# Demo patients (services/admin/demo.py) at the stage each page shows.
NEW, ASSESSED, ACTIVE, DONE = "Lindqvist-Demo", "Novak-Demo", "Marchetti-Demo", "Haddad-Demo"

# (file name, role, one-line caption); the path is found at run time by ``_PATHS``.
PAGES: list[tuple[str, str | None, str]] = [
    ("login", None, "Sign-in page."),
    ("referral-form", None, "Public referral form a referring neurologist fills in."),
    ("today", "nurse", "Today board: the day's sessions by chair and time, alerts."),
    ("referrals", "coordinator", "Referral queue waiting for triage."),
    (
        "referral-triage",
        "coordinator",
        "One referral: triage, accept (creates the patient) or decline.",
    ),
    ("patients", "physician", "Patient list with search."),
    ("patient", "physician", "Patient page: episodes, assessments, courses, outcomes."),
    ("assessment-form", "physician", "Eligibility assessment form."),
    (
        "assessment-result",
        "physician",
        "Assessment result: recommendation, ASFA category, cautions.",
    ),
    ("plan", "physician", "Course planner for the patient (volumes, fluids, schedule)."),
    ("course", "physician", "Course page: prescription and its sessions."),
    ("session-sheet", "nurse", "Session sheet: go/no-go, run record, vitals, sign-off, addenda."),
    ("labs", "physician", "Laboratory results and measurements with history."),
    ("outcomes", "physician", "Outcome visit: EDSS, visual acuity, response."),
    ("handback", "physician", "Hand-back to the referring neurologist (DMT timing)."),
    ("letter", "physician", "Hand-back letter."),
    ("planner", "physician", "Stand-alone TPE volume planner."),
    ("scores", "physician", "Score calculators (EDSS and others)."),
    ("registry", "admin", "Registry dashboard and export."),
    ("calendar-day", "coordinator", "The unit's day by treatment place: patient, machine, nurse."),
    ("calendar-week", "coordinator", "The unit's week by day and place."),
    ("rebook", "coordinator", "Rebook a session: the free slots of a day, each a button."),
    ("utilisation", "coordinator", "Place, machine and nurse utilisation by day and week."),
    ("supplies", "nurse", "Supplies forecast against the stock count."),
    ("lots", "nurse", "Recall: the patients whose sessions used a lot or serial."),
    ("patient-calendar", "coordinator", "A patient's calendar link and reminders."),
    ("my-calendar", "nurse", "One's own calendar link of the unit's bookings."),
    ("documents", "physician", "Reports and letters filed with the record."),
    ("cohort", "physician", "Protocols compared on a virtual cohort."),
    ("registry-federated", "admin", "Federated registry: pooled rates from the nodes."),
]


def _first_href(page: Any, pattern: str) -> str:
    """The first link on the current page whose href matches ``pattern``."""
    for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
        if href and re.fullmatch(pattern, href):
            return str(href)
    raise RuntimeError(f"no link matching {pattern!r} on {page.url}")


def _build_app(tmp: Path) -> Any:
    from plexms.app import create_app
    from plexms.services import ops
    from plexms.services.admin import demo
    from plexms.settings import Settings

    settings = Settings(
        database_url=f"sqlite:///{tmp / 'screens.sqlite3'}",
        data_dir=tmp,
        secret_key="screens-secret-key-not-for-production",  # noqa: S106
        demo_password=PASSWORD,
        argon2_time_cost=1,
        argon2_memory_cost_kib=8,
        argon2_parallelism=1,
        log_json=False,
        log_level="WARNING",
    )
    app = create_app(settings)  # migrates the new database
    ctx = ops.system_context(settings, migrate_first=False)
    try:
        demo.seed(ctx, PASSWORD)
    finally:
        ctx.db.dispose()
    return app


def _login(page: Any, role: str | None) -> None:
    page.context.clear_cookies()
    if role is None:
        return
    page.goto("/login")
    page.fill("input[name=username]", role)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/today")


def _paths(page: Any) -> dict[str, Callable[[], str]]:
    """How to reach each page (links found on the pages themselves, as a user would)."""
    found: dict[str, str] = {}

    def patient(family: str) -> str:
        """The record of the demo patient ``family`` (e.g. one with a course under way)."""
        if family not in found:
            page.goto("/patients")
            link = page.get_by_role("link", name=re.compile(family)).first
            found[family] = str(link.get_attribute("href"))
        return found[family]

    def course() -> str:
        page.goto(patient(ACTIVE))
        return _first_href(page, r"/courses/\d+")

    def sheet() -> str:
        page.goto(course())
        return _first_href(page, r"/sessions/\d+")

    def assessment() -> str:
        page.goto(patient(ASSESSED))
        return _first_href(page, r"/assessments/\d+")

    def booked() -> str:
        page.goto("/calendar?view=week")
        return _first_href(page, r"/sessions/\d+") + "/rebook"

    def referral() -> str:
        page.goto("/referrals")
        return _first_href(page, r"/referrals/\d+")

    return {
        "login": lambda: "/login",
        "referral-form": lambda: "/referral",
        "today": lambda: "/today",
        "referrals": lambda: "/referrals",
        "referral-triage": referral,
        "patients": lambda: "/patients",
        "patient": lambda: patient(ACTIVE),
        "assessment-form": lambda: patient(NEW) + "/assessment",
        "assessment-result": assessment,
        "plan": lambda: patient(ASSESSED) + "/plan",
        "course": course,
        "session-sheet": sheet,
        "labs": lambda: patient(DONE) + "/labs",
        "outcomes": lambda: patient(DONE) + "/outcomes",
        "handback": lambda: patient(DONE) + "/handback",
        "letter": lambda: patient(DONE) + "/letter",
        "planner": lambda: "/planner",
        "scores": lambda: "/scores",
        "registry": lambda: "/registry",
        "calendar-day": lambda: "/calendar",
        "calendar-week": lambda: "/calendar?view=week",
        "rebook": booked,
        "utilisation": lambda: "/utilisation",
        "supplies": lambda: "/supplies",
        "lots": lambda: "/lots",
        "patient-calendar": lambda: patient(ACTIVE) + "/calendar",
        "my-calendar": lambda: "/my/calendar",
        "documents": lambda: patient(DONE) + "/documents",
        "cohort": lambda: "/cohort",
        "registry-federated": lambda: "/registry/federated",
    }


def _optimise(path: Path) -> None:
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow is optional here
        return
    with Image.open(path) as img:
        small = img.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screens")
    args = parser.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    os.environ["PLEXMS_DEMO_PASSWORD"] = PASSWORD

    from playwright.sync_api import sync_playwright
    from tests.live import LiveServer

    with tempfile.TemporaryDirectory() as tmp:
        app = _build_app(Path(tmp))
        with LiveServer(app, log_level="warning") as server, sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
            )
            context = browser.new_context(
                base_url=server.url, viewport={"width": WIDTH, "height": HEIGHT}, locale="en-US"
            )
            context.set_default_timeout(15_000)
            page = context.new_page()
            paths = _paths(page)
            lines = []
            for name, role, caption in PAGES:
                _login(page, role)
                page.goto(paths[name]())
                page.wait_for_load_state("networkidle")
                target = out / f"{name}.png"
                page.screenshot(path=str(target))  # the viewport: 1280 x 900
                _optimise(target)
                who = role or "not signed in"
                lines.append(f"- [`{name}.png`]({name}.png): {caption} ({who})")
                sys.stdout.write(f"{target}\n")
            browser.close()
        db = getattr(app.state, "db", None)
        if db is not None:
            db.dispose()
    readme = [
        "# Screens",
        "",
        "Every page of the demo clinic (a US centre: lb, °F, mg/dL), 1280 px wide, as the role",
        "that uses it. Regenerate with `PYTHONPATH=src python scripts/screens.py`",
        "(Playwright with Debian's chromium at /usr/bin/chromium; synthetic patients only).",
        "",
        *lines,
        "",
    ]
    (out / "README.md").write_text("\n".join(readme), encoding="utf-8")


if __name__ == "__main__":
    main()
