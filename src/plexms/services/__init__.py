"""Use cases: one function per clinical action, shared by the API, the web app and the CLI."""
