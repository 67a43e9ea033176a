"""Admin of opportunities and quotes."""
