"""Quality: the ledger of every input file, rejected rows, warnings, unplaceable releases."""

import dagster as dg

from assets.checks import sql_check
from assets.common import table_metadata
from assets.sql import sql
from nazorg.warehouse import describe, replace_table_from_sql, table_exists
from pipelines.resources import NazorgWarehouse
from schemas.quality import FileLedger, RejectedRows, ReleasesWithoutMunicipality, RowWarnings

QUALITY_MODELS = (FileLedger, RejectedRows, RowWarnings)


def build_quality_tables(ingest_keys: list[dg.AssetKey]) -> dg.AssetsDefinition:
    """The ledger, rejects and warnings over all sources, once every source has loaded.

    Each ingestion asset writes the rows of its own sources; this step puts the three
    tables in a stable order, describes them, and reports the run's files in one place.
    """

    @dg.multi_asset(
        specs=[
            dg.AssetSpec(
                dg.AssetKey(model.table().split(".")), group_name="quality", deps=ingest_keys
            )
            for model in QUALITY_MODELS
        ],
        name="quality_tables",
    )
    def quality_tables(context: dg.AssetExecutionContext, nazorg: NazorgWarehouse):
        with nazorg.connect(context.run.run_id) as con:
            for model in QUALITY_MODELS:
                table = model.table()
                if not table_exists(con, table):
                    continue
                order = "file" if model is FileLedger else 'file, sheet, row_number, "column"'
                replace_table_from_sql(con, model, f"SELECT * FROM {table} ORDER BY {order}")
                describe(con, model)
            ledger = con.execute(
                "SELECT status, count(*), sum(rows_read), sum(rows_loaded), sum(rows_rejected) "
                "FROM quality.file_ledger GROUP BY status ORDER BY status"
            ).fetchall()
            summary = "; ".join(
                f"{status}: {n} bestand(en)"
                + (
                    f", {read} rijen gelezen, {loaded} geladen, {rejected} afgewezen"
                    if status == "loaded"
                    else ""
                )
                for status, n, read, loaded, rejected in ledger
            )
            context.log.info(f"Invoer van deze run: {summary or 'geen bestanden'}")
            for model in QUALITY_MODELS:
                if table_exists(con, model.table()):
                    yield dg.MaterializeResult(
                        asset_key=dg.AssetKey(model.table().split(".")),
                        metadata=table_metadata(con, model),
                    )

    return quality_tables


@dg.asset(key_prefix="quality", group_name="quality", deps=[dg.AssetKey(["staging", "detentions"])])
def releases_without_municipality(
    context: dg.AssetExecutionContext, nazorg: NazorgWarehouse
) -> dg.MaterializeResult:
    """One row per release year: persons whose last release names no municipality."""
    with nazorg.connect(context.run.run_id) as con:
        replace_table_from_sql(
            con, ReleasesWithoutMunicipality, sql("quality_releases_without_municipality")
        )
        return dg.MaterializeResult(metadata=table_metadata(con, ReleasesWithoutMunicipality))


all_files_loaded = sql_check(
    "quality.file_ledger",
    "all_files_loaded",
    "Alle invoerbestanden zijn gelezen (geen status failed). Niet-blokkerend: de rest wordt gepubliceerd.",
    "SELECT file, error FROM quality.file_ledger WHERE status = 'failed'",
    blocking=False,
)


# --- Screening forms that link to no detention (issue 4) ------------------------------

from nazorg.sources.screening import link_summary as _screening_link_summary  # noqa: E402
from nazorg.warehouse import read_table as _read_table  # noqa: E402
from nazorg.warehouse import replace_table as _replace_table  # noqa: E402
from schemas.screening import UnlinkedScreenings  # noqa: E402


@dg.asset(key_prefix="quality", group_name="quality", deps=[dg.AssetKey(["staging", "screenings"])])
def unlinked_screenings(
    context: dg.AssetExecutionContext, nazorg: NazorgWarehouse
) -> dg.MaterializeResult:
    """One row per year of the form date: forms linked on the same admission date, via
    the 14-day fallback, and not at all (the quality measure of issue 4; each unlinked
    form is also a row warning)."""
    with nazorg.connect(context.run.run_id) as con:
        summary = _screening_link_summary(_read_table(con, "staging.screenings"))
        _replace_table(con, UnlinkedScreenings, summary)
        return dg.MaterializeResult(metadata=table_metadata(con, UnlinkedScreenings))
