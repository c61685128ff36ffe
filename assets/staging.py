"""Staging: validated, normalised, pseudonymised rows, one table per entity."""

import dagster as dg
import polars as pl

from assets.common import record_sources, table_metadata
from nazorg.ingest import QUALITY_SCHEMA, ingest_source
from nazorg.municipalities import load_reference
from nazorg.sources import detentions as det
from nazorg.warehouse import replace_table
from pipelines.resources import NazorgWarehouse
from schemas.staging import Detentions, Municipalities


@dg.asset(key_prefix="staging", group_name="staging")
def municipalities(
    context: dg.AssetExecutionContext, nazorg: NazorgWarehouse
) -> dg.MaterializeResult:
    """One row per municipality (CBS code) of the reference list, with mergers."""
    with nazorg.connect(context.run.run_id) as con:
        replace_table(con, Municipalities, load_reference())
        return dg.MaterializeResult(metadata=table_metadata(con, Municipalities))


@dg.asset(key_prefix="staging", group_name="staging", deps=[municipalities])
def detentions(context: dg.AssetExecutionContext, nazorg: NazorgWarehouse) -> dg.MaterializeResult:
    """One row per detention episode, JustID and DPAN together.

    Reads every file under ``raw/justid`` and ``raw/dpan``; notifications are paired
    into episodes and placed in the municipality at release.
    """
    settings = nazorg.settings()
    key = nazorg.key(context.log)
    justid = ingest_source(settings.raw_dir, det.JUSTID, det.parse_justid, key)
    dpan = ingest_source(settings.raw_dir, det.DPAN, det.parse_dpan, key)
    episodes = det.build_episodes(justid.rows, dpan.rows)
    placed, warnings = det.place_episodes(episodes)
    warning_rows = warnings.select(
        pl.when(pl.col("file").str.starts_with("dpan/"))
        .then(pl.lit("dpan"))
        .otherwise(pl.lit("justid"))
        .alias("source"),
        "file",
        "sheet",
        pl.col("source_row").alias("row_number"),
        "column",
        "rule",
        pl.format("{}, rij {}, kolom '{}': {}", "file", "source_row", "column", "problem").alias(
            "message"
        ),
    ).cast(QUALITY_SCHEMA)
    with nazorg.connect(context.run.run_id) as con:
        replace_table(con, Detentions, placed)
        record_sources(con, context.log, {"justid": justid, "dpan": dpan}, warning_rows)
        return dg.MaterializeResult(metadata=table_metadata(con, Detentions))
