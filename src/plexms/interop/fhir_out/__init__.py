"""The FHIR export's builder and resource mappers (:mod:`plexms.interop.fhir_export`)."""

__all__: list[str] = []  # the modules are imported by name
