"""What `make run` starts. Until the web app lands: a worked example of `plexms calc plan`."""

from __future__ import annotations

import argparse
import json

from plexms.services import calc as calc_service

DEMO_REQUEST = {
    "sex": "female",
    "height_cm": 165,
    "weight_kg": 60,
    "hematocrit": 0.40,
    "plasma_volumes_per_exchange": 1.0,
    "exchanges": 5,
    "start_date": "2026-11-30",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.parse_args()
    print("plexms demo: a worked example of `plexms calc plan` for a demo patient")
    print("request:", json.dumps(DEMO_REQUEST))
    calcs = calc_service.calculators()
    if "plan" in calcs:
        outcome = calc_service.run("plan", DEMO_REQUEST)
        print(json.dumps(outcome.body, indent=2))
    print("Try it yourself:  echo '<request>' | .venv/bin/plexms calc plan")


if __name__ == "__main__":
    main()
