"""Storage: SQLAlchemy 2 models, repositories, engine and sessions, Alembic migrations."""
