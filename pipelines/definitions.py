"""The one place where the Definitions are assembled.

Assets (with their checks) come from the layer modules in ``assets/``; publishing runs
after every table, the workbooks after publishing. Adding a table means: a model, an
entry in its layer (and its SQL), nothing here.
"""

import dagster as dg

from assets import kpi, quality, reports, staging
from assets.publish import build_publish_asset
from assets.resources import NazorgWarehouse
from pipelines.alerts import SENSORS as ALERT_SENSORS
from pipelines.automation import nightly_schedule, raw_exports_sensor
from pipelines.logs import LOGGERS

LAYER_MODULES = [staging, quality, kpi]


def build_defs(*, resources: dict | None = None) -> dg.Definitions:
    layer_assets = list(dg.load_assets_from_modules(LAYER_MODULES))
    table_keys = [key for a in layer_assets for key in a.keys]
    nightly = dg.define_asset_job(
        "nightly",
        selection=dg.AssetSelection.all(),
        description="Alles: inlezen, valideren, KPI's, publiceren en rapportages.",
        # One warehouse file, one writer: steps run one after another in one process
        # (a process per step would cost seconds and fight over the file lock).
        executor_def=dg.in_process_executor,
        # Dagster starts a job's loggers only when the run config names them: this
        # default (merged with any run config given) starts the quiet console logger.
        config={"loggers": {"console": {}}},
    )
    return dg.Definitions(
        assets=[
            *layer_assets,
            build_publish_asset(table_keys),
            *dg.load_assets_from_modules([reports]),
        ],
        jobs=[nightly],
        # The same for every other run: "Materialize" in the UI and `dagster asset
        # materialize` launch Dagster's implicit asset job, whose default executor (a
        # process per step) would run two staging steps at once on one work file: the
        # second fails on DuckDB's file lock.
        executor=dg.in_process_executor,
        schedules=[nightly_schedule],
        sensors=[raw_exports_sensor, *ALERT_SENSORS],
        # The log on the terminal at INFO, for every job (pipelines/logs.py).
        loggers=LOGGERS,
        resources={"nazorg": NazorgWarehouse(), **(resources or {})},
    )
