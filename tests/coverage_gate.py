"""Coverage gate: 100% of plexms.core, 90% overall (house style)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

CORE_MIN = 100.0
OVERALL_MIN = 90.0


def main(path: str) -> int:
    data = json.loads(Path(path).read_text())
    files = data["files"]
    core = [(name, info["summary"]) for name, info in files.items() if "/plexms/core/" in name]
    covered = sum(s["covered_lines"] + s.get("covered_branches", 0) for _, s in core)
    total = sum(s["num_statements"] + s.get("num_branches", 0) for _, s in core)
    core_pct = 100.0 * covered / total if total else 100.0
    overall = data["totals"]["percent_covered"]
    print(
        f"coverage: core {core_pct:.2f}% (gate {CORE_MIN}%), "
        f"overall {overall:.2f}% (gate {OVERALL_MIN}%)"
    )
    failed = False
    if core_pct < CORE_MIN:
        for name, s in core:
            if s["percent_covered"] < 100.0:
                print(f"  core not fully covered: {name} {s['percent_covered']:.1f}%")
        failed = True
    if overall < OVERALL_MIN:
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
