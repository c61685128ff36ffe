"""A source's result: every file of one source found, read (or taken from the parse
cache), typed in one batch and assembled into rows, quality rows, ledger and log lines.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from nazorg.ingest.cache import Batch, ParseCache
from nazorg.ingest.columns import DATE_OUT_OF_RANGE, TOO_LATE
from nazorg.ingest.files import (
    Candidate,
    below_link,
    discover,
    ignored_reason,
    link_problem,
    region_of,
    sha256_or_error,
)
from nazorg.ingest.quality import bound_problems, quality_rows
from nazorg.ingest.reading import read_all
from nazorg.ingest.shared import (
    FILE,
    LEDGER_SCHEMA,
    META_SCHEMA,
    POS,
    PROBLEM_SCHEMA,
    QUALITY_SCHEMA,
    READ_THREADS,
    FileProblem,
    Parsed,
    Parser,
    RawTable,
    SourceSpec,
    empty_problems,
    latest_event_date,
    unexpected_problem,
)
from nazorg.timing import stage


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
                rows += int(line.rsplit(f" {LOADED}: ", 1)[1].split(" ", 1)[0])
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
# The word of a loaded file's log line, which the summary above reads back.
LOADED = "ingelezen"
_PLAIN_LOAD = re.compile(rf" {LOADED}: (\d+) gelezen, \1 geladen, 0 afgewezen$")


def _is_plain_load(line: str) -> bool:
    return bool(_PLAIN_LOAD.search(line))


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
    if not raw_dir.is_dir():
        # Not "no files": a wrong NAZORG_RAW_DIR (or an unmounted share) must not publish
        # an empty warehouse over the last good one.
        raise FileNotFoundError(
            f"De invoermap {raw_dir} bestaat niet (NAZORG_RAW_DIR); controleer het pad."
        )
    files, ignored = discover(raw_dir / spec.folder)
    log = [
        f"{spec.name}: {p.relative_to(raw_dir).as_posix()} genegeerd {ignored_reason(p)}"
        for p in ignored
    ]
    labels = [p.relative_to(raw_dir).as_posix() for p in files]
    links = [
        link_problem(p, raw_dir) if p.is_symlink() or below_link(p, raw_dir) else None
        for p in files
    ]
    with stage("read"), ThreadPoolExecutor(READ_THREADS) as pool:
        digests = list(
            pool.map(
                lambda item: None if item[1] else sha256_or_error(item[0]),
                zip(files, links, strict=True),
            )
        )
    entries = [{c: None for c in LEDGER_SCHEMA} | {"file": f, "source": spec.name} for f in labels]
    failures: dict[int, str] = {}
    candidates: list[Candidate] = []
    seen: dict[str, str] = {}
    for order, (path, label, digest) in enumerate(zip(files, labels, digests, strict=True)):
        if links[order]:
            failures[order] = f"{label}: {links[order]}"
            continue
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
                region_of(path, raw_dir / spec.folder, regions or {}, label)
                if spec.region_from_folder
                else None
            )
        except FileProblem as problem:
            failures[order] = str(problem)
            continue
        candidates.append(Candidate(order, path, label, digest, region))

    cache = ParseCache(cache_dir, spec, parser, key) if cache_dir else None
    with stage("read"):
        batches: list[Batch] = cache.load({c.sha for c in candidates}) if cache else []
    cached = {sha for batch in batches for sha in batch.shas}
    to_read = [c for c in candidates if c.sha not in cached]
    with stage("read"):
        tables = read_all(to_read, spec)
    read_ok: list[tuple[Candidate, RawTable]] = []
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
            log.append(f"{spec.name}: {label} dubbel (zelfde inhoud als {seen[entry['sha256']]})")
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
                f"{spec.name}: {label} {LOADED}: {entry['rows_read']} gelezen, "
                f"{entry['rows_loaded']} geladen, {entry['rows_rejected']} afgewezen{extra}"
            )
    result.ledger = pl.DataFrame(
        [{c: e[c] for c in LEDGER_SCHEMA} for e in entries], schema=LEDGER_SCHEMA
    )
    result.log_lines = log
    return result


def _parse_batch(parser: Parser, tables: list[tuple[Candidate, RawTable]], key: str):
    """Parse the files read in one go; if the parser fails on the batch, parse them one by
    one, so that only the file that breaks it fails. Returns (batch or None, failures)."""
    if not tables:
        return None, {}
    try:
        return Batch.of_parsed([c.sha for c, _ in tables], _run_parser(parser, tables, key)), {}
    except Exception:  # noqa: BLE001 - find the file that breaks the parser
        if len(tables) == 1:
            candidate = tables[0][0]
            return None, {candidate.order: str(_unexpected_or_problem(parser, tables[0], key))}
    good: list[tuple[Candidate, RawTable]] = []
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


def _unexpected_or_problem(parser: Parser, item: tuple[Candidate, RawTable], key: str):
    try:
        _run_parser(parser, [item], key)
    except FileProblem as problem:
        return problem
    except Exception as exc:  # noqa: BLE001
        return unexpected_problem(item[0].label, exc)
    return unexpected_problem(item[0].label, RuntimeError())


def _run_parser(parser: Parser, tables: list[tuple[Candidate, RawTable]], key: str) -> Parsed:
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
    rejected, warnings = rejected.cast(PROBLEM_SCHEMA), warnings.cast(PROBLEM_SCHEMA)
    # Counted before the quality rows are bounded: the ledger's counts stay exact.
    counts = rejected.select(FILE, "sheet", "source_row").unique().group_by(FILE).len()
    rejected_counts = dict(counts.iter_rows())
    late = rejected.filter((pl.col("rule") == DATE_OUT_OF_RANGE) & (pl.col("problem") == TOO_LATE))
    late_files = set(late.get_column(FILE).to_list())
    rows_read = [t.frame.height for _, t in tables]
    meta = pl.DataFrame(
        {
            FILE: pl.Series(range(len(tables)), dtype=pl.Int32),
            "rows_read": rows_read,
            "rows_rejected": [rejected_counts.get(i, 0) for i in range(len(tables))],
            "extra_columns": [", ".join(t.extra_columns) or None for _, t in tables],
            "skipped_sheets": ["\n".join(t.skipped_sheets) or None for _, t in tables],
            "late_dates": [i in late_files for i in range(len(tables))],
            "latest_event_date": [latest_event_date()] * len(tables),
        },
        schema=META_SCHEMA,
    )
    rejected = bound_problems(rejected, dict(enumerate(rows_read)))
    return Parsed(rows, rejected, bound_problems(warnings)), meta


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
    for entry in meta.iter_rows(named=True):
        # rows_rejected was counted when the file was parsed, before the quality rows
        # were bounded (bound_problems).
        entries[entry[FILE]] |= {
            "status": "loaded",
            "rows_read": entry["rows_read"],
            "rows_loaded": loaded_counts.get(entry[FILE], 0),
            "rows_rejected": entry["rows_rejected"],
            "extra_columns": entry["extra_columns"],
            "_skipped": [s for s in (entry["skipped_sheets"] or "").split("\n") if s],
        }
    return SourceResult(
        rows=labelled.drop(FILE, POS),
        ledger=pl.DataFrame(schema=LEDGER_SCHEMA),  # filled in by the caller
        rejected=quality_rejected,
        warnings=quality(warnings),
        log_lines=[],
    )
