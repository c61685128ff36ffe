"""Reading one CSV export as text: decoding its bytes, its line endings, blank and
totals lines, and splitting its records.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import polars as pl

from nazorg.ingest.header import map_header, totals_row
from nazorg.ingest.shared import FileProblem, RawTable, SourceSpec

_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252, which decodes any byte.

    A UTF-16 byte-order mark (Excel's "Unicode-tekst") is honoured. A file that mixes
    both (two exports pasted together) is decoded line by line, so neither half turns
    into mojibake.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if not _UTF8_MULTIBYTE.search(data):
        return data.decode("cp1252", errors="replace")
    lines = []
    for line in data.removeprefix(b"\xef\xbb\xbf").split(b"\n"):
        try:
            lines.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            lines.append(line.decode("cp1252", errors="replace"))
    return "\n".join(lines)


# A line with nothing but separators and spaces, inside the text.
_BLANK_LINE = re.compile(r"\n[ ;\t]*\r?(?=\n)")


def _without_trailing_blank_lines(text: str) -> str:
    """The text without the line breaks and blank lines at its end."""
    body = text
    while True:
        body = body.rstrip("\r\n")
        cut = body.rfind("\n")
        if cut >= 0 and not body[cut + 1 :].strip(" ;\t\r"):
            body = body[:cut]
        else:
            return body


def normalise_line_ends(text: str) -> str:
    """Every line ending as ``\\n``: ``\\r\\n``, ``\\n`` and a lone ``\\r`` all end a line,
    in any mix within one file (a header edited on another system ends in a lone
    ``\\r`` while the data lines end in ``\\r\\n``: read as one line, the first data row
    would be glued to the header). Each ending stays one line, so line numbers hold."""
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _is_total_line(line: str) -> bool:
    """A CSV line whose first cell starts with Totaal."""
    return line.lstrip(' \t"').lower().startswith("totaal")


def _trailing_totals(body: str) -> set[int]:
    """Line numbers (1-based) of the totals lines at the end of ``body``."""
    found: set[int] = set()
    line_no = body.count("\n") + 1
    end = len(body)
    while end > 0:
        start = body.rfind("\n", 0, end) + 1
        if start == 0:
            break
        line = body[start:end]
        if line.strip(" ;\t\r"):
            if not _is_total_line(line):
                break
            found.add(line_no)
        end, line_no = start - 1, line_no - 1
    return found


def read_csv(path: Path, spec: SourceSpec, label: str) -> RawTable:
    """The data rows of one CSV export as text, each with the line number a person sees.

    This is the one CSV reader: Polars splits the records, of only the declared
    columns. A file Polars cannot split (a quoted cell over several lines, a quote that
    is never closed) is read record by record by :mod:`csv` instead, which is about ten
    times slower and so kept for those files only: measured on the JustID exports of a
    generated national export at a fifth of national size (``python -m nazorg.demo
    --national --size 0.2``: 121 files, 200 000 rows, 27 MB), Polars took 0.4-0.7 s and
    :mod:`csv` 3.9-5.3 s, which at national size would be 20-25 s of a night whose
    budget is 20 s (docs/contract/performance.md). Parsing plain exports of the same
    header as one buffer (the reader this one replaced) was not measurably faster than
    reading them one by one a few at a time (0.40-0.70 s against 0.55 s).
    """
    text = normalise_line_ends(decode_text(path.read_bytes()))
    body = _without_trailing_blank_lines(text)
    first_end = body.find("\n")
    header_text = (body if first_end < 0 else body[:first_end]).rstrip("\r")
    line_numbers: list[int] | None = None
    if not header_text.strip(" ;\t") or _BLANK_LINE.search(body):
        # Blank lines (or none but blank lines) inside the file are left out, each line
        # keeping its number, so that a message names the line a person sees.
        numbered = [(i + 1, line) for i, line in enumerate(text.split("\n")) if line.strip(" ;\t")]
        if not numbered:
            raise FileProblem(f"{label}: het bestand is leeg")
        header_text = numbered[0][1]
        body = "\n".join(line for _, line in numbered)
        line_numbers = [n for n, _ in numbered[1:]]
    header = csv_split(header_text)
    try:
        positions, extra = map_header(header, spec, label)
    except FileProblem as problem:
        raise FileProblem(str(problem) + _separator_hint(header_text)) from None
    columns = [f"c{i}" for i in range(len(header))]
    n_data = body.count("\n")
    frame = _polars_csv(body, columns, positions) if n_data else None
    if frame is None or frame.height != n_data:
        # A quoted cell over several lines (Excel writes one for a remark with a line
        # break), or a quote that is never closed: read record by record instead.
        frame, rows = _csv_by_record(text, columns, label)
        frame = frame.select([pl.col(f"c{i}") for i in positions])
    else:
        rows = line_numbers if line_numbers is not None else range(2, n_data + 2)
    rows = pl.Series(rows, dtype=pl.Int64)
    totals = _trailing_totals(body if line_numbers is None else text)
    candidate = rows.is_in(list(totals)) if totals else None
    return _csv_table(frame, rows, positions, extra, total_candidate=candidate, spec=spec)


def _csv_table(
    frame: pl.DataFrame,
    rows: pl.Series,
    positions: dict[int, str],
    extra: list[str],
    total_candidate: pl.Series | None,
    spec: SourceSpec,
) -> RawTable:
    frame = frame.with_columns(source_row=rows)
    if total_candidate is not None:
        # Totals rows at the end (sources.md) are not data.
        names = {f"c{i}": field_name for i, field_name in positions.items()}
        frame = frame.filter(~totals_row(total_candidate, names, spec))
    selected = frame.select(
        [pl.col(f"c{i}").alias(name) for i, name in positions.items()] + ["source_row"]
    ).with_columns(sheet=pl.lit(None, pl.Utf8))
    return RawTable(selected, extra)


def _polars_csv(body: str, columns: list[str], positions: dict[int, str]) -> pl.DataFrame | None:
    """The records of ``body`` (header first) parsed by Polars, only the declared columns
    (names and remarks are never even materialised); None when Polars cannot split it."""
    try:
        return pl.read_csv(
            io.StringIO(body),
            separator=";",
            infer_schema=False,
            has_header=True,
            new_columns=columns,
            columns=[columns[i] for i in sorted(positions) if i < len(columns)] or None,
            truncate_ragged_lines=True,
            quote_char='"',
        )
    except pl.exceptions.PolarsError:
        return None


def _csv_by_record(text: str, columns: list[str], label: str) -> tuple[pl.DataFrame, list[int]]:
    """Parse record by record; a record's row number is the line on which it starts."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";", quotechar='"', strict=True)
    records: list[list[str]] = []
    rows: list[int] = []
    start, header_seen = 1, False
    try:
        for cells in reader:
            if any(c.strip(" \t") for c in cells):
                if header_seen:
                    records.append(
                        (cells + [""] * len(columns))[: len(columns)]
                        if len(cells) != len(columns)
                        else cells
                    )
                    rows.append(start)
                header_seen = True
            start = reader.line_num + 1
    except csv.Error:
        raise FileProblem(
            f'{label}, regel {start}: een aanhalingsteken (") in deze regel wordt niet '
            "afgesloten, zodat de rest van het bestand niet in kolommen te verdelen is; "
            "verwijder het of sluit het af"
        ) from None
    for row, cells in zip(rows, records, strict=True):
        if any(("\n" in c or "\r" in c) and ";" in c for c in cells):
            # A quote that swallowed the separators of the following lines: one cell that
            # runs over several lines and holds separators (a cell with a line break next
            # to another with a quoted ';' is an ordinary record).
            raise FileProblem(
                f'{label}, regel {row}: een aanhalingsteken (") opent een cel die over '
                "meerdere regels doorloopt en scheidingstekens bevat; controleer de "
                "aanhalingstekens in die regel"
            )
    frame = pl.DataFrame(
        [list(col) for col in zip(*records, strict=True)] if records else None,
        schema={c: pl.Utf8 for c in columns},
        orient="col",
    )
    frame = frame.with_columns(
        [pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c) for c in columns]
    )
    return frame, rows


def _separator_hint(header: str) -> str:
    if ";" not in header and ("," in header or "\t" in header):
        sep = "een tab" if "\t" in header else "een komma"
        return f" (de kopregel is gescheiden door {sep}; verwacht wordt ';')"
    return ""


def csv_split(line: str) -> list[str]:
    return [cell.strip().strip('"') for cell in line.split(";")]
