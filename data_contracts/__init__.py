"""Data contracts: GX 1.x expectation suites stored as JSON, one per input kind.

The suite files are the single source of truth. Two consumers read them:

* :mod:`data_contracts.sql` derives DuckDB predicates from a suite, so row-level quarantine of
  a million-row file runs set-based in the database;
* :mod:`data_contracts.validate` runs the same suite through Great Expectations on a pandas
  frame: the contract check of record, whose verdict must agree with the SQL one.

This package imports nothing else of the project.
"""

from data_contracts.suite import Expectation, Suite, load_suite

__all__ = ["Expectation", "Suite", "load_suite"]
