"""The example exports of the input contract (tests/examples, docs/contract/sources.md) ingest."""

import shutil

import duckdb
import pytest

from tests.conftest import EXAMPLES, run_nightly


@pytest.fixture(scope="module")
def example_warehouse(tmp_path_factory):
    folder = tmp_path_factory.mktemp("examples")
    raw = folder / "raw"
    shutil.copytree(EXAMPLES, raw, ignore=shutil.ignore_patterns("README.md"))
    result = run_nightly(raw, folder / "nazorg.duckdb")
    assert result.success
    con = duckdb.connect(str(folder / "nazorg.duckdb"), read_only=True)
    yield con
    con.close()


def test_invalid_bsn_is_rejected_with_file_row_and_column(example_warehouse):
    rows = example_warehouse.execute(
        "SELECT file, row_number, column_name, rule, message FROM quality.rejected_rows WHERE source = 'justid'"
    ).fetchall()
    assert rows == [
        (
            "justid/justid_voorbeeld.csv",
            9,
            "BSN",
            "bsn_11_proef",
            "justid/justid_voorbeeld.csv, rij 9, kolom 'BSN': BSN voldoet niet aan de 11-proef",
        )
    ]
    assert "123456789" not in rows[0][4]


def test_examples_give_the_expected_outflow(example_warehouse):
    outflow = example_warehouse.execute(
        "SELECT region, year, municipality_name, persons FROM kpi.outflow ORDER BY ALL"
    ).fetchall()
    # JustID: Roermond (code written three ways) and Weert (name only on the admission);
    # the leave in Leudal is not a release; the release without address is in no region.
    # DPAN 2013: Hilversum, and Bussum's transfer + release as one episode; Muiden's
    # detention is still open.
    assert outflow == [
        ("Gooi en Vechtstreek", 2013, "Bussum", 1),
        ("Gooi en Vechtstreek", 2013, "Hilversum", 1),
        ("Midden-Limburg", 2020, "Roermond", 1),
        ("Midden-Limburg", 2020, "Weert", 1),
    ]
    assert example_warehouse.execute(
        "SELECT persons FROM quality.releases_without_municipality WHERE year = 2020"
    ).fetchall() == [(1,)]


def test_every_example_file_is_loaded_and_balanced(example_warehouse):
    ledger = example_warehouse.execute(
        "SELECT file, status, rows_read, rows_loaded, rows_rejected FROM quality.file_ledger"
    ).fetchall()
    assert ledger, "no files in the ledger"
    for file, status, read, loaded, rejected in ledger:
        assert status == "loaded", file
        assert read == loaded + rejected, file
