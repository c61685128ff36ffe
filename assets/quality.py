"""Quality: the ledger of every input file, rejected rows, warnings, unplaceable releases
and unlinked screening forms — in one step, once every source has loaded."""

import dagster as dg

from assets.common import SqlCheck, Step, asset_key, check_specs, run_ahead, validate_frame
from assets.plausibility import ROWS_NOT_HALVED
from assets.resources import NazorgWarehouse
from assets.sql import sql
from nazorg.sources.screening import link_summary
from nazorg.warehouse import (
    describe,
    replace_table,
    replace_table_from_sql,
    table_exists,
)
from schemas.quality import (
    FileLedger,
    RegionFiles,
    RejectedRows,
    ReleasesWithoutMunicipality,
    RowWarnings,
)
from schemas.screening import UnlinkedScreenings

# Written row by row by the ingestion assets (each owns its sources' rows); here they
# are put in a stable order and described.
SHARED_MODELS = (FileLedger, RejectedRows, RowWarnings)
STAGING_TABLES = (
    "staging.detentions",
    "staging.cases",
    "staging.screenings",
    "staging.cohort_sample",
)

ALL_FILES_LOADED = SqlCheck(
    "quality.file_ledger",
    "all_files_loaded",
    "Alle invoerbestanden zijn gelezen (geen status failed). Niet-blokkerend: de rest wordt gepubliceerd.",
    "SELECT file, error FROM quality.file_ledger WHERE status = 'failed'",
    blocking=False,
)
ROWS_BELONG_TO_LOADED_FILES = SqlCheck(
    "quality.rejected_rows",
    "rows_belong_to_loaded_files",
    "Afgewezen rijen en waarschuwingen horen bij een gelezen bestand in quality.file_ledger.",
    """SELECT DISTINCT q.file FROM (
           SELECT file FROM quality.rejected_rows UNION ALL
           SELECT file FROM quality.row_warnings) q
       LEFT JOIN quality.file_ledger l ON l.file = q.file AND l.status = 'loaded'
       WHERE l.file IS NULL""",
    blocking=False,
)
CHECKS = {
    FileLedger: [ALL_FILES_LOADED, ROWS_NOT_HALVED],
    RejectedRows: [ROWS_BELONG_TO_LOADED_FILES],
}
MODELS = (*SHARED_MODELS, ReleasesWithoutMunicipality, UnlinkedScreenings, RegionFiles)
UPSTREAM = {
    FileLedger: STAGING_TABLES,
    RejectedRows: STAGING_TABLES,
    RowWarnings: STAGING_TABLES,
    ReleasesWithoutMunicipality: ("staging.detentions",),
    UnlinkedScreenings: ("staging.screenings",),
    RegionFiles: ("staging.detentions", "staging.cases", "staging.cohort_sample"),
}


@dg.multi_asset(
    name="quality_tables",
    group_name="quality",
    specs=[
        dg.AssetSpec(
            asset_key(model.table()),
            deps=[asset_key(t) for t in UPSTREAM[model]],
            description=model.Config.description,
        )
        for model in MODELS
    ],
    check_specs=check_specs(MODELS, [c for checks in CHECKS.values() for c in checks]),
    can_subset=True,
)
def quality_tables(context: dg.AssetExecutionContext, nazorg: NazorgWarehouse):
    """Grain per table in its model: a row per input file, per rejected row and
    warning, per release year (unplaceable releases) and per year of the form date."""
    yield from run_ahead(_quality_tables(context, nazorg))


def _quality_tables(context: dg.AssetExecutionContext, nazorg: NazorgWarehouse):
    with nazorg.connect(context.run.run_id) as con:
        step = Step(context, con, nazorg.key(context.log), published=nazorg.settings().warehouse)
        for model in MODELS:
            if not step.selected(model) or not _exists_or_buildable(con, model):
                continue
            checks = CHECKS.get(model, [])
            inputs = step.inputs(UPSTREAM[model])
            if previous := step.previous(model, inputs):
                yield from step.kept_table(model, previous, checks)
                continue
            result = _build(con, model, context.log)
            # Tables of every input row: their inputs decide them; no need to hash them.
            yield from step.built_table(model, inputs, result, checks, content=inputs)
        step.log_summary("quality")
        _log_inputs(con, context.log)


def _exists_or_buildable(con, model) -> bool:
    if model in SHARED_MODELS:
        return table_exists(con, model.table())
    return table_exists(con, UPSTREAM[model][0])


def _build(con, model, log) -> dg.AssetCheckResult | None:
    if model in SHARED_MODELS:
        order = "file" if model is FileLedger else "file, sheet, row_number, column_name"
        replace_table_from_sql(con, model, f"SELECT * FROM {model.table()} ORDER BY {order}")
        describe(con, model)
        return None
    if model is ReleasesWithoutMunicipality:
        replace_table_from_sql(con, model, sql("quality_releases_without_municipality"))
        return None
    if model is RegionFiles:
        replace_table_from_sql(con, model, _region_files_sql(con))
        return None
    # The two columns the summary needs, not the whole table.
    summary = link_summary(con.sql("SELECT form_date, link_method FROM staging.screenings").pl())
    replace_table(con, UnlinkedScreenings, summary)
    return validate_frame(UnlinkedScreenings, summary, log)


def _region_files_sql(con) -> str:
    """The parts of quality_region_files.sql whose staging table exists, as one query."""
    parts = sql("quality_region_files").split("-- part: ")[1:]
    selects = [
        body.split("\n", 1)[1]
        for body in parts
        if table_exists(con, body.split("\n", 1)[0].strip())
    ]
    union = "\nUNION ALL\n".join(f"({s.strip()})" for s in selects)
    return (
        "SELECT region, source, file, count(*) AS rows, min(first_date) AS first_date, "
        f"max(last_date) AS last_date FROM ({union}) GROUP BY ALL ORDER BY region, source, file"
    )


def _log_inputs(con, log) -> None:
    """One line that says what this run read, per status."""
    if not table_exists(con, "quality.file_ledger"):
        return
    ledger = con.execute(
        "SELECT status, count(*), sum(rows_read), sum(rows_loaded), sum(rows_rejected) "
        "FROM quality.file_ledger GROUP BY status ORDER BY status"
    ).fetchall()
    summary = "; ".join(
        f"{FILE_STATUS_WORDS.get(status, status)}: {n} bestand(en)"
        + (
            f", {read} rijen gelezen, {loaded} geladen, {rejected} afgewezen"
            if status == "loaded"
            else ""
        )
        for status, n, read, loaded, rejected in ledger
    )
    log.info(f"Invoer van deze run: {summary or 'geen bestanden'}")


# The ledger's statuses as the log says them (the warehouse keeps the codes).
FILE_STATUS_WORDS = {"loaded": "ingelezen", "duplicate": "dubbel", "failed": "niet gelezen"}
