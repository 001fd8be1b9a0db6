"""Metrics of the MSA papers (being written, issue 2)."""
