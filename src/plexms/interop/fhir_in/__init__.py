"""FHIR import, one module per resource type (used by :mod:`plexms.interop.fhir_import`)."""

__all__: list[str] = []  # the subpackages and modules are imported by name
