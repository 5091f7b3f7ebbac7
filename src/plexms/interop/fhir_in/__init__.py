"""FHIR import, one module per resource type (used by :mod:`plexms.interop.fhir_import`)."""
