"""Pure logic of the nazorg data platform: ingestion, privacy, KPI arithmetic.

Nothing in this package imports Dagster; the assets in ``assets/`` are thin wrappers
around these functions so that every rule can be tested directly.
"""
