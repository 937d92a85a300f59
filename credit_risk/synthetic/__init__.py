"""Synthetic lending data: a causal generator and an atomic bulk loader for the raw schema."""
