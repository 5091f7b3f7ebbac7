"""What leaves the clinic: FHIR, reports, the registry (views, export, generator)."""

__all__: list[str] = []  # the modules are imported by name
