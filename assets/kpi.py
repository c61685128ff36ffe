"""KPI tables: joins and aggregates over staging, grain stated per asset."""

import dagster as dg

from assets.checks import sql_check
from assets.common import table_metadata
from assets.sql import sql
from nazorg.warehouse import replace_table_from_sql
from pipelines.resources import NazorgWarehouse
from schemas.kpi import Outflow


@dg.asset(
    key_prefix="kpi",
    group_name="kpi",
    deps=[dg.AssetKey(["staging", "detentions"]), dg.AssetKey(["staging", "municipalities"])],
)
def outflow(context: dg.AssetExecutionContext, nazorg: NazorgWarehouse) -> dg.MaterializeResult:
    """One row per region, release year and municipality: persons released."""
    with nazorg.connect(context.run.run_id) as con:
        replace_table_from_sql(con, Outflow, sql("kpi_outflow"))
        return dg.MaterializeResult(metadata=table_metadata(con, Outflow))


outflow_municipality_in_region = sql_check(
    "kpi.outflow",
    "municipality_in_region",
    "Elke gemeente in de uitstroom hoort bij de regio waarin ze staat.",
    """SELECT o.region, o.year, o.municipality_code FROM kpi.outflow o
       LEFT JOIN staging.municipalities m ON m.code = o.municipality_code
       WHERE m.region IS DISTINCT FROM o.region""",
    blocking=True,
)
