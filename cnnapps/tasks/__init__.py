"""One module per application: pure functions with keyword-only options and typed results."""
