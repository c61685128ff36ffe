"""Dagster code location: ``dagster job execute -m pipelines -j nightly``."""

import atexit
import gc

from pipelines.definitions import build_defs

defs = build_defs()

# Dagster, Pandera and the other imports leave several hundred thousand long-lived
# objects, which Python's garbage collector walks on every full collection (a few per
# run, measured: 0.7 s of collecting in a run that changes nothing, half of it after
# freezing). They live as long as the process anyway, so they are frozen out of it.
gc.freeze()


@atexit.register
def _collect_once_at_exit() -> None:
    # Back into the collector, or DuckDB's bindings report them as leaked at exit; and
    # one final collection (the interpreter's own) instead of two.
    gc.unfreeze()
    gc.disable()
