"""Unattended running: the nightly schedule and the sensor that notices new exports.

Both start in the RUNNING state as soon as the daemon loads the code location
(``dagster dev -w workspace.yaml``; see docs/operations.md). Runs queue one at a time
(``run_queue`` in dagster.yaml): one warehouse file, one writer.

The sensor's cursor holds a signature of every export under ``NAZORG_RAW_DIR`` (relative
path → size, modification time and SHA-256). The SHA-256 decides: a file that was only
touched, or copied over with the same bytes, is no change; size and modification time
only save re-reading a file that did not change. A batch of changes gives one run, with
a run key made from the cursor's sequence number and the digest of the new contents,
so the same change never triggers twice (Dagster skips a run key it has seen), while
going back to an earlier set of files still does.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from assets.resources import NazorgWarehouse
from nazorg.ingest import is_input_file, link_problem, sha256_of

JOB_NAME = "nightly"
CURSOR_VERSION = 1
# A file changed less than this long ago may still be being copied into raw/: the sensor
# waits for the next tick rather than start a run on half a file.
SETTLE_SECONDS = 10
SENSOR_INTERVAL_SECONDS = 30


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


def scan(raw_dir: Path, previous: dict[str, list]) -> dict[str, list]:
    """``relative path → [size, mtime_ns, sha256]`` for every export below ``raw_dir``.

    The SHA-256 of a file whose size and modification time are unchanged is taken from
    ``previous``; only new or touched files are read.
    """
    files: dict[str, list] = {}
    for path in sorted(raw_dir.rglob("*")):
        if not path.is_file() or not is_input_file(path):
            continue
        if path.is_symlink() and link_problem(path, raw_dir):
            continue  # never read; the run records it as a failed file
        try:
            stat = path.stat()
            relative = path.relative_to(raw_dir).as_posix()
            old = previous.get(relative)
            if old and old[0] == stat.st_size and old[1] == stat.st_mtime_ns:
                files[relative] = old
            else:
                files[relative] = [stat.st_size, stat.st_mtime_ns, sha256_of(path)]
        except OSError:
            continue  # gone between listing and reading: the next tick sees the truth
    return files


def compare(previous: dict[str, list], current: dict[str, list]) -> Changes:
    return Changes(
        added=sorted(set(current) - set(previous)),
        changed=sorted(p for p in current if p in previous and previous[p][2] != current[p][2]),
        removed=sorted(set(previous) - set(current)),
    )


def contents_digest(files: dict[str, list]) -> str:
    """Digest of what the files say (path and SHA-256), not of when they were touched."""
    content = {path: signature[2] for path, signature in files.items()}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def read_cursor(cursor: str | None) -> tuple[int, dict[str, list]]:
    if not cursor:
        return 0, {}
    try:
        data = json.loads(cursor)
    except json.JSONDecodeError:
        return 0, {}
    if not isinstance(data, dict) or data.get("version") != CURSOR_VERSION:
        return 0, {}
    return int(data.get("seq", 0)), dict(data.get("files", {}))


def write_cursor(seq: int, files: dict[str, list]) -> str:
    return json.dumps(
        {"version": CURSOR_VERSION, "seq": seq, "files": files}, sort_keys=True, indent=None
    )


@dataclass(frozen=True)
class Evaluation:
    run_request: dg.RunRequest | None
    cursor: str | None  # None: leave the cursor as it is
    reason: str


def evaluate(raw_dir: Path, cursor: str | None, now: float | None = None) -> Evaluation:
    """The sensor's decision, without Dagster: a run request (or not) and the new cursor."""
    if not raw_dir.is_dir():
        return Evaluation(None, None, f"invoermap {raw_dir} bestaat niet (NAZORG_RAW_DIR)")
    seq, previous = read_cursor(cursor)
    current = scan(raw_dir, previous)
    now = time.time() if now is None else now
    settling = [
        path
        for path, signature in current.items()
        if previous.get(path) != signature and now - signature[1] / 1e9 < SETTLE_SECONDS
    ]
    if settling:
        return Evaluation(
            None, None, f"{settling[0]} wordt mogelijk nog geschreven; volgende keer opnieuw"
        )
    changes = compare(previous, current)
    if not changes:
        # Keep the new sizes and times (a touched file need not be read again).
        new_cursor = write_cursor(seq, current) if current != previous else None
        return Evaluation(None, new_cursor, "geen nieuwe, gewijzigde of verwijderde exports")
    seq += 1
    digest = contents_digest(current)
    request = dg.RunRequest(
        run_key=f"raw-{seq:06d}-{digest[:16]}",
        tags={
            "nazorg/trigger": "raw_exports_sensor",
            "nazorg/changes": changes.describe(),
            "nazorg/raw_digest": digest[:16],
        },
    )
    return Evaluation(request, write_cursor(seq, current), changes.describe())


@dg.sensor(
    name="raw_exports_sensor",
    job_name=JOB_NAME,
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Start de pipeline zodra exports in NAZORG_RAW_DIR nieuw, gewijzigd of verwijderd zijn "
        "(vergeleken op SHA-256); één run per partij wijzigingen."
    ),
)
def raw_exports_sensor(context: dg.SensorEvaluationContext, nazorg: NazorgWarehouse):
    raw_dir = nazorg.settings().raw_dir
    result = evaluate(raw_dir, context.cursor)
    if result.cursor is not None:
        context.update_cursor(result.cursor)
    if result.run_request is None:
        return dg.SkipReason(result.reason)
    context.log.info(f"Exports in {raw_dir}: {result.reason}; run aangevraagd.")
    return result.run_request
