"""The importer's state shared by the resource mixins of this package: the bundle's resources,
the references between them and the problems found (nothing here reads or writes a database)."""

from __future__ import annotations

from typing import Any

from plexms.interop.fhir_in.drafts import Link
from plexms.interop.fhir_in.reading import Res

__all__ = ["ImporterBase", "link"]


class ImporterBase:
    """State shared by the resource mixins: the bundle's resources, by index and reference."""

    patient_res: Res
    patient_fields: dict[str, Any]
    ms_fields: dict[str, Any]

    def __init__(self, bundle: dict[str, Any], actor: str) -> None:
        self.actor = actor
        self.problems: list[dict[str, str]] = []
        self.resources = [
            Res(i, e["resource"], self.problems) for i, e in enumerate(bundle.get("entry") or [])
        ]
        self.by_ref: dict[str, Res] = {}
        for entry, res in zip(bundle.get("entry") or [], self.resources, strict=True):
            if entry.get("fullUrl"):
                self.by_ref[entry["fullUrl"]] = res
            if res.body.get("id"):
                self.by_ref[f"{res.kind}/{res.body['id']}"] = res

    def target(
        self, res: Res, path: str, ref: dict[str, Any] | None, kinds: tuple[str, ...]
    ) -> Res | None:
        if not ref:
            return None
        found = self.by_ref.get(str(ref.get("reference", "")))
        if found is None or found.kind not in kinds:
            res.fail(
                path,
                f"reference {ref.get('reference')!r} does not resolve to a "
                f"{'/'.join(kinds)} in this bundle",
            )
            return None
        return found


def link(column: str, *sources: tuple[Res | None, str], in_key: bool = False) -> Link:
    """``column`` takes the first value of ``attribute`` of the rows the ``sources`` became."""
    return Link(column, tuple((res.index, attribute) for res, attribute in sources if res), in_key)
