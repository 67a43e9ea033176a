"""Opportunities, quotes with internal cost."""
