"""FastAPI JSON routers, pydantic I/O schemas, auth dependencies."""
