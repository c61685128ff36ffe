"""The log of a run from the command line (``make demo``: ``python -m pipelines``), and
what the UI shows about the assets (metadata, descriptions)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg

from pipelines import defs
from tests.conftest import RAW, REPO, TEST_KEY

MAKEFILE = (REPO / "Makefile").read_text()


def _run(args: list[str], raw: Path, folder: Path, **env) -> subprocess.CompletedProcess:
    home = folder / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO / "dagster.yaml", home / "dagster.yaml")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NAZORG_")}
    return subprocess.run(
        [sys.executable, "-m", "pipelines", *args],
        cwd=REPO,
        env=clean
        | {
            "DAGSTER_HOME": str(home),
            "NAZORG_RAW_DIR": str(raw),
            "NAZORG_WAREHOUSE": str(folder / "warehouse" / "nazorg.duckdb"),
            "NAZORG_REPORTS_DIR": str(folder / "reports"),
            "NAZORG_PSEUDONYM_KEY": TEST_KEY,
            **env,
        },
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_make_demo_runs_the_quiet_command_and_make_dev_takes_a_port():
    assert "$(BIN)/python -m pipelines\n" in MAKEFILE
    assert "NAZORG_LOG=$(LOG)" in MAKEFILE
    assert "$(BIN)/python -m pipelines.dev --port $(PORT)" in MAKEFILE
    assert "dagster job execute" not in MAKEFILE and "dagster dev" not in MAKEFILE


def test_the_full_event_stream_is_a_flag_away_and_a_failed_run_exits_1(
    tmp_path, monkeypatch, capfd
):
    """``python -m pipelines --log debug`` (in this process): Dagster's own console log;
    a failed run (no raw folder) ends with what failed, and exit code 1."""
    from pipelines.cli import main

    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(REPO / "dagster.yaml", home / "dagster.yaml")
    for name, value in {
        "DAGSTER_HOME": home,
        "NAZORG_RAW_DIR": tmp_path / "nergens",
        "NAZORG_WAREHOUSE": tmp_path / "warehouse" / "nazorg.duckdb",
        "NAZORG_LOG": "info",  # the flag wins
    }.items():
        monkeypatch.setenv(name, str(value))
    assert main(["--log", "debug"]) == 1
    log = capfd.readouterr().err
    assert "STEP_START" in log and " DEBUG " in log
    assert "is mislukt; er is niets gepubliceerd" in log
    assert "Mislukte stap: staging__" in log


def test_a_run_from_the_command_line_logs_what_a_person_reads(tmp_path):
    # At info (the default): what was read, rebuilt and published, and where it is.
    raw = tmp_path / "raw"
    (raw / "justid").mkdir(parents=True)
    shutil.copyfile(
        RAW / "justid" / "2019" / "justid_midden-limburg_2019-Q1.csv", raw / "justid" / "q1.csv"
    )
    run = _run([], raw, tmp_path)
    log = run.stdout + run.stderr
    assert run.returncode == 0, log[-3000:]
    assert "SupersessionWarning" not in log and "Warning:" not in log
    assert " DEBUG " not in log and "STEP_START" not in log  # not Dagster's event stream
    lines = log.splitlines()
    for expected in (
        "justid: 1 export(s) nieuw of gewijzigd sinds de vorige run: justid/q1.csv",
        "staging: opnieuw gebouwd (nog niet gebouwd): staging.detentions",
        "Warehouse gepubliceerd: ",
        "Samenvatting van de run: 1 bestand(en) geladen",
    ):
        assert any(expected in line for line in lines), expected
    # the last lines: where the results are, and the one command that opens each
    # the DuckDB client of the environment, which reads the published file's version
    assert re.search(r"Warehouse: \S*nazorg\.duckdb\n.*bin/duckdb -readonly \S*nazorg\.duckdb", log)
    assert re.search(
        r"openen: (xdg-open|libreoffice --calc|soffice --calc) \S*kpi_midden-limburg\.xlsx", log
    )
    assert len(lines) < 40


# --------------------------------------------------------------------------- the UI


def test_every_asset_has_a_dutch_description_without_markup():
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        description = graph.get(key).description or ""
        assert description, key
        assert "``" not in description, key
        words = set(re.findall(r"\w+", description.lower()))
        assert words & {"de", "het", "een", "per", "van"}, (key, description)
        assert not words & {"the", "every", "which"}, (key, description)


def _materializations(result: dg.ExecuteInProcessResult) -> dict[str, dict]:
    return {
        m.asset_key.to_user_string(): m.materialization.metadata
        for m in result.get_asset_materialization_events()
    }


def test_asset_metadata_has_real_column_types_and_a_preview_of_kpi_tables_only(demo_build):
    result, _ = demo_build
    metadata = _materializations(result)
    outflow = metadata["kpi/outflow"]
    types = {c.name: c.type for c in outflow["dagster/column_schema"].value.columns}
    assert types["year"] == "BIGINT" and types["share"] == "DOUBLE"
    assert types["region"] == "VARCHAR"
    assert outflow["dagster/row_count"].value > 0
    preview = outflow["preview"].value
    assert preview.startswith("Eerste 10 van ") and "| region | year |" in preview
    for key, values in metadata.items():
        if key.startswith(("kpi/", "staging/", "quality/")):
            columns = values["dagster/column_schema"].value.columns
            assert {c.type for c in columns} != {"string"}, key
            assert all(c.description for c in columns), key
            assert ("preview" in values) == key.startswith("kpi/"), key  # never staging rows
