"""Alembic migrations; ``bot.store.upgrade`` runs them at start and ``newswatch db upgrade`` explicitly."""
