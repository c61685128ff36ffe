"""Reports: one manager workbook per region, written from the published warehouse.

The workbooks are the last step of ``nightly``: they read only the ``kpi`` and
``quality`` schemas of the file that was just published (never a work file, never
staging), so a workbook always matches what analysts see.
"""

import datetime as dt
import os

import dagster as dg
import duckdb

from assets.resources import PUBLISHED_KEY, NazorgWarehouse
from nazorg.timing import stage


class WorkbookConfig(dg.Config):
    """Small-cell shielding: a count below the threshold is shown as ``<N``. On by
    default (5); ``NAZORG_SUPPRESSION_THRESHOLD=0`` (or run config 0) switches it off
    for internal use. Run config wins over the environment."""

    suppression_threshold: int | None = None


DEFAULT_THRESHOLD = 5  # as nazorg.reports.DEFAULT_THRESHOLD (not imported: openpyxl)


def shielding_threshold(configured: int | None, environment: str | None) -> int:
    """Run config, else ``NAZORG_SUPPRESSION_THRESHOLD``, else on at 5; 0 is off."""
    if configured is not None:
        return configured
    if environment is not None and environment.strip():
        return int(environment)
    return DEFAULT_THRESHOLD


@dg.asset(key=["reports", "region_workbooks"], group_name="reports", deps=[PUBLISHED_KEY])
def region_workbooks(
    context: dg.AssetExecutionContext, config: WorkbookConfig, nazorg: NazorgWarehouse
) -> dg.MaterializeResult:
    """One workbook per region: ``kpi_<region-slug>.xlsx`` in NAZORG_REPORTS_DIR."""
    settings = nazorg.settings()
    threshold = shielding_threshold(
        config.suppression_threshold, os.environ.get("NAZORG_SUPPRESSION_THRESHOLD")
    )
    # openpyxl is imported here, not when the definitions load: every run (and every
    # sensor tick of the daemon) would otherwise pay for it before doing anything.
    from nazorg.reports import write_region_workbooks

    with stage("reports"), duckdb.connect(str(settings.warehouse), read_only=True) as con:
        paths = write_region_workbooks(
            con,
            settings.reports_dir,
            suppression_threshold=threshold,
            run_time=dt.datetime.now(dt.UTC),
        )
    # One message, a line per workbook: every message is an event Dagster stores.
    if paths:
        context.log.info("\n".join(f"Rapportage geschreven: {path}" for path in paths))
    return dg.MaterializeResult(
        metadata={"workbooks": [str(p) for p in paths], "suppression_threshold": threshold or 0}
    )
