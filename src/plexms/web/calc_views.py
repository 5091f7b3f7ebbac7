"""What the pages show of a calculator's typed answer: small frozen view-models.

The views call the calculators (``Calculator.evaluate``) and get typed results: the core's
:class:`~plexms.core.edss.EdssResult`, an eye's
:class:`~plexms.services.calc.acuity.AcuityReport`, the
:class:`~plexms.services.calc.response.Response`. The templates need a few things those do
not carry (the citation text of a source, the name of the EDSS rules, the EDSS change a
criterion was judged on); each view-model here adds them from the typed result and
:mod:`plexms.core.sources`, never from the calculators' JSON (that is for the API and the CLI).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from plexms.core.acuity import ACUITY_SOURCES
from plexms.core.edss import EDSS_SOURCES, EdssResult, Exclusion
from plexms.core.errors import InputError
from plexms.core.response import Criterion
from plexms.core.sources import SOURCES
from plexms.services.calc.acuity import AcuityReport, VisualFsBand
from plexms.services.calc.edss import variant_name
from plexms.services.calc.response import Response

__all__ = ["AcuityView", "CriterionView", "EdssView", "ResponseView", "SourceView"]


@dataclass(frozen=True, slots=True)
class SourceView:
    """A source as the pages list it: the full citation and the DOI to link."""

    citation: str
    doi: str | None

    @classmethod
    def of(cls, key: str) -> SourceView:
        """Source ``key`` of :mod:`plexms.core.sources`."""
        source = SOURCES[key]
        return cls(citation=source.cite(), doi=source.doi)


@dataclass(frozen=True, slots=True)
class EdssView:
    """An EDSS and how it was reached, with the rules' name and the sources' keys."""

    edss: float
    fs_step: float
    fs_rule: str
    ambulation_score: int
    ambulation_minimum: float
    decided_by: str
    converted_fs: Mapping[str, int | None]
    not_counted: tuple[Exclusion, ...]
    uncertain: bool
    edss_range: tuple[float, float]
    variant: str
    explanation: str
    sources: tuple[str, ...]

    @classmethod
    def of(cls, result: EdssResult) -> EdssView:
        """The view of one scored EDSS."""
        return cls(
            edss=result.edss,
            fs_step=result.fs_step,
            fs_rule=result.fs_rule,
            ambulation_score=result.ambulation_score,
            ambulation_minimum=result.ambulation_minimum,
            decided_by=result.decided_by,
            converted_fs=result.converted_fs,
            not_counted=result.not_counted,
            uncertain=result.uncertain,
            edss_range=result.edss_range,
            variant=variant_name(result.options),
            explanation=result.explanation,
            sources=tuple(EDSS_SOURCES),
        )


@dataclass(frozen=True, slots=True)
class AcuityView:
    """One eye's acuity in every notation, its band and notes, and the sources."""

    logmar: float
    decimal: float
    snellen_20: str
    snellen_6: str
    etdrs_letters: int
    category: str | None
    visual_fs_band: VisualFsBand
    notes: tuple[str, ...]
    sources: tuple[SourceView, ...]

    @classmethod
    def of(cls, report: AcuityReport) -> AcuityView:
        """The view of one eye's report."""
        return cls(
            logmar=report.logmar,
            decimal=report.decimal,
            snellen_20=report.snellen_20,
            snellen_6=report.snellen_6,
            etdrs_letters=report.etdrs_letters,
            category=report.category,
            visual_fs_band=report.visual_fs_band,
            notes=report.notes,
            sources=tuple(SourceView.of(key) for key in ACUITY_SOURCES),
        )


@dataclass(frozen=True, slots=True)
class CriterionView:
    """One definition's verdict: result, what was missing, the EDSS change, rule, citation."""

    result: str
    missing: tuple[str, ...]
    edss_change: float | None
    rule: str
    source: str

    @classmethod
    def of(cls, criterion: Criterion) -> CriterionView:
        """The view of one criterion."""
        change = criterion.details.get("edss_change")
        return cls(
            result=criterion.result,
            missing=criterion.missing,
            edss_change=float(change) if isinstance(change, int | float) else None,
            rule=criterion.rule,
            source=SOURCES[criterion.source].cite(),
        )


@dataclass(frozen=True, slots=True)
class ResponseView:
    """Every definition's verdict by name, or the calculator's refusal (``error``)."""

    criteria: Mapping[str, CriterionView]
    error: InputError | None = None

    @classmethod
    def of(cls, response: Response) -> ResponseView:
        """The view of one classification."""
        return cls({name: CriterionView.of(c) for name, c in response.criteria.items()})

    @classmethod
    def refused(cls, error: InputError) -> ResponseView:
        """A follow-up the calculator could not classify, with its reason."""
        return cls({}, error)
