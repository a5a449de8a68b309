"""Tests that start real Prefect servers, workers and flow-run processes (marked `slow`).

They share one PostgreSQL and one Prefect server on it, so pytest-xdist runs this folder
in a single process, first (tests/scheduling.py).
"""
