"""Safeer's tests. A package so that ``tests.e2e`` and ``tests.standin`` import the same way under pytest and benchmarks."""
