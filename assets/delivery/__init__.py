"""Delivery metrics: the four keys, cadence, release windows and batch risk (README: Metrics)."""
