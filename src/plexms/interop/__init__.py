"""Interoperability: FHIR R4, units (UCUM), CSV/Parquet."""

__all__: list[str] = []  # the subpackages and modules are imported by name
