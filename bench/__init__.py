"""Benchmarks: `make bench` runs them all (see bench/RESULTS-*.md for recorded runs)."""
