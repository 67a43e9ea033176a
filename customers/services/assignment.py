"""Assignment rules: who owns a customer created without an owner (DESIGN §3)."""

from __future__ import annotations


def owner_from_rules(*, customer_fields: dict):
    """The owner chosen by the first matching active rule, or None. (Rules arrive with the pipeline issue.)"""
    return None
