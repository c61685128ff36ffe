"""Reading one Excel export as text: every sheet that carries the header (or the one the
spec names), title rows above it, totals and empty rows skipped, and the formulas whose
result was never stored.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path
from xml.etree import ElementTree

import fastexcel
import polars as pl

from nazorg.ingest.header import map_header, normalise_header, totals_row
from nazorg.ingest.shared import FORMULA, HEADER_SEARCH_ROWS, FileProblem, RawTable, SourceSpec
from nazorg.redaction import redact

_SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
# A cell element (any namespace prefix) with its attributes and content.
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_CELL_REF = re.compile(rb"""\br\s*=\s*["'][A-Z]+(\d+)["']""")
_VALUE = re.compile(rb"<(?:\w+:)?v\b[^>]*>\s*[^<\s][^<]*</(?:\w+:)?v>")
_INLINE_TEXT = re.compile(rb"<(?:\w+:)?t\b[^>]*>([^<]*)</(?:\w+:)?t>")
_FIRST_ROW_PREFIX = 1 << 16


def _first_used_rows(path: Path) -> dict[str, int]:
    """Sheet name → number of the first row that holds a value.

    calamine (fastexcel) starts a sheet at its first used row, so without this offset
    the row numbers in messages would be wrong for sheets that start with empty rows.
    Only the start of each sheet's XML is looked at (the first cells are near the top).
    """
    result: dict[str, int] = {}
    with zipfile.ZipFile(path) as archive:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target") for r in rels}
        for sheet in book.iter(f"{{{_SHEET_NS}}}sheet"):
            target = targets.get(sheet.get(f"{{{_REL_NS}}}id"), "")
            member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            try:
                result[sheet.get("name")] = _first_used_row(archive, member)
            except (KeyError, ValueError, zipfile.BadZipFile, EOFError):
                result[sheet.get("name")] = 1  # calamine decides whether it is readable
    return result


def _first_used_row(archive: zipfile.ZipFile, member: str) -> int:
    with archive.open(member) as xml:
        data, scanned = b"", 0
        while True:
            chunk = xml.read(_FIRST_ROW_PREFIX)
            data += chunk
            # Only whole cell elements match; one cut off by the end of what was read so
            # far is looked at again once the next part is in.
            for match in _CELL.finditer(data, scanned):
                if _cell_has_value(match.group(2) or b""):
                    ref = _CELL_REF.search(match.group(1))
                    return int(ref.group(1)) if ref else 1
                scanned = match.end()
            if not chunk:
                return 1


def _cell_has_value(content: bytes) -> bool:
    """A cell calamine reads: a value or inline string, not an empty one (openpyxl writes
    formulas without a cached value as an empty ``<v/>``)."""
    if _VALUE.search(content):
        return True
    if b"is>" in content:
        return any(t.strip() for t in _INLINE_TEXT.findall(content))
    return False


def _not_a_workbook(label: str, exc: Exception) -> FileProblem:
    return FileProblem(
        f"{label}: geen leesbaar Excel-bestand (.xlsx); het is beschadigd, afgekapt of "
        f"van een ander type ({type(exc).__name__})"
    )


_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
# What follows a formula element when the cell stores no result: the end of the cell,
# or an empty value.
_NO_VALUE_AFTER = re.compile(
    rb"\s*(?:</(?:\w+:)?c>|<(?:\w+:)?v\b[^>]*/>|<(?:\w+:)?v\b[^>]*>\s*</(?:\w+:)?v>)"
)


_CELL_PREFIX = re.compile(rb"<(\w+:)?c[\s>]")
_SCAN_CHUNK = 1 << 16


def _has_formula(archive: zipfile.ZipFile, member: str) -> bool:
    """Whether a sheet holds any formula element, read in small pieces: each piece is
    searched while it is still in the processor's cache (a quarter less time than
    decompressing the sheet whole and searching it after), and nothing is kept."""
    with archive.open(member) as xml:
        head = xml.read(_SCAN_CHUNK)
        sheet_data = head.find(b"sheetData")
        first_cell = _CELL_PREFIX.search(head, max(sheet_data, 0))
        prefix = (first_cell.group(1) or b"") if first_cell else b""
        needle = b"<" + prefix + b"f"
        chunk, tail = head, b""
        while chunk:
            if needle in tail + chunk[: len(needle)] or needle in chunk:
                return True
            tail = chunk[-len(needle) :]
            chunk = xml.read(_SCAN_CHUNK)
    return False


def _has_formula_without_value(data: bytes) -> bool:
    """Whether a sheet's XML has a formula cell without a stored result.

    Looked for with ``bytes.find`` (memchr speed) rather than one regular expression over
    the sheet: a regular expression that starts with ``<`` is tried at every tag, seconds
    for a sheet of a hundred thousand rows. Most exports have no formula at all.
    """
    sheet_data = data.find(b"sheetData")
    first_cell = _CELL_PREFIX.search(data, max(sheet_data, 0), max(sheet_data, 0) + 4096)
    prefix = (first_cell.group(1) or b"") if first_cell else b""
    opening, closing = b"<" + prefix + b"f", b"</" + prefix + b"f>"
    at = data.find(opening)
    while at >= 0:
        after = at + len(opening)
        if data[after : after + 1] in (b">", b" ", b"/", b"\t", b"\r", b"\n"):
            tag_end = data.find(b">", after)
            if tag_end < 0:
                return False
            if data[tag_end - 1 : tag_end] == b"/":
                end = tag_end + 1  # <f t="shared" si="0"/>: the formula of a shared range
            else:
                close = data.find(closing, tag_end)
                if close < 0:
                    return False
                end = close + len(closing)
            if _NO_VALUE_AFTER.match(data, end):
                return True
            at = data.find(opening, end)
        else:
            at = data.find(opening, after)  # another tag that starts with f (<formula>)
    return False


_CELL_COLUMN = re.compile(rb"""\br\s*=\s*["']([A-Z]+)(\d+)["']""")
_STRING_RESULT = re.compile(rb"""\bt\s*=\s*["']str["']""")


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _formula_gaps(path: Path) -> dict[str, tuple[int, list[tuple[int, int]]]]:
    """Per sheet with formula cells that have no stored value: (the first used column,
    [(row, column)] of those cells), both 1-based.

    A tool that writes formulas without calculating them (openpyxl, many exporters)
    stores no result: calamine reads such a cell as empty, and a ``Datum vertrek``
    computed by a formula would silently disappear with its release. A formula whose
    result is an empty text (``t="str"`` with an empty value) is an empty cell. calamine
    starts a sheet at its first used column, so that column is returned too.
    """
    gaps: dict[str, tuple[int, list[tuple[int, int]]]] = {}
    with zipfile.ZipFile(path) as archive:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target") for r in rels}
        for sheet in book.iter(f"{{{_SHEET_NS}}}sheet"):
            target = targets.get(sheet.get(f"{{{_REL_NS}}}id"), "")
            member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            try:
                if not _has_formula(archive, member):
                    continue  # the usual export: no formula at all
                data = archive.read(member)
            except (KeyError, zipfile.BadZipFile, EOFError, zlib.error):
                continue  # calamine decides whether it is readable
            if not _has_formula_without_value(data):
                continue  # the usual workbook: no formula, or every formula has its result
            first_column, missing = None, []
            for match in _CELL.finditer(data):
                content = match.group(2) or b""
                ref = _CELL_COLUMN.search(match.group(1))
                if ref is None:
                    continue
                column = _column_number(ref.group(1))
                if _cell_has_value(content):
                    first_column = column if first_column is None else min(first_column, column)
                elif _FORMULA.search(content) and not _STRING_RESULT.search(match.group(1)):
                    missing.append((int(ref.group(2)), column))
            if missing:
                gaps[sheet.get("name")] = (first_column or 1, missing)
    return gaps


def read_excel(path: Path, spec: SourceSpec, label: str) -> RawTable:
    try:
        reader = fastexcel.read_excel(str(path))
        offsets = _first_used_rows(path)
        gaps = _formula_gaps(path)
    except Exception as exc:  # noqa: BLE001 - any reader failure means: not a workbook
        raise _not_a_workbook(label, exc) from exc
    try:
        return _read_sheets(reader, offsets, spec, label, gaps)
    except FileProblem:
        raise
    except Exception as exc:  # noqa: BLE001 - a sheet that cannot be read: same thing
        raise _not_a_workbook(label, exc) from exc


#: The declared columns (their headers) of a row whose cell there is a formula without a
#: stored value, one per line; NULL for every other row. See :func:`apply_columns`.
def _read_sheets(
    reader: fastexcel.ExcelReader,
    offsets: dict[str, int],
    spec: SourceSpec,
    label: str,
    gaps: dict[str, tuple[int, list[tuple[int, int]]]] | None = None,
) -> RawTable:
    sheets = [spec.sheet] if spec.sheet else reader.sheet_names
    if spec.sheet and spec.sheet not in reader.sheet_names:
        raise FileProblem(f"{label}: tabblad '{spec.sheet}' ontbreekt")
    headers = {c.field: c.header for c in spec.columns}
    frames: list[pl.DataFrame] = []
    extra: list[str] = []
    skipped: list[str] = []
    header_problem: FileProblem | None = None
    required = {normalise_header(h) for h in spec.required_headers}
    for sheet in sheets:
        grid = reader.load_sheet(
            sheet, header_row=None, dtypes="string", whitespace_as_null=True
        ).to_polars()
        if grid.height == 0:
            skipped.append(redact(sheet))
            continue
        # Only the top of the sheet can hold the header: converting a 100k-row sheet to
        # Python tuples to look at its first rows would cost seconds.
        rows = grid.head(HEADER_SEARCH_ROWS).rows()
        header_at = None
        for i, row in enumerate(rows):
            keys = {normalise_header(c) for c in row}
            # A header row holds at least half of the required headers; it is the table's
            # header even when it lacks a required column (that fails the file).
            if len(keys & required) * 2 >= len(required):
                header_at = i
                break
        if header_at is None:
            skipped.append(redact(sheet))
            continue
        # A sheet name comes out of the file too: it is redacted wherever it goes.
        sheet_name = redact(sheet)
        where = f"{label}, blad '{sheet_name}'"
        try:
            positions, sheet_extra = map_header(list(rows[header_at]), spec, where)
        except FileProblem as problem:
            header_problem = problem
            continue
        extra.extend(e for e in sheet_extra if e not in extra)
        first_row = offsets.get(sheet, 1)
        value_cols = grid.columns
        body = grid.slice(header_at + 1).with_columns(
            source_row=pl.int_range(pl.len(), dtype=pl.Int64) + (header_at + 1 + first_row)
        )
        formula = _formula_column(gaps.get(sheet) if gaps else None, positions, headers)
        if formula is not None:
            body = body.join(formula, on="source_row", how="left", maintain_order="left")
        else:
            body = body.with_columns(pl.lit(None, pl.Utf8).alias(FORMULA))
        # Empty cells (and cells of only spaces) are NULL here: a row of NULLs is empty
        # (a formula without a stored value is not: its row is rejected, never dropped).
        non_empty = pl.any_horizontal(
            [pl.col(c).is_not_null() for c in value_cols] + [pl.col(FORMULA).is_not_null()]
        )
        # A totals row: its first cell starts with Totaal and nothing but empty rows or
        # other totals rows lie below it. A Totaal text above a data row is data.
        first_cell = pl.coalesce([pl.col(c) for c in value_cols])
        starts_total = (
            first_cell.str.strip_chars_start().str.to_lowercase().str.starts_with("totaal")
        ).fill_null(False)
        data_at_or_below = (non_empty & ~starts_total).cast(
            pl.UInt32
        ).reverse().cum_sum().reverse() > 0
        candidate = starts_total & ~data_at_or_below
        names = {value_cols[i]: field_name for i, field_name in positions.items()}
        body = body.filter(non_empty & ~totals_row(candidate, names, spec))
        frames.append(
            body.select(
                [pl.col(value_cols[i]).alias(name) for i, name in positions.items()]
                + [pl.col("source_row"), pl.lit(sheet_name).alias("sheet"), pl.col(FORMULA)]
            )
        )
    if not frames:
        if header_problem is not None:
            raise header_problem
        raise FileProblem(
            f"{label}: geen tabblad met een kopregel gevonden (verwacht de kolommen "
            f"{', '.join(spec.required_headers)})"
        )
    return RawTable(pl.concat(frames, how="diagonal"), extra, skipped)


def _formula_column(
    gaps: tuple[int, list[tuple[int, int]]] | None,
    positions: dict[int, str],
    headers: dict[str, str],
) -> pl.DataFrame | None:
    """``source_row`` → the headers of the declared columns in that row whose cell is a
    formula without a stored value (see :func:`_formula_gaps`); None when there are none."""
    if not gaps:
        return None
    first_column, cells = gaps
    found: dict[int, list[str]] = {}
    for row, column in cells:
        field_name = positions.get(column - first_column)
        if field_name is not None:
            found.setdefault(row, []).append(headers[field_name])
    if not found:
        return None
    return pl.DataFrame(
        {
            "source_row": pl.Series(list(found), dtype=pl.Int64),
            FORMULA: pl.Series(["\n".join(h) for h in found.values()], dtype=pl.Utf8),
        }
    )
