"""Opportunities, quotes with internal cost."""

__all__: list[str] = []
