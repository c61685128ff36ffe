"""Dates as the exports write them: ``dd-mm-jjjj``, ``d-m-jjjj``, ISO, or a real Excel date.

Excel readers hand a real date cell over as ``2013-01-16 00:00:00`` (fastexcel, read as
text) or, for a number-formatted date, as the serial number (days since 1899-12-30).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

EXCEL_EPOCH = dt.date(1899, 12, 30)
# Serial numbers between these bounds are taken as dates (1954 .. 2064); anything
# else that is a plain number is not a date.
_SERIAL_MIN, _SERIAL_MAX = 20_000, 60_000


def parse_date(expr: pl.Expr) -> pl.Expr:
    """Parse a text column of dates; NULL where the text is not a date in a known form.

    A million notifications hold a few thousand distinct dates: the forms are tried on
    the distinct texts only, and the result is mapped back.
    """
    return expr.cast(pl.Utf8).map_batches(_parse_distinct, return_dtype=pl.Date)


def _parse_distinct(values: pl.Series) -> pl.Series:
    distinct = values.unique().drop_nulls()
    parsed = pl.select(_parse_expr(pl.lit(distinct))).to_series()
    return values.replace_strict(distinct, parsed, default=None, return_dtype=pl.Date)


def _parse_expr(expr: pl.Expr) -> pl.Expr:
    s = expr.cast(pl.Utf8).str.strip_chars()
    dutch = s.str.replace_all(r"[/.]", "-")
    dutch_parts = dutch.str.extract_groups(r"^(\d{1,2})-(\d{1,2})-(\d{4})$")
    iso_parts = s.str.extract_groups(
        r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?$"
    )
    serial = s.str.extract(r"^(\d{5})(?:\.0+)?$", 1).cast(pl.Int64, strict=False)

    def build(year: pl.Expr, month: pl.Expr, day: pl.Expr) -> pl.Expr:
        y = year.cast(pl.Int32, strict=False)
        m = month.cast(pl.Int8, strict=False)
        d = day.cast(pl.Int8, strict=False)
        # pl.date() raises on 31-02; going through a checked string keeps it NULL.
        text = pl.format("{}-{}-{}", y, m.cast(pl.Utf8).str.zfill(2), d.cast(pl.Utf8).str.zfill(2))
        return text.str.strptime(pl.Date, "%Y-%m-%d", strict=False)

    from_dutch = build(
        dutch_parts.struct.field("3"), dutch_parts.struct.field("2"), dutch_parts.struct.field("1")
    )
    from_iso = build(
        iso_parts.struct.field("1"), iso_parts.struct.field("2"), iso_parts.struct.field("3")
    )
    from_serial = (
        pl.when(serial.is_between(_SERIAL_MIN, _SERIAL_MAX))
        .then(pl.lit(EXCEL_EPOCH) + pl.duration(days=serial))
        .otherwise(None)
        .cast(pl.Date)
    )
    return pl.coalesce(from_dutch, from_iso, from_serial)
