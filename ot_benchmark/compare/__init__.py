"""Comparison of one council with its comparator group: benchmark, trend, capacity."""
