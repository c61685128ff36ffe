"""Publishing: the run's work file replaces the published warehouse in one atomic step."""

import dagster as dg
import duckdb

from assets.resources import PUBLISHED_KEY, NazorgWarehouse
from assets.views import create_views
from nazorg.builds import BUILDS_TABLE
from nazorg.warehouse import describe, publish, table_exists
from schemas.quality import TableBuilds


def build_publish_asset(upstream: list[dg.AssetKey]) -> dg.AssetsDefinition:
    """Runs after every table and every blocking check: a failed blocking check fails
    its step and skips this one, so a figure that would mislead a manager is never
    published."""

    @dg.asset(
        key=PUBLISHED_KEY,
        group_name="publish",
        deps=upstream,
        description=(
            "Het gepubliceerde warehouse (NAZORG_WAREHOUSE) dat analisten openen: de run "
            "bouwt in een eigen werkbestand en vervangt het gepubliceerde bestand in één "
            "atomaire stap, pas als geen blokkerende controle faalt."
        ),
    )
    def published(
        context: dg.AssetExecutionContext, nazorg: NazorgWarehouse
    ) -> dg.MaterializeResult:
        """The published warehouse file analysts open (``NAZORG_WAREHOUSE``)."""
        settings = nazorg.settings()
        work = nazorg.work_file(context.run.run_id)
        with nazorg.connect(context.run.run_id) as con:
            # (also makes sure the work file exists, for a run that selected only this asset)
            built = {}
            if table_exists(con, BUILDS_TABLE):
                describe(con, TableBuilds)
                built = dict(
                    con.execute(
                        f"SELECT run_id = ?, count(*) FROM {BUILDS_TABLE} GROUP BY ALL",
                        [context.run.run_id],
                    ).fetchall()
                )
            create_views(con)
            summary = run_summary(con)
        nazorg.release()
        publish(work, settings.warehouse)
        context.log.info(
            f"Warehouse gepubliceerd: {settings.warehouse} ({built.get(True, 0)} tabel(len) "
            f"in deze run gebouwd, {built.get(False, 0)} ongewijzigd overgenomen)"
        )
        log_run_summary(context.log, summary)
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(settings.warehouse)),
                "tables_built": built.get(True, 0),
                "tables_kept": built.get(False, 0),
                **{k: v for k, v in summary.items() if k != "failed_files"},
                # What could not be read, and why (the alert mail lists it).
                "failed_files": dg.MetadataValue.json(
                    [
                        {"file": file, "error": error or ""}
                        for file, error in summary["failed_files"]
                    ]
                ),
            },
        )

    return published


def run_summary(con: duckdb.DuckDBPyConnection) -> dict:
    """Files per status, rows rejected and set aside, KPI tables: what this run publishes."""
    summary = {
        "files_loaded": 0,
        "files_duplicate": 0,
        "files_failed": 0,
        "rows_rejected": 0,
        "row_warnings": 0,
        "failed_files": [],
    }
    if table_exists(con, "quality.file_ledger"):
        for status, files, rejected in con.execute(
            "SELECT status, count(*), coalesce(sum(rows_rejected), 0) "
            "FROM quality.file_ledger GROUP BY status"
        ).fetchall():
            summary[f"files_{status}"] = files
            summary["rows_rejected"] += rejected
        summary["failed_files"] = con.execute(
            "SELECT file, error FROM quality.file_ledger WHERE status = 'failed' ORDER BY file"
        ).fetchall()
    if table_exists(con, "quality.row_warnings"):
        summary["row_warnings"] = con.execute(
            "SELECT count(*) FROM quality.row_warnings"
        ).fetchall()[0][0]
    summary["kpi_tables"] = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'kpi' "
        "AND database_name = current_database()"
    ).fetchall()[0][0]
    return summary


def log_run_summary(log, summary: dict) -> None:
    """One line that says what the night produced; a warning when files failed."""
    log.info(
        "Samenvatting van de run: "
        f"{summary['files_loaded']} bestand(en) geladen, "
        f"{summary['files_duplicate']} duplicaat, {summary['files_failed']} mislukt; "
        f"{summary['rows_rejected']} rij(en) afgewezen, "
        f"{summary['row_warnings']} waarschuwing(en); "
        f"{summary['kpi_tables']} KPI-tabellen gepubliceerd."
    )
    if summary["failed_files"]:
        reasons = "; ".join(error or file for file, error in summary["failed_files"])
        log.warning(
            f"{len(summary['failed_files'])} bestand(en) niet gelezen en dus niet in de "
            f"cijfers (zie quality.file_ledger): {reasons}"
        )
