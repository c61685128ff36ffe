"""What the assets share: building a table only when its inputs changed, and its checks.

Every table of the warehouse is built by an asset step in the same few moves, which
live here so that the assets stay short:

1. fingerprint what the table is made of (:mod:`nazorg.builds`); if the run's work
   file (a copy of the published warehouse) already holds the table built from exactly
   that, keep it;
2. otherwise build it, validate it against its Pandera model and record the build;
3. report a materialisation (row count, column schema, the data version) and every
   check of the table: the Pandera check ``matches_schema`` (blocking) and the table's
   business expectations as SQL (:class:`SqlCheck`).

The checks run inside the step that builds the table rather than as steps of their
own: a step costs Dagster bookkeeping, and a failing blocking check still fails the
step, which keeps ``warehouse/published`` (downstream of every table) from running.
"""

from __future__ import annotations

import contextvars
import dataclasses
import queue
import threading
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb
import pandera.polars as pa
import polars as pl

from nazorg import builds
from nazorg.ingest import SourceResult, bound_quality
from nazorg.timing import stage
from nazorg.warehouse import replace_source_rows, replace_table, table_exists
from schemas.base import TableModel
from schemas.quality import FileLedger, RejectedRows, RowWarnings

MAX_FAILURE_ROWS = 20
SCHEMA_CHECK = "matches_schema"


def asset_key(table: str) -> dg.AssetKey:
    """``kpi.outflow`` → ``kpi/outflow``: asset key prefix = DuckDB schema."""
    return dg.AssetKey(table.split("."))


# Dagster's records (``@record``) keep the namespace of the frame that first constructs
# one, for the life of the process, to resolve their type hints. A step's frame holds its
# DuckDB connection and frames of rows: those would never be freed (and DuckDB reports
# the connection as leaked at exit). Constructed here first, it is this module's.
_FIRST_OF_EACH_RECORD = (
    dg.AssetCheckResult(asset_key=dg.AssetKey("_"), check_name="_", passed=True),
    dg.AssetCheckKey(dg.AssetKey("_"), "_"),
    dg.MaterializeResult(asset_key=dg.AssetKey("_"), data_version=dg.DataVersion("_")),
    dg.TableSchema(columns=[dg.TableColumn("_", description="_")]),
)


# Rows of a KPI table shown in its metadata (the first rows, in the table's order).
PREVIEW_ROWS = 10


def table_metadata(con: duckdb.DuckDBPyConnection, model: type[TableModel]) -> dict:
    """Row count and column schema (the types DuckDB stores, the Dutch descriptions); for
    a ``kpi`` table (aggregates) a preview of its first rows. Never a preview of
    ``staging`` or ``quality`` rows: those hold pseudonyms and file details."""
    table = model.table()
    schema, name = table.split(".")
    rows = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    _, descriptions = model.descriptions()
    types = dict(
        con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = ? "
            "AND table_name = ? AND database_name = current_database()",
            [schema, name],
        ).fetchall()
    )
    metadata = {
        "dagster/row_count": rows,
        "dagster/column_schema": dg.TableSchema(
            columns=[
                dg.TableColumn(name, type=types.get(name, "onbekend"), description=text)
                for name, text in descriptions.items()
            ]
        ),
        "table": table,
    }
    if schema == "kpi":
        preview = con.sql(f"SELECT * FROM {table} LIMIT {PREVIEW_ROWS}").pl()
        metadata["preview"] = dg.MetadataValue.md(
            f"Eerste {preview.height} van {rows} rijen:\n\n{markdown(preview)}"
        )
    return metadata


# --------------------------------------------------------------------------- checks


def markdown(frame: pl.DataFrame) -> str:
    header = "| " + " | ".join(frame.columns) + " |"
    rule = "| " + " | ".join("---" for _ in frame.columns) + " |"
    body = [
        "| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in frame.rows()
    ]
    return "\n".join([header, rule, *body])


@dataclass(frozen=True)
class SqlCheck:
    """A business expectation as SQL that returns the offending rows (none = pass)."""

    table: str
    name: str
    description: str
    query: str
    blocking: bool = True
    # Compares with the last published warehouse, attached read-only as
    # ``last_published``; passes when nothing was published yet.
    against_published: bool = False
    # Values for ``{placeholders}`` in the query, read when the check runs (settings).
    parameters: Callable[[], dict] | None = None

    def spec(self) -> dg.AssetCheckSpec:
        return dg.AssetCheckSpec(
            self.name,
            asset=asset_key(self.table),
            blocking=self.blocking,
            description=self.description,
        )

    def evaluate(
        self, con: duckdb.DuckDBPyConnection, log, published: Path | None = None
    ) -> dg.AssetCheckResult:
        query = self.query.format(**self.parameters()) if self.parameters else self.query
        metadata: dict = {}
        if self.parameters:
            metadata["parameters"] = self.parameters()
        with stage("validate"):
            if not self.against_published:
                offending = con.sql(query).pl()
            else:
                with attached_published(con, published) as attached:
                    if not attached:
                        return self._result(
                            True,
                            {
                                **metadata,
                                "reason": "nog geen gepubliceerd warehouse om mee te vergelijken",
                            },
                        )
                    try:
                        offending = con.sql(query).pl()
                    except duckdb.CatalogException as error:  # an older published file
                        return self._result(
                            True,
                            {
                                **metadata,
                                "reason": "niet te vergelijken met het gepubliceerde warehouse "
                                f"({type(error).__name__})",
                            },
                        )
        metadata["offending_rows"] = offending.height
        if offending.height:
            metadata["examples"] = dg.MetadataValue.md(markdown(offending.head(MAX_FAILURE_ROWS)))
            # Where a failing row came from an input row, the first few are named.
            where = input_rows(offending, pl.Series(range(offending.height)))
            (log.error if self.blocking else log.warning)(
                f"{'Blokkerende c' if self.blocking else 'C'}ontrole {self.table}.{self.name} "
                f"faalt: {self.description} ({offending.height} rijen)"
                + (f"; uit de invoer: {where}" if where else "")
                + (". Er wordt niet gepubliceerd." if self.blocking else "")
            )
        return self._result(offending.height == 0, metadata)

    def _result(self, passed: bool, metadata: dict) -> dg.AssetCheckResult:
        return dg.AssetCheckResult(
            asset_key=asset_key(self.table),
            check_name=self.name,
            passed=passed,
            severity=dg.AssetCheckSeverity.ERROR if self.blocking else dg.AssetCheckSeverity.WARN,
            description=self.description,
            metadata=metadata,
        )


@contextmanager
def attached_published(con: duckdb.DuckDBPyConnection, published: Path | None) -> Iterator[bool]:
    """The published warehouse attached read-only as ``last_published`` (False: none)."""
    if published is None or not Path(published).exists():
        yield False
        return
    con.execute(f"ATTACH {_sql_text(str(published))} AS last_published (READ_ONLY)")
    try:
        yield True
    finally:
        con.execute("DETACH last_published")


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def schema_check_description(model: type[TableModel]) -> str:
    return (
        f"{model.table()} voldoet aan het Pandera-model {model.__name__} (kolommen, typen "
        "en regels per kolom). Blokkerend: anders wordt niet gepubliceerd."
    )


def schema_check_spec(model: type[TableModel]) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        SCHEMA_CHECK,
        asset=asset_key(model.table()),
        blocking=True,
        description=schema_check_description(model),
    )


def check_specs(
    models: Iterable[type[TableModel]], sql_checks: Iterable[SqlCheck] = ()
) -> list[dg.AssetCheckSpec]:
    """The Pandera check of every model and the SQL checks, for an asset's check_specs."""
    return [*(schema_check_spec(m) for m in models), *(c.spec() for c in sql_checks)]


def _failure_metadata(errors: pa.errors.SchemaErrors) -> dict:
    cases = errors.failure_cases
    summary = (
        cases.group_by("column", "check")
        .agg(pl.len().alias("failures"))
        .sort("failures", descending=True)
    )
    return {
        "failures": int(cases.height),
        # Names of columns and checks only, never values: this text is also logged.
        "summary": "; ".join(
            f"{column or 'tabel'}: {check} ({n}x)" for column, check, n in summary.iter_rows()
        ),
        "failing_checks": dg.MetadataValue.md(markdown(summary)),
        "failure_cases": dg.MetadataValue.md(markdown(cases.head(MAX_FAILURE_ROWS))),
    }


MAX_INPUT_ROWS_NAMED = 5


def input_rows(frame: pl.DataFrame, index: pl.Series) -> str:
    """Where the failing rows of a table came from in the input, when the table keeps
    that (``source_file``, and ``sheet``/``source_row`` where it has them): "file, blad
    'x', rij n" for the first few, so that a person can find the cell; empty otherwise
    (a KPI table: aggregates, no single input row)."""
    if "source_file" not in frame.columns:
        return ""
    rows = index.drop_nulls().cast(pl.Int64, strict=False).drop_nulls().unique().sort()
    rows = rows.filter((rows >= 0) & (rows < frame.height))
    if rows.is_empty():
        return ""
    picked = frame[rows.head(MAX_INPUT_ROWS_NAMED).to_list()]
    places = []
    for row in picked.iter_rows(named=True):
        place = str(row["source_file"])
        if row.get("sheet"):
            place += f", blad '{row['sheet']}'"
        if row.get("source_row") is not None:
            place += f", rij {row['source_row']}"
        places.append(place)
    more = rows.len() - len(places)
    return "; ".join(places) + (f" (en nog {more} rij(en))" if more > 0 else "")


def validate_frame(model: type[TableModel], frame: pl.DataFrame, log) -> dg.AssetCheckResult:
    """Pandera, eagerly and lazily (every failure at once), on a pseudonymised frame.

    Failure cases go into the check's metadata as a table, not as one opaque string;
    the log line names columns and checks only, never a value.
    """
    key = asset_key(model.table())
    try:
        with stage("validate"):
            model.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        metadata = {"rows": frame.height, **_failure_metadata(errors)}
        where = input_rows(frame, errors.failure_cases.get_column("index"))
        if where:
            metadata["input_rows"] = where
        log.error(
            f"Blokkerende controle {model.table()} {SCHEMA_CHECK} faalt "
            f"(Pandera-model {model.__name__}): {metadata['summary']}"
            + (f"; uit de invoer: {where}" if where else "")
            + ". Er wordt niet gepubliceerd."
        )
        return dg.AssetCheckResult(
            asset_key=key,
            check_name=SCHEMA_CHECK,
            passed=False,
            description=schema_check_description(model),
            metadata=metadata,
        )
    return dg.AssetCheckResult(
        asset_key=key, check_name=SCHEMA_CHECK, passed=True, metadata={"rows": frame.height}
    )


def validate_and_write(
    con: duckdb.DuckDBPyConnection, model: type[TableModel], frame: pl.DataFrame, log
) -> dg.AssetCheckResult:
    """:func:`validate_frame` while DuckDB writes the frame as the model's table.

    The two overlap: DuckDB writes (and compresses) without the interpreter, Pandera's
    checks are mostly Python; 0.15-0.2 s less for each of the large staging tables. The
    table is written whatever the check says, as before: a failing blocking check stops
    publishing, not the writing of the work file.
    """
    with ThreadPoolExecutor(1, thread_name_prefix=f"write-{model.table()}") as pool:
        written = pool.submit(replace_table, con, model, frame)
        result = validate_frame(model, frame, log)
        written.result()
    return result


def validate_update(
    con: duckdb.DuckDBPyConnection,
    model: type[TableModel],
    frame: pl.DataFrame,
    unique: str,
    kept_rows: int,
    log,
) -> dg.AssetCheckResult:
    """The Pandera check of an *updated* table: the model on the rows written now, and
    the one rule that spans rows (``unique`` is unique) on the whole table. The rows
    kept are exactly the rows validated when they were built."""
    result = validate_frame(model, frame, log)
    duplicates = con.execute(
        f"SELECT count(*) FROM (SELECT {unique} FROM {model.table()} "
        f"GROUP BY {unique} HAVING count(*) > 1)"
    ).fetchall()[0][0]
    metadata = {
        **{k: v for k, v in result.metadata.items()},
        "rows_written": frame.height,
        "rows_kept": kept_rows,
        f"duplicate_{unique}": duplicates,
    }
    if duplicates:
        log.error(
            f"Blokkerende controle {model.table()} {SCHEMA_CHECK} faalt: {unique} is niet "
            f"uniek ({duplicates}x). Er wordt niet gepubliceerd."
        )
    return dg.AssetCheckResult(
        asset_key=asset_key(model.table()),
        check_name=SCHEMA_CHECK,
        passed=result.passed and not duplicates,
        description=schema_check_description(model),
        metadata=metadata,
    )


def validate_table(
    con: duckdb.DuckDBPyConnection, model: type[TableModel], log
) -> dg.AssetCheckResult:
    """:func:`validate_frame` on the table as it stands in the work file."""
    table = model.table()
    if not table_exists(con, table):
        return dg.AssetCheckResult(
            asset_key=asset_key(table),
            check_name=SCHEMA_CHECK,
            passed=False,
            metadata={"reason": f"tabel {table} ontbreekt"},
        )
    return validate_frame(model, con.sql(f"SELECT * FROM {table}").pl(), log)


# --------------------------------------------------------------------------- building


@dataclass
class Step:
    """One asset step's view of the run's work file: rebuild a table or keep it."""

    context: dg.AssetExecutionContext
    con: duckdb.DuckDBPyConnection
    key: str
    rebuilt: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    # The published warehouse, for checks that compare with the last published run.
    published: Path | None = None
    # Why each table of ``rebuilt`` was built again (builds.rebuild_reason).
    reasons: dict[str, str] = field(default_factory=dict)
    # The parts of every inputs fingerprint made in this step (builds.inputs_parts).
    _parts: dict[str, dict] = field(default_factory=dict)

    def inputs(self, upstream: Iterable[str] = (), extra: str = "") -> str:
        fingerprint = builds.inputs_fingerprint(
            self.con, key=self.key, upstream=upstream, extra=extra
        )
        self._parts[fingerprint] = builds.inputs_parts(
            self.con, key=self.key, upstream=upstream, extra=extra
        )
        return fingerprint

    def previous(self, model: type[TableModel], inputs: str) -> str | None:
        """The run whose build of this table can be kept, or None to rebuild (and why)."""
        table = model.table()
        found = builds.previous_build(self.con, table, inputs)
        if found is None:
            self.reasons[table] = builds.rebuild_reason(self.con, table, self._parts.get(inputs))
        return found

    def selected(self, model: type[TableModel]) -> bool:
        return asset_key(model.table()) in self.context.selected_asset_keys

    def _wanted(self, check: dg.AssetCheckKey) -> bool:
        return check in self.context.selected_asset_check_keys

    def kept_table(
        self, model: type[TableModel], run_id: str, sql_checks: Iterable[SqlCheck] = ()
    ) -> Iterator:
        """Materialisation and checks of a table kept from ``run_id``.

        Its Pandera check is not run again: the table is exactly what was validated and
        passed in that run (a build whose check failed is never published, and a
        re-execution forgets it: ``forget_unchecked_builds``); the SQL checks run, since
        the tables they compare with may have changed.
        """
        table = model.table()
        self.kept.append(table)
        content = builds.stored_contents(self.con).get(table, "")
        yield dg.MaterializeResult(
            asset_key=asset_key(table),
            metadata={**table_metadata(self.con, model), "rebuilt": False, "kept_from_run": run_id},
            data_version=dg.DataVersion(content[:16]),
        )
        key = asset_key(table)
        if self._wanted(dg.AssetCheckKey(key, SCHEMA_CHECK)):
            yield dg.AssetCheckResult(
                asset_key=key,
                check_name=SCHEMA_CHECK,
                passed=True,
                metadata={
                    "checked_in_run": run_id,
                    "note": "Tabel ongewijzigd (zelfde invoer, zelfde code): gecontroleerd in die run.",
                },
            )
        yield from self.sql_checks(sql_checks)

    def built_table(
        self,
        model: type[TableModel],
        inputs: str,
        schema_result: dg.AssetCheckResult | None,
        sql_checks: Iterable[SqlCheck] = (),
        *,
        content: str | None = None,
        fixed_inputs: str | None = None,
        metadata: dict | None = None,
    ) -> Iterator:
        """Record the build of a table just written and report it with its checks.

        ``schema_result`` is the Pandera check of the frame that was written; None
        validates the table as it stands in the work file.
        """
        table = model.table()
        self.rebuilt.append(table)
        if schema_result is None:
            with stage("fingerprints"):
                content = content or builds.content_fingerprint(self.con, table)
            schema_result = self._checked_before(model, content) or validate_table(
                self.con, model, self.context.log
            )
        content = builds.record_build(
            self.con,
            table,
            inputs=inputs,
            run_id=self.context.run.run_id,
            content=content,
            fixed_inputs=fixed_inputs,
            checked=schema_result.passed,
            parts=self._parts.get(inputs),
        )
        yield dg.MaterializeResult(
            asset_key=asset_key(table),
            metadata={**table_metadata(self.con, model), "rebuilt": True, **(metadata or {})},
            data_version=dg.DataVersion(content[:16]),
        )
        if self._wanted(dg.AssetCheckKey(asset_key(table), SCHEMA_CHECK)):
            yield schema_result
        yield from self.sql_checks(sql_checks)

    def _checked_before(self, model: type[TableModel], content: str) -> dg.AssetCheckResult | None:
        """The Pandera check of a table rebuilt with the very content and code of a build
        whose check passed (the daily case: a KPI whose inputs changed, but not its own
        rows): that result holds, since the check depends on nothing else."""
        previous = builds.previous_check(self.con, model.table())
        if previous is None or previous[0] != builds.checked_fingerprint(content):
            return None
        return dg.AssetCheckResult(
            asset_key=asset_key(model.table()),
            check_name=SCHEMA_CHECK,
            passed=True,
            metadata={
                "checked_in_run": previous[1],
                "note": "Opnieuw gebouwd met dezelfde inhoud en code als in die run: daar gecontroleerd.",
            },
        )

    def schema_check(self, model: type[TableModel]) -> Iterator[dg.AssetCheckResult]:
        """The Pandera check of a table as it stands, when it is selected."""
        if self._wanted(dg.AssetCheckKey(asset_key(model.table()), SCHEMA_CHECK)):
            yield validate_table(self.con, model, self.context.log)

    def sql_checks(self, checks: Iterable[SqlCheck]) -> Iterator[dg.AssetCheckResult]:
        for check in checks:
            if self._wanted(dg.AssetCheckKey(asset_key(check.table), check.name)):
                yield check.evaluate(self.con, self.context.log, self.published)

    def python_check(self, check, *args) -> Iterator[dg.AssetCheckResult]:
        """A check computed in Python (``check.evaluate(*args, log)``), when selected."""
        if self._wanted(dg.AssetCheckKey(asset_key(check.table), check.name)):
            yield check.evaluate(*args, self.context.log)

    def log_summary(self, layer: str) -> None:
        """One message: which tables were built again and why, and which were kept."""
        lines = []
        by_reason: dict[str, list[str]] = {}
        for table in self.rebuilt:
            by_reason.setdefault(self.reasons.get(table, "bijgewerkt"), []).append(table)
        for reason, tables in by_reason.items():
            lines.append(f"{layer}: opnieuw gebouwd ({reason}): {', '.join(tables)}")
        if self.kept:
            lines.append(
                f"{layer}: {len(self.kept)} tabel(len) ongewijzigd (zelfde invoer en code als "
                f"de vorige build): {', '.join(self.kept)}"
            )
        if lines:
            self.context.log.info("\n".join(lines))


def run_ahead(events: Generator) -> Iterator:
    """Yield what ``events`` yields, while it goes on in a thread.

    Dagster writes each materialisation and check result to its event log when the
    step yields it (a few SQLite writes, ~20 ms each), and the step waits meanwhile. A
    step that yields as it goes, like one table after another, runs its generator here
    so that the next table is built in DuckDB while Dagster stores the last one. The
    order of what is yielded is kept and an error is raised where it happened; when the
    step stops listening, the generator stops at its next yield.
    """
    results: queue.SimpleQueue = queue.SimpleQueue()
    stop = threading.Event()
    done = object()

    def produce() -> None:
        try:
            for event in events:
                if stop.is_set():
                    events.close()
                    return
                results.put(event)
        except BaseException as error:  # handed over to the step's thread
            results.put(_Raised(error))
        else:
            results.put(done)

    # The context (Dagster's current-step variables) goes with the work.
    worker = threading.Thread(
        target=contextvars.copy_context().run, args=(produce,), name="step-ahead", daemon=True
    )
    worker.start()
    try:
        while (event := results.get()) is not done:
            if isinstance(event, _Raised):
                raise event.error
            yield event
    finally:
        stop.set()
        worker.join()


@dataclass(frozen=True)
class _Raised:
    error: BaseException


def record_sources(
    con: duckdb.DuckDBPyConnection,
    log,
    results: dict[str, SourceResult],
    extra_warnings: pl.DataFrame | None = None,
) -> None:
    """Write the ledger, rejects and warnings of these sources; log what is worth a line."""
    sources = list(results)
    previous = previous_ledger(con, sources)
    ledger = pl.concat([r.ledger for r in results.values()])
    rejected = pl.concat([r.rejected for r in results.values()])
    warnings = pl.concat([r.warnings for r in results.values()])
    if extra_warnings is not None and extra_warnings.height:
        warnings = pl.concat([warnings, extra_warnings], how="diagonal_relaxed")
    # At most MAX_LISTED_ROWS per file and rule (the ledger counts every row).
    rejected, warnings = bound_quality(rejected), bound_quality(warnings)
    with stage("load"):
        labels = ledger.get_column("file").to_list()
        replace_source_rows(con, FileLedger, sources, ledger, labels)
        replace_source_rows(con, RejectedRows, sources, rejected, labels)
        replace_source_rows(con, RowWarnings, sources, warnings, labels)
    for name, result in results.items():
        for level, line in source_log_records(name, result, previous):
            (log.warning if level == "warning" else log.info)(line)


# New or changed exports named in the log, per source; past this many they are counted.
MAX_NAMED_FILES = 10


def previous_ledger(con: duckdb.DuckDBPyConnection, sources: list[str]) -> dict[str, str] | None:
    """``file → sha256`` of these sources as the last published run read them (the work
    file starts as a copy of the published warehouse); None before the first run."""
    if not table_exists(con, "quality.file_ledger"):
        return None
    rows = con.execute("SELECT file, sha256, source FROM quality.file_ledger").fetchall()
    return {file: sha for file, sha, source in rows if source in sources}


def _file_of(line: str, source: str, files: set[str]) -> str | None:
    """The ledger file a log line of ``source`` is about (``"justid: <file> ingelezen: …"``)."""
    prefix = f"{source}: "
    if not line.startswith(prefix):
        return None
    rest = line[len(prefix) :]
    position = rest.find(" ")
    while position != -1:
        if rest[:position] in files:
            return rest[:position]
        position = rest.find(" ", position + 1)
    return rest if rest in files else None


def source_log_records(
    source: str, result: SourceResult, previous: dict[str, str] | None
) -> list[tuple[str, str]]:
    """What a run logs about a source: the exports that are new or changed since the last
    published run by name, with their remarks and failures as
    :meth:`SourceResult.log_records` gives them; the unchanged exports (and files that
    are no export, such as a read-me) only counted, their remarks not repeated every
    night. The first run (nothing published yet) logs every file's remarks."""
    if previous is None:
        return result.log_records(source)
    ledger = result.ledger.select("file", "sha256", "status", "rows_loaded", "rows_rejected")
    files = set(ledger.get_column("file").to_list())
    new = sorted(
        file
        for file, sha in zip(ledger["file"], ledger["sha256"], strict=True)
        if previous.get(file) != sha
    )
    removed = sorted(set(previous) - files)
    if not files and not removed and not result.log_lines:
        return []  # a source without exports, now and before
    new_lines, ignored = [], 0
    for line in result.log_lines:
        file = _file_of(line, source, files)
        if file is None:
            ignored += 1  # a file that is no export (logged as ignored)
        elif file in new:
            new_lines.append(line)
    records = dataclasses.replace(result, log_lines=new_lines).log_records(source)
    warnings = [r for r in records if r[0] == "warning"]
    info = [text for level, text in records if level != "warning"]
    if new:
        named = ", ".join(new[:MAX_NAMED_FILES])
        more = f" en nog {len(new) - MAX_NAMED_FILES}" if len(new) > MAX_NAMED_FILES else ""
        head = (
            f"{source}: {len(new)} export(s) nieuw of gewijzigd sinds de vorige run: {named}{more}"
        )
    else:
        head = f"{source}: geen nieuwe of gewijzigde exports sinds de vorige run"
    lines = [head, *info]
    if removed:
        lines.append(f"{source}: {len(removed)} export(s) verwijderd sinds de vorige run")
    unchanged = ledger.filter(~pl.col("file").is_in(new))
    if unchanged.height:
        remarks = [
            f"{n} {word}"
            for n, word in (
                ((unchanged["status"] == "failed").sum(), "mislukt"),
                ((unchanged["status"] == "duplicate").sum(), "duplicaat"),
                ((unchanged["rows_rejected"].fill_null(0) > 0).sum(), "met afgewezen rijen"),
            )
            if n
        ]
        lines.append(
            f"{source}: {unchanged.height} ongewijzigde export(s) zoals bij de vorige run "
            f"({unchanged['rows_loaded'].fill_null(0).sum()} rijen"
            + (f"; {', '.join(remarks)}, niet opnieuw gemeld" if remarks else "")
            + "); zie quality.file_ledger"
        )
    if ignored:
        lines.append(f"{source}: {ignored} bestand(en) genegeerd (geen .csv of .xlsx)")
    return [*warnings, ("info", "\n".join(lines))]
