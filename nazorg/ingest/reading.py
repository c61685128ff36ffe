"""Reading the files of a source: one export by its kind, many CSV exports together, and
a file that cannot be read as its problem (never an exception that stops the run).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import polars as pl

from nazorg.ingest.files import Candidate
from nazorg.ingest.header import map_header
from nazorg.ingest.read_csv import csv_split, csv_table, plain_csv, read_csv
from nazorg.ingest.read_excel import read_excel
from nazorg.ingest.shared import READ_THREADS, FileProblem, RawTable, SourceSpec, unexpected_problem


def read_csvs(items: list[tuple[Path, str]], spec: SourceSpec) -> list[RawTable | FileProblem]:
    """Read many CSV exports of one source: what :func:`read_csv` gives per file.

    A thousand monthly exports with the same header are parsed by Polars as one buffer
    (one multi-threaded parse instead of a thousand small ones) and split again by the
    line counts, so every row keeps its file and line number. Files that are not plain
    (another encoding, quotes, blank lines, an unreadable header) are read one by one.
    """
    results: list[RawTable | FileProblem | None] = [None] * len(items)
    groups: dict[bytes, list[tuple[int, memoryview, int, int]]] = {}
    for i, (path, label) in enumerate(items):
        try:
            plain = plain_csv(path.read_bytes()) if path.stat().st_size else None
        except OSError:
            plain = None
        if plain is None:
            results[i] = read_or_problem(path, spec, label)
        else:
            header, lines, n, totals = plain
            groups.setdefault(header, []).append((i, lines, n, totals))
    for header, members in groups.items():
        for i, table in _read_group(header, members, items, spec).items():
            results[i] = table
    return results  # type: ignore[return-value]


def _read_group(
    header: bytes, members: list[tuple[int, memoryview, int, int]], items, spec: SourceSpec
) -> dict[int, RawTable | FileProblem]:
    header_text = header.decode("utf-8").rstrip("\r")
    cells = csv_split(header_text)
    out: dict[int, RawTable | FileProblem] = {}
    try:
        positions, extra = map_header(cells, spec, "")
    except FileProblem:
        # The message names the file: read each one alone to get it.
        return {i: read_or_problem(items[i][0], spec, items[i][1]) for i, *_ in members}
    columns = [f"c{i}" for i in range(len(cells))]
    buffer = b"\n".join([header, *(lines for _, lines, _, _ in members)]) + b"\n"
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
    if frame is None or frame.height != sum(n for _, _, n, _ in members):
        return {i: read_or_problem(items[i][0], spec, items[i][1]) for i, *_ in members}
    # Row numbers and the Totaal filter on the whole group, then one slice per file.
    counts = np.array([n for _, _, n, _ in members])
    member = np.repeat(np.arange(len(members)), counts)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    index = np.arange(counts.sum()) - starts[member]
    rows = index + 2
    # The last lines of a file that start with Totaal are its totals rows.
    totals = np.array([t for *_, t in members])
    candidate = index >= (counts - totals)[member]
    frame = frame.with_columns(
        _member=pl.Series(member, dtype=pl.UInt32), source_row=pl.Series(rows, dtype=pl.Int64)
    )
    table = csv_table(
        frame,
        frame.get_column("source_row"),
        positions,
        extra,
        keep=["_member"],
        total_candidate=pl.Series(candidate, dtype=pl.Boolean) if totals.any() else None,
        spec=spec,
    )
    kept = np.bincount(table.frame.get_column("_member").to_numpy(), minlength=len(members))
    offset = 0
    for (i, *_), n in zip(members, kept, strict=True):
        out[i] = RawTable(table.frame.slice(offset, int(n)).drop("_member"), extra)
        offset += int(n)
    return out


def read_file(path: Path, spec: SourceSpec, label: str) -> RawTable:
    """The data rows of one export as text (cells as written, empty cells NULL)."""
    if path.stat().st_size == 0:
        raise FileProblem(f"{label}: het bestand is leeg (0 bytes)")
    if path.suffix.lower() == ".csv":
        return read_csv(path, spec, label)
    return read_excel(path, spec, label)


def read_all(candidates: list[Candidate], spec: SourceSpec) -> list[RawTable | FileProblem]:
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
            others, pool.map(lambda c: read_or_problem(c.path, spec, c.label), others), strict=True
        ):
            tables[candidate.order] = table
    return [tables[c.order] for c in candidates]


def read_or_problem(path: Path, spec: SourceSpec, label: str) -> RawTable | FileProblem:
    try:
        return read_file(path, spec, label)
    except FileProblem as problem:
        return problem
    except Exception as exc:  # noqa: BLE001 - one bad file never fails the run
        return unexpected_problem(label, exc)
