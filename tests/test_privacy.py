"""No BSN, name or free-text remark of the input reaches the warehouse."""

import logging
from pathlib import Path

import fastexcel
import polars as pl

from assets.resources import NazorgWarehouse
from nazorg.bsn import pseudonymise_one
from nazorg.ingest import decode_text, normalise_header
from nazorg.settings import DEVELOPMENT_PSEUDONYM_KEY
from tests.conftest import RAW, TEST_KEY

IDENTIFYING = {"bsn", "naam", "achternaam", "opmerkingen"}


def _identifying_cells(rows: list[list]) -> set[str]:
    """Values under a BSN/name/remark header; the header is the first row naming BSN."""
    header: list[str] | None = None
    found: set[str] = set()
    for row in rows:
        keys = [normalise_header(c) for c in row]
        if header is None:
            header = keys if "bsn" in keys else None
            continue
        found |= {
            str(c).strip() for h, c in zip(header, row, strict=False) if h in IDENTIFYING and c
        }
    return found


def identifying_values(raw_dir: Path) -> set[str]:
    """BSNs (also as Excel shows them), names and remarks, read from the input files."""
    values: set[str] = set()
    for path in sorted(raw_dir.rglob("*")):
        if path.suffix == ".csv":
            lines = decode_text(path.read_bytes()).splitlines()
            values |= _identifying_cells([line.split(";") for line in lines])
        elif path.suffix == ".xlsx":
            reader = fastexcel.read_excel(str(path))
            for sheet in reader.sheet_names:
                grid = reader.load_sheet(sheet, header_row=None, dtypes="string").to_polars()
                values |= _identifying_cells([list(r) for r in grid.rows()])
    bsns = {v for v in values if v.isdigit()}
    values |= {b.lstrip("0") for b in bsns}  # a BSN stored as a number loses its leading zero
    return {v for v in values if len(v) >= 5}


def text_values(con) -> pl.DataFrame:
    """Every distinct text value in every table of the warehouse."""
    columns = con.execute(
        "SELECT schema_name, table_name, column_name FROM duckdb_columns() "
        "WHERE data_type = 'VARCHAR' AND database_name = current_database()"
    ).fetchall()
    parts = [
        f"SELECT DISTINCT \"{c}\"::VARCHAR AS v, '{s}.{t}.{c}' AS place FROM {s}.{t}"
        for s, t, c in columns
    ]
    return con.sql(" UNION ALL ".join(parts)).pl().drop_nulls("v")


def test_no_identifying_value_in_any_text_column(demo_warehouse):
    needles = pl.DataFrame({"needle": sorted(identifying_values(RAW))})
    assert needles.height > 1000, "the scan found too few BSNs/names in the input to be meaningful"
    values = text_values(demo_warehouse)  # noqa: F841 - scanned by DuckDB below
    found = demo_warehouse.sql(
        "SELECT needle, place, v FROM values JOIN needles ON contains(v, needle) LIMIT 5"
    ).fetchall()
    assert found == [], f"identifying values in the warehouse: {found}"


def test_birth_dates_are_reduced_to_years(demo_warehouse):
    birth_columns = demo_warehouse.execute(
        "SELECT schema_name, table_name, column_name, data_type FROM duckdb_columns() "
        "WHERE column_name ILIKE '%birth%' OR column_name ILIKE '%geboorte%'"
    ).fetchall()
    assert birth_columns == [("staging", "detentions", "birth_year", "BIGINT")]
    # and no DATE column anywhere holds a birth date: the demo's person born 19-09-2000
    # (first row of the 2019-Q1 JustID export) is in staging with the year alone
    key = pseudonymise_one("899997363", TEST_KEY)
    assert demo_warehouse.execute(
        "SELECT DISTINCT birth_year FROM staging.detentions WHERE person_key = ?", [key]
    ).fetchall() == [(2000,)]


# --------------------------------------------------------------------- the key in use


def _justid_bsns(path: Path) -> list[str]:
    lines = decode_text(path.read_bytes()).splitlines()
    column = [normalise_header(c) for c in lines[0].split(";")].index("bsn")
    return sorted({line.split(";")[column].zfill(9) for line in lines[1:] if line})


def test_person_key_is_the_hmac_of_the_configured_key(demo_warehouse):
    """The demo build configures TEST_KEY on the resource (no environment): every person of
    an export is in staging under HMAC-SHA256(TEST_KEY, BSN), none under the development
    key that a run without a key falls back to."""
    bsns = _justid_bsns(RAW / "justid" / "2019" / "justid_midden-limburg_2019-Q1.csv")
    assert len(bsns) > 50
    keys = {
        k for (k,) in demo_warehouse.execute("SELECT person_key FROM staging.detentions").fetchall()
    }
    assert {pseudonymise_one(b, TEST_KEY) for b in bsns} <= keys
    assert not {pseudonymise_one(b, DEVELOPMENT_PSEUDONYM_KEY) for b in bsns} & keys


def test_the_resource_uses_the_configured_key_before_the_environment(monkeypatch):
    log = logging.getLogger("test")
    monkeypatch.setenv("NAZORG_PSEUDONYM_KEY", "from-the-environment")
    assert NazorgWarehouse(pseudonym_key="configured").key(log) == "configured"
    assert NazorgWarehouse().key(log) == "from-the-environment"
    monkeypatch.delenv("NAZORG_PSEUDONYM_KEY")
    assert NazorgWarehouse().key(log) == DEVELOPMENT_PSEUDONYM_KEY
