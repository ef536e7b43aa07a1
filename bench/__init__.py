"""Benchmarks for collateral-tui: ``python -m bench`` (see bench/harness.py and RESULTS.md).

Not part of the installed package and never imported by ``tui``.
"""
