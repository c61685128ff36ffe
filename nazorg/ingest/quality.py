"""Quality rows: problems as the quality tables list them (a message that names file, row
and column), bounded per file and rule, and what a staging table's fingerprint adds when
its rows depend on the run's date.
"""

from __future__ import annotations

import polars as pl

from nazorg.ingest.columns import DATE_OUT_OF_RANGE, LATE_MARK, TOO_LATE
from nazorg.ingest.shared import FILE, PROBLEM_SCHEMA, QUALITY_SCHEMA, latest_event_date


def _quality_message(file: pl.Expr) -> pl.Expr:
    where = (
        pl.when(pl.col("sheet").is_not_null())
        .then(pl.format("{}, blad '{}', rij {}", file, pl.col("sheet"), pl.col("source_row")))
        .otherwise(pl.format("{}, rij {}", file, pl.col("source_row")))
    )
    return pl.format("{}, kolom '{}': {}", where, pl.col("column"), pl.col("problem"))


def quality_rows(problems: pl.DataFrame, source: str, file: str | pl.Expr) -> pl.DataFrame:
    """Problems as quality-table rows with a message naming file, row and column.

    ``file`` is the file's label, or an expression giving each problem's label.
    """
    label = pl.lit(file) if isinstance(file, str) else file
    return problems.select(
        pl.lit(source).alias("source"),
        label.alias("file"),
        "sheet",
        pl.col("source_row").alias("row_number"),
        pl.col("column").alias("column_name"),
        "rule",
        _quality_message(label).alias("message"),
    ).cast(QUALITY_SCHEMA)


#: At most this many rows of one file are listed per rule in the quality tables; one
#: more line says how many more there were. The ledger counts every row.
MAX_LISTED_ROWS = 1000
#: A file with at least this many rows where more than half break one rule gets one
#: file-level line that says so (shifted columns, another header).
MOSTLY_MIN_ROWS = 10
MOSTLY_REJECTED = "most_rows_rejected"
SUMMARY_MARK = "die hier niet staan"


def _summary_problem(rule: pl.Expr, more: pl.Expr) -> pl.Expr:
    return pl.format(
        "en nog {} rij(en) met regel {} in dit bestand {}: alleen de eerste {} staan in deze "
        "tabel; de aantallen in quality.file_ledger zijn volledig",
        more,
        rule,
        pl.lit(SUMMARY_MARK),
        pl.lit(MAX_LISTED_ROWS),
    )


def bound_problems(problems: pl.DataFrame, rows_read: dict[int, int] | None = None) -> pl.DataFrame:
    """Problems (PROBLEM_SCHEMA) as the quality tables list them: per file and rule the
    first MAX_LISTED_ROWS rows and one line with how many more there were, so that a
    file of two million bad rows writes a few thousand lines, not eight million.

    With ``rows_read`` (per file), a file where more than half of its rows (and at least
    MOSTLY_MIN_ROWS) break one rule also gets one line about the file as a whole: a
    person should look at its header, not at a million rows.
    """
    if problems.height == 0:
        return problems
    ordered = problems.sort(FILE, "sheet", "source_row", nulls_last=False).with_columns(
        _n=pl.int_range(pl.len()).over(FILE, "rule"), _total=pl.len().over(FILE, "rule")
    )
    extra: list[pl.DataFrame] = []
    if rows_read:
        per_rule = ordered.group_by(FILE, "rule").agg(
            pl.struct("sheet", "source_row").n_unique().alias("_rows"),
            pl.col("column").mode().first().alias("_column"),
            pl.col("sheet").first().alias("_sheet"),
            pl.col("source_row").first().alias("_row"),
        )
        read = pl.DataFrame(
            {FILE: list(rows_read), "_read": list(rows_read.values())},
            schema={FILE: pl.Int32, "_read": pl.Int64},
        )
        mostly = per_rule.join(read, on=FILE).filter(
            (pl.col("_read") >= MOSTLY_MIN_ROWS) & (pl.col("_rows") * 2 > pl.col("_read"))
        )
        if mostly.height:
            extra.append(
                mostly.select(
                    FILE,
                    pl.col("_row").alias("source_row"),
                    pl.col("_sheet").alias("sheet"),
                    pl.col("_column").alias("column"),
                    pl.lit(MOSTLY_REJECTED).alias("rule"),
                    pl.format(
                        "{} van de {} gelezen rijen van dit bestand breken dezelfde regel ({}) "
                        "in kolom '{}'. Kolommen verschoven? Controleer de kopregel en de "
                        "eerste rijen van het bestand (staat elke waarde onder de juiste kop?); "
                        "deze rijen zijn niet geladen",
                        "_rows",
                        "_read",
                        "rule",
                        "_column",
                    ).alias("problem"),
                ).cast(PROBLEM_SCHEMA)
            )
    if ordered.select((pl.col("_total") > MAX_LISTED_ROWS).any()).item():
        # Whether a row left out is a date after the run's bound: a later run must see
        # that (see late_event_dates_rejected), even when only this line says so.
        late = (
            ((pl.col("problem") == TOO_LATE) & (pl.col("_n") >= MAX_LISTED_ROWS))
            .any()
            .over(FILE, "rule")
        )
        first_left_out = ordered.with_columns(_late=late).filter(pl.col("_n") == MAX_LISTED_ROWS)
        summary = _summary_problem(pl.col("rule"), pl.col("_total") - MAX_LISTED_ROWS)
        extra.append(
            first_left_out.select(
                FILE,
                "source_row",
                "sheet",
                "column",
                "rule",
                pl.when("_late")
                .then(summary + pl.lit(f" (daaronder datums {LATE_MARK})"))
                .otherwise(summary)
                .alias("problem"),
            ).cast(PROBLEM_SCHEMA)
        )
        ordered = ordered.filter(pl.col("_n") < MAX_LISTED_ROWS)
    listed = ordered.drop("_n", "_total").cast(PROBLEM_SCHEMA)
    if not extra:
        return listed
    return pl.concat([listed, *extra]).sort(FILE, "sheet", "source_row", nulls_last=False)


def late_event_dates_rejected(con, sources: list[str]) -> bool:
    """Whether the warehouse (the run's work file: the last published build) lists a row
    of these sources rejected for an event date after its run's bound. Such a table
    depends on the run's date: its build fingerprint must then include the bound."""
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'quality' "
        "AND table_name = 'rejected_rows' AND database_name = current_database()"
    ).fetchall()[0][0]
    if not exists:
        return False
    found = con.execute(
        "SELECT count(*) FROM quality.rejected_rows WHERE source IN (SELECT unnest(?::VARCHAR[])) "
        "AND rule = ? AND contains(message, ?)",
        [sources, DATE_OUT_OF_RANGE, LATE_MARK],
    ).fetchall()[0][0]
    return bool(found)


def date_bound_fingerprint(con, sources: list[str]) -> str:
    """What a staging table's fingerprint adds for the run's date: nothing, unless its
    last build rejected rows for dates past that run's bound (see
    :func:`late_event_dates_rejected`); then the bound of today, so that the table is
    built again once the bound has moved."""
    if late_event_dates_rejected(con, sources):
        return f"|late-dates-bound:{latest_event_date().isoformat()}"
    return ""


def bound_quality(frame: pl.DataFrame) -> pl.DataFrame:
    """Quality rows (QUALITY_SCHEMA) bounded like :func:`bound_problems`: per source, file
    and rule at most MAX_LISTED_ROWS and a line with how many more. A group that was
    bounded already (when its file was parsed) has that line and is left as it is."""
    if frame.height <= MAX_LISTED_ROWS:
        return frame
    keys = ["source", "file", "rule"]
    ordered = frame.sort(
        "source", "file", "sheet", "row_number", nulls_last=False, maintain_order=True
    ).with_columns(
        _n=pl.int_range(pl.len()).over(keys),
        _total=pl.len().over(keys),
        _done=pl.col("message").str.contains(SUMMARY_MARK, literal=True).any().over(keys),
    )
    over = (pl.col("_total") > MAX_LISTED_ROWS) & ~pl.col("_done")
    if not ordered.select(over.any()).item():
        return frame
    first_left_out = ordered.filter(over & (pl.col("_n") == MAX_LISTED_ROWS))
    summary = first_left_out.with_columns(
        problem=_summary_problem(pl.col("rule"), pl.col("_total") - MAX_LISTED_ROWS),
        source_row=pl.col("row_number"),
        column=pl.col("column_name"),  # the names _quality_message reads
    )
    summary = summary.with_columns(message=_quality_message(pl.col("file"))).select(
        list(QUALITY_SCHEMA)
    )
    kept = ordered.filter(~over | (pl.col("_n") < MAX_LISTED_ROWS)).select(list(QUALITY_SCHEMA))
    return pl.concat([kept, summary.cast(QUALITY_SCHEMA)])
