"""Storage: SQLAlchemy 2 models, repositories, engine and sessions, Alembic migrations."""

__all__: list[str] = []  # the subpackages and modules are imported by name
