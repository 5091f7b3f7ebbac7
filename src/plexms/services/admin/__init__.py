"""Administration: sign-in and tokens, centres, users, the audit trail, the demo clinic."""

__all__: list[str] = []  # the modules are imported by name
