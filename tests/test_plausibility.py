"""Freshness and plausibility checks (assets/plausibility.py): each fires on data made
to trigger it, and stays quiet on the demo data."""

from __future__ import annotations

import logging
import os
import shutil
import time

import dagster as dg
import duckdb
import pytest

from assets.plausibility import (
    JUSTID_FRESHNESS,
    OUTFLOW_COMPLETE_YEARS_STABLE,
    REDETENTION_PREVALENCE_NOT_ZERO,
    ROWS_NOT_HALVED,
)
from tests.conftest import RAW
from tests.test_bad_input import run_logged

CHECKS = {
    ("staging/detentions", "justid_export_recent"),
    ("quality/file_ledger", "rows_not_halved"),
    ("kpi/outflow", "complete_years_stable"),
    ("kpi/redetention", "prevalence_not_zero"),
}
LOG = logging.getLogger("test")


def _evaluations(result: dg.ExecuteInProcessResult) -> dict[tuple[str, str], object]:
    return {
        (e.asset_key.to_user_string(), e.check_name): e
        for e in result.get_asset_check_evaluations()
        if (e.asset_key.to_user_string(), e.check_name) in CHECKS
    }


def test_the_checks_are_non_blocking_with_a_dutch_description():
    from pipelines import defs

    graph = defs.resolve_asset_graph()
    specs = {
        (key.asset_key.to_user_string(), key.name): graph.get_check_spec(key)
        for key in graph.asset_check_keys
    }
    for check in CHECKS:
        spec = specs[check]
        assert not spec.blocking, check
        assert "Niet-blokkerend" in spec.description, check


def test_quiet_on_the_demo_data(demo_build):
    """The first run, with nothing to compare with (a second run on the same exports:
    tests/test_operations.py, the history of runs)."""
    first, _ = demo_build
    evaluations = _evaluations(first)
    assert set(evaluations) == CHECKS
    assert all(e.passed for e in evaluations.values()), evaluations


def test_a_source_that_shrank_and_a_complete_year_that_moved(demo_build, tmp_path):
    """The JustID exports of 2020–2022 are gone: JustID loads under half its rows, and
    the outflow of Midden-Limburg 2020 and 2021 (complete years when published) falls
    to nothing. Both checks warn; the run still publishes."""
    _, published = demo_build
    warehouse = tmp_path / "w" / "nazorg.duckdb"
    warehouse.parent.mkdir()
    shutil.copyfile(published, warehouse)
    raw = tmp_path / "raw"
    shutil.copytree(RAW, raw)
    for year in (2020, 2021, 2022):
        shutil.rmtree(raw / "justid" / str(year))
    run = run_logged(raw, warehouse)
    assert run.result.success
    evaluations = _evaluations(run.result)
    rows = evaluations[("quality/file_ledger", "rows_not_halved")]
    assert not rows.passed and rows.severity == dg.AssetCheckSeverity.WARN
    assert rows.metadata["offending_rows"].value == 1  # justid; the other sources held
    outflow = evaluations[("kpi/outflow", "complete_years_stable")]
    assert not outflow.passed and outflow.metadata["offending_rows"].value == 2
    assert "| Midden-Limburg | 2020 |" in outflow.metadata["examples"].value
    assert "| Midden-Limburg | 2021 |" in outflow.metadata["examples"].value
    warnings = run.lines(logging.WARNING)
    assert any("Controle quality.file_ledger.rows_not_halved faalt" in t for t in warnings)
    assert any("Controle kpi.outflow.complete_years_stable faalt" in t for t in warnings)


def _published_and_work(
    tmp_path, before: str, now: str
) -> tuple[duckdb.DuckDBPyConnection, object]:
    published = tmp_path / "published.duckdb"
    con = duckdb.connect(str(published))
    con.execute(before)
    con.close()
    work = duckdb.connect(str(tmp_path / "work.duckdb"))
    work.execute(now)
    return work, published


OUTFLOW = """
CREATE SCHEMA kpi; CREATE SCHEMA staging;
CREATE TABLE staging.detentions AS
    SELECT 'Regio' AS region, DATE '2018-03-01' AS admission_date, DATE '2023-06-30' AS last_event_date;
CREATE TABLE kpi.outflow AS SELECT * FROM (VALUES
    ('Regio', 2018, 100), ('Regio', 2019, 100), ('Regio', 2020, 100), ('Regio', 2023, 40)
) t(region, year, persons);
"""


def test_the_outflow_check_compares_complete_years_only_and_reads_its_setting(
    tmp_path, monkeypatch
):
    now = OUTFLOW.replace("2019, 100", "2019, 111").replace("2018, 100", "2018, 10")
    now = now.replace("2023, 40", "2023, 80").replace("('Regio', 2020, 100), ", "")
    work, published = _published_and_work(tmp_path, OUTFLOW, now)
    try:
        result = OUTFLOW_COMPLETE_YEARS_STABLE.evaluate(work, LOG, published)
        # 2019 moved 11 % and 2020 vanished; 2018 (the first year) and 2023 (the last,
        # still running) are not complete
        assert not result.passed and result.metadata["offending_rows"].value == 2
        monkeypatch.setenv("NAZORG_OUTFLOW_MAX_CHANGE", "0,2")
        result = OUTFLOW_COMPLETE_YEARS_STABLE.evaluate(work, LOG, published)
        assert result.metadata["offending_rows"].value == 1  # only 2020
        # nothing published yet: nothing to compare
        assert OUTFLOW_COMPLETE_YEARS_STABLE.evaluate(work, LOG, tmp_path / "none.duckdb").passed
    finally:
        work.close()


def test_the_row_count_check_fires_below_half(tmp_path):
    ledger = "CREATE SCHEMA quality; CREATE TABLE quality.file_ledger AS SELECT * FROM (VALUES {}) t(source, rows_loaded)"
    before = ledger.format("('justid', 100), ('dpan', 100), ('screening', 10)")
    now = ledger.format("('justid', 50), ('dpan', 49)")
    work, published = _published_and_work(tmp_path, before, now)
    try:
        result = ROWS_NOT_HALVED.evaluate(work, LOG, published)
        assert not result.passed and result.metadata["offending_rows"].value == 2  # dpan, screening
    finally:
        work.close()


@pytest.mark.parametrize(("released", "fires"), [(51, True), (50, False)])
def test_a_zero_redetention_prevalence_of_many_persons(released, fires):
    con = duckdb.connect()
    try:
        con.execute(
            "CREATE SCHEMA kpi; CREATE TABLE kpi.redetention AS SELECT 'Regio' AS region, "
            f"2020 AS release_year, {released} AS released_persons, 0.0 AS prevalence_2y"
        )
        result = REDETENTION_PREVALENCE_NOT_ZERO.evaluate(con, LOG)
        assert result.passed is not fires
    finally:
        con.close()


def test_no_new_justid_export_for_three_days(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    export = raw / "justid" / "2026" / "justid_2026-11-20.csv"
    export.parent.mkdir(parents=True)
    export.write_text("Meldingnummer\n")
    now = time.time()
    os.utime(export, (now - 2 * 86400, now - 2 * 86400))
    assert JUSTID_FRESHNESS.evaluate(raw, LOG, now=now).passed
    stale = JUSTID_FRESHNESS.evaluate(raw, LOG, now=now + 2 * 86400)  # four days old
    assert not stale.passed and stale.severity == dg.AssetCheckSeverity.WARN
    assert "justid_2026-11-20.csv" in stale.metadata["reason"].value
    monkeypatch.setenv("NAZORG_JUSTID_MAX_AGE_DAYS", "7")
    assert JUSTID_FRESHNESS.evaluate(raw, LOG, now=now + 2 * 86400).passed
    export.unlink()
    assert not JUSTID_FRESHNESS.evaluate(raw, LOG, now=now).passed  # none at all
