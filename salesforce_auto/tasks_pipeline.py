"""Celery tasks of the pipeline."""
