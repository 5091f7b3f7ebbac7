"""ASGI application factory: composes the API and the web app (no engine at import time)."""
