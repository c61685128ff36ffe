"""Shared fixtures: the demo warehouse is built once per test session.

``demo_warehouse`` materialises the whole ``nightly`` job on the committed demo data
(``raw/``) into a temporary warehouse and returns a read-only connection to the
*published* file; every end-to-end test reads its figures from there.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.resources import NazorgWarehouse
from pipelines.definitions import build_defs

REPO = Path(__file__).resolve().parent.parent
RAW = REPO / "raw"
EXAMPLES = REPO / "tests" / "examples"
TEST_KEY = "test-pseudonym-key"


def run_nightly(
    raw_dir: Path, warehouse: Path, reports_dir: Path | None = None, **kwargs
) -> dg.ExecuteInProcessResult:
    """Run the nightly job in process against the given folders."""
    resource = NazorgWarehouse(
        raw_dir=str(raw_dir),
        warehouse=str(warehouse),
        reports_dir=str(reports_dir or warehouse.parent / "reports"),
        pseudonym_key=TEST_KEY,
    )
    defs = build_defs(resources={"nazorg": resource})
    job = defs.resolve_job_def("nightly")
    return job.execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), raise_on_error=False, **kwargs
    )


@pytest.fixture(scope="session", autouse=True)
def _demo_exports_just_delivered():
    """The demo's JustID exports count as just delivered.

    The freshness check (assets/plausibility.py) measures the age of the newest JustID
    export by its modification time, which for the committed demo is when the clone
    was made: in a clone older than three days every run on the demo data would warn,
    as it should in production. Tests set the time of an export older than a day to
    now (the bytes stay as they are); the check's own tests make exports old on purpose.
    """
    now = time.time()
    for path in (RAW / "justid").rglob("*.csv"):
        if now - path.stat().st_mtime > 24 * 3600:
            os.utime(path, (now, now))


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory) -> tuple[dg.ExecuteInProcessResult, Path]:
    folder = tmp_path_factory.mktemp("demo")
    warehouse = folder / "nazorg.duckdb"
    result = run_nightly(RAW, warehouse)
    return result, warehouse


@pytest.fixture(scope="session")
def demo_warehouse(demo_build):
    result, warehouse = demo_build
    assert result.success, "the nightly job failed on the demo data"
    con = duckdb.connect(str(warehouse), read_only=True)
    yield con
    con.close()


@pytest.fixture(autouse=True)
def _no_ambient_environment(monkeypatch):
    """Tests never depend on the developer's NAZORG_* environment."""
    for name in list(os.environ):
        if name.startswith("NAZORG_"):
            monkeypatch.delenv(name, raising=False)
