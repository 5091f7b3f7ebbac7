"""TPE vs IVIG in MS relapses: structured content for the web app, the handout and the letter.

Each aspect (mechanism, onset, role in MS relapse, evidence, cost and logistics,
contraindications) has clinician wording and plain-language wording for patients, with its
sources. The seed's comparison table is the starting point (SEED_ARTICLE); the trial evidence
on IVIG in relapses and optic neuritis is cited separately (unverified: a default wording a
centre can change).

>>> [a.key for a in COMPARISON]
['mechanism', 'onset', 'role_in_ms_relapse', 'evidence', 'cost_and_logistics', 'contraindications']
>>> comparison("patient")["aspects"][1]["tpe"]
'Often within the first 2 or 3 sessions.'
"""

from __future__ import annotations

from dataclasses import dataclass

from plexms.core.errors import InputError
from plexms.core.rules import RULE_VERSION, sources_of

__all__ = ["AUDIENCES", "COMPARISON", "Aspect", "comparison"]

AUDIENCES = ("clinician", "patient")


@dataclass(frozen=True)
class Aspect:
    """One row of the comparison, in clinician and in plain wording."""

    key: str
    label: str
    tpe: str
    ivig: str
    tpe_plain: str
    ivig_plain: str
    sources: tuple[str, ...]


COMPARISON: tuple[Aspect, ...] = (
    Aspect(
        "mechanism",
        "Mechanism",
        "Removes circulating antibodies, immune complexes, complement and cytokines with the "
        "plasma; albumin replaces it.",
        "Modulates immune activity (several mechanisms proposed); removes nothing.",
        "Filters out of your blood the antibodies and other substances that drive the attack.",
        "Adds donated antibodies that calm the immune system over time.",
        ("SEED_ARTICLE",),
    ),
    Aspect(
        "onset",
        "Onset of effect",
        "Rapid: improvement typically after the second or third exchange.",
        "Gradual: days to weeks.",
        "Often within the first 2 or 3 sessions.",
        "Slower: days to weeks.",
        ("SEED_ARTICLE",),
    ),
    Aspect(
        "role_in_ms_relapse",
        "Role in MS relapse",
        "Second line for steroid-refractory relapses (ASFA 2023 category II, grade 1A; AAN "
        "2011 level B); also severe optic neuritis, aggressive CIS and tumefactive lesions.",
        "Not standard for MS relapses; not recommended as add-on to steroids.",
        "Used when a relapse has not improved after steroid treatment.",
        "Not a usual treatment for MS relapses.",
        ("ASFA_2023", "AAN_2011", "SEED_ARTICLE", "EFNS_IVIG_2008"),
    ),
    Aspect(
        "evidence",
        "Evidence",
        "Randomised sham-controlled trial: moderate-or-better improvement in 8/19 (42.1%) vs "
        "1/17 (5.9%) with sham; cohorts 44-81%.",
        "Randomised trials as add-on to IV methylprednisolone in relapses and in acute optic "
        "neuritis showed no benefit.",
        "In a trial, about 4 in 10 improved with plasma exchange vs about 1 in 17 without.",
        "Trials did not show that it helps MS relapses.",
        ("WEINSHENKER_1999", "MARRODAN_2025", "SORENSEN_2004", "ROED_2005"),
    ),
    Aspect(
        "cost_and_logistics",
        "Cost and logistics",
        "Apheresis machine and trained staff; 5-7 exchanges over 10-14 days, 1-1.5 plasma "
        "volumes each, 5% albumin; venous access, often a central catheter.",
        "Pooled human immunoglobulin infused over several days through a peripheral line; "
        "product cost and supply are the main constraints.",
        "5 to 7 sessions over about 2 weeks, each a few hours on a machine; you may need a "
        "line in a large vein.",
        "A drip over several days, made from donated blood.",
        ("SEED_ARTICLE", "ASFA_MS_FACT_SHEET", "EFNS_IVIG_2008"),
    ),
    Aspect(
        "contraindications",
        "Contraindications and cautions",
        "Haemodynamic instability, active infection or bleeding (defer); albumin allergy; "
        "hold ACE inhibitors >= 24 h before albumin exchange; central-line infection risk.",
        "Prior anaphylaxis to immunoglobulin, IgA deficiency with anti-IgA antibodies; "
        "caution with thrombosis risk and renal impairment.",
        "Not while your blood pressure is unstable or you have an infection or bleeding; "
        "some blood-pressure tablets (ACE inhibitors) must be paused for a day.",
        "Not for people who reacted badly to immunoglobulin before; care with kidney "
        "problems or a clotting risk.",
        ("OWEN_BRECHER_1994", "SEED_ARTICLE", "LOCAL_POLICY", "EFNS_IVIG_2008"),
    ),
)


def comparison(audience: str = "clinician") -> dict[str, object]:
    """The TPE vs IVIG comparison in ``audience`` wording, with its sources.

    >>> comparison()["aspects"][0]["label"]
    'Mechanism'
    """
    if audience not in AUDIENCES:
        raise InputError("audience", f"{audience!r} unknown", allowed=", ".join(AUDIENCES))
    plain = audience == "patient"
    aspects = [
        {
            "key": a.key,
            "label": a.label,
            "tpe": a.tpe_plain if plain else a.tpe,
            "ivig": a.ivig_plain if plain else a.ivig,
            "sources": list(a.sources),
        }
        for a in COMPARISON
    ]
    return {
        "audience": audience,
        "aspects": aspects,
        "sources": sources_of(key for a in COMPARISON for key in a.sources),
        "rule_version": RULE_VERSION,
    }
