"""The ingestion framework shared by every source.

A source is declared as a :class:`SourceSpec` (its folder and its columns). For each
file below the source folder the framework

1. identifies the file by the SHA-256 of its bytes (the same bytes under another name
   are loaded once; the later path is recorded as ``duplicate``);
2. reads it as text: CSV (``;``, UTF-8 with or without BOM or Windows-1252) or Excel
   (every sheet that carries the header, title rows above it, ``Totaal`` rows and empty
   rows skipped), matching headers case- and space-insensitively in any order;
3. types every column by its declared kind and turns each broken rule into a
   problem that names file, row and column in Dutch.

Files are read one by one (a broken file fails alone) but typed **together**: the rows
of every file of a source go through the source's parser as one frame, with ``_file``
saying which file a row came from, so that a thousand monthly exports cost one pass
over a million rows rather than a thousand small passes. Parsers keep per-file rules
(a number twice *in one file*) by grouping on ``_file``. A file parsed before (same
bytes, same code, same key) comes from the parse cache (:mod:`nazorg.parse_cache`).

Names, initials and free-text remarks are dropped as a file is read and never reach a
typed, cached or stored frame; the BSN is replaced by its pseudonym while the columns
are typed. A file that cannot be read at all raises :class:`FileProblem`, which the
caller records as ``failed``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import time
import zipfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import fastexcel
import numpy as np
import polars as pl

from nazorg.bsn import normalise_bsn, passes_elfproef, pseudonymise
from nazorg.dates import parse_date
from nazorg.timing import stage

# Columns that must never be read into a frame (privacy), in any source.
NEVER_READ = frozenset({"naam", "achternaam", "voorletters", "opmerkingen", "opmerking"})

HEADER_SEARCH_ROWS = 50

#: Which file of a batch a row comes from (an index into the batch), and the row's
#: place in that file. Parsers keep both on every row and every problem.
FILE = "_file"
POS = "_pos"

# Reading and hashing are mostly I/O and Rust (which release the GIL): a few threads
# overlap them. More than the cores would only add memory.
READ_THREADS = max(1, min(4, os.cpu_count() or 1))


class FileProblem(Exception):
    """A file that cannot be read at all; the message is Dutch and names the file."""


@dataclass(frozen=True)
class Column:
    """One column of an export as the spec names it.

    ``kind`` decides how the text is typed: ``text``, ``date``, ``bsn``, ``yes_no``
    (Ja/Nee/J/N/x/empty = nee), ``yes_no_unknown`` (Ja/Nee/Onbekend, empty = NULL),
    ``choice`` (one of ``choices``), ``int``, ``number`` (decimal comma allowed).
    """

    header: str
    field: str
    kind: str = "text"
    required: bool = False
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    # Identity fields (BSN, birth date): a message never repeats their value.
    sensitive: bool = False


@dataclass(frozen=True)
class SourceSpec:
    name: str
    folder: str
    columns: tuple[Column, ...]
    # Excel only: the one sheet to read; None reads every sheet that has the header.
    sheet: str | None = None
    # Region from the first folder below the source folder (case registration, cohort).
    region_from_folder: bool = False

    @property
    def required_headers(self) -> list[str]:
        return [c.header for c in self.columns if c.required]

    def column(self, field_name: str) -> Column:
        return next(c for c in self.columns if c.field == field_name)


@dataclass
class RawTable:
    """The data rows of one file (or of a batch of files) as text.

    ``frame`` holds one Utf8 column per declared field present, ``source_row`` (the row
    number a person sees) and ``sheet``; in a batch also ``_file`` and ``_pos``.
    """

    frame: pl.DataFrame
    extra_columns: list[str] = field(default_factory=list)
    skipped_sheets: list[str] = field(default_factory=list)


PROBLEM_SCHEMA = {
    FILE: pl.Int32,
    "source_row": pl.Int64,
    "sheet": pl.Utf8,
    "column": pl.Utf8,
    "rule": pl.Utf8,
    "problem": pl.Utf8,
}


@dataclass
class Parsed:
    """What a source parser makes of a batch of files."""

    rows: pl.DataFrame  # typed, pseudonymised rows that load (with _file, _pos, source_row)
    rejected: pl.DataFrame  # PROBLEM_SCHEMA: rows that do not load, one line per problem
    warnings: pl.DataFrame  # PROBLEM_SCHEMA: rows that load with a field set aside


def sha256_of(path: Path) -> str:
    """SHA-256 of the file's bytes (the file's identity).

    A file whose inode, size, modification and status-change times are unchanged is not
    read again: within a run (a run fingerprints its inputs before it ingests them), and
    across runs through :func:`load_known_hashes`. The status-change time (ctime) moves
    with every write to the file and no tool can set it back, unlike the modification
    time that ``touch`` or ``cp -p`` set at will.
    """
    stat = path.stat()
    signature = _stat_signature(path, stat)
    if signature in _SHA_MEMO:
        return _SHA_MEMO[signature]
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    if len(_SHA_MEMO) > 100_000:
        _SHA_MEMO.clear()
        _SETTLED.clear()
    _SHA_MEMO[signature] = digest.hexdigest()
    # A file changed within the same clock tick as it was read could keep its times:
    # only a file that was already quiet for a while is remembered beyond this run.
    if max(stat.st_mtime_ns, stat.st_ctime_ns) < time.time_ns() - SETTLED_NS:
        _SETTLED.add(signature)
    return _SHA_MEMO[signature]


def _stat_signature(path: Path, stat: os.stat_result) -> tuple:
    return (str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


_SHA_MEMO: dict[tuple, str] = {}
_SETTLED: set[tuple] = set()
SETTLED_NS = 2_000_000_000
HASHES_VERSION = 1


def load_known_hashes(path: Path) -> None:
    """Take the hashes of an earlier run (:func:`save_known_hashes`) as known.

    A missing or unreadable file only means that every export is read once more.
    """
    try:
        data = json.loads(path.read_text())
        if data.get("version") != HASHES_VERSION:
            return
        for *signature, sha in data["files"]:
            _SHA_MEMO[tuple(signature)] = sha
            _SETTLED.add(tuple(signature))
    except (OSError, ValueError, KeyError, TypeError):
        return


def save_known_hashes(path: Path) -> None:
    """Remember for the next run the hash of every file known now, as it is now.

    A file that is gone, or changed since it was hashed, is left out; so is one that
    was changed just before it was hashed (see :func:`sha256_of`).
    """
    entries = []
    for signature in sorted(_SETTLED & _SHA_MEMO.keys()):
        file = Path(signature[0])
        try:
            current = _stat_signature(file, file.stat())
        except OSError:
            continue
        if current == signature:
            entries.append([*signature, _SHA_MEMO[signature]])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"version": HASHES_VERSION, "files": entries}))
    os.replace(tmp, path)


INPUT_SUFFIXES = frozenset({".csv", ".xlsx"})


def is_input_file(path: Path) -> bool:
    """A ``.csv``/``.xlsx`` export; not the ``~$name.xlsx`` lock file Excel leaves next to
    a workbook someone has open (it is no export, and would fail every night)."""
    return path.suffix.lower() in INPUT_SUFFIXES and not path.name.startswith("~$")


def discover(source_dir: Path) -> tuple[list[Path], list[Path]]:
    """Every ``*.csv``/``*.xlsx`` below the folder at any depth, sorted; and the rest."""
    if not source_dir.is_dir():
        return [], []
    files = sorted(p for p in source_dir.rglob("*") if p.is_file())
    wanted = [p for p in files if is_input_file(p)]
    ignored = [p for p in files if not is_input_file(p)]
    return wanted, ignored


def normalise_header(text: object) -> str:
    return re.sub(r"\s+", " ", str(text or "")).strip().lower()


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


# --------------------------------------------------------------------------- reading


def _map_header(
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
    return positions, extra


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


def read_csv(path: Path, spec: SourceSpec, label: str) -> RawTable:
    text = decode_text(path.read_bytes())
    body = _without_trailing_blank_lines(text)
    first_end = body.find("\n")
    header_text = (body if first_end < 0 else body[:first_end]).rstrip("\r")
    if not header_text.strip(" ;\t") or _BLANK_LINE.search(body):
        # Blank lines (or none but blank lines) inside the file: number the lines one
        # by one, so that a message names the line a person sees.
        return _read_csv_by_line(text, spec, label)
    header = csv_split(header_text)
    try:
        positions, extra = _map_header(header, spec, label)
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
        rows = range(2, n_data + 2)
    return _csv_table(frame, pl.Series(rows, dtype=pl.Int64), positions, extra)


_BLANK_LINE_BYTES = re.compile(rb"\n[ ;\t]*\r?(?=\n)")


def _plain_csv(data: bytes) -> tuple[bytes, memoryview, int] | None:
    """(header line, data lines, number of data lines) of an export that Polars can
    parse together with others of the same header: UTF-8, no quote character (so every
    line is one record), no blank line inside. None for any other file, which is read
    on its own by :func:`read_csv`."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b'"' in data:
        return None
    data = data.removeprefix(b"\xef\xbb\xbf")
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return None
    body = data.rstrip(b"\r\n")
    while True:  # blank lines at the end are not data
        cut = body.rfind(b"\n")
        if cut < 0 or body[cut + 1 :].strip(b" ;\t\r"):
            break
        body = body[:cut].rstrip(b"\r\n")
    end = body.find(b"\n")
    if end < 0 or not body[:end].strip(b" ;\t\r") or _has_blank_line(body):
        return None
    lines = memoryview(body)[end + 1 :]
    return body[:end], lines, body.count(b"\n", end + 1) + 1


def _has_blank_line(body: bytes) -> bool:
    return _BLANK_LINE_BYTES.search(body) is not None


def read_csvs(items: list[tuple[Path, str]], spec: SourceSpec) -> list[RawTable | FileProblem]:
    """Read many CSV exports of one source: what :func:`read_csv` gives per file.

    A thousand monthly exports with the same header are parsed by Polars as one buffer
    (one multi-threaded parse instead of a thousand small ones) and split again by the
    line counts, so every row keeps its file and line number. Files that are not plain
    (another encoding, quotes, blank lines, an unreadable header) are read one by one.
    """
    results: list[RawTable | FileProblem | None] = [None] * len(items)
    groups: dict[bytes, list[tuple[int, memoryview, int]]] = {}
    for i, (path, label) in enumerate(items):
        try:
            plain = _plain_csv(path.read_bytes()) if path.stat().st_size else None
        except OSError:
            plain = None
        if plain is None:
            results[i] = _read_or_problem(path, spec, label)
        else:
            header, lines, n = plain
            groups.setdefault(header, []).append((i, lines, n))
    for header, members in groups.items():
        for i, table in _read_group(header, members, items, spec).items():
            results[i] = table
    return results  # type: ignore[return-value]


def _read_group(
    header: bytes, members: list[tuple[int, memoryview, int]], items, spec: SourceSpec
) -> dict[int, RawTable | FileProblem]:
    header_text = header.decode("utf-8").rstrip("\r")
    cells = csv_split(header_text)
    out: dict[int, RawTable | FileProblem] = {}
    try:
        positions, extra = _map_header(cells, spec, "")
    except FileProblem:
        # The message names the file: read each one alone to get it.
        return {i: _read_or_problem(items[i][0], spec, items[i][1]) for i, _, _ in members}
    columns = [f"c{i}" for i in range(len(cells))]
    buffer = b"\n".join([header, *(lines for _, lines, _ in members)]) + b"\n"
    try:
        frame = pl.read_csv(
            buffer,
            separator=";",
            infer_schema=False,
            has_header=True,
            new_columns=columns,
            columns=[columns[i] for i in sorted(positions)],
            truncate_ragged_lines=True,
            quote_char=None,
        )
    except pl.exceptions.PolarsError:
        frame = None
    if frame is None or frame.height != sum(n for _, _, n in members):
        return {i: _read_or_problem(items[i][0], spec, items[i][1]) for i, _, _ in members}
    # Row numbers and the Totaal filter on the whole group, then one slice per file.
    counts = np.array([n for _, _, n in members])
    member = np.repeat(np.arange(len(members)), counts)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rows = np.arange(counts.sum()) - starts[member] + 2
    frame = frame.with_columns(
        _member=pl.Series(member, dtype=pl.UInt32), source_row=pl.Series(rows, dtype=pl.Int64)
    )
    table = _csv_table(frame, frame.get_column("source_row"), positions, extra, keep=["_member"])
    kept = np.bincount(table.frame.get_column("_member").to_numpy(), minlength=len(members))
    offset = 0
    for (i, _, _), n in zip(members, kept, strict=True):
        out[i] = RawTable(table.frame.slice(offset, int(n)).drop("_member"), extra)
        offset += int(n)
    return out


def _read_csv_by_line(text: str, spec: SourceSpec, label: str) -> RawTable:
    lines = text.splitlines()
    numbered = [(i + 1, line) for i, line in enumerate(lines) if line.strip(" ;\t")]
    if not numbered:
        raise FileProblem(f"{label}: het bestand is leeg")
    header = csv_split(numbered[0][1])
    try:
        positions, extra = _map_header(header, spec, label)
    except FileProblem as problem:
        raise FileProblem(str(problem) + _separator_hint(numbered[0][1])) from None
    columns = [f"c{i}" for i in range(len(header))]
    body = "\n".join(line for _, line in numbered)
    frame = _polars_csv(body, columns, positions) if len(numbered) > 1 else None
    if frame is None or frame.height != len(numbered) - 1:
        frame, rows = _csv_by_record(text, columns, label)
        frame = frame.select([pl.col(f"c{i}") for i in positions])
    else:
        rows = [n for n, _ in numbered[1:]]
    return _csv_table(frame, pl.Series(rows, dtype=pl.Int64), positions, extra)


def _csv_table(
    frame: pl.DataFrame,
    rows: pl.Series,
    positions: dict[int, str],
    extra: list[str],
    keep: list[str] = (),
) -> RawTable:
    frame = frame.with_columns(source_row=rows)
    # A totals row ("Totaal", as in the workbooks) is not data: its first cell says so.
    first = f"c{min(positions)}" if positions else None
    if first is not None and min(positions) == 0:
        is_total = (
            pl.col(first).str.strip_chars_start().str.to_lowercase().str.starts_with("totaal")
        )
        frame = frame.filter(~is_total.fill_null(False))
    selected = frame.select(
        [pl.col(f"c{i}").alias(name) for i, name in positions.items()] + ["source_row", *keep]
    ).with_columns(sheet=pl.lit(None, pl.Utf8))
    return RawTable(selected.select(pl.exclude(keep), *keep), extra)


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
        if any("\n" in c or "\r" in c for c in cells) and any(c.count(";") for c in cells):
            # A quote that swallowed the separators of the following lines.
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


def read_excel(path: Path, spec: SourceSpec, label: str) -> RawTable:
    try:
        reader = fastexcel.read_excel(str(path))
        offsets = _first_used_rows(path)
    except Exception as exc:  # noqa: BLE001 - any reader failure means: not a workbook
        raise _not_a_workbook(label, exc) from exc
    try:
        return _read_sheets(reader, offsets, spec, label)
    except FileProblem:
        raise
    except Exception as exc:  # noqa: BLE001 - a sheet that cannot be read: same thing
        raise _not_a_workbook(label, exc) from exc


def _read_sheets(
    reader: fastexcel.ExcelReader, offsets: dict[str, int], spec: SourceSpec, label: str
) -> RawTable:
    sheets = [spec.sheet] if spec.sheet else reader.sheet_names
    if spec.sheet and spec.sheet not in reader.sheet_names:
        raise FileProblem(f"{label}: tabblad '{spec.sheet}' ontbreekt")
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
            skipped.append(sheet)
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
            skipped.append(sheet)
            continue
        where = f"{label}, blad '{sheet}'"
        try:
            positions, sheet_extra = _map_header(list(rows[header_at]), spec, where)
        except FileProblem as problem:
            header_problem = problem
            continue
        extra.extend(e for e in sheet_extra if e not in extra)
        first_row = offsets.get(sheet, 1)
        value_cols = grid.columns
        first_col = value_cols[min(positions)] if positions else value_cols[0]
        # Empty cells (and cells of only spaces) are NULL here: a row of NULLs is empty.
        non_empty = pl.any_horizontal([pl.col(c).is_not_null() for c in value_cols])
        is_total = (
            pl.col(value_cols[0])
            .str.strip_chars_start()
            .str.to_lowercase()
            .str.starts_with("totaal")
            | pl.col(first_col).str.strip_chars_start().str.to_lowercase().str.starts_with("totaal")
        ).fill_null(False)
        body = (
            grid.slice(header_at + 1)
            .with_columns(
                source_row=pl.int_range(pl.len(), dtype=pl.Int64) + (header_at + 1 + first_row)
            )
            .filter(non_empty & ~is_total)
        )
        frames.append(
            body.select(
                [pl.col(value_cols[i]).alias(name) for i, name in positions.items()]
                + [pl.col("source_row"), pl.lit(sheet).alias("sheet")]
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


def read_file(path: Path, spec: SourceSpec, label: str) -> RawTable:
    """The data rows of one export as text (cells as written, empty cells NULL)."""
    if path.stat().st_size == 0:
        raise FileProblem(f"{label}: het bestand is leeg (0 bytes)")
    if path.suffix.lower() == ".csv":
        return read_csv(path, spec, label)
    return read_excel(path, spec, label)


# --------------------------------------------------------------------------- typing

YES = {"ja", "j", "x", "yes", "y", "1", "true", "waar"}
NO = {"nee", "n", "no", "0", "false", "onwaar"}
UNKNOWN = {"onbekend", "?", "nb", "n.b."}


def _lower(name: str) -> pl.Expr:
    return pl.col(name).str.strip_chars().str.to_lowercase()


# A date with a time of day: a real Excel date-time cell ("2013-01-02 10:30:00") or a
# timestamp in an export ("02-01-2019 10:30"). The date is what counts.
_TIME_OF_DAY = (
    r"^(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4})[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$"
)


def _date_text(raw: pl.Expr) -> pl.Expr:
    return raw.str.strip_chars().str.replace(_TIME_OF_DAY, "${1}")


def typed_column(column: Column) -> tuple[pl.Expr, pl.Expr | None, str, str]:
    """(typed value, bad-value condition or None, rule, problem text) for one column.

    The expressions work on the column's text with blanks already NULL; the framework
    evaluates them once per distinct text (:func:`apply_columns`).
    """
    name = column.field
    raw = pl.col(name)
    if column.kind == "date":
        value = parse_date(_date_text(raw))
        problem = "is geen datum (verwacht dd-mm-jjjj, jjjj-mm-dd of een Excel-datum)"
        return value, raw.is_not_null() & value.is_null(), "date_format", problem
    if column.kind == "yes_no":
        low = _lower(name)
        value = (
            pl.when(raw.is_null())
            .then(False)
            .when(low.is_in(YES))
            .then(True)
            .when(low.is_in(NO))
            .then(False)
        )
        bad = raw.is_not_null() & ~low.is_in(YES | NO)
        return value.otherwise(None), bad, "yes_no", "is geen Ja/Nee of x"
    if column.kind == "yes_no_unknown":
        low = _lower(name)
        value = pl.when(low.is_in(YES)).then(True).when(low.is_in(NO)).then(False).otherwise(None)
        bad = raw.is_not_null() & ~low.is_in(YES | NO | UNKNOWN)
        return value, bad, "yes_no_unknown", "is geen Ja, Nee of Onbekend"
    if column.kind == "choice":
        lookup = {re.sub(r"\s+", " ", c.lower()): c for c in column.choices}
        low = _lower(name).str.replace_all(r"\s+", " ")
        value = low.replace_strict(lookup, default=None, return_dtype=pl.Utf8)
        bad = raw.is_not_null() & value.is_null()
        return value, bad, "choice", "is geen van: " + ", ".join(column.choices)
    if column.kind in {"int", "number"}:
        text = raw.str.replace_all(r"\s", "").str.replace(r"^€", "")
        # Decimal comma: "0,5" and "1.234,5"; a dot alone is a decimal point ("0.5").
        text = (
            pl.when(text.str.contains(","))
            .then(text.str.replace_all(r"\.", "").str.replace(",", "."))
            .otherwise(text)
        )
        number = text.cast(pl.Float64, strict=False)
        bad = raw.is_not_null() & number.is_null()
        problem = "is geen getal"
        if column.kind == "int":
            # Beyond Int64 a whole number would be typed NULL without a word: rejected.
            too_big = number.abs() >= 2.0**63
            bad = bad | (number.is_not_null() & ((number != number.round(0)) | too_big))
            problem = "is geen geheel getal"
        if column.minimum is not None:
            bad = bad | (number < column.minimum).fill_null(False)
        if column.maximum is not None:
            bad = bad | (number > column.maximum).fill_null(False)
        if column.minimum is not None or column.maximum is not None:
            low = "" if column.minimum is None else f"minimaal {column.minimum:g}"
            high = "" if column.maximum is None else f"maximaal {column.maximum:g}"
            problem += f" ({' en '.join(x for x in (low, high) if x)})"
        value = number.cast(pl.Int64, strict=False) if column.kind == "int" else number
        return value, bad, "number", problem
    if column.kind == "bsn":
        normal = normalise_bsn(raw)
        return (
            normal,
            raw.is_not_null() & ~passes_elfproef(normal),
            "bsn_11_proef",
            "BSN voldoet niet aan de 11-proef",
        )
    return raw, None, "", ""


@dataclass(frozen=True)
class Rule:
    """A source-specific rule over typed columns: rows where ``broken`` holds are rejected."""

    column: str
    rule: str
    problem: str
    broken: Callable[[], pl.Expr]


def _blank_to_null(expr: pl.Expr) -> pl.Expr:
    text = expr.str.strip_chars()
    return pl.when(text == "").then(None).otherwise(text)


@dataclass
class _Typed:
    value: pl.Series
    bad: pl.Series | None  # present but not a valid value
    missing: pl.Series  # NULL, empty or only spaces


def _type_by_distinct(raw: pl.Series, column: Column, key: str | None) -> _Typed:
    """Type one column by working out each distinct text once and mapping it back.

    A column of a million cells holds a few thousand distinct dates or a handful of
    choices: parsing those and looking the rest up is far cheaper than parsing every
    cell, with the same result. For a BSN column with a ``key`` the value is the
    pseudonym: the normalised BSN never becomes a column of its own.
    """
    value_expr, bad_expr, _, _ = typed_column(column)
    name = column.field
    raw = raw.cast(pl.Utf8) if raw.dtype != pl.Utf8 else raw
    distinct = raw.drop_nulls().unique()
    small = pl.DataFrame({name: distinct}).with_columns(_blank_to_null(pl.col(name)).alias(name))
    typed = small.select(
        value_expr.alias("value"),
        (bad_expr if bad_expr is not None else pl.lit(False)).fill_null(False).alias("bad"),
        pl.col(name).is_null().alias("missing"),
    )
    if column.kind == "bsn" and key is not None:
        # "10000008", "010000008" and "10000008.0" are one BSN: hash each BSN once.
        valid = typed.get_column("value").filter(~typed.get_column("bad")).drop_nulls().unique()
        typed = typed.with_columns(
            value=pl.when(~pl.col("bad")).then(
                pl.col("value").replace_strict(
                    valid, pseudonymise(valid, key), default=None, return_dtype=pl.Utf8
                )
                if valid.len()
                else pl.lit(None, pl.Utf8)
            )
        )
    # What a NULL (or blank) cell types to: NULL, or False for a yes/no column.
    at_null = pl.DataFrame({name: [None]}, schema={name: pl.Utf8}).select(value_expr).item()
    dtype = typed.schema["value"] if typed.height else _kind_dtype(column)
    if distinct.len():
        lookup = raw.to_frame("_raw").join(
            typed.with_columns(_raw=distinct), on="_raw", how="left", maintain_order="left"
        )
        value = lookup.get_column("value")
        missing = lookup.get_column("missing").fill_null(True)
        bad = lookup.get_column("bad").fill_null(False)
    else:
        value = pl.Series(name, [None] * raw.len(), dtype=dtype)
        missing = pl.Series([True] * raw.len(), dtype=pl.Boolean)
        bad = pl.Series([False] * raw.len(), dtype=pl.Boolean)
    if at_null is not None:
        value = (
            value.to_frame("v")
            .select(pl.when(missing).then(pl.lit(at_null)).otherwise(pl.col("v")))
            .to_series()
        )
    return _Typed(value.alias(name), bad if bad_expr is not None else None, missing)


def _kind_dtype(column: Column) -> pl.DataType:
    return {
        "date": pl.Date,
        "yes_no": pl.Boolean,
        "yes_no_unknown": pl.Boolean,
        "int": pl.Int64,
        "number": pl.Float64,
    }.get(column.kind, pl.Utf8)


def apply_columns(
    raw: pl.DataFrame,
    spec: SourceSpec,
    rules: Iterable[Rule] = (),
    *,
    key: str | None = None,
    keep: Iterable[str] = (),
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Type every declared column; return (typed rows that pass, problems of the rest).

    A value that is present but cannot be typed, a required value that is empty, and a
    broken source rule all reject the row. Problems never carry a sensitive value.
    With ``key``, the BSN column becomes ``person_key`` (its keyed pseudonym). Columns
    in ``keep`` are carried along untouched (a parser's own helper columns).
    """
    frame = raw
    if FILE not in frame.columns:
        frame = frame.with_columns(pl.lit(0, pl.Int32).alias(FILE))
    if POS not in frame.columns:
        frame = frame.with_columns(pl.int_range(pl.len(), dtype=pl.UInt32).alias(POS))
    if "sheet" not in frame.columns:
        frame = frame.with_columns(sheet=pl.lit(None, pl.Utf8))
    present = [c for c in spec.columns if c.field in frame.columns]
    with stage("validate"):
        # Text columns: trimmed, and NULL when empty or only spaces.
        frame = frame.with_columns(
            [
                _blank_to_null(pl.col(c.field).cast(pl.Utf8)).alias(c.field)
                for c in present
                if c.kind == "text"
            ]
        )
        typed_values: list[pl.Series | pl.Expr] = []
        checks: list[tuple[str, str, str, pl.Series, str | None]] = []
        for column in spec.columns:
            out_name = "person_key" if (column.kind == "bsn" and key is not None) else column.field
            if column.field not in frame.columns:
                typed_values.append(_constant_for_missing(column, frame.height).alias(out_name))
                if column.required:
                    always = pl.Series([True] * frame.height, dtype=pl.Boolean)
                    checks.append(
                        (column.header, "required", "verplicht veld is leeg", always, None)
                    )
                continue
            if column.kind == "text":
                typed_values.append(pl.col(column.field).alias(out_name))
                missing = frame.get_column(column.field).is_null()
                bad = None
            else:
                result = _type_by_distinct(frame.get_column(column.field), column, key)
                typed_values.append(result.value.alias(out_name))
                missing, bad = result.missing, result.bad
            if column.required:
                checks.append((column.header, "required", "verplicht veld is leeg", missing, None))
            if bad is not None:
                _, _, rule, problem = typed_column(column)
                show = None if column.sensitive else column.field
                checks.append((column.header, rule, problem, bad, show))
        flag_names = [f"_bad{i}" for i in range(len(checks))]
        typed = frame.with_columns(
            [check[3].alias(name) for check, name in zip(checks, flag_names, strict=True)]
        )
        text_for_messages = typed.select(FILE, "source_row", "sheet", *[c.field for c in present])
        typed = typed.with_columns(typed_values)
        rule_list = list(rules)
        rule_names = [f"_rule{i}" for i in range(len(rule_list))]
        typed = typed.with_columns(
            [
                r.broken().fill_null(False).alias(n)
                for r, n in zip(rule_list, rule_names, strict=True)
            ]
        )
        # Count every flag in one pass and filter only the ones that fire: most files
        # have no or few problems, and a filter per check costs more than the check.
        counts = (
            typed.select([pl.col(n).sum() for n in flag_names + rule_names]).row(0)
            if flag_names or rule_names
            else ()
        )
        problems = []
        for i, (header, rule, problem, _flag, show) in enumerate(checks):
            if not counts[i]:
                continue
            hit = text_for_messages.filter(typed.get_column(flag_names[i]))
            text = (
                pl.format("'{}' " + problem, pl.col(show).str.strip_chars())
                if show
                else pl.lit(problem)
            )
            problems.append(
                hit.select(
                    FILE,
                    "source_row",
                    "sheet",
                    pl.lit(header).alias("column"),
                    pl.lit(rule).alias("rule"),
                    text.alias("problem"),
                )
            )
        any_check = pl.any_horizontal([pl.col(n) for n in flag_names] or [pl.lit(False)])
        for i, r in enumerate(rule_list):
            if not counts[len(checks) + i]:
                continue
            hit = typed.filter(pl.col(rule_names[i]) & ~any_check)
            if hit.height:
                problems.append(
                    hit.select(
                        FILE,
                        "source_row",
                        "sheet",
                        pl.lit(r.column).alias("column"),
                        pl.lit(r.rule).alias("rule"),
                        pl.lit(r.problem).alias("problem"),
                    )
                )
        fired = any(counts)
        kept = (
            typed.filter(
                ~pl.any_horizontal([pl.col(n) for n in flag_names + rule_names] or [pl.lit(False)])
            )
            if fired
            else typed
        )
        output = [
            "person_key" if (c.kind == "bsn" and key is not None) else c.field for c in spec.columns
        ]
        good = kept.select(*output, "source_row", "sheet", FILE, POS, *keep)
        rejected = (
            pl.concat(problems).cast(PROBLEM_SCHEMA) if problems else empty_problems()
        ).sort(FILE, "sheet", "source_row", nulls_last=False)
    return good, rejected


def _constant_for_missing(column: Column, height: int) -> pl.Series:
    """The typed value of an optional column a file does not have: as if every cell were
    empty (NULL, or False for a yes/no column)."""
    value_expr, *_ = typed_column(column)
    at_null = pl.DataFrame({column.field: [None]}, schema={column.field: pl.Utf8}).select(
        value_expr
    )
    dtype = at_null.to_series().dtype
    dtype = _kind_dtype(column) if dtype == pl.Null else dtype
    return pl.Series(column.field, [at_null.item()] * height, dtype=dtype)


def empty_problems() -> pl.DataFrame:
    return pl.DataFrame(schema=PROBLEM_SCHEMA)


# --------------------------------------------------------------------------- a source

QUALITY_SCHEMA = {
    "source": pl.Utf8,
    "file": pl.Utf8,
    "sheet": pl.Utf8,
    "row_number": pl.Int64,
    "column": pl.Utf8,
    "rule": pl.Utf8,
    "message": pl.Utf8,
}

LEDGER_SCHEMA = {
    "file": pl.Utf8,
    "sha256": pl.Utf8,
    "source": pl.Utf8,
    "status": pl.Utf8,
    "rows_read": pl.Int64,
    "rows_loaded": pl.Int64,
    "rows_rejected": pl.Int64,
    "error": pl.Utf8,
    "extra_columns": pl.Utf8,
}


def region_slug(region: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", region.lower()).strip("-")


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
        "column",
        "rule",
        _quality_message(label).alias("message"),
    ).cast(QUALITY_SCHEMA)


@dataclass
class SourceResult:
    """Everything one source contributed to a run."""

    rows: pl.DataFrame
    ledger: pl.DataFrame
    rejected: pl.DataFrame
    warnings: pl.DataFrame
    log_lines: list[str]

    def rows_of(self, persons: pl.Series) -> pl.DataFrame:
        """The loaded rows of these persons (``person_key``)."""
        if self.rows.height == 0:
            return self.rows
        return self.rows.filter(pl.col("person_key").is_in(persons.implode()))

    def log_records(self, source: str | None = None) -> list[tuple[str, str]]:
        """What a run logs about this source: ``(level, message)``.

        A failed file is a warning of its own; a file with something to say (a
        duplicate, ignored files, extra columns, skipped sheets, rejected rows) gets a
        line, the first ten of them at least; the files that loaded without remarks are
        summed up in one line. Every file is in ``quality.file_ledger`` either way: a
        line per file of a thousand monthly exports would bury the lines that matter.
        The lines that are not warnings are one message of several lines: each message
        is an event that Dagster stores (~20 ms), the lines are what a person reads.
        """
        records: list[tuple[str, str]] = []
        info: list[str] = []
        plain = 0
        rows = 0
        remarks = 0
        name = source or (self.ledger.get_column("source")[0] if self.ledger.height else "")
        for line in self.log_lines:
            if " failed: " in line:
                records.append(("warning", line))
            elif _is_plain_load(line):
                plain += 1
                rows += int(line.rsplit(" loaded: ", 1)[1].split(" ", 1)[0])
            else:
                remarks += 1
                if remarks <= MAX_REMARK_LINES:
                    info.append(line)
        if remarks > MAX_REMARK_LINES:
            info.append(
                f"{name}: en nog {remarks - MAX_REMARK_LINES} bestand(en) met opmerkingen "
                "(afgewezen rijen, extra kolommen, duplicaten); zie quality.file_ledger"
            )
        if plain:
            info.append(
                f"{name}: {plain} bestand(en) geladen zonder afgewezen rijen of "
                f"bijzonderheden ({rows} rijen); zie quality.file_ledger"
            )
        if info:
            records.append(("info", "\n".join(info)))
        return records


# Files with a remark (rejected rows, extra columns, a duplicate) logged one by one; the
# rest of them is counted. Failed files are always logged one by one.
MAX_REMARK_LINES = 10
_PLAIN_LOAD = re.compile(r" loaded: (\d+) gelezen, \1 geladen, 0 afgewezen$")


def _is_plain_load(line: str) -> bool:
    return bool(_PLAIN_LOAD.search(line))


Parser = Callable[[RawTable, str], Parsed]


@dataclass
class _Candidate:
    """A file to load: not a duplicate, hashed, in a region folder where needed."""

    order: int  # position among all files of the source (path order)
    path: Path
    label: str
    sha: str
    region: str | None


def ingest_source(
    raw_dir: Path,
    spec: SourceSpec,
    parser: Parser,
    key: str,
    regions: dict[str, str] | None = None,
    cache_dir: Path | None = None,
) -> SourceResult:
    """Read every file of one source; never raise for a bad file.

    ``regions`` maps a folder slug to the region's display name, for the sources whose
    region is the first folder below the source folder. With ``cache_dir``, a file
    parsed before (same bytes, same code, same key) is taken from the parse cache
    instead of being read again: the nightly run after one new export re-reads one file.
    """
    from nazorg.parse_cache import Batch, ParseCache

    if not raw_dir.is_dir():
        # Not "no files": a wrong NAZORG_RAW_DIR (or an unmounted share) must not publish
        # an empty warehouse over the last good one.
        raise FileNotFoundError(
            f"De invoermap {raw_dir} bestaat niet (NAZORG_RAW_DIR); controleer het pad."
        )
    files, ignored = discover(raw_dir / spec.folder)
    log = [
        f"{spec.name}: {p.relative_to(raw_dir).as_posix()} genegeerd "
        + ("(Excel-vergrendelbestand)" if p.name.startswith("~$") else "(geen .csv of .xlsx)")
        for p in ignored
    ]
    labels = [p.relative_to(raw_dir).as_posix() for p in files]
    with stage("read"), ThreadPoolExecutor(READ_THREADS) as pool:
        digests = list(pool.map(_sha256_or_error, files))
    entries = [{c: None for c in LEDGER_SCHEMA} | {"file": f, "source": spec.name} for f in labels]
    failures: dict[int, str] = {}
    candidates: list[_Candidate] = []
    seen: dict[str, str] = {}
    for order, (path, label, digest) in enumerate(zip(files, labels, digests, strict=True)):
        if isinstance(digest, OSError):
            # Gone since discovery (moved while the run started) or not readable.
            failures[order] = (
                f"{label}: het bestand kon niet geopend worden ({type(digest).__name__})"
            )
            continue
        entries[order]["sha256"] = digest
        if digest in seen:
            entries[order]["status"] = "duplicate"
            continue
        seen[digest] = label
        try:
            region = (
                _region_of(path, raw_dir / spec.folder, regions or {}, label)
                if spec.region_from_folder
                else None
            )
        except FileProblem as problem:
            failures[order] = str(problem)
            continue
        candidates.append(_Candidate(order, path, label, digest, region))

    cache = ParseCache(cache_dir, spec, parser, key) if cache_dir else None
    with stage("read"):
        batches: list[Batch] = cache.load({c.sha for c in candidates}) if cache else []
    cached = {sha for batch in batches for sha in batch.shas}
    to_read = [c for c in candidates if c.sha not in cached]
    with stage("read"):
        tables = _read_all(to_read, spec)
    read_ok: list[tuple[_Candidate, RawTable]] = []
    for candidate, table in zip(to_read, tables, strict=True):
        if isinstance(table, FileProblem):
            failures[candidate.order] = str(table)
        else:
            read_ok.append((candidate, table))
    with stage("validate"):  # typing the rows is checking them
        parsed_ok, parse_failures = _parse_batch(parser, read_ok, key)
    failures |= parse_failures
    if parsed_ok is not None:
        batches.append(parsed_ok)
    if cache:
        # Written while the run goes on (the next read of this source waits for it).
        cache.store_and_prune_later(parsed_ok, {c.sha for c in candidates})

    for order, problem in failures.items():
        entries[order] |= {"status": "failed", "error": problem}
    with stage("read"):
        result = _assemble(spec, candidates, batches, failures, entries)
    for order, entry in enumerate(entries):
        label = labels[order]
        if entry["status"] == "duplicate":
            log.append(
                f"{spec.name}: {label} duplicate (zelfde inhoud als {seen[entry['sha256']]})"
            )
        elif entry["status"] == "failed":
            log.append(f"{spec.name}: {label} failed: {entry['error']}")
        elif entry["status"] == "loaded":
            extra = (
                f"; extra kolommen genegeerd: {entry['extra_columns']}"
                if entry["extra_columns"]
                else ""
            )
            if entry.get("_skipped"):
                names = ", ".join(f"'{s}'" for s in entry["_skipped"])
                extra += f"; tabbladen zonder kopregel overgeslagen: {names}"
            log.append(
                f"{spec.name}: {label} loaded: {entry['rows_read']} gelezen, "
                f"{entry['rows_loaded']} geladen, {entry['rows_rejected']} afgewezen{extra}"
            )
    result.ledger = pl.DataFrame(
        [{c: e[c] for c in LEDGER_SCHEMA} for e in entries], schema=LEDGER_SCHEMA
    )
    result.log_lines = log
    return result


def _sha256_or_error(path: Path) -> str | OSError:
    try:
        return sha256_of(path)
    except OSError as exc:
        return exc


def _read_all(candidates: list[_Candidate], spec: SourceSpec) -> list[RawTable | FileProblem]:
    """CSV exports together (:func:`read_csvs`), workbooks a few at a time (calamine
    releases the GIL while it parses a sheet)."""
    tables: dict[int, RawTable | FileProblem] = {}
    csvs = [c for c in candidates if c.path.suffix.lower() == ".csv"]
    for candidate, table in zip(
        csvs, read_csvs([(c.path, c.label) for c in csvs], spec), strict=True
    ):
        tables[candidate.order] = table
    others = [c for c in candidates if c.path.suffix.lower() != ".csv"]
    with ThreadPoolExecutor(READ_THREADS) as pool:
        for candidate, table in zip(
            others, pool.map(lambda c: _read_or_problem(c.path, spec, c.label), others), strict=True
        ):
            tables[candidate.order] = table
    return [tables[c.order] for c in candidates]


def _read_or_problem(path: Path, spec: SourceSpec, label: str) -> RawTable | FileProblem:
    try:
        return read_file(path, spec, label)
    except FileProblem as problem:
        # Without its traceback: that holds the frames of the callers up to the asset,
        # and the asset's DuckDB connection with them, in a cycle with the list this
        # problem is kept in. The command line ends without a final collection
        # (pipelines/__init__.py), so the connection was reported leaked at exit.
        return problem.with_traceback(None)
    except Exception as exc:  # noqa: BLE001 - one bad file never fails the run
        return _unexpected(label, exc)


def _parse_batch(parser: Parser, tables: list[tuple[_Candidate, RawTable]], key: str):
    """Parse the files read in one go; if the parser fails on the batch, parse them one by
    one, so that only the file that breaks it fails. Returns (batch or None, failures)."""
    from nazorg.parse_cache import Batch

    if not tables:
        return None, {}
    try:
        return Batch.of_parsed([c.sha for c, _ in tables], _run_parser(parser, tables, key)), {}
    except Exception:  # noqa: BLE001 - find the file that breaks the parser
        if len(tables) == 1:
            candidate = tables[0][0]
            return None, {candidate.order: str(_unexpected_or_problem(parser, tables[0], key))}
    good: list[tuple[_Candidate, RawTable]] = []
    failures: dict[int, str] = {}
    for item in tables:
        try:
            _run_parser(parser, [item], key)
            good.append(item)
        except Exception:  # noqa: BLE001
            failures[item[0].order] = str(_unexpected_or_problem(parser, item, key))
    if not good:
        return None, failures
    return Batch.of_parsed([c.sha for c, _ in good], _run_parser(parser, good, key)), failures


def _unexpected_or_problem(parser: Parser, item: tuple[_Candidate, RawTable], key: str):
    try:
        _run_parser(parser, [item], key)
    except FileProblem as problem:
        return problem
    except Exception as exc:  # noqa: BLE001
        return _unexpected(item[0].label, exc)
    return _unexpected(item[0].label, RuntimeError())


def _run_parser(parser: Parser, tables: list[tuple[_Candidate, RawTable]], key: str) -> Parsed:
    frames = [
        table.frame.with_columns(
            pl.lit(i, pl.Int32).alias(FILE), pl.int_range(pl.len(), dtype=pl.UInt32).alias(POS)
        )
        for i, (_, table) in enumerate(tables)
    ]
    extra = [e for _, t in tables for e in t.extra_columns]
    raw = RawTable(pl.concat(frames, how="diagonal_relaxed"), extra)
    parsed = parser(raw, key)
    frames_out = []
    for frame in (parsed.rows, parsed.rejected, parsed.warnings):
        if FILE not in frame.columns:
            if len(tables) > 1:
                raise ValueError("parser output without _file for a batch of files")
            frame = frame.with_columns(pl.lit(0, pl.Int32).alias(FILE))
        frames_out.append(frame)
    rows, rejected, warnings = frames_out
    if POS not in rows.columns:
        raise ValueError("parser output without _pos")
    meta = pl.DataFrame(
        {
            FILE: pl.Series(range(len(tables)), dtype=pl.Int32),
            "rows_read": [t.frame.height for _, t in tables],
            "extra_columns": [", ".join(t.extra_columns) or None for _, t in tables],
            "skipped_sheets": ["\n".join(t.skipped_sheets) or None for _, t in tables],
        },
        schema={
            FILE: pl.Int32,
            "rows_read": pl.Int64,
            "extra_columns": pl.Utf8,
            "skipped_sheets": pl.Utf8,
        },
    )
    return Parsed(rows, rejected.cast(PROBLEM_SCHEMA), warnings.cast(PROBLEM_SCHEMA)), meta


def _assemble(spec, candidates, batches, failures, entries) -> SourceResult:
    """The rows and quality rows of every loaded file, in file order, from the batches
    (cached and new) that hold them; the ledger counts filled in."""
    loaded = [c for c in candidates if c.order not in failures]
    by_sha = {c.sha: c for c in loaded}
    rows, rejected, warnings, metas = [], [], [], []
    taken: set[str] = set()
    for batch in batches:
        # Map the batch's file index to the file's place in this run (or drop it).
        index = [
            (i, by_sha[sha].order)
            for i, sha in enumerate(batch.shas)
            if sha in by_sha and sha not in taken
        ]
        taken |= {batch.shas[i] for i, _ in index}
        if not index:
            continue
        old = pl.Series([i for i, _ in index], dtype=pl.Int32)
        new = pl.Series([o for _, o in index], dtype=pl.Int32)

        whole = len(index) == len(batch.shas)

        def remap(frame: pl.DataFrame, old=old, new=new, whole=whole) -> pl.DataFrame:
            if not whole:  # only some of the batch's files are still there
                frame = frame.filter(pl.col(FILE).is_in(old.implode()))
            return frame.with_columns(pl.col(FILE).replace_strict(old, new, return_dtype=pl.Int32))

        rows.append(remap(batch.parsed.rows))
        rejected.append(remap(batch.parsed.rejected))
        warnings.append(remap(batch.parsed.warnings))
        metas.append(remap(batch.meta))
    if not loaded:
        return SourceResult(
            rows=pl.DataFrame(),
            ledger=pl.DataFrame(schema=LEDGER_SCHEMA),
            rejected=pl.DataFrame(schema=QUALITY_SCHEMA),
            warnings=pl.DataFrame(schema=QUALITY_SCHEMA),
            log_lines=[],
        )
    files = pl.DataFrame(
        {
            FILE: pl.Series([c.order for c in loaded], dtype=pl.Int32),
            "source_file": [c.label for c in loaded],
            "region": pl.Series([c.region for c in loaded], dtype=pl.Utf8),
        }
    )
    all_rows = pl.concat(rows, how="diagonal_relaxed")
    # One batch parsed now holds its files in path order already: no sort needed.
    in_order = all_rows.select(
        (pl.col(FILE).diff().fill_null(0) >= 0).all()
        & ((pl.col(FILE).diff() != 0) | (pl.col(POS).diff() > 0)).fill_null(True).all()
    ).item()
    if not in_order:
        all_rows = all_rows.sort(FILE, POS)
    order = files.get_column(FILE)
    labelled = all_rows.with_columns(
        source_file=pl.col(FILE).replace_strict(order, files.get_column("source_file")),
        **(
            {"region": pl.col(FILE).replace_strict(order, files.get_column("region"))}
            if spec.region_from_folder
            else {}
        ),
    )
    quality_files = files.select(FILE, "source_file")

    def quality(frames: list[pl.DataFrame]) -> pl.DataFrame:
        problems = pl.concat(frames) if frames else empty_problems()
        if problems.height == 0:
            return pl.DataFrame(schema=QUALITY_SCHEMA)
        problems = problems.sort(FILE, "sheet", "source_row", nulls_last=False).join(
            quality_files, on=FILE, how="left", maintain_order="left"
        )
        return quality_rows(problems, spec.name, pl.col("source_file"))

    quality_rejected = quality(rejected)
    meta = pl.concat(metas)
    loaded_counts = dict(all_rows.group_by(FILE).len().iter_rows())
    rejected_all = pl.concat(rejected) if rejected else empty_problems()
    rejected_counts = dict(
        rejected_all.select(FILE, "sheet", "source_row").unique().group_by(FILE).len().iter_rows()
    )
    for order, rows_read, extra, skipped in meta.iter_rows():
        entries[order] |= {
            "status": "loaded",
            "rows_read": rows_read,
            "rows_loaded": loaded_counts.get(order, 0),
            "rows_rejected": rejected_counts.get(order, 0),
            "extra_columns": extra,
            "_skipped": [s for s in (skipped or "").split("\n") if s],
        }
    return SourceResult(
        rows=labelled.drop(FILE, POS),
        ledger=pl.DataFrame(schema=LEDGER_SCHEMA),  # filled in by the caller
        rejected=quality_rejected,
        warnings=quality(warnings),
        log_lines=[],
    )


def _unexpected(label: str, exc: Exception) -> FileProblem:
    """A reader or parser error nobody foresaw. Only the error's type is kept: its text
    may quote a cell, and a cell may be a BSN."""
    return FileProblem(
        f"{label}: het bestand kon niet verwerkt worden door een onverwachte fout "
        f"({type(exc).__name__}); controleer of het een gewone export is en meld het "
        "bestand aan de beheerder van de pipeline"
    )


def _region_of(path: Path, source_dir: Path, regions: dict[str, str], label: str) -> str:
    parts = path.relative_to(source_dir).parts
    if len(parts) < 2:
        raise FileProblem(
            f"{label}: staat niet in een regiomap; zet het in bijvoorbeeld "
            f"{source_dir.name}/{next(iter(regions), 'gooi-en-vechtstreek')}/"
        )
    if parts[0] not in regions:
        raise FileProblem(
            f"{label}: onbekende regiomap '{parts[0]}' (bekend: {', '.join(sorted(regions))})"
        )
    return regions[parts[0]]
