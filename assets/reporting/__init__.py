"""Reporting: the weekly report model filled from the marts, and its publication."""
