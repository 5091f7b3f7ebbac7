"""The FHIR export's builder and resource mappers (:mod:`plexms.interop.fhir_export`)."""
