"""Celery tasks of the orders ledger (CSV import)."""
