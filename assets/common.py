"""What the assets share: metadata of a written table, writing a source's quality rows."""

import dagster as dg
import duckdb
import polars as pl

from nazorg.ingest import SourceResult
from nazorg.warehouse import replace_source_rows
from schemas.base import TableModel
from schemas.quality import FileLedger, RejectedRows, RowWarnings


def table_metadata(con: duckdb.DuckDBPyConnection, model: type[TableModel]) -> dict:
    """Row count and column schema; no preview of rows (they may hold pseudonyms)."""
    table = model.table()
    rows = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    _, descriptions = model.descriptions()
    return {
        "dagster/row_count": rows,
        "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(name, description=text) for name, text in descriptions.items()]
        ),
        "table": table,
    }


def record_sources(
    con: duckdb.DuckDBPyConnection,
    log,
    results: dict[str, SourceResult],
    extra_warnings: pl.DataFrame | None = None,
) -> None:
    """Write the ledger, rejects and warnings of these sources; log one line per file."""
    sources = list(results)
    ledger = pl.concat([r.ledger for r in results.values()])
    rejected = pl.concat([r.rejected for r in results.values()])
    warnings = pl.concat([r.warnings for r in results.values()])
    if extra_warnings is not None and extra_warnings.height:
        warnings = pl.concat([warnings, extra_warnings], how="diagonal_relaxed")
    replace_source_rows(con, FileLedger, sources, ledger)
    replace_source_rows(con, RejectedRows, sources, rejected)
    replace_source_rows(con, RowWarnings, sources, warnings)
    for result in results.values():
        for line in result.log_lines:
            (log.warning if " failed: " in line else log.info)(line)
