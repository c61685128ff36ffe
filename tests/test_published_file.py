"""The published warehouse opens in the analysts' own tools: the DuckDB command-line
client from PyPI (``duckdb-cli``, the 1.5 line) and every other reader of the 1.x line.

DuckDB 2.0 writes storage version 69 unless told otherwise, which the 1.5 client refuses
("can only read versions between 64 and 68"); the pipeline writes the version of DuckDB
1.0 (64), which every 1.x release reads (warehouse.md).
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from assets.resources import NazorgWarehouse
from nazorg.warehouse import STORAGE_VERSION, publish, storage_version

# ``make setup`` installs duckdb-cli (requirements.lock) into the venv beside Python.
CLIENT = Path(sys.executable).parent / "duckdb"


def client(path: Path, query: str) -> list[dict[str, str]]:
    """Rows of ``query`` as the PyPI client prints them (CSV), read-only, as an analyst
    would open the file."""
    assert CLIENT.exists(), "duckdb-cli is missing from .venv: run make setup"
    done = subprocess.run(
        [str(CLIENT), "-readonly", "-csv", str(path), "-c", query],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return list(csv.DictReader(io.StringIO(done.stdout)))


def test_the_client_is_the_1_5_line_from_pypi():
    done = subprocess.run([str(CLIENT), "--version"], capture_output=True, text=True, timeout=60)
    assert done.stdout.startswith("v1.5."), done.stdout


def test_the_pypi_client_opens_the_published_demo_warehouse(demo_build):
    result, warehouse = demo_build
    assert result.success
    rows = client(warehouse, "SELECT * FROM kpi.tabel1")
    gooi_2013 = {
        r["municipality_name"]: r
        for r in rows
        if r["region"] == "Gooi en Vechtstreek" and r["year"] == "2013"
    }
    # Tabel 1 of the Gooi report: Hilversum 177 cases and 159 released persons
    assert (
        gooi_2013["Hilversum"]["caseload_cases"],
        gooi_2013["Hilversum"]["outflow_persons"],
    ) == (
        "177",
        "159",
    )
    (count,) = client(warehouse, "SELECT count(*) AS n FROM kpi.headline")
    assert int(count["n"]) == 8  # two regions × four years
    comments = client(
        warehouse,
        "SELECT comment FROM duckdb_columns() WHERE schema_name = 'kpi' "
        "AND table_name = 'outflow' AND column_name = 'year_complete'",
    )
    assert comments[0]["comment"].startswith("Waar als de gegevens")


def test_the_published_demo_warehouse_is_in_the_storage_version_of_duckdb_1_0(
    demo_build, demo_warehouse
):
    assert storage_version(demo_warehouse) == STORAGE_VERSION == "v1.0.0"
    _, path = demo_build
    with path.open("rb") as handle:
        header = handle.read(20)
    # the main header: checksum, b"DUCK", the storage version number (64: DuckDB 1.0)
    assert header[8:12] == b"DUCK" and int.from_bytes(header[12:20], "little") == 64


def _warehouse_of_duckdb_2(path: Path) -> None:
    """A work file as DuckDB 2.0 writes it by default (a warehouse published before the
    storage version was fixed, copied as the next run's work file)."""
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA kpi")
    con.execute("CREATE TABLE kpi.t AS SELECT 2013::BIGINT AS year, 261::BIGINT AS persons")
    con.execute("COMMENT ON TABLE kpi.t IS 'Uitstroom'")
    con.execute("COMMENT ON COLUMN kpi.t.persons IS 'Personen'")
    con.execute("CREATE VIEW kpi.v AS SELECT year, persons * 2 AS twice FROM kpi.t")
    con.execute("COMMENT ON VIEW kpi.v IS 'Dubbel'")
    assert storage_version(con) != STORAGE_VERSION
    con.close()


def test_publishing_rewrites_a_work_file_of_a_newer_storage_version(tmp_path):
    work = tmp_path / ".work" / "nazorg-run.duckdb"
    work.parent.mkdir()
    published = tmp_path / "nazorg.duckdb"
    _warehouse_of_duckdb_2(work)
    publish(work, published)
    assert not work.exists()
    assert sorted(p.name for p in work.parent.iterdir()) == []  # no copy left behind
    assert client(published, "SELECT twice FROM kpi.v") == [{"twice": "522"}]
    described = client(
        published,
        "SELECT comment FROM duckdb_tables() WHERE table_name = 't' UNION ALL "
        "SELECT comment FROM duckdb_views() WHERE view_name = 'v' UNION ALL "
        "SELECT comment FROM duckdb_columns() WHERE table_name = 't' AND column_name = 'persons'",
    )
    assert [r["comment"] for r in described] == ["Uitstroom", "Dubbel", "Personen"]
    con = duckdb.connect(str(published), read_only=True)
    assert storage_version(con) == STORAGE_VERSION
    con.close()


@pytest.mark.parametrize("published_before", [False, True])
def test_a_run_writes_its_work_file_in_that_version_without_a_rewrite(tmp_path, published_before):
    """The fast path: the work file starts in that version (new, or a copy of the
    published file) and stays in it, so publishing is a rename, not a copy."""
    published = tmp_path / "nazorg.duckdb"
    if published_before:
        con = duckdb.connect(
            str(published), config={"storage_compatibility_version": STORAGE_VERSION}
        )
        con.execute("CREATE SCHEMA kpi")
        con.execute("CREATE TABLE kpi.t AS SELECT 1 AS x")
        con.close()
    resource = NazorgWarehouse(warehouse=str(published), raw_dir=str(tmp_path / "raw"))
    with resource.connect("run") as con:
        con.execute("CREATE OR REPLACE TABLE kpi.t AS SELECT range AS x FROM range(100000)")
        assert storage_version(con) == STORAGE_VERSION
    resource.release()
    work = resource.work_file("run")
    inode = work.stat().st_ino
    publish(work, published)
    assert published.stat().st_ino == inode  # renamed into place, not rewritten
    assert client(published, "SELECT count(*) AS n FROM kpi.t") == [{"n": "100000"}]
