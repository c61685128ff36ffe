"""Writing tables into the DuckDB work file, describing them, and publishing.

The pipeline never writes the published warehouse in place: every run builds a
private work file and publishes it in one atomic step (copy next to the published
file, then rename over it). An analyst holding the published file open keeps
seeing the old snapshot; a killed run leaves it as it was.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

import duckdb
import pandera.polars as pa
import polars as pl

from nazorg.redaction import NUMBER_MARK, redact_expr
from nazorg.timing import stage


class TableModel(pa.DataFrameModel):
    """The base of every table model (``schemas/``): strict columns, coercion, and a
    ``table`` name (schema.table). The warehouse writes and describes tables by it."""

    class Config:
        strict = True
        coerce = True

    @classmethod
    def table(cls) -> str:
        return cls.Config.name  # type: ignore[attr-defined]

    @classmethod
    def descriptions(cls) -> tuple[str, dict[str, str]]:
        schema = cls.to_schema()
        return schema.description or "", {
            name: column.description or "" for name, column in schema.columns.items()
        }


SCHEMAS = ("staging", "kpi", "quality")
# DuckDB keeps no comment on a schema ("not implemented"): the schemas' descriptions
# live here, for the data dictionary (nazorg.dictionary).
SCHEMA_DESCRIPTIONS = {
    "staging": "Gevalideerde, genormaliseerde en gepseudonimiseerde rijen uit de exports, één tabel per soort gegeven (DPAN en JustID samen in detentions). Nooit een BSN, naam, volledige geboortedatum of vrije opmerking.",
    "kpi": "De KPI-tabellen en -views van de evaluaties: uitstroom en caseload, coördinatie, screening, bereik en MKBA van nazorg-plus, herdetentie. Aandelen zijn fracties (0–1), bedragen euro's, onafgerond.",
    "quality": "De datakwaliteit van de run: elk invoerbestand, afgewezen rijen en waarschuwingen met de reden, ontslagen zonder gemeente, niet gekoppelde screeningsformulieren en per tabel de build.",
}

# Analysts open the published file with the DuckDB 1.x line: the command-line client on
# PyPI (duckdb-cli 1.5), DBeaver's and R's drivers, whichever 1.x release those bundle.
# DuckDB 2.0 writes a storage version no 1.x release reads unless told otherwise; the
# version of DuckDB 1.0 is read by every release from 1.0 on (1.5 reads 64 to 68, this is
# 64), at the price of a file about a tenth larger than in 1.5's version. Every work file
# is written in it (DuckDB keeps a file's version when it writes to it later), and
# publishing rewrites one that is not.
STORAGE_VERSION = "v1.0.0"


def connect_work_file(path: Path) -> duckdb.DuckDBPyConnection:
    """Read-write connection to a work file; a new file is created in
    :data:`STORAGE_VERSION`."""
    return duckdb.connect(str(path), config={"storage_compatibility_version": STORAGE_VERSION})


def storage_version(con: duckdb.DuckDBPyConnection) -> str:
    """The storage version of the connection's database file, e.g. ``v1.0.0``."""
    tags = con.execute(
        "SELECT tags FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()[0][0]
    return (tags or {}).get("storage_version", "").rstrip("+")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def ensure_schemas(con: duckdb.DuckDBPyConnection) -> None:
    for schema in SCHEMAS:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")


def describe(con: duckdb.DuckDBPyConnection, model: type[TableModel], kind: str = "TABLE") -> None:
    """Apply the model's Dutch descriptions as COMMENT ON (``kind``: TABLE or VIEW).

    ``CREATE OR REPLACE TABLE`` drops comments in DuckDB, so this runs after every
    rebuild of a table.
    """
    table = model.table()
    table_text, columns = model.descriptions()
    con.execute(f"COMMENT ON {kind} {table} IS {_literal(table_text)}")
    for column, text in columns.items():
        con.execute(f'COMMENT ON COLUMN {table}."{column}" IS {_literal(text)}')


# One integer type for every count, year and row number in the warehouse: BIGINT. What
# DuckDB picks by itself differs by expression (year() gives BIGINT, a cast INTEGER, a
# Polars UInt32 UINTEGER, sum() HUGEINT, which Polars reads as Decimal(38, 0)), and a join
# or a union of two tables would then compare or widen types an analyst never asked for.
INTEGER_TYPE = "BIGINT"


def _integer_columns(model: type[TableModel]) -> set[str]:
    return {
        name
        for name, column in model.to_schema().columns.items()
        if str(column.dtype).startswith(("Int", "UInt"))
    }


def replace_table(
    con: duckdb.DuckDBPyConnection, model: type[TableModel], frame: pl.DataFrame
) -> int:
    """Write a frame as the model's table (columns in model order), in one transaction."""
    integers = _integer_columns(model)
    columns = [
        pl.col(c).cast(pl.Int64) if c in integers else pl.col(c) for c in model.to_schema().columns
    ]
    con.register("incoming_frame", frame.select(columns))
    try:
        _rebuild(con, model, "SELECT * FROM incoming_frame")
    finally:
        con.unregister("incoming_frame")
    return frame.height


def replace_table_from_sql(
    con: duckdb.DuckDBPyConnection, model: type[TableModel], sql: str, params: dict | None = None
) -> int:
    """Rebuild the model's table from a SELECT, in one transaction; return its row count."""
    integers = _integer_columns(model)
    columns = ", ".join(
        f'"{c}"::{INTEGER_TYPE} AS "{c}"' if c in integers else f'"{c}"'
        for c in model.to_schema().columns
    )
    _rebuild(con, model, f"SELECT {columns} FROM ({sql})", params)
    return con.execute(f"SELECT count(*) FROM {model.table()}").fetchall()[0][0]


def _rebuild(
    con: duckdb.DuckDBPyConnection, model: type[TableModel], select: str, params: dict | None = None
) -> None:
    table = model.table()
    with stage("kpis" if table.startswith("kpi.") else "load"):
        con.execute("BEGIN")
        try:
            con.execute(f"CREATE OR REPLACE TABLE {table} AS {select}", params or {})
            describe(con, model)
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise


def replace_rows_of_persons(
    con: duckdb.DuckDBPyConnection,
    model: type[TableModel],
    persons: pl.Series,
    frame: pl.DataFrame,
) -> None:
    """Replace, in one transaction, the rows of these persons (``person_key``) by
    ``frame``: an update of a table in place of rebuilding it whole."""
    table = model.table()
    changed = persons.to_frame("person_key")  # noqa: F841 - DuckDB scans it
    rows = frame.select(list(model.to_schema().columns))  # noqa: F841
    with stage("load"):
        con.execute("BEGIN")
        try:
            con.execute(f"DELETE FROM {table} WHERE person_key IN (SELECT person_key FROM changed)")
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM rows")
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise


# A run's notes to its own later steps, in its private work file; dropped before
# publishing, so no analyst ever sees them.
RUN_NOTES = "run_notes"


def note_changed_persons(con: duckdb.DuckDBPyConnection, table: str, persons: pl.Series) -> None:
    """Tell this run's later steps that ``table`` was updated for these persons only."""
    changed = persons.to_frame("person_key")  # noqa: F841 - DuckDB scans it
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {RUN_NOTES}")
    con.execute(f"CREATE TABLE IF NOT EXISTS {RUN_NOTES}.updated (table_name VARCHAR)")
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {RUN_NOTES}.changed_persons "
        "(table_name VARCHAR, person_key VARCHAR)"
    )
    con.execute(f"DELETE FROM {RUN_NOTES}.updated WHERE table_name = ?", [table])
    con.execute(f"DELETE FROM {RUN_NOTES}.changed_persons WHERE table_name = ?", [table])
    con.execute(f"INSERT INTO {RUN_NOTES}.updated VALUES (?)", [table])
    con.execute(
        f"INSERT INTO {RUN_NOTES}.changed_persons SELECT ?, person_key FROM changed", [table]
    )


def changed_persons(con: duckdb.DuckDBPyConnection, table: str) -> pl.Series | None:
    """The persons for whom ``table`` changed in this run, if the step that changed it
    left that note (it updated the table rather than rebuilt it); else None."""
    if not table_exists(con, f"{RUN_NOTES}.updated"):
        return None
    noted = con.execute(
        f"SELECT count(*) FROM {RUN_NOTES}.updated WHERE table_name = ?", [table]
    ).fetchall()[0][0]
    if not noted:
        return None
    return (
        con.sql(
            f"SELECT person_key FROM {RUN_NOTES}.changed_persons WHERE table_name = $table",
            params={"table": table},
        )
        .pl()
        .get_column("person_key")
    )


def drop_run_notes(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"DROP SCHEMA IF EXISTS {RUN_NOTES} CASCADE")


def publish(work_file: Path, published: Path) -> None:
    """Put the finished work file in place of the published file, atomically.

    The work file is the run's private, complete warehouse: it is checkpointed (no
    write-ahead log left beside it), flushed to disk and renamed over the published
    file. The rename is atomic on Linux: a reader sees either the old file or the new
    one, never a half-built one, and a reader that has the old file open keeps reading
    it. Afterwards the work file is gone (it *is* the published file).
    """
    with stage("publish"):
        published.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(published)
        con = connect_work_file(work_file)
        try:
            drop_run_notes(con)
            con.execute("CHECKPOINT")
            rewritten = _rewrite_in_storage_version(con, work_file)
        finally:
            con.close()
        if rewritten is not None:
            os.replace(rewritten, work_file)
            work_file.with_name(work_file.name + ".wal").unlink(missing_ok=True)
        with work_file.open("rb") as handle:
            os.fsync(handle.fileno())
        try:
            os.replace(work_file, published)
        except OSError:
            # Another file system (a work folder mounted elsewhere): copy next to the
            # published file first, so that the rename itself stays atomic.
            _copy_and_rename(work_file, published)
            work_file.unlink(missing_ok=True)
        _fsync_directory(published.parent)


def _rewrite_in_storage_version(con: duckdb.DuckDBPyConnection, work_file: Path) -> Path | None:
    """A copy of the work file in :data:`STORAGE_VERSION`, when it is in another one (a
    work file that started from a warehouse published before the version was fixed);
    None when it already is. ``COPY FROM DATABASE`` keeps tables, views and comments."""
    if storage_version(con) == STORAGE_VERSION:
        return None
    copy = work_file.with_name(f"{work_file.name}.{STORAGE_VERSION}.tmp")
    copy.unlink(missing_ok=True)
    (database,) = con.execute("SELECT current_database()").fetchall()[0]
    con.execute(f"ATTACH {_literal(str(copy))} AS rewritten (STORAGE_VERSION '{STORAGE_VERSION}')")
    try:
        con.execute(f'COPY FROM DATABASE "{database}" TO rewritten')
    finally:
        con.execute("DETACH rewritten")
    with copy.open("rb") as handle:
        os.fsync(handle.fileno())
    return copy


# A temporary copy this old belongs to a run that was killed while publishing.
STALE_TEMPORARY_SECONDS = 3600


def _copy_and_rename(work_file: Path, published: Path) -> None:
    # A name of its own: two runs publishing at once (a manual run next to the daemon's)
    # must never rename each other's half-written copy into place.
    temporary = published.with_name(f"{published.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        shutil.copyfile(work_file, temporary)
        with temporary.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, published)
    finally:
        temporary.unlink(missing_ok=True)


def remove_stale_temporaries(published: Path, max_age: float = STALE_TEMPORARY_SECONDS) -> None:
    """Copies (and their WAL) left next to the published file by killed runs."""
    cutoff = time.time() - max_age
    for path in published.parent.glob(f"{published.name}.*tmp*"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
        except OSError:
            pass


def _fsync_directory(folder: Path) -> None:
    """Make the rename itself durable (a power cut right after it keeps the new file)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".")
    # Literals, not parameters: with parameters DuckDB scans the whole catalog (~6 ms a
    # call at national scale, called ~100 times a run), with literals it filters it
    # (~0.7 ms).
    return bool(
        con.execute(
            f"SELECT count(*) FROM duckdb_tables() WHERE schema_name = {_literal(schema)} "
            f"AND table_name = {_literal(name)} AND database_name = current_database()"
        ).fetchall()[0][0]
    )


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """The columns of ``table`` in their order (none when it does not exist)."""
    schema, name = table.split(".")
    return [
        column
        for (column,) in con.execute(
            f"SELECT column_name FROM duckdb_columns() WHERE schema_name = {_literal(schema)} "
            f"AND table_name = {_literal(name)} AND database_name = current_database() "
            "ORDER BY column_index"
        ).fetchall()
    ]


REDACTED = NUMBER_MARK


def redact_numbers(frame: pl.DataFrame, labels: Iterable[str] = ()) -> pl.DataFrame:
    """The last pass of :mod:`nazorg.redaction` over the free-text columns of quality rows.

    Every text out of a file was redacted where it was quoted; this pass is defence in
    depth for whatever a later change quotes without it. The file names in a message
    (the row's own ``file`` and the other files of ``labels``, e.g. the newer export a
    row was superseded by: ``…_20190102.csv``) are kept as they are.
    """
    columns = [c for c in ("message", "error", "extra_columns") if c in frame.columns]
    if not columns or frame.height == 0:
        return frame
    names = {*labels}
    if "file" in frame.columns:
        names |= set(frame.get_column("file").drop_nulls().to_list())
    names = sorted((n for n in names if n), key=len, reverse=True)
    marks = [f"\x00{i}\x01" for i in range(len(names))]
    exprs = []
    for column in columns:
        text = pl.col(column)
        if names:
            text = text.str.replace_many(names, marks)
        text = redact_expr(text, max_chars=None)
        if names:
            text = text.str.replace_many(marks, names)
        exprs.append(text.alias(column))
    return frame.with_columns(exprs)


def replace_source_rows(
    con: duckdb.DuckDBPyConnection,
    model: type[TableModel],
    sources: list[str],
    frame: pl.DataFrame,
    labels: Iterable[str] = (),
) -> None:
    """Replace one source's rows of a shared quality table, in one transaction.

    Each ingestion asset owns the rows of its own sources; rebuilding one source never
    touches the rows of another.
    """
    table = model.table()
    if not table_exists(con, table):
        replace_table(con, model, frame.clear())
    data = redact_numbers(frame, labels).select(list(model.to_schema().columns))  # noqa: F841
    con.execute("BEGIN")
    try:
        con.execute(f"DELETE FROM {table} WHERE source IN (SELECT unnest(?::VARCHAR[]))", [sources])
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM data")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
