"""Benchmarks, run by hand: `python -m bench import` (see docs/import.md)."""
