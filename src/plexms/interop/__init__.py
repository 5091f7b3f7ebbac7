"""Interoperability: FHIR R4, units (UCUM), CSV/Parquet."""
