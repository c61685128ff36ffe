"""Time per pipeline stage, for the benchmark.

Off unless ``NAZORG_TIMINGS_FILE`` names a file: then every stage adds its seconds to a
process-wide tally that is written (atomically) to that JSON file after each stage, so
the benchmark can read it even when the run is a separate ``dagster`` process.
"""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

STAGES = ("read", "validate", "pseudonymise", "load", "kpis", "publish", "reports")

_tally: dict[str, float] = defaultdict(float)
# Seconds spent in nested stages, per open stage: a stage's own time excludes them
# (pseudonymising inside validation counts as pseudonymising only).
_nested: list[float] = []


@contextmanager
def stage(name: str) -> Iterator[None]:
    target = os.environ.get("NAZORG_TIMINGS_FILE")
    if not target:
        yield
        return
    start = time.perf_counter()
    _nested.append(0.0)
    try:
        yield
    finally:
        elapsed = time.perf_counter() - start
        inner = _nested.pop()
        _tally[name] += elapsed - inner
        if _nested:
            _nested[-1] += elapsed
        path = Path(target)
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(json.dumps(_tally, indent=1))
        os.replace(temporary, path)
