"""The store: SQLAlchemy metadata, engines and Alembic migrations for SQLite and PostgreSQL."""
