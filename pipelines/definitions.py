"""The one place where the Definitions are assembled."""

import dagster as dg

from assets import kpi, quality, staging
from assets.checks import schema_check, sql_check
from assets.publish import build_publish_asset
from pipelines.resources import NazorgWarehouse
from schemas.kpi import Outflow
from schemas.quality import FileLedger, ReleasesWithoutMunicipality
from schemas.staging import Detentions, Municipalities

# The ingestion assets: every source writes its own rows of the quality tables.
INGEST_ASSETS = [staging.detentions]

SCHEMA_CHECKED = [Municipalities, Detentions, FileLedger, ReleasesWithoutMunicipality, Outflow]


def business_checks() -> list[dg.AssetChecksDefinition]:
    return [
        sql_check(
            "quality.file_ledger",
            "all_files_loaded",
            "Alle invoerbestanden zijn gelezen (geen status failed).",
            "SELECT file, error FROM quality.file_ledger WHERE status = 'failed'",
            blocking=False,
        ),
        sql_check(
            "kpi.outflow",
            "municipality_in_region",
            "Elke gemeente in de uitstroom hoort bij de regio waarin ze staat.",
            """SELECT o.region, o.year, o.municipality_code FROM kpi.outflow o
               LEFT JOIN staging.municipalities m ON m.code = o.municipality_code
               WHERE m.region IS DISTINCT FROM o.region""",
            blocking=True,
        ),
    ]


def build_defs(*, resources: dict | None = None) -> dg.Definitions:
    table_assets = [
        staging.municipalities,
        *INGEST_ASSETS,
        quality.build_quality_tables([a.key for a in INGEST_ASSETS]),
        quality.releases_without_municipality,
        kpi.outflow,
    ]
    upstream = [key for a in table_assets for key in a.keys]
    all_assets = [*table_assets, build_publish_asset(upstream)]
    checks = [*(schema_check(m) for m in SCHEMA_CHECKED), *business_checks()]
    nightly = dg.define_asset_job(
        "nightly",
        selection=dg.AssetSelection.all(include_sources=False),
        description="Alles: inlezen, valideren, KPI's, publiceren en rapportages.",
        executor_def=dg.in_process_executor,
    )
    return dg.Definitions(
        assets=all_assets,
        asset_checks=checks,
        jobs=[nightly],
        resources={"nazorg": NazorgWarehouse(), **(resources or {})},
    )
