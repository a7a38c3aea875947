"""Delivery metrics: the four keys, cadence, release windows and batch risk (DESIGN 6)."""
