"""Test support shared by the test directories and the benchmarks (not shipped)."""
