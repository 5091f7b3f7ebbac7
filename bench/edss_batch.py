"""Batch EDSS scoring through the real CLI: 100,000 requests in one ``plexms calc edss`` call.

The requests are drawn (seeded) uniformly over every raw FS grade, half with an ambulation
score 0-16 and half with a walk (distance and aid), so no answer is favoured by repetition.
The figure is the wall time of the whole subprocess (start-up, JSON in, scoring, JSON out),
best of three runs; issue 3 asks for under 5 s.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

N_REQUESTS = 100_000
RUNS = 3
TARGET_S = 5.0
_FS_MAX = {
    "visual": 6,
    "brainstem": 5,
    "pyramidal": 6,
    "cerebellar": 5,
    "sensory": 6,
    "bowel_bladder": 6,
    "cerebral": 5,
}
_WALKS = [
    ("none", 800.0),
    ("none", 350.0),
    ("none", 250.0),
    ("none", 150.0),
    ("none", 60.0),
    ("unilateral", 80.0),
    ("unilateral", 20.0),
    ("bilateral", 150.0),
    ("bilateral", 30.0),
    ("bilateral", 2.0),
    ("wheelchair_without_help", None),
]


def requests(n: int = N_REQUESTS, seed: int = 2024) -> list[dict[str, Any]]:
    """``n`` synthetic EDSS requests (no patient data)."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    for i in range(n):
        fs = {name: rng.randint(0, top) for name, top in _FS_MAX.items()}
        if i % 2:
            out.append({"fs": fs, "ambulation_score": rng.randint(0, 16)})
        else:
            aid, distance = rng.choice(_WALKS)
            walk: dict[str, Any] = {"aid": aid}
            if distance is not None:
                walk["distance_m"] = distance
            out.append({"fs": fs, "walking": walk})
    return out


def _command() -> list[str]:
    script = Path(sys.executable).with_name("plexms")
    base = [str(script)] if script.exists() else [sys.executable, "-m", "plexms.cli"]
    return [*base, "calc", "edss"]


def _one_run(path: Path, out: Path) -> float:
    # stdout goes to a file, as `plexms calc edss < in.json > out.json` would: a pipe adds
    # the reader's scheduling to the figure on a busy machine.
    with path.open("rb") as stdin, out.open("wb") as stdout:
        start = time.perf_counter()
        done = subprocess.run(
            _command(), stdin=stdin, stdout=stdout, stderr=subprocess.PIPE, check=False
        )
        elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"plexms calc edss failed ({done.returncode}): {done.stderr[:500]!r}")
    answers = json.loads(out.read_text())
    if len(answers) != N_REQUESTS or any("edss" not in a for a in answers):
        raise RuntimeError("plexms calc edss did not answer every request")
    return elapsed


def run() -> list[dict[str, Any]]:
    """One figure: best wall time of :data:`RUNS` runs of the 100k batch, in seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "edss_batch.json"
        path.write_text(json.dumps(requests()))
        best = min(_one_run(path, Path(tmp) / "answers.json") for _ in range(RUNS))
    return [
        {
            "name": "calc.edss_batch_100k_s",
            "value": round(best, 3),
            "unit": "s",
            "baseline": "issue 3 target: 100,000 requests under 5 s",
            "baseline_value": TARGET_S,
            "ratio": round(best / TARGET_S, 3),
            "command": " ".join([*_command(), f"< {N_REQUESTS:,} requests (JSON array) > file"]),
        }
    ]


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
