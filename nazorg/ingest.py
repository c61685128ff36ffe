"""The ingestion framework shared by every source.

A source is declared as a :class:`SourceSpec` (its folder and its columns). For each
file below the source folder the framework

1. identifies the file by the SHA-256 of its bytes (the same bytes under another name
   are loaded once; the later path is recorded as ``duplicate``);
2. reads it as text: CSV (``;``, UTF-8 with or without BOM or Windows-1252) or Excel
   (every sheet that carries the header, title rows above it, ``Totaal`` rows and empty
   rows skipped), matching headers case- and space-insensitively in any order;
3. types every column by its declared kind and turns each broken rule into a
   :class:`Problem` that names file, row and column in Dutch.

Names, initials and free-text remarks are never read into a frame; the BSN is
pseudonymised by the source's parser before anything is stored. A file that cannot
be read at all raises :class:`FileProblem`, which the caller records as ``failed``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import fastexcel
import polars as pl

from nazorg.bsn import normalise_bsn, passes_elfproef, pseudonymise
from nazorg.dates import parse_date
from nazorg.timing import stage

# Columns that must never be read into a frame (privacy), in any source.
NEVER_READ = frozenset({"naam", "achternaam", "voorletters", "opmerkingen", "opmerking"})

HEADER_SEARCH_ROWS = 50


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
    """The data rows of one file as text, with the row number a person sees."""

    frame: pl.DataFrame  # one Utf8 column per declared field present, + source_row, sheet
    extra_columns: list[str] = field(default_factory=list)
    skipped_sheets: list[str] = field(default_factory=list)


PROBLEM_SCHEMA = {
    "source_row": pl.Int64,
    "sheet": pl.Utf8,
    "column": pl.Utf8,
    "rule": pl.Utf8,
    "problem": pl.Utf8,
}


@dataclass
class Parsed:
    """What a source parser makes of one file."""

    rows: pl.DataFrame  # typed, pseudonymised rows that load (with source_row)
    rejected: pl.DataFrame  # PROBLEM_SCHEMA: rows that do not load, one line per problem
    warnings: pl.DataFrame  # PROBLEM_SCHEMA: rows that load with a field set aside


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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


def read_csv(path: Path, spec: SourceSpec, label: str) -> RawTable:
    text = decode_text(path.read_bytes())
    lines = text.splitlines()
    numbered = [(i + 1, line) for i, line in enumerate(lines) if line.strip(" ;\t")]
    if not numbered:
        raise FileProblem(f"{label}: het bestand is leeg")
    header_line = csv_split(numbered[0][1])
    try:
        positions, extra = _map_header(header_line, spec, label)
    except FileProblem as problem:
        raise FileProblem(str(problem) + _separator_hint(numbered[0][1])) from None
    columns = [f"c{i}" for i in range(len(header_line))]
    data = numbered[1:]
    frame = _csv_fast(numbered, columns) if data else None
    if frame is None:
        # A quoted cell over several lines (Excel writes one for a remark with a line
        # break), or a quote that is never closed: read record by record instead.
        frame, rows = _csv_by_record(text, columns, label)
    else:
        rows = [n for n, _ in data]
    frame = frame.with_columns(source_row=pl.Series(rows, dtype=pl.Int64))
    # A totals row ("Totaal", as in the workbooks) is not data.
    first = pl.col(columns[0]).str.strip_chars().str.to_lowercase().str.starts_with("totaal")
    frame = frame.filter(~first.fill_null(False))
    selected = frame.select(
        [pl.col(f"c{i}").alias(name) for i, name in positions.items()] + ["source_row"]
    ).with_columns(sheet=pl.lit(None, pl.Utf8))
    return RawTable(_blank_to_null(selected), extra)


def _csv_fast(numbered: list[tuple[int, str]], columns: list[str]) -> pl.DataFrame | None:
    """One record per non-empty line (the normal case), parsed by Polars; None when the
    file does not split that way."""
    body = "\n".join(line for _, line in numbered)
    try:
        frame = pl.read_csv(
            io.StringIO(body),
            separator=";",
            infer_schema=False,
            has_header=True,
            new_columns=columns,
            truncate_ragged_lines=True,
            quote_char='"',
        )
    except pl.exceptions.PolarsError:
        return None
    if frame.height != len(numbered) - 1 or frame.width != len(columns):
        return None
    return frame


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
    return frame, rows


def _separator_hint(header: str) -> str:
    if ";" not in header and ("," in header or "\t" in header):
        sep = "een tab" if "\t" in header else "een komma"
        return f" (de kopregel is gescheiden door {sep}; verwacht wordt ';')"
    return ""


def csv_split(line: str) -> list[str]:
    return [cell.strip().strip('"') for cell in line.split(";")]


def _first_used_rows(path: Path) -> dict[str, int]:
    """Sheet name → number of the first row that holds a value.

    calamine (fastexcel) starts a sheet at its first used row, so without this offset
    the row numbers in messages would be wrong for sheets that start with empty rows.
    """
    ns = {
        "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
        "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    }
    result: dict[str, int] = {}
    with zipfile.ZipFile(path) as archive:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target") for r in rels}
        for sheet in book.iter(f"{{{ns['m']}}}sheet"):
            target = targets.get(sheet.get(f"{{{ns['r']}}}id"), "")
            member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            first = 1
            try:
                with archive.open(member) as xml:
                    for _, element in ElementTree.iterparse(xml):
                        if element.tag == f"{{{ns['m']}}}c" and _has_value(element, ns):
                            ref = element.get("r", "A1")
                            first = int(re.sub(r"[A-Z]+", "", ref))
                            break
            except (KeyError, ValueError, ElementTree.ParseError):
                pass  # calamine decides whether the sheet is readable at all
            result[sheet.get("name")] = first
    return result


def _has_value(cell: ElementTree.Element, ns: dict[str, str]) -> bool:
    """A cell calamine reads: a value or inline string, not an empty one (openpyxl writes
    formulas without a cached value as an empty ``<v/>``)."""
    value = cell.find("m:v", ns)
    if value is not None and (value.text or "").strip():
        return True
    inline = cell.find("m:is", ns)
    return inline is not None and bool("".join(inline.itertext()).strip())


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
        grid = reader.load_sheet(sheet, header_row=None, dtypes="string").to_polars()
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
        body = grid.slice(header_at + 1).with_row_index("_i")
        body = body.with_columns(
            source_row=(pl.col("_i") + header_at + 1 + first_row).cast(pl.Int64)
        )
        value_cols = grid.columns
        first_col = value_cols[min(positions)] if positions else value_cols[0]
        non_empty = pl.any_horizontal(
            [pl.col(c).is_not_null() & (pl.col(c).str.strip_chars() != "") for c in value_cols]
        )
        is_total = (
            pl.col(value_cols[0]).str.strip_chars().str.to_lowercase().str.starts_with("totaal")
            | pl.col(first_col).str.strip_chars().str.to_lowercase().str.starts_with("totaal")
        ).fill_null(False)
        body = body.filter(non_empty & ~is_total)
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
    return RawTable(_blank_to_null(pl.concat(frames, how="diagonal")), extra, skipped)


def _blank_to_null(frame: pl.DataFrame) -> pl.DataFrame:
    text_cols = [c for c, t in frame.schema.items() if t == pl.Utf8 and c != "sheet"]
    return frame.with_columns(
        [
            pl.when(pl.col(c).str.strip_chars() == "")
            .then(None)
            .otherwise(pl.col(c).str.strip_chars())
            .alias(c)
            for c in text_cols
        ]
    )


def read_file(path: Path, spec: SourceSpec, label: str) -> RawTable:
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
    """(typed value, bad-value condition or None, rule, problem text) for one column."""
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
        value = low.replace_strict(lookup, default=None)
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
            bad = bad | (number.is_not_null() & (number != number.round(0)))
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


def apply_columns(
    raw: pl.DataFrame, spec: SourceSpec, rules: Iterable[Rule] = ()
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Type every declared column; return (typed rows that pass, problems of the rest).

    A value that is present but cannot be typed, a required value that is empty, and a
    broken source rule all reject the row. Problems never carry a sensitive value.
    """
    present = [c for c in spec.columns if c.field in raw.columns]
    missing_optional = [c.field for c in spec.columns if c.field not in raw.columns]
    # Missing is an empty cell or only spaces, also in a frame not made by read_file.
    frame = raw.with_columns(
        [
            pl.when(pl.col(c.field).str.strip_chars() == "")
            .then(None)
            .otherwise(pl.col(c.field))
            .alias(c.field)
            for c in present
            if raw.schema[c.field] == pl.Utf8
        ]
        + [pl.lit(None, pl.Utf8).alias(f) for f in missing_optional]
    )
    checks: list[tuple[str, str, str, pl.Expr, str | None]] = []
    typed_exprs = []
    for column in spec.columns:
        value, bad, rule, problem = typed_column(column)
        typed_exprs.append(value.alias(column.field))
        if column.required:
            checks.append(
                (
                    column.header,
                    "required",
                    "verplicht veld is leeg",
                    pl.col(column.field).is_null(),
                    None,
                )
            )
        if bad is not None and column in present:
            show = None if column.sensitive else column.field
            checks.append((column.header, rule, problem, bad, show))
    flags = frame.with_columns(
        [cond.fill_null(False).alias(f"_bad{i}") for i, (*_, cond, _s) in enumerate(checks)]
    )
    typed = flags.with_columns(typed_exprs)
    rule_list = list(rules)
    typed = typed.with_columns(
        [r.broken().fill_null(False).alias(f"_rule{i}") for i, r in enumerate(rule_list)]
    )
    # Count every flag in one pass and filter only the ones that fire: most files have
    # no or few problems, and a filter per check costs more than the check itself.
    counts = typed.select(
        [pl.col(f"_bad{i}").sum() for i in range(len(checks))]
        + [pl.col(f"_rule{i}").sum() for i in range(len(rule_list))]
    ).row(0) if checks or rule_list else ()
    firing_checks = {i for i in range(len(checks)) if counts[i]}
    firing_rules = {i for i in range(len(rule_list)) if counts[len(checks) + i]}
    problems = []
    for i, (header, rule, problem, _cond, show) in enumerate(checks):
        if i not in firing_checks:
            continue
        hit = flags.filter(pl.col(f"_bad{i}"))
        if hit.height:
            text = pl.format("'{}' " + problem, pl.col(show)) if show else pl.lit(problem)
            problems.append(
                hit.select(
                    "source_row",
                    "sheet",
                    pl.lit(header).alias("column"),
                    pl.lit(rule).alias("rule"),
                    text.alias("problem"),
                )
            )
    for i, r in enumerate(rule_list):
        if i not in firing_rules:
            continue
        hit = typed.filter(
            pl.col(f"_rule{i}")
            & ~pl.any_horizontal(
                [pl.col(f"_bad{j}") for j in range(len(checks))] or [pl.lit(False)]
            )
        )
        if hit.height:
            problems.append(
                hit.select(
                    "source_row",
                    "sheet",
                    pl.lit(r.column).alias("column"),
                    pl.lit(r.rule).alias("rule"),
                    pl.lit(r.problem).alias("problem"),
                )
            )
    bad_any = pl.any_horizontal(
        [pl.col(f"_bad{i}") for i in range(len(checks))]
        + [pl.col(f"_rule{i}") for i in range(len(rule_list))]
        or [pl.lit(False)]
    )
    kept = typed if not (firing_checks or firing_rules) else typed.filter(~bad_any)
    good = kept.select([c.field for c in spec.columns] + ["source_row", "sheet"])
    rejected = (pl.concat(problems) if problems else pl.DataFrame(schema=PROBLEM_SCHEMA)).sort(
        "sheet", "source_row", nulls_last=False
    )
    return good, rejected


def with_person_key(frame: pl.DataFrame, key: str, bsn_field: str = "bsn") -> pl.DataFrame:
    """Replace the BSN by its keyed pseudonym; the BSN column is gone afterwards."""
    return frame.with_columns(person_key=pseudonymise(frame.get_column(bsn_field), key)).drop(
        bsn_field
    )


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


def quality_rows(problems: pl.DataFrame, source: str, file: str) -> pl.DataFrame:
    """Problems of one file as quality-table rows with a message naming file, row, column."""
    where = (
        pl.when(pl.col("sheet").is_not_null())
        .then(
            pl.format("{}, blad '{}', rij {}", pl.lit(file), pl.col("sheet"), pl.col("source_row"))
        )
        .otherwise(pl.format("{}, rij {}", pl.lit(file), pl.col("source_row")))
    )
    return problems.select(
        pl.lit(source).alias("source"),
        pl.lit(file).alias("file"),
        "sheet",
        pl.col("source_row").alias("row_number"),
        "column",
        "rule",
        pl.format("{}, kolom '{}': {}", where, pl.col("column"), pl.col("problem")).alias(
            "message"
        ),
    )


@dataclass
class SourceResult:
    """Everything one source contributed to a run."""

    rows: pl.DataFrame
    ledger: pl.DataFrame
    rejected: pl.DataFrame
    warnings: pl.DataFrame
    log_lines: list[str]


Parser = Callable[[RawTable, str], Parsed]


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
    cache = ParseCache(cache_dir, spec, parser, key) if cache_dir else None
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
    seen: dict[str, str] = {}
    ledger, frames, rejected, warnings = [], [], [], []
    for path in files:
        label = path.relative_to(raw_dir).as_posix()
        entry = {c: None for c in LEDGER_SCHEMA} | {"file": label, "source": spec.name}
        try:
            entry["sha256"] = sha256_of(path)
        except OSError as exc:
            # Gone since discovery (moved while the run started) or not readable.
            problem = f"{label}: het bestand kon niet geopend worden ({type(exc).__name__})"
            entry |= {"status": "failed", "error": problem}
            ledger.append(entry)
            log.append(f"{spec.name}: {label} failed: {problem}")
            continue
        if entry["sha256"] in seen:
            entry["status"] = "duplicate"
            ledger.append(entry)
            log.append(
                f"{spec.name}: {label} duplicate (zelfde inhoud als {seen[entry['sha256']]})"
            )
            continue
        seen[entry["sha256"]] = label
        try:
            region = None
            if spec.region_from_folder:
                region = _region_of(path, raw_dir / spec.folder, regions or {}, label)
            cached = cache.get(entry["sha256"]) if cache else None
            if cached:
                raw, parsed = cached
            else:
                with stage("read"):
                    raw = read_file(path, spec, label)
                with stage("validate"):
                    parsed = parser(raw, key)
                if cache:
                    cache.put(entry["sha256"], raw, parsed)
        except Exception as exc:  # noqa: BLE001 - one bad file never fails the run
            problem = exc if isinstance(exc, FileProblem) else _unexpected(label, exc)
            entry |= {"status": "failed", "error": str(problem)}
            ledger.append(entry)
            log.append(f"{spec.name}: {label} failed: {problem}")
            continue
        rows = parsed.rows.with_columns(source_file=pl.lit(label))
        if region is not None:
            rows = rows.with_columns(region=pl.lit(region))
        frames.append(rows)
        rejected.append(quality_rows(parsed.rejected, spec.name, label))
        warnings.append(quality_rows(parsed.warnings, spec.name, label))
        n_rejected = parsed.rejected.select("sheet", "source_row").unique().height
        entry |= {
            "status": "loaded",
            "rows_read": raw.frame.height,
            "rows_loaded": parsed.rows.height,
            "rows_rejected": n_rejected,
            "extra_columns": ", ".join(raw.extra_columns) or None,
        }
        ledger.append(entry)
        extra = f"; extra kolommen genegeerd: {entry['extra_columns']}" if raw.extra_columns else ""
        if raw.skipped_sheets:
            names = ", ".join(f"'{s}'" for s in raw.skipped_sheets)
            extra += f"; tabbladen zonder kopregel overgeslagen: {names}"
        log.append(
            f"{spec.name}: {label} loaded: {entry['rows_read']} gelezen, "
            f"{entry['rows_loaded']} geladen, {n_rejected} afgewezen{extra}"
        )
    if cache:
        cache.prune()
    return SourceResult(
        rows=pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame(),
        ledger=pl.DataFrame(ledger, schema=LEDGER_SCHEMA),
        rejected=_concat_quality(rejected),
        warnings=_concat_quality(warnings),
        log_lines=log,
    )


class ParseCache:
    """Parsed files by content hash, as Parquet next to the warehouse.

    An entry holds what the parser made of a file: pseudonymised rows, rejected rows and
    warnings (never a BSN or name), plus the counts the ledger needs. Its name covers
    everything the result depends on: the file's bytes, the code of the framework and of
    the source's parser, and (a keyed fingerprint of) the pseudonym key — change any of
    them and the file is parsed again. Entries of files no longer present are removed.
    """

    def __init__(self, folder: Path, spec: SourceSpec, parser: Parser, key: str) -> None:
        import inspect

        code = hashlib.sha256()
        for module in {inspect.getmodule(parser), inspect.getmodule(ParseCache)}:
            code.update(Path(inspect.getfile(module)).read_bytes())
        for helper in ("bsn.py", "dates.py", "municipalities.py"):
            code.update((Path(__file__).parent / helper).read_bytes())
        code.update(hashlib.sha256(f"{key}|nazorg-cache".encode()).digest())
        self.version = code.hexdigest()[:16]
        self.folder = folder / spec.name
        self.used: set[str] = set()

    def _paths(self, sha: str) -> dict[str, Path]:
        stem = f"{sha[:32]}-{self.version}"
        self.used.add(stem)
        return {part: self.folder / f"{stem}.{part}.parquet" for part in ("rows", "rejected", "warnings", "meta")}

    def get(self, sha: str) -> tuple[RawTable, Parsed] | None:
        paths = self._paths(sha)
        if not all(p.exists() for p in paths.values()):
            return None
        meta = pl.read_parquet(paths["meta"]).row(0, named=True)
        raw = RawTable(
            pl.DataFrame({"source_row": pl.Series([None] * meta["rows_read"], dtype=pl.Int64)}),
            [c for c in (meta["extra_columns"] or "").split("\n") if c],
            [c for c in (meta["skipped_sheets"] or "").split("\n") if c],
        )
        parsed = Parsed(*(pl.read_parquet(paths[part]) for part in ("rows", "rejected", "warnings")))
        return raw, parsed

    def put(self, sha: str, raw: RawTable, parsed: Parsed) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        meta = pl.DataFrame(
            {
                "rows_read": [raw.frame.height],
                "extra_columns": ["\n".join(raw.extra_columns)],
                "skipped_sheets": ["\n".join(raw.skipped_sheets)],
            }
        )
        paths = self._paths(sha)
        # The meta file is written last: an entry without it is incomplete and ignored.
        for part, frame in (("rows", parsed.rows), ("rejected", parsed.rejected), ("warnings", parsed.warnings), ("meta", meta)):
            temporary = paths[part].with_suffix(".tmp")
            frame.write_parquet(temporary)
            temporary.replace(paths[part])

    def prune(self) -> None:
        if not self.folder.is_dir():
            return
        for path in self.folder.glob("*.parquet"):
            if path.name.split(".")[0] not in self.used:
                path.unlink(missing_ok=True)


def _unexpected(label: str, exc: Exception) -> FileProblem:
    """A reader or parser error nobody foresaw. Only the error's type is kept: its text
    may quote a cell, and a cell may be a BSN."""
    return FileProblem(
        f"{label}: het bestand kon niet verwerkt worden door een onverwachte fout "
        f"({type(exc).__name__}); controleer of het een gewone export is en meld het "
        "bestand aan de beheerder van de pipeline"
    )


def _concat_quality(frames: list[pl.DataFrame]) -> pl.DataFrame:
    frames = [f for f in frames if f.height]
    return pl.concat(frames) if frames else pl.DataFrame(schema=QUALITY_SCHEMA)


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
