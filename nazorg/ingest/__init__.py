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
bytes, same code, same key) comes from the parse cache (:mod:`nazorg.ingest.cache`).

Names, initials and free-text remarks are dropped as a file is read and never reach a
typed, cached or stored frame; the BSN is replaced by its pseudonym while the columns
are typed. A file that cannot be read at all raises :class:`FileProblem`, which the
caller records as ``failed``.

The modules follow a file's path, each importing only those above it in this list:

``shared``      the spec, the frames passed between the steps, their schemas, the run's date
``cache``       the parse cache (imports ``shared`` only)
``files``       finding and identifying files: discovery, links, SHA-256, region folders
``header``      the header match and the totals row, shared by both readers
``read_csv``    a CSV export: decoding, line endings, blank and totals lines, records
``read_excel``  an Excel export: sheets, title rows, formulas without a value
``reading``     a source's files read, each by its kind, a few at a time
``columns``     typing the columns by the spec (the BSN pseudonymised here)
``quality``     quality rows, bounded per file and rule
``source``      :func:`ingest_source`: found, read or cached, typed, assembled

What the rest of the product uses is re-exported here.
"""

from nazorg.ingest.columns import TOO_EARLY, TOO_LATE, UNKNOWN, Rule, apply_columns
from nazorg.ingest.files import (
    below_link,
    discover,
    is_input_file,
    link_problem,
    load_known_hashes,
    region_slug,
    save_known_hashes,
    sha256_of,
)
from nazorg.ingest.header import normalise_header
from nazorg.ingest.quality import bound_quality, date_bound_fingerprint, quality_rows
from nazorg.ingest.read_csv import decode_text
from nazorg.ingest.reading import read_file
from nazorg.ingest.shared import (
    FILE,
    LEDGER_SCHEMA,
    PROBLEM_SCHEMA,
    QUALITY_SCHEMA,
    READ_THREADS,
    Column,
    FileProblem,
    Parsed,
    RawTable,
    SourceSpec,
    empty_problems,
    latest_event_date,
)
from nazorg.ingest.source import SourceResult, ingest_source

__all__ = [
    "FILE",
    "LEDGER_SCHEMA",
    "PROBLEM_SCHEMA",
    "QUALITY_SCHEMA",
    "READ_THREADS",
    "TOO_EARLY",
    "TOO_LATE",
    "UNKNOWN",
    "Column",
    "FileProblem",
    "Parsed",
    "RawTable",
    "Rule",
    "SourceResult",
    "SourceSpec",
    "apply_columns",
    "below_link",
    "bound_quality",
    "date_bound_fingerprint",
    "decode_text",
    "discover",
    "empty_problems",
    "ingest_source",
    "is_input_file",
    "latest_event_date",
    "link_problem",
    "load_known_hashes",
    "normalise_header",
    "quality_rows",
    "read_file",
    "region_slug",
    "save_known_hashes",
    "sha256_of",
]
