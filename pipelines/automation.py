"""Unattended running: the nightly schedule and the sensor that notices new exports.

Both start in the RUNNING state as soon as the daemon loads the code location (see
docs/operations.md). Runs queue one at a time (``run_queue`` in the instance
configuration): one warehouse file, one writer.

The sensor looks at the exports under ``NAZORG_RAW_DIR`` every 5 s and asks for one run
per batch of changes. It decides in two steps:

1. **Has the folder held still?** The size and modification time of every export are
   summed up in one digest. While that differs from the previous tick, something is
   still arriving (or was touched, or removed): the sensor waits for the next tick. A
   run starts only once every file's size and modification time stayed the same over
   two ticks, so a copy that is still being written is not read half (see "Uploading
   exports" in docs/operations.md: write under a temporary name, then rename).
2. **Did the contents change?** Then the SHA-256 of every file decides: a file that was
   only touched, or copied over with the same bytes, is no change. Hashes are kept in
   memory by file identity (:func:`nazorg.ingest.sha256_of`), so a tick reads only new
   or changed files; after a restart the hashes of the last run are taken from the
   warehouse's cache.

The cursor is small and does not grow with the number of exports: a sequence number
and three digests (the contents at the last run request, the sizes and times seen at the
last tick, and whether those were already compared). Which files are new, changed or
removed (the tag ``nazorg/changes``) is told against the file ledger of the published
warehouse. The run key is made from the sequence number and the digest of the new
contents, so the same change never triggers twice (Dagster skips a run key it has
seen), while going back to an earlier set of files still does.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb

from assets.resources import KNOWN_HASHES, NazorgWarehouse
from nazorg.ingest import is_input_file, link_problem, load_known_hashes, sha256_of

JOB_NAME = "nightly"
CURSOR_VERSION = 2
# A tick every few seconds: a daily export is published within ~15 s of landing
# (docs/contract/performance.md); a tick only lists and stats the files.
SENSOR_INTERVAL_SECONDS = 5
# The digest of an empty folder: never a reason for a first run.
NO_FILES = ""


nightly_schedule = dg.ScheduleDefinition(
    name="nightly_schedule",
    job_name=JOB_NAME,
    cron_schedule="0 2 * * *",
    execution_timezone="Europe/Amsterdam",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    tags={"nazorg/trigger": "nightly_schedule"},
    description="Elke nacht om 02:00 (Nederlandse tijd): de hele pipeline op wat in raw/ staat.",
)


# --------------------------------------------------------------------------- signatures


@dataclass(frozen=True)
class Changes:
    added: list[str]
    changed: list[str]
    removed: list[str]

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def describe(self) -> str:
        parts = [
            f"{len(files)} {word}"
            for files, word in (
                (self.added, "nieuw"),
                (self.changed, "gewijzigd"),
                (self.removed, "verwijderd"),
            )
            if files
        ]
        return ", ".join(parts) or "geen wijzigingen"


def input_files(raw_dir: Path) -> dict[str, Path]:
    """``relative path → path`` of every export below ``raw_dir``. A link that points
    outside ``raw_dir``, or nowhere, is never read here: the run records it as a failed
    file."""
    return {
        path.relative_to(raw_dir).as_posix(): path
        for path in sorted(raw_dir.rglob("*"))
        if is_input_file(path)
        and path.is_file()
        and not (path.is_symlink() and link_problem(path, raw_dir))
    }


def _digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:32]


def stat_digest(files: dict[str, Path]) -> str:
    """Digest of the size and modification time of every file (what moves while a file
    is being written, touched or replaced)."""
    stats = {}
    for relative, path in files.items():
        try:
            stat = path.stat()
        except OSError:  # gone between listing and looking: the next tick sees the truth
            continue
        stats[relative] = [stat.st_size, stat.st_mtime_ns]
    return _digest(stats)


def file_hashes(files: dict[str, Path]) -> dict[str, str]:
    """``relative path → SHA-256``; a file that cannot be read now is left out."""
    hashes = {}
    for relative, path in files.items():
        try:
            hashes[relative] = sha256_of(path)
        except OSError:
            continue
    return hashes


def contents_digest(hashes: dict[str, str]) -> str:
    """Digest of what the files say (path and SHA-256), not of when they were touched."""
    return _digest(hashes) if hashes else NO_FILES


def compare(previous: dict[str, str], current: dict[str, str]) -> Changes:
    return Changes(
        added=sorted(set(current) - set(previous)),
        changed=sorted(p for p in current if p in previous and previous[p] != current[p]),
        removed=sorted(set(previous) - set(current)),
    )


def published_files(warehouse: Path) -> dict[str, str]:
    """``file → sha256`` of the exports the published warehouse was built from."""
    if not warehouse.exists():
        return {}
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error:
        return {}
    try:
        return dict(
            con.execute(
                "SELECT file, sha256 FROM quality.file_ledger WHERE sha256 IS NOT NULL"
            ).fetchall()
        )
    except duckdb.Error:
        return {}
    finally:
        con.close()


@dataclass(frozen=True)
class Cursor:
    seq: int = 0
    requested: str = NO_FILES  # contents digest at the last run request
    seen: str = ""  # stat digest at the last tick
    compared: bool = False  # the contents were compared for ``seen``

    @classmethod
    def read(cls, text: str | None) -> Cursor:
        try:
            data = json.loads(text or "")
        except json.JSONDecodeError:
            return cls()
        if not isinstance(data, dict) or data.get("version") != CURSOR_VERSION:
            return cls()  # none yet, or of an older version: start afresh
        return cls(
            seq=int(data.get("seq", 0)),
            requested=str(data.get("requested", NO_FILES)),
            seen=str(data.get("seen", "")),
            compared=bool(data.get("compared", False)),
        )

    def write(self) -> str:
        return json.dumps(
            {
                "version": CURSOR_VERSION,
                "seq": self.seq,
                "requested": self.requested,
                "seen": self.seen,
                "compared": self.compared,
            },
            sort_keys=True,
        )


@dataclass(frozen=True)
class Evaluation:
    run_request: dg.RunRequest | None
    cursor: str | None  # None: leave the cursor as it is
    reason: str


def evaluate(raw_dir: Path, cursor: str | None, warehouse: Path | None = None) -> Evaluation:
    """The sensor's decision, without Dagster: a run request (or not) and the new cursor.

    ``warehouse``: the published warehouse, to tell which files are new or changed.
    """
    if not raw_dir.is_dir():
        return Evaluation(None, None, f"invoermap {raw_dir} bestaat niet (NAZORG_RAW_DIR)")
    state = Cursor.read(cursor)
    files = input_files(raw_dir)
    seen = stat_digest(files)
    if seen != state.seen:
        following = Cursor(state.seq, state.requested, seen, compared=False)
        return Evaluation(
            None,
            following.write(),
            "exports veranderd sinds de vorige controle (grootte of tijd); de sensor wacht "
            "tot ze twee controles lang gelijk blijven",
        )
    if state.compared:
        return Evaluation(None, None, "geen nieuwe, gewijzigde of verwijderde exports")
    hashes = file_hashes(files)
    contents = contents_digest(hashes)
    settled = Cursor(state.seq, state.requested, seen, compared=True)
    if contents == state.requested:
        return Evaluation(
            None,
            settled.write(),
            "geen nieuwe, gewijzigde of verwijderde exports (alleen aangeraakt of met "
            "dezelfde inhoud overgeschreven)",
        )
    changes = compare(published_files(warehouse) if warehouse else {}, hashes)
    described = changes.describe() if changes else "exports gewijzigd"
    seq = state.seq + 1
    request = dg.RunRequest(
        run_key=f"raw-{seq:06d}-{contents[:16]}",
        tags={
            "nazorg/trigger": "raw_exports_sensor",
            "nazorg/changes": described,
            "nazorg/raw_digest": contents[:16],
        },
    )
    return Evaluation(request, Cursor(seq, contents, seen, compared=True).write(), described)


_known_hashes_loaded: set[Path] = set()


@dg.sensor(
    name="raw_exports_sensor",
    job_name=JOB_NAME,
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Start de pipeline zodra exports in NAZORG_RAW_DIR nieuw, gewijzigd of verwijderd "
        "zijn (vergeleken op SHA-256), als hun grootte en tijd twee controles (5 s) lang "
        "gelijk bleven; één run per partij wijzigingen."
    ),
)
def raw_exports_sensor(context: dg.SensorEvaluationContext, nazorg: NazorgWarehouse):
    settings = nazorg.settings()
    known = nazorg.cache_dir() / KNOWN_HASHES
    if known not in _known_hashes_loaded:  # once per process: the hashes of the last run
        load_known_hashes(known)
        _known_hashes_loaded.add(known)
    result = evaluate(settings.raw_dir, context.cursor, settings.warehouse)
    if result.cursor is not None:
        context.update_cursor(result.cursor)
    if result.run_request is None:
        return dg.SkipReason(result.reason)
    context.log.info(f"Exports in {settings.raw_dir}: {result.reason}; run aangevraagd.")
    return result.run_request
