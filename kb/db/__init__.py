"""The database: engine.py (SQLite or PostgreSQL, transactions, the one `Base` every part's tables
hang on), migrations/ (Alembic, applied at start), backup.py (`kb export` / `kb import`)."""
