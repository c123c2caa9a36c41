"""Benchmarks: `python -m bench` runs them all (each prints its figures)."""
