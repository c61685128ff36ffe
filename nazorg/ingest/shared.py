"""What every step of ingestion shares: the spec of a source, the frames passed between
the steps and their schemas, a file's problem, and the run's date.

The parse cache (:mod:`nazorg.ingest.cache`) imports only this module, so that it sits
beneath the steps that use it and never imports them.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

# Columns that must never be read into a frame (privacy), in any source.
NEVER_READ = frozenset({"naam", "achternaam", "voorletters", "opmerkingen", "opmerking"})

HEADER_SEARCH_ROWS = 50

#: Which file of a batch a row comes from (an index into the batch), and the row's
#: place in that file. Parsers keep both on every row and every problem.
FILE = "_file"
POS = "_pos"
#: A workbook's cells that hold a formula without a stored result (per row), set by the
#: Excel reader and turned into a rejected row when the columns are typed.
FORMULA = "_formula"

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
    # A date of an event (sources.md: notification, admission, release, departure,
    # registration, form, trajectory start and end): before 1990 or more than
    # FUTURE_DAYS after the run's date it is a typing error and rejects the row.
    event: bool = False
    # Text kept exactly as typed: the export's own numbers (Meldingnummer, DPAN-nr,
    # Casusnummer) that tell rows apart. Every other text column is redacted.
    verbatim: bool = False
    # A number that identifies a notification and that only the merge of overlapping
    # exports compares (Meldingnummer, DPAN-nr; staging never stores them): kept as a
    # keyed hash of the number (see nazorg.ingest.columns.keyed_numbers), so that the
    # parse cache holds no such number while equal numbers stay equal.
    keyed: bool = False


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


EARLIEST_EVENT = dt.date(1990, 1, 1)
FUTURE_DAYS = 31


_RUN_DATE: contextvars.ContextVar[dt.date | None] = contextvars.ContextVar(
    "nazorg_run_date", default=None
)


def run_date() -> dt.date:
    """The run's date: the bound of :data:`TOO_LATE` is this plus FUTURE_DAYS."""
    return _RUN_DATE.get() or dt.date.today()


def latest_event_date() -> dt.date:
    return run_date() + dt.timedelta(days=FUTURE_DAYS)


def empty_problems() -> pl.DataFrame:
    return pl.DataFrame(schema=PROBLEM_SCHEMA)


# --------------------------------------------------------------------------- a source

QUALITY_SCHEMA = {
    "source": pl.Utf8,
    "file": pl.Utf8,
    "sheet": pl.Utf8,
    "row_number": pl.Int64,
    "column_name": pl.Utf8,
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


#: A source's parser: the text rows of a batch of files and the pseudonym key in, typed
#: rows and problems out.
Parser = Callable[[RawTable, str], Parsed]

#: Per file of a parsed batch: what the ledger and the parse cache need. ``late_dates``:
#: a row was rejected for an event date after ``latest_event_date`` (the bound on the
#: run's date); such a file is parsed again in a later run, when the bound has moved.
META_SCHEMA = {
    FILE: pl.Int32,
    "rows_read": pl.Int64,
    "rows_rejected": pl.Int64,
    "extra_columns": pl.Utf8,
    "skipped_sheets": pl.Utf8,
    "late_dates": pl.Boolean,
    "latest_event_date": pl.Date,
}


def unexpected_problem(label: str, exc: Exception) -> FileProblem:
    """A reader or parser error nobody foresaw. Only the error's type is kept: its text
    may quote a cell, and a cell may be a BSN."""
    return FileProblem(
        f"{label}: het bestand kon niet verwerkt worden door een onverwachte fout "
        f"({type(exc).__name__}); controleer of het een gewone export is en meld het "
        "bestand aan de beheerder van de pipeline"
    )
