"""Admin of the orders ledger and assignment rules."""
