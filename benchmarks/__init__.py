"""Benchmarks: scale data, the pandas baseline, and the runner that compares them."""
