"""A deterministic sample organisation: deployment, incident and inventory files for an inbox.

Used by the ``demo`` and ``sample-data`` CLI verbs and by the benchmarks (README: make demo).
"""
