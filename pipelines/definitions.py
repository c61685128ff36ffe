"""The one place where the Definitions are assembled.

Assets and checks are collected from the layer modules in ``assets/``; every table
model in ``schemas/`` gets a generated Pandera check on its asset. Adding a table
means: a model, an asset (and its SQL), nothing here.
"""

import dagster as dg

from assets import kpi, quality, reports, staging
from assets.checks import business_checks, schema_checks
from assets.publish import build_publish_asset
from pipelines.automation import nightly_schedule, raw_exports_sensor
from pipelines.resources import NazorgWarehouse

LAYER_MODULES = [staging, quality, kpi]


def build_defs(*, resources: dict | None = None) -> dg.Definitions:
    layer_assets = list(dg.load_assets_from_modules(LAYER_MODULES))
    staging_keys = [k for a in dg.load_assets_from_modules([staging]) for k in a.keys]
    layer_assets.append(quality.build_quality_tables(staging_keys))
    table_keys = [key for a in layer_assets for key in a.keys]
    publish = build_publish_asset(table_keys)
    checks = [
        *schema_checks(layer_assets),
        *dg.load_asset_checks_from_modules(LAYER_MODULES),
        *business_checks(),
    ]
    nightly = dg.define_asset_job(
        "nightly",
        selection=dg.AssetSelection.all(),
        description="Alles: inlezen, valideren, KPI's, publiceren en rapportages.",
        executor_def=dg.in_process_executor,
    )
    return dg.Definitions(
        assets=[*layer_assets, publish, *dg.load_assets_from_modules([reports])],
        asset_checks=checks,
        jobs=[nightly],
        schedules=[nightly_schedule],
        sensors=[raw_exports_sensor],
        resources={"nazorg": NazorgWarehouse(), **(resources or {})},
    )
