"""Publishing: the run's work file replaces the published warehouse in one atomic step."""

import dagster as dg

from nazorg.warehouse import publish
from pipelines.resources import NazorgWarehouse


def build_publish_asset(upstream: list[dg.AssetKey]) -> dg.AssetsDefinition:
    """Runs after every table and every blocking check: a failed blocking check skips it,
    so a figure that would mislead a manager is never published."""

    @dg.asset(key=dg.AssetKey(["warehouse", "published"]), group_name="publish", deps=upstream)
    def published(
        context: dg.AssetExecutionContext, nazorg: NazorgWarehouse
    ) -> dg.MaterializeResult:
        """The published warehouse file analysts open (``NAZORG_WAREHOUSE``)."""
        settings = nazorg.settings()
        work = nazorg.work_file(context.run.run_id)
        with nazorg.connect(context.run.run_id):
            pass  # make sure the work file exists (a run that selected only this asset)
        publish(work, settings.warehouse)
        work.unlink(missing_ok=True)
        work.with_name(work.name + ".wal").unlink(missing_ok=True)
        context.log.info(f"Warehouse gepubliceerd: {settings.warehouse}")
        return dg.MaterializeResult(metadata={"path": str(settings.warehouse)})

    return published
