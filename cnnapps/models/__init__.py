"""Architectures this project owns or ports: one file, one model, config or builder on top."""
