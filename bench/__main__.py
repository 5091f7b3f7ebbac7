"""Run the benchmarks: ``python -m bench [AREA ...]`` (default: every ``bench/<area>.py``).

Prints one table row per figure and writes ``bench/results.json`` as
``{"machine": {...}, "figures": [...]}``. When only some areas are named, their figures replace
those of the same name in an existing results file and the others are kept. Exit status 1 if
an area failed (its error is printed; the other areas still run).
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import platform
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import numpy as np

import bench

RESULTS = Path(__file__).resolve().parent / "results.json"
FIELDS = ("name", "value", "unit", "baseline", "baseline_value", "ratio", "command")
NOT_AREAS = {"locustfile"}  # bench/api.py's load script (importing it patches sockets)


def areas() -> list[str]:
    """Every benchmark module of the package, sorted."""
    return sorted(
        m.name
        for m in pkgutil.iter_modules(bench.__path__)
        if not m.name.startswith("_") and m.name not in NOT_AREAS
    )


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    memory_mib = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_mib = round(int(line.split()[1]) / 1024)
                break
    except OSError:
        pass
    info: dict[str, Any] = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_mib": memory_mib,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": platform.platform(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    try:
        import scipy

        info["scipy"] = scipy.__version__
    except ImportError:  # pragma: no cover - scipy is a dev dependency
        pass
    return info


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
            return f"{value:.3g}"
        return f"{value:,.3f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    return "" if value is None else str(value)


def table(figures: list[dict[str, Any]]) -> str:
    """A plain-text table of the figures."""
    head = ("figure", "value", "unit", "baseline", "baseline value", "ratio")
    rows = [
        (
            f["name"],
            _fmt(f["value"]),
            f["unit"],
            f["baseline"],
            _fmt(f["baseline_value"]),
            _fmt(f["ratio"]),
        )
        for f in figures
    ]
    widths = [min(60, max(len(str(r[i])) for r in [head, *rows])) for i in range(len(head))]
    lines = ["  ".join(str(c)[:60].ljust(w) for c, w in zip(head, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(c)[:60].ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    chosen = argv or areas()
    unknown = sorted(set(chosen) - set(areas()))
    if unknown:
        print(f"unknown area(s): {', '.join(unknown)}; known: {', '.join(areas())}")
        return 2
    figures: list[dict[str, Any]] = []
    failed = []
    for name in chosen:
        started = time.perf_counter()
        print(f"[bench] {name} ...", flush=True)
        try:
            module = importlib.import_module(f"bench.{name}")
            got = module.run()
        except Exception:
            traceback.print_exc()
            failed.append(name)
            continue
        for fig in got:
            missing = [k for k in FIELDS if k not in fig]
            if missing:
                print(f"[bench] {name}: figure {fig.get('name')!r} lacks {missing}")
                failed.append(name)
            figures.append(fig)
        print(f"[bench] {name} done in {time.perf_counter() - started:.1f} s", flush=True)
    if argv and RESULTS.exists():
        fresh = {f["name"] for f in figures}
        kept = [
            f for f in json.loads(RESULTS.read_text()).get("figures", []) if f["name"] not in fresh
        ]
        figures = kept + figures
    RESULTS.write_text(json.dumps({"machine": machine(), "figures": figures}, indent=2) + "\n")
    print()
    print(table(figures))
    print(f"\nwritten: {RESULTS}")
    if failed:
        print(f"failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
