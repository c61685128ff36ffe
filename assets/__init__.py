"""Dagster assets, one module per layer: staging → quality → kpi → publish → reports."""
