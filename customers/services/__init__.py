"""Writes of the customers app, one module per area: customer.py (lifecycle, card, contacts, qualification,
evaluation, imports), orders.py (the ledger), assignment.py (assignment rules). Import from the submodule."""
