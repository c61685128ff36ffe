"""The parse cache: what a source's parser made of a file, kept by the file's SHA-256.

The nightly run after one new daily export must not read and type ten years of exports
again. Each run stores what it parsed as one **segment** per source (Parquet next to the
warehouse): the typed, pseudonymised rows, the rejected rows and warnings, and per file
its SHA-256 and the counts the ledger needs. Never a BSN or a name: they are gone before
anything is parsed into these frames.

A segment is used only for the same bytes (the SHA-256), the same code (a fingerprint of
the framework, the source's parser and the helpers they use, and the library versions)
and the same pseudonym key (a keyed fingerprint of it): change any of them and the file
is parsed again. Segments whose files are all gone from ``raw/`` are removed; when
segments pile up (one per run that saw new files) they are merged into one. Deleting the
cache folder is always safe: the next run parses everything again.
"""

from __future__ import annotations

import atexit
import hashlib
import inspect
import shutil
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

import fastexcel
import polars as pl

from nazorg.ingest.shared import (
    FILE,
    META_SCHEMA,
    PROBLEM_SCHEMA,
    Parsed,
    SourceSpec,
    latest_event_date,
)

# The ingestion package (every module of it is code that decides what a parse gives)
# and the helpers its typing uses.
PACKAGE = Path(__file__).resolve().parent
HELPERS = ("bsn.py", "dates.py", "municipalities.py", "reference/municipalities.csv")

# More segments than this (a run with new files adds one) are merged into one.
MAX_SEGMENTS = 8
PARTS = ("rows", "rejected", "warnings")
# Fast to write and read back; the cache is a local working file, not an archive.
COMPRESSION = "lz4"


@dataclass
class Batch:
    """Parsed files: ``shas[i]`` is the file whose rows carry ``_file = i``."""

    shas: list[str]
    parsed: Parsed
    meta: pl.DataFrame  # META_SCHEMA, one row per file

    @classmethod
    def of_parsed(cls, shas: list[str], result: tuple[Parsed, pl.DataFrame]) -> Batch:
        parsed, meta = result
        return cls(shas, parsed, meta.cast(META_SCHEMA))

    def only(self, keep: set[str]) -> Batch:
        """The files of this batch whose SHA-256 is in ``keep``, re-indexed from 0."""
        kept = [i for i, sha in enumerate(self.shas) if sha in keep]
        old = pl.Series(kept, dtype=pl.Int32)
        new = pl.Series(range(len(kept)), dtype=pl.Int32)

        def remap(frame: pl.DataFrame) -> pl.DataFrame:
            return frame.filter(pl.col(FILE).is_in(old.implode())).with_columns(
                pl.col(FILE).replace_strict(old, new, return_dtype=pl.Int32)
            )

        parsed = Parsed(*(remap(getattr(self.parsed, part)) for part in PARTS))
        return Batch([self.shas[i] for i in kept], parsed, remap(self.meta))


def concat_batches(batches: list[Batch]) -> Batch:
    shas: list[str] = []
    parts: dict[str, list[pl.DataFrame]] = {part: [] for part in (*PARTS, "meta")}
    for batch in batches:
        offset = len(shas)
        shas += batch.shas
        for part in PARTS:
            frame = getattr(batch.parsed, part)
            parts[part].append(frame.with_columns(pl.col(FILE) + offset))
        parts["meta"].append(batch.meta.with_columns(pl.col(FILE) + offset))
    rows = pl.concat(parts["rows"], how="diagonal_relaxed")
    rejected, warnings = (pl.concat(parts[p]).cast(PROBLEM_SCHEMA) for p in PARTS[1:])
    return Batch(shas, Parsed(rows, rejected, warnings), pl.concat(parts["meta"]))


# Work on a cache folder that runs in a thread of its own — writing a segment (Parquet,
# in Rust, without the GIL), or reading a source ahead of the step that needs it — is
# registered here and waited for before that folder is read, and before the process ends.
_pending: dict[Path, list[threading.Thread]] = {}
_pending_lock = threading.Lock()


def in_background(folder: Path, work, name: str) -> threading.Thread:
    """Run ``work()`` in a thread registered for ``folder`` (see :func:`wait_for_writes`)."""
    thread = threading.Thread(target=work, name=name, daemon=False)
    with _pending_lock:
        _pending.setdefault(folder, []).append(thread)
    thread.start()
    return thread


def wait_for_writes(folder: Path | None = None) -> None:
    """Wait until the background work on ``folder`` (or on any folder) is done, work it
    started itself included; a thread never waits for itself."""
    me = threading.current_thread()
    while True:
        with _pending_lock:
            for key in list(_pending):
                _pending[key] = [t for t in _pending[key] if t.is_alive()]
            waiting = [
                t
                for key, threads in _pending.items()
                if folder is None or key == folder
                for t in threads
                if t is not me
            ]
        if not waiting:
            return
        for thread in waiting:
            thread.join()


atexit.register(wait_for_writes)


class ParseCache:
    """The segments of one source; see the module docstring."""

    def __init__(self, folder: Path, spec: SourceSpec, parser, key: str) -> None:
        code = hashlib.sha256()
        parser_module = inspect.getmodule(parser)
        files = set(PACKAGE.glob("*.py"))
        if parser_module is not None:
            files.add(Path(inspect.getfile(parser_module)).resolve())
        for path in sorted(files):
            code.update(path.read_bytes())
        for helper in HELPERS:
            code.update((PACKAGE.parent / helper).read_bytes())
        code.update(f"polars {pl.__version__} fastexcel {fastexcel.__version__}".encode())
        code.update(hashlib.sha256(f"{key}|nazorg-cache".encode()).digest())
        self.root = folder / spec.name
        self.folder = self.root / code.hexdigest()[:16]

    # ------------------------------------------------------------------ reading

    def _segments(self) -> list[tuple[Path, list[str]]]:
        """(segment stem, SHA-256s of its files) of every complete segment, oldest first."""
        if not self.folder.is_dir():
            return []
        found = []
        for files in sorted(self.folder.glob("*.files.parquet"), key=lambda p: p.stat().st_mtime):
            stem = files.with_name(files.name.removesuffix(".files.parquet"))
            shas = pl.read_parquet(files, columns=["sha256"]).get_column("sha256").to_list()
            found.append((stem, shas))
        return found

    def _dated(self, stem: Path) -> set[str]:
        """Files of a segment whose parse depends on the run's date and differs today: a
        row was rejected for an event date past the bound of that day (the bound has
        moved since), or the bound of that day lies after today's (the clock went back)."""
        files = pl.read_parquet(
            f"{stem}.files.parquet", columns=["sha256", "late_dates", "latest_event_date"]
        )
        bound = latest_event_date()
        stale = files.filter(pl.col("late_dates") | (pl.col("latest_event_date") > bound))
        return set(stale.get_column("sha256").to_list())

    def _read(self, stem: Path, shas: list[str]) -> Batch:
        parts = [pl.read_parquet(f"{stem}.{part}.parquet") for part in PARTS]
        meta = pl.read_parquet(f"{stem}.files.parquet").drop("sha256")
        return Batch(shas, Parsed(parts[0], *(p.cast(PROBLEM_SCHEMA) for p in parts[1:])), meta)

    def load(self, wanted: set[str]) -> list[Batch]:
        """The cached batches that hold any of the ``wanted`` files (each file once).

        A cache that cannot be read (a half-deleted segment, a disk error) is no cache:
        the files are parsed again, never guessed.
        """
        wait_for_writes(self.root)
        batches, found = [], set()
        try:
            for stem, shas in self._segments():
                useful = (set(shas) & wanted) - found - self._dated(stem)
                if useful:
                    batches.append(self._read(stem, shas).only(useful))
                    found |= useful
        except Exception:  # noqa: BLE001 - see the docstring
            return []
        return batches

    # ------------------------------------------------------------------ writing

    def store(self, batch: Batch) -> None:
        """Write a batch as a new segment; its file list is written last and marks it
        complete (a segment without one is ignored and later removed)."""
        if not batch.shas:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        stem = self.folder / uuid.uuid4().hex[:16]
        for part in PARTS:
            _write(getattr(batch.parsed, part), Path(f"{stem}.{part}.parquet"))
        files = batch.meta.sort(FILE).with_columns(sha256=pl.Series(batch.shas, dtype=pl.Utf8))
        _write(files, Path(f"{stem}.files.parquet"))

    def store_and_prune_later(self, batch: Batch | None, live: set[str]) -> None:
        """:meth:`store` (when there is a batch) and :meth:`prune`, in a thread of their
        own; errors are swallowed: a cache that could not be written is simply absent."""

        def work() -> None:
            try:
                if batch is not None:
                    self.store(batch)
                self.prune(live)
            except Exception:  # noqa: BLE001 - see the docstring
                pass

        wait_for_writes(self.root)
        in_background(self.root, work, f"parse-cache-{self.root.name}")

    def prune(self, live: set[str]) -> None:
        """Remove segments (and cache versions) that hold no file of ``live``; merge the
        rest into one segment when there are too many."""
        try:
            for other in self.root.glob("*"):
                if other != self.folder:
                    shutil.rmtree(other, ignore_errors=True) if other.is_dir() else other.unlink()
            segments = self._segments()
            complete = {stem.name for stem, _ in segments}
            for path in self.folder.glob("*.parquet*") if self.folder.is_dir() else ():
                if path.name.split(".", 1)[0] not in complete:
                    path.unlink(missing_ok=True)  # an unfinished segment of a killed run
            kept = []
            for stem, shas in segments:
                if set(shas) & live:
                    kept.append((stem, shas))
                else:
                    _remove_segment(stem)
            if len(kept) > MAX_SEGMENTS:
                seen: set[str] = set()
                parts = []
                for stem, shas in kept:
                    useful = (set(shas) & live) - seen
                    parts.append(self._read(stem, shas).only(useful))
                    seen |= useful
                self.store(concat_batches(parts))
                for stem, _ in kept:
                    _remove_segment(stem)
        except OSError:
            pass  # a cache that cannot be tidied now is tidied by a later run


def _write(frame: pl.DataFrame, path: Path) -> None:
    temporary = path.with_name(path.name + ".tmp")
    frame.write_parquet(temporary, compression=COMPRESSION, statistics=False)
    temporary.replace(path)


def _remove_segment(stem: Path) -> None:
    # The file list first: without it the rest is an incomplete segment.
    Path(f"{stem}.files.parquet").unlink(missing_ok=True)
    for part in PARTS:
        Path(f"{stem}.{part}.parquet").unlink(missing_ok=True)
