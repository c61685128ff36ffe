"""Dagster code location: ``dagster job execute -m pipelines -j nightly``."""

from pipelines.definitions import build_defs

defs = build_defs()
