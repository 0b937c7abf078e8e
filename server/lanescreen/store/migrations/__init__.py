"""Alembic migrations of the lanescreen schema; ``Database.open`` runs them to head."""
