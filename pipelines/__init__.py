"""Dagster code location (``workspace.yaml``); ``python -m pipelines`` runs job ``nightly``
once (:mod:`pipelines.cli`), as ``dagster job execute -m pipelines -j nightly`` does."""

import atexit
import gc
import sys

# No collections while the definitions load: they only create objects that live as long
# as the process (~0.15 s of collecting otherwise).
gc.disable()
from pipelines.definitions import build_defs  # noqa: E402

defs = build_defs()

# Dagster, Pandera and the other imports leave several hundred thousand long-lived
# objects, which Python's garbage collector walks on every full collection (a few per
# run, measured: 0.7 s of collecting in a run that changes nothing, half of it after
# freezing). They live as long as the process anyway, so they are frozen out of it.
gc.freeze()
gc.enable()


@atexit.register
def _exit_without_collecting() -> None:
    """The process ends: freeze what is left instead of collecting it.

    The interpreter's final collections over Dagster's objects took ~0.7 s after every
    run; the operating system frees the memory at once anyway. DuckDB's bindings report
    any of their objects still alive at their own teardown as "leaked": its module-level
    type constants would be (frozen functions keep their module's globals), so those
    references are let go first.
    """
    _release_duckdb_type_constants()
    gc.freeze()


def _release_duckdb_type_constants() -> None:
    duckdb = sys.modules.get("duckdb")
    if duckdb is None:
        return
    type_of_constants = type(duckdb.sqltypes.VARCHAR)
    for name, module in list(sys.modules.items()):
        if module is None or name.split(".")[0] not in ("duckdb", "_duckdb"):
            continue
        namespace = vars(module)
        for attribute in [k for k, v in namespace.items() if type(v) is type_of_constants]:
            del namespace[attribute]
