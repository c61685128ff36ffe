"""Reading the files of a source: each export by its kind (:mod:`nazorg.ingest.read_csv`,
:mod:`nazorg.ingest.read_excel`), a few at a time, and a file that cannot be read as its
problem (never an exception that stops the run).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from nazorg.ingest.files import Candidate
from nazorg.ingest.read_csv import read_csv
from nazorg.ingest.read_excel import read_excel
from nazorg.ingest.shared import READ_THREADS, FileProblem, RawTable, SourceSpec, unexpected_problem


def read_file(path: Path, spec: SourceSpec, label: str) -> RawTable:
    """The data rows of one export as text (cells as written, empty cells NULL)."""
    if path.stat().st_size == 0:
        raise FileProblem(f"{label}: het bestand is leeg (0 bytes)")
    if path.suffix.lower() == ".csv":
        return read_csv(path, spec, label)
    return read_excel(path, spec, label)


def read_all(candidates: list[Candidate], spec: SourceSpec) -> list[RawTable | FileProblem]:
    """Every file read on its own, a few at a time (Polars and calamine release the GIL
    while they parse); a file that cannot be read is its problem."""
    with ThreadPoolExecutor(READ_THREADS) as pool:
        return list(pool.map(lambda c: read_or_problem(c.path, spec, c.label), candidates))


def read_or_problem(path: Path, spec: SourceSpec, label: str) -> RawTable | FileProblem:
    try:
        return read_file(path, spec, label)
    except FileProblem as problem:
        # Without its traceback: that holds the frames of the callers up to the asset,
        # and the asset's DuckDB connection with them, in a cycle with the list this
        # problem is kept in. The command line ends without a final collection
        # (pipelines/__init__.py), so the connection was reported leaked at exit.
        return problem.with_traceback(None)
    except Exception as exc:  # noqa: BLE001 - one bad file never fails the run
        return unexpected_problem(label, exc)
