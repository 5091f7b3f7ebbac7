"""Write ``docs/vocabularies.md`` from :mod:`plexms.core.vocabulary` (the one definition).

Run ``python scripts/vocabularies.py`` after changing a vocabulary;
``tests/core/test_vocabulary.py`` fails while the page is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

from plexms.core.sources import LOCAL_POLICY, SOURCES
from plexms.core.vocabulary import CTCAE_GRADES, EDSS_STEPS, VOCABULARIES

DOC = Path(__file__).resolve().parents[1] / "docs" / "vocabularies.md"


def _source(key: str) -> str:
    return "local policy (the centre's list)" if key == LOCAL_POLICY else SOURCES[key].cite()


def render() -> str:
    """The page's Markdown."""
    lines = [
        "# Clinical vocabularies",
        "",
        "Generated from `src/plexms/core/vocabulary.py` by `scripts/vocabularies.py`; do not "
        "edit by hand. Each word is defined once there; the API and `plexms calc` types, the "
        "web forms, the database checks and the FHIR code table are made from it.",
        "",
    ]
    for vocabulary in VOCABULARIES:
        lines += [
            f"## {vocabulary.title} (`{vocabulary.name}`)",
            "",
            f"Source: {_source(vocabulary.source)}. Used by: {vocabulary.used_by}.",
            "",
            "| Value | Label | Meaning |",
            "|---|---|---|",
        ]
        for term in vocabulary.terms:
            value = f"`{term.value}`"
            if term.contract:
                value += f" (contract: `{term.contract}`)"
            lines.append(f"| {value} | {term.label} | {term.description} |")
        lines.append("")
    lines += [
        "## CTCAE-style grade of an adverse event",
        "",
        f"Source: {_source('CTCAE_V5')}. From the WAA severity: mild 1, moderate 2, severe 3 "
        "(4 when life-threatening), death 5.",
        "",
        "| Grade | Label |",
        "|---|---|",
        *(f"| {grade} | {label} |" for grade, label in CTCAE_GRADES.items()),
        "",
        "## EDSS steps",
        "",
        f"Source: {_source('KURTZKE_1983')}.",
        "",
        ", ".join(f"{step:g}" if step == 0 else f"{step:.1f}" for step in EDSS_STEPS),
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    """Write the page; 0 on success."""
    DOC.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {DOC}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
