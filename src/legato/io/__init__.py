"""Connectors: storage (fsspec), warehouse (DuckDB, PostgreSQL/SQLAlchemy), HTTP, queues (SPEC section 6)."""
