"""Reads of the customers app, scoped to the acting user: customer.py, orders.py. Import from the submodule."""
