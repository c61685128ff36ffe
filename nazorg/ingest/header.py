"""What the CSV and the Excel reader share: matching a header to the spec's columns, and
telling a totals row at the end of an export from a data row.
"""

from __future__ import annotations

import re

import polars as pl

from nazorg.ingest.shared import NEVER_READ, FileProblem, SourceSpec
from nazorg.redaction import redact_header_names


def normalise_header(text: object) -> str:
    return re.sub(r"\s+", " ", str(text or "")).strip().lower()


def map_header(
    cells: list[object], spec: SourceSpec, where: str
) -> tuple[dict[int, str], list[str]]:
    """Column positions of the declared fields; raise when a required one is missing."""
    wanted = {normalise_header(c.header): c.field for c in spec.columns}
    positions: dict[int, str] = {}
    extra: list[str] = []
    for i, cell in enumerate(cells):
        key = normalise_header(cell)
        if not key:
            continue
        if key in wanted and wanted[key] not in positions.values():
            positions[i] = wanted[key]
        elif key not in NEVER_READ:
            extra.append(str(cell).strip())
    missing = [c.header for c in spec.columns if c.required and c.field not in positions.values()]
    if missing:
        raise FileProblem(f"{where}: verplichte kolom(men) ontbreken: {', '.join(missing)}")
    # Header names come out of the file: listed only as redact_header_names allows.
    return positions, redact_header_names(extra)


def totals_row(
    candidate: pl.Series | pl.Expr, names: dict[str, str], spec: SourceSpec | None
) -> pl.Expr:
    """A totals row: a candidate (first cell Totaal, nothing but empty rows or other
    totals rows below it) without a BSN. A totals row never holds one (a count in the
    BSN column is never six digits long); a row that does
    is a data row whose remark in the first column happens to start with Totaal: it is
    kept (and typed like any row), never lost."""
    identity = {c.field for c in spec.columns if c.kind == "bsn"} if spec else set()
    # A number of six or more digits: a count in a totals row is never that large.
    cells = [
        pl.col(column).cast(pl.Utf8).str.contains(r"\d{6}").fill_null(False)
        for column, field_name in names.items()
        if field_name in identity
    ]
    has_identity = pl.any_horizontal(cells) if cells else pl.lit(False)
    candidate = pl.lit(candidate) if isinstance(candidate, pl.Series) else candidate
    return (candidate & ~has_identity).fill_null(False)
