"""Ingest: input files in, contract-checked rows in staging, bad rows in quarantine."""
