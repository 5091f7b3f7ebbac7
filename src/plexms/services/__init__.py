"""Use cases: one function per clinical action, shared by the API, the web app and the CLI."""

__all__: list[str] = []  # the subpackages and modules are imported by name
