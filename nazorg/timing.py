"""Time per pipeline stage, for the benchmark.

Off unless ``NAZORG_TIMINGS_FILE`` names a file: then every stage adds its seconds to a
process-wide tally that is written (atomically) to that JSON file at exit, and meanwhile
at most once a second (a write after every one of the run's hundreds of stages cost
~0.1 s), so the benchmark can read it when the run is a separate ``dagster`` process. The
tally also holds ``startup``: the seconds from the start of the process to its first
stage (interpreter, imports, loading the definitions, starting the run).
"""

from __future__ import annotations

import atexit
import json
import os
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: The stages of a run, in the order of the pipeline. ``fingerprints`` is deciding what
#: to rebuild (hashing the exports, comparing and recording build fingerprints);
#: ``transform`` is what happens between typing rows and writing tables: pairing
#: notifications into episodes, linking forms and samples, superseding re-exported
#: cases, the MKBA's arithmetic.
STAGES = (
    "fingerprints",
    "read",
    "validate",
    "pseudonymise",
    "transform",
    "load",
    "kpis",
    "publish",
    "reports",
)
STARTUP = "startup"

_tally: dict[str, float] = defaultdict(float)
_lock = threading.Lock()
WRITE_INTERVAL = 1.0  # seconds between writes of the file during a run
_last_write: list[float] = []  # when the file was last written; empty: never
# Seconds spent in nested stages, per open stage of this thread: a stage's own time
# excludes them (pseudonymising inside validation counts as pseudonymising only).
_local = threading.local()


def _nested() -> list[float]:
    if not hasattr(_local, "stack"):
        _local.stack = []
    return _local.stack


def _process_start() -> float:
    """When this process started (wall clock), from /proc; now where that is unknown."""
    try:
        ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return time.time() - uptime + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.time()


def mark_startup() -> None:
    """Called when the first step of a run opens the warehouse: the time until then is
    start-up (interpreter, imports, loading the definitions, starting the run)."""
    if os.environ.get("NAZORG_TIMINGS_FILE") and STARTUP not in _tally:
        _tally[STARTUP] = max(0.0, time.time() - _process_start())


@contextmanager
def stage(name: str) -> Iterator[None]:
    target = os.environ.get("NAZORG_TIMINGS_FILE")
    if not target:
        yield
        return
    mark_startup()
    start = time.perf_counter()
    stack = _nested()
    stack.append(0.0)
    try:
        yield
    finally:
        elapsed = time.perf_counter() - start
        inner = stack.pop()
        if stack:
            stack[-1] += elapsed
        with _lock:
            _tally[name] += elapsed - inner
            if not _last_write:
                atexit.register(_write, target)
            if not _last_write or time.perf_counter() - _last_write[-1] >= WRITE_INTERVAL:
                _write(target)


def _write(target: str) -> None:
    """The tally to ``target``, atomically (a reader never sees half a file)."""
    path = Path(target)
    temporary = path.with_name(f"{path.name}.{threading.get_ident()}.tmp")
    temporary.write_text(json.dumps(_tally, indent=1))
    os.replace(temporary, path)
    _last_write[:] = [time.perf_counter()]
