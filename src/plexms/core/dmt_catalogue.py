"""The DMT catalogue: each disease-modifying therapy, its class, whether TPE removes it and
the timing advice relative to a course (rules ``DMT-*`` in ``docs/rules.md``; the advice
itself is :func:`plexms.core.dmt.dmt_advice`).

Antibody drugs for NMOSD are listed too (eculizumab, ravulizumab, satralizumab, inebilizumab):
a TPE programme treats NMOSD attacks in patients on them. Eculizumab's and ravulizumab's labels
call for a supplemental dose after plasma exchange (SOLIRIS_LABEL, ULTOMIRIS_LABEL).

>>> DMTS["eculizumab"].supplement_source, DMTS["inebilizumab"].b_cell_depleting
('SOLIRIS_LABEL', True)
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DMTS", "Dmt"]


@dataclass(frozen=True)
class Dmt:
    """One disease-modifying therapy and how TPE bears on it."""

    key: str
    label: str
    drug_class: str
    kind: str  # monoclonal_antibody | protein | peptide_polymer | small_molecule
    route: str
    removed_by_tpe: str  # yes | no | uncertain
    basis: str
    timing: str
    sources: tuple[str, ...]
    b_cell_depleting: bool = False  # anti-CD20 / anti-CD19: suggest a B-cell count
    supplement_source: str | None = None  # the label calls for a dose after each exchange


_MAB_BASIS = (
    "Monoclonal antibody (IgG): mostly in plasma and long-lived, the profile TPE removes "
    "(small volume of distribution)."
)
_MAB_TIMING = (
    "Give the next scheduled dose when it is due, and not before the last exchange: an "
    "exchange after a dose removes part of it (how much: see the model, where there is one)."
)
_S1P_BASIS = "Small molecule with a large volume of distribution: little of it is in plasma."
_S1P_TIMING = (
    "Continue through the course; do not interrupt (stopping and restarting an S1P modulator "
    "has its own risks per its label)."
)
_ORAL_TIMING = "Continue through the course; no change needed for TPE."


def _dmt(*fields: str, sources: str, b_cells: bool = False, supplement: str | None = None) -> Dmt:
    key, label, drug_class, kind, route, removed, basis, timing = fields
    return Dmt(
        key,
        label,
        drug_class,
        kind,
        route,
        removed,
        basis,
        timing,
        tuple(sources.split()),
        b_cells,
        supplement,
    )


DMTS: dict[str, Dmt] = {
    d.key: d
    for d in (
        _dmt(
            "interferon_beta",
            "Interferon beta",
            "interferon (recombinant protein)",
            "protein",
            "subcutaneous or intramuscular injection",
            "no",
            "A protein, but short-lived and injected every 1-14 days: what an exchange removes "
            "is soon replaced by the next dose.",
            "Continue; on exchange days inject after the exchange.",
            sources="DMT_LABELS IBRAHIM_2007",
        ),
        _dmt(
            "glatiramer_acetate",
            "Glatiramer acetate",
            "peptide polymer (immunomodulator)",
            "peptide_polymer",
            "subcutaneous injection",
            "no",
            "Broken down largely at the injection site; little reaches plasma.",
            "Continue; on exchange days inject after the exchange.",
            sources="DMT_LABELS IBRAHIM_2007",
        ),
        _dmt(
            "natalizumab",
            "Natalizumab",
            "anti-alpha4-integrin monoclonal antibody (IgG4)",
            "monoclonal_antibody",
            "intravenous infusion",
            "yes",
            _MAB_BASIS + " TPE accelerates natalizumab clearance (the basis of TPE for "
            "natalizumab-associated PML).",
            _MAB_TIMING,
            sources="KHATRI_2009 IBRAHIM_2007 DMT_LABELS",
        ),
        *(
            _dmt(
                key,
                label,
                "anti-CD20 monoclonal antibody",
                "monoclonal_antibody",
                route,
                "yes",
                _MAB_BASIS + " Rituximab: 47-54% removed by a first session 24-72 h after "
                "infusion. TPE removes circulating drug; B-cell depletion already achieved "
                "persists.",
                _MAB_TIMING,
                sources="PUISSET_2013 IBRAHIM_2007 DMT_LABELS",
                b_cells=True,
            )
            for key, label, route in (
                ("ocrelizumab", "Ocrelizumab", "intravenous infusion"),
                ("ofatumumab", "Ofatumumab", "subcutaneous injection"),
                ("ublituximab", "Ublituximab", "intravenous infusion"),
                ("rituximab", "Rituximab", "intravenous infusion"),
            )
        ),
        _dmt(
            "inebilizumab",
            "Inebilizumab",
            "anti-CD19 monoclonal antibody (IgG1; NMOSD)",
            "monoclonal_antibody",
            "intravenous infusion (every 6 months)",
            "yes",
            _MAB_BASIS + " TPE removes circulating drug; B-cell depletion already achieved "
            "persists.",
            _MAB_TIMING,
            sources="IBRAHIM_2007 DMT_LABELS",
            b_cells=True,
        ),
        _dmt(
            "eculizumab",
            "Eculizumab",
            "anti-C5 complement inhibitor monoclonal antibody (IgG2/4; NMOSD)",
            "monoclonal_antibody",
            "intravenous infusion (every 2 weeks)",
            "yes",
            _MAB_BASIS + " The label calls for a supplemental dose after plasma exchange.",
            "Keep the schedule; the label calls for a supplemental dose after each plasma "
            "exchange (table by the most recent dose, in the label).",
            sources="SOLIRIS_LABEL IBRAHIM_2007",
            supplement="SOLIRIS_LABEL",
        ),
        _dmt(
            "ravulizumab",
            "Ravulizumab",
            "long-acting anti-C5 complement inhibitor monoclonal antibody (IgG2/4; NMOSD)",
            "monoclonal_antibody",
            "intravenous infusion (every 8 weeks)",
            "yes",
            _MAB_BASIS + " The label calls for a supplemental dose after plasma exchange.",
            "Keep the schedule; the label calls for a supplemental dose after each plasma "
            "exchange (table by the most recent dose, in the label).",
            sources="ULTOMIRIS_LABEL IBRAHIM_2007",
            supplement="ULTOMIRIS_LABEL",
        ),
        _dmt(
            "satralizumab",
            "Satralizumab",
            "anti-IL-6 receptor monoclonal antibody (IgG2; NMOSD)",
            "monoclonal_antibody",
            "subcutaneous injection (every 4 weeks)",
            "yes",
            _MAB_BASIS,
            _MAB_TIMING,
            sources="IBRAHIM_2007 DMT_LABELS",
        ),
        _dmt(
            "alemtuzumab",
            "Alemtuzumab",
            "anti-CD52 monoclonal antibody",
            "monoclonal_antibody",
            "intravenous infusion (yearly courses)",
            "yes",
            _MAB_BASIS + " Lymphocyte depletion already achieved persists.",
            "Do not give a course during TPE; start it after the last exchange.",
            sources="IBRAHIM_2007 DMT_LABELS",
        ),
        *(
            _dmt(
                key,
                label,
                "sphingosine-1-phosphate receptor modulator",
                "small_molecule",
                "oral",
                "no",
                _S1P_BASIS,
                _S1P_TIMING,
                sources="IBRAHIM_2007 DMT_LABELS",
            )
            for key, label in (
                ("fingolimod", "Fingolimod"),
                ("siponimod", "Siponimod"),
                ("ozanimod", "Ozanimod"),
                ("ponesimod", "Ponesimod"),
            )
        ),
        *(
            _dmt(
                key,
                label,
                "fumarate",
                "small_molecule",
                "oral",
                "no",
                "Small molecule (active metabolite monomethyl fumarate): low protein binding and "
                "a half-life of hours.",
                _ORAL_TIMING,
                sources="IBRAHIM_2007 DMT_LABELS",
            )
            for key, label in (
                ("dimethyl_fumarate", "Dimethyl fumarate"),
                ("diroximel_fumarate", "Diroximel fumarate"),
            )
        ),
        _dmt(
            "teriflunomide",
            "Teriflunomide",
            "pyrimidine synthesis inhibitor",
            "small_molecule",
            "oral",
            "uncertain",
            "High protein binding and a small volume of distribution meet the rule of thumb, "
            "but our sources give no TPE data; the label's accelerated elimination "
            "(cholestyramine or activated charcoal) is the established way to lower levels.",
            "Continue; TPE is not a substitute for the accelerated elimination procedure.",
            sources="IBRAHIM_2007 TERIFLUNOMIDE_LABEL",
        ),
        _dmt(
            "cladribine",
            "Cladribine",
            "purine analogue (immune reconstitution therapy)",
            "small_molecule",
            "oral (short treatment weeks)",
            "no",
            "Small molecule with a large volume of distribution and low protein binding.",
            "If a treatment week falls in the course, take the tablets after the exchange on "
            "exchange days; lymphopenia: infection precautions with central access.",
            sources="IBRAHIM_2007 DMT_LABELS",
        ),
    )
}
