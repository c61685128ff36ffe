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


@contextmanager
def stage(name: str) -> Iterator[None]:
    target = os.environ.get("NAZORG_TIMINGS_FILE")
    if not target:
        yield
        return
    start = time.perf_counter()
    try:
        yield
    finally:
        _tally[name] += time.perf_counter() - start
        path = Path(target)
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(json.dumps(_tally, indent=1))
        os.replace(temporary, path)
