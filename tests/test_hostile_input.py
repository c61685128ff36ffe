"""Hostile and careless input (issue 18): nothing lost, nothing leaked, and one bad cell
never stops the night.

One test (or a few) per case of the issue, each of which failed before its fix, and the
rules they rely on: the one redaction function, the bounded quality tables, the
production key rule, and a blocking check that names where its value came from.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import polars as pl
import pytest
from openpyxl import Workbook

from nazorg import ingest
from nazorg.bsn import pseudonymise
from nazorg.ingest import ingest_source
from nazorg.ingest.columns import keyed_numbers
from nazorg.redaction import DATE_MARK, NUMBER_MARK, redact, redact_header_names
from nazorg.settings import (
    DEVELOPMENT_PSEUDONYM_KEY,
    MissingPseudonymKey,
    Settings,
)
from nazorg.sources import cases
from nazorg.sources import detentions as det
from tests.conftest import TEST_KEY
from tests.test_bad_input import (
    BSN,
    INVALID_BSN,
    JUSTID_HEADER,
    checked,
    dpan,
    dpan_sheet,
    dpan_xlsx,
    episode_row,
    justid_csv,
    ledger_of,
    messages,
    notification,
)

D = dt.date
# A valid BSN (11-proef) with two leading zeros, as a number cell shows it: 1000500.
TWO_ZEROS = "001000500"
SURNAME, INITIALS, BIRTH = "Zwartjes", "Q.X.", "23-07-1971"


def justid(raw: Path, cache: Path | None = None):
    return checked(ingest_source(raw, det.JUSTID, det.parse_justid, TEST_KEY, cache_dir=cache))


def texts_of(result) -> str:
    """Every text a source's result hands on: log lines, ledger and quality columns."""
    parts = list(result.log_lines)
    for frame in (result.ledger, result.rejected, result.warnings):
        for column, dtype in frame.schema.items():
            if dtype == pl.Utf8:
                parts += [v for v in frame.get_column(column).to_list() if v]
    return "\n".join(parts)


def cache_texts(cache: Path) -> str:
    """Every text value in every Parquet file of the parse cache."""
    ingest_wait()
    parts = []
    for path in sorted(cache.rglob("*.parquet")):
        frame = pl.read_parquet(path)
        for column, dtype in frame.schema.items():
            if dtype == pl.Utf8:
                parts += [v for v in frame.get_column(column).to_list() if v]
    return "\n".join(parts)


def ingest_wait() -> None:
    from nazorg.ingest.cache import wait_for_writes

    wait_for_writes()


# --------------------------------------------------------------------------- 1. line endings


def test_a_header_ending_in_a_lone_cr_glues_no_row_to_it(tmp_path):
    """Before: the first data row was glued to the header: neither loaded nor rejected
    (rows_read 2 for 3 rows), Titel lost for the whole file, and the row's BSN, surname,
    initials and birth date listed as unknown column names (log, ledger, parse cache)."""
    rows = [
        notification(
            1, BSN=TWO_ZEROS, Achternaam=SURNAME, Voorletters=INITIALS, Geboortedatum=BIRTH
        ),
        notification(2),
        notification(3),
    ]
    lines = [";".join(str(r.get(h) or "") for h in JUSTID_HEADER) for r in rows]
    path = tmp_path / "justid" / "kop-op-mac.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes((";".join(JUSTID_HEADER) + "\r" + "\r\n".join(lines) + "\r\n").encode())
    cache = tmp_path / "cache"
    result = justid(tmp_path, cache)
    entry = ledger_of(result)
    assert (entry["rows_read"], entry["rows_loaded"], entry["rows_rejected"]) == (3, 3, 0)
    assert entry["extra_columns"] is None
    assert result.rows.get_column("source_row").to_list() == [2, 3, 4]
    assert result.rows.get_column("detention_title").to_list() == ["Gevangenisstraf"] * 3
    everything = texts_of(result) + cache_texts(cache)
    for secret in (TWO_ZEROS, TWO_ZEROS.lstrip("0"), SURNAME, INITIALS, BIRTH):
        assert secret not in everything


def test_a_glued_header_is_never_listed_by_name():
    """Defence in depth: a header that holds a date or a long number is a data row glued
    to it; none of its 'names' (a surname among them) is listed."""
    glued = ["Titel\r2", "Begin detentie", "001000500", SURNAME, INITIALS, BIRTH]
    (listed,) = redact_header_names(glued)
    assert "kopregel lijkt gegevens te bevatten" in listed
    assert not any(s in listed for s in (SURNAME, INITIALS, BIRTH, "1000500"))
    assert redact_header_names(["Dossier", "Kosten"]) == ["Dossier", "Kosten"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("123456782", NUMBER_MARK),
        ("BSN 1234.56.782", f"BSN {NUMBER_MARK}"),
        ("123 456 782", NUMBER_MARK),
        ("1000500", NUMBER_MARK),
        ("14-06-1967", DATE_MARK),
        ("1967-06-14", DATE_MARK),
        ("14/6/67", DATE_MARK),
        ("JV0000001", "JV0000001"),  # a Meldingnummer, not a number on its own
        ("export_20190102.csv", "export_20190102.csv"),
        ("GV-2013-001", "GV-2013-001"),
        ("Vrijlating", "Vrijlating"),
    ],
)
def test_one_redaction_for_every_text_out_of_a_file(text, expected):
    assert redact(text) == expected


def test_a_quoted_cell_is_redacted_and_cut(tmp_path):
    row = notification(1, **{"Soort melding": f"Ontslag {BSN} " + "x" * 80})
    justid_csv(tmp_path, "soort.csv", [row])
    (message,) = messages(justid(tmp_path))
    assert BSN not in message and NUMBER_MARK in message
    assert "x" * 60 not in message


# --------------------------------------------------------------------------- 2. dates


def test_event_dates_out_of_range_reject_the_row_naming_the_column(tmp_path):
    """Before: accepted at ingest, then the blocking KPI checks failed and nothing was
    published, with a message that named no file, row or column."""
    soon = (dt.date.today() + dt.timedelta(days=20)).strftime("%d-%m-%Y")
    later = (dt.date.today() + dt.timedelta(days=40)).strftime("%d-%m-%Y")
    rows = [
        notification(1, "Einde detentie", **{"Datum ontslag": "05-01-2201"}),
        notification(2, "Einde detentie", **{"Datum ontslag": "05-01-1989"}),
        notification(3, **{"Datum melding": later}),
        notification(4, **{"Datum melding": soon}),  # within 31 days: a date ahead is fine
        notification(5, **{"Verwachte datum ontslag": "01-01-2040"}),  # planned: may be far
    ]
    justid_csv(tmp_path, "datums.csv", rows)
    result = justid(tmp_path)
    assert ledger_of(result)["rows_loaded"] == 2
    rejected = result.rejected.select("row_number", "column_name", "rule").rows()
    assert rejected == [
        (2, "Datum ontslag", "date_out_of_range"),
        (3, "Datum ontslag", "date_out_of_range"),
        (4, "Datum melding", "date_out_of_range"),
    ]
    text = messages(result)
    assert "vóór 1 januari 1990" in text[1] and "na de dag van de run" in text[2]
    assert not any("2201" in m or "1989" in m for m in text)


def test_a_registration_in_2220_is_a_rejected_row(tmp_path):
    header = ["Casusnummer", "BSN", "Gemeente", "Datum aanmelding"]
    path = workbook(
        tmp_path / "caseload" / "gooi-en-vechtstreek" / "registratie.xlsx",
        {
            "2013": [
                header,
                ["GV-1", BSN, "Hilversum", D(2013, 1, 16)],
                ["GV-2", BSN, "Hilversum", "16-01-2220"],
            ]
        },
    )
    result = checked(
        ingest_source(
            path.parents[2], cases.CASES, cases.parse_cases, TEST_KEY, regions=cases.regions()
        )
    )
    assert ledger_of(result)["rows_loaded"] == 1
    assert result.rejected.select("row_number", "column_name", "rule").rows() == [
        (3, "Datum aanmelding", "date_out_of_range")
    ]


def test_a_file_rejected_for_a_late_date_is_parsed_again_when_the_day_moves(tmp_path, monkeypatch):
    """The bound moves with the run's date: the parse cache must not keep a rejection
    that no longer holds."""
    release = (dt.date.today() + dt.timedelta(days=40)).strftime("%d-%m-%Y")
    justid_csv(tmp_path, "later.csv", [notification(1, **{"Datum melding": release})])
    cache = tmp_path / "cache"
    assert ledger_of(justid(tmp_path, cache))["rows_rejected"] == 1
    token = ingest.shared._RUN_DATE.set(dt.date.today() + dt.timedelta(days=10))
    try:
        assert ledger_of(justid(tmp_path, cache))["rows_loaded"] == 1
    finally:
        ingest.shared._RUN_DATE.reset(token)


# --------------------------------------------------------------------------- 3. Totaal


def workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for r in rows:
            sheet.append(r)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def test_a_remark_starting_with_totaal_keeps_its_row(tmp_path):
    """Before: in a register whose first column is Opmerkingen, a remark starting with
    "Totaal …" made its row disappear: not loaded, not rejected."""
    header = ["Opmerkingen", "Casusnummer", "BSN", "Naam", "Gemeente", "Datum aanmelding"]
    rows = [
        ["Registratie nazorg 2013"],
        header,
        ["Totaal 3 keer gebeld", "GV-1", BSN, "P. Jansen", "Hilversum", D(2013, 1, 16)],
        [None, "GV-2", BSN, "P. Jansen", "Hilversum", D(2013, 2, 16)],
        ["Totaal onbereikbaar", "GV-3", BSN, "P. Jansen", "Hilversum", D(2013, 3, 16)],
        [],
        ["Totaal", 3],
        ["Totaal generaal", 3],
    ]
    path = workbook(tmp_path / "caseload" / "gooi-en-vechtstreek" / "r.xlsx", {"2013": rows})
    result = checked(
        ingest_source(
            path.parents[2], cases.CASES, cases.parse_cases, TEST_KEY, regions=cases.regions()
        )
    )
    entry = ledger_of(result)
    # the last data row has a Totaal remark too: it holds a BSN, so it is data
    assert (entry["rows_read"], entry["rows_loaded"], entry["rows_rejected"]) == (3, 3, 0)
    assert result.rows.get_column("case_number").to_list() == ["GV-1", "GV-2", "GV-3"]


def test_csv_totaal_only_at_the_end(tmp_path):
    path = tmp_path / "justid" / "totaal.csv"
    path.parent.mkdir(parents=True)
    lines = [";".join(JUSTID_HEADER)]
    lines += [";".join(str(notification(i).get(h) or "") for h in JUSTID_HEADER) for i in (1, 2)]
    lines.insert(2, "Totaal tussenstand;2")  # in the middle: data (rejected, not lost)
    lines += ["", "Totaal;2", ""]
    path.write_text("\r\n".join(lines) + "\r\n")
    entry = ledger_of(justid(tmp_path))
    assert (entry["rows_read"], entry["rows_loaded"], entry["rows_rejected"]) == (3, 2, 1)


# --------------------------------------------------------------------------- 4. the key


@pytest.mark.parametrize(
    "environment", ["production", " production ", "Production", "prod", "acceptatie"]
)
def test_a_real_environment_without_a_key_stops(environment):
    """Before: " production ", "Production" or "prod" fell back to the public key."""
    with pytest.raises(MissingPseudonymKey, match="publiceert niets"):
        Settings.from_env({"NAZORG_ENV": environment})
    with pytest.raises(MissingPseudonymKey):
        Settings.from_env({"NAZORG_ENV": environment, "NAZORG_PSEUDONYM_KEY": "   "})
    with pytest.raises(MissingPseudonymKey, match="te kort"):
        Settings.from_env({"NAZORG_ENV": environment, "NAZORG_PSEUDONYM_KEY": "kort-geheim"})
    key = "k" * 32
    settings = Settings.from_env({"NAZORG_ENV": environment, "NAZORG_PSEUDONYM_KEY": key})
    assert (settings.pseudonym_key, settings.uses_development_key) == (key, False)


@pytest.mark.parametrize("environment", [None, "", "development", " Test "])
def test_development_uses_the_development_key_only_without_a_key(environment):
    env = {} if environment is None else {"NAZORG_ENV": environment}
    blank = Settings.from_env(env | {"NAZORG_PSEUDONYM_KEY": "   "})
    assert (blank.pseudonym_key, blank.uses_development_key) == (DEVELOPMENT_PSEUDONYM_KEY, True)
    given = Settings.from_env(env | {"NAZORG_PSEUDONYM_KEY": "test-key"})
    assert (given.pseudonym_key, given.uses_development_key) == ("test-key", False)


def test_a_configured_key_is_held_to_the_same_rule(monkeypatch):
    from assets.resources import NazorgWarehouse

    monkeypatch.setenv("NAZORG_ENV", "production")
    with pytest.raises(MissingPseudonymKey):
        NazorgWarehouse(pseudonym_key="short").settings()
    assert NazorgWarehouse(pseudonym_key="s" * 40).settings().pseudonym_key == "s" * 40


# --------------------------------------------------------------------------- 5. BSN padding


def test_a_bsn_that_lost_two_leading_zeros_is_padded(tmp_path):
    """Before: 1000500 (a number cell of 001000500) was rejected."""
    justid_csv(tmp_path, "nul.csv", [notification(1, BSN=TWO_ZEROS.lstrip("0"))])
    dpan_xlsx(tmp_path, "nul.xlsx", {"Export": dpan_sheet([episode_row(1, BSN=int(TWO_ZEROS))])})
    expected = pseudonymise(pl.Series([TWO_ZEROS]), TEST_KEY).to_list()
    for result in (justid(tmp_path), dpan(tmp_path)):
        assert ledger_of(result)["rows_loaded"] == 1
        assert result.rows.get_column("person_key").to_list() == expected


# --------------------------------------------------------------------------- 6. formulas


def test_a_formula_without_a_stored_value_rejects_its_row(tmp_path):
    """Before: read as empty: the Datum vertrek disappeared and the release with it."""
    rows = [
        episode_row(1),
        episode_row(2, **{"Datum vertrek": "=DATE(2013,5,1)"}),
        episode_row(3, **{"PI": '=""&"PI Almere"'}),
    ]
    # a formula in a column the contract does not know is nobody's business
    sheet = dpan_sheet(rows)
    sheet[1].append("Leeftijd")
    for r in sheet[2:]:
        r.append("=2013-1967")
    dpan_xlsx(tmp_path, "formule.xlsx", {"Export": sheet})
    result = dpan(tmp_path)
    entry = ledger_of(result)
    assert (entry["rows_read"], entry["rows_loaded"], entry["rows_rejected"]) == (3, 1, 2)
    assert result.rejected.select("row_number", "column_name", "rule").rows() == [
        (4, "Datum vertrek", "formula_without_value"),
        (5, "PI", "formula_without_value"),
    ]
    assert "formule zonder opgeslagen uitkomst" in messages(result)[0]


# --------------------------------------------------------------------------- 7. bounded


def test_quality_rows_are_bounded_per_file_and_rule_with_exact_counts(tmp_path):
    """Before: every bad row was listed (2 million rows wrote 8 million lines)."""
    bad = [notification(i, BSN=INVALID_BSN) for i in range(1, 2501)]
    justid_csv(tmp_path, "slecht.csv", [*bad, *(notification(i) for i in range(3000, 3005))])
    result = justid(tmp_path)
    entry = ledger_of(result)
    assert (entry["rows_read"], entry["rows_loaded"], entry["rows_rejected"]) == (2505, 5, 2500)
    per_rule = dict(result.rejected.group_by("rule").len().iter_rows())
    assert per_rule == {"bsn_11_proef": 1001, "most_rows_rejected": 1}
    last = result.rejected.filter(pl.col("rule") == "bsn_11_proef").row(-1, named=True)
    assert last["row_number"] == 1002  # the first row not listed
    assert "en nog 1500 rij(en) met regel bsn_11_proef" in last["message"]
    (mostly,) = result.rejected.filter(pl.col("rule") == "most_rows_rejected")["message"]
    assert "2500 van de 2505 gelezen rijen" in mostly and "Kolommen verschoven?" in mostly


def test_quality_rows_of_later_steps_are_bounded_too():
    frame = pl.DataFrame(
        {
            "source": "caseload",
            "file": "caseload/x/oud.xlsx",
            "sheet": "2013",
            "row_number": range(3, 2503),
            "column_name": "Casusnummer",
            "rule": "superseded",
            "message": "…",
        },
        schema=ingest.QUALITY_SCHEMA,
    )
    bounded = ingest.bound_quality(frame)
    assert bounded.height == 1001
    assert "en nog 1500 rij(en)" in bounded.row(-1, named=True)["message"]
    assert ingest.bound_quality(bounded).equals(bounded)  # bounded once, not twice


# --------------------------------------------------------------------------- 8. links


def test_links_outside_raw_and_broken_links_are_failed_files_not_followed(tmp_path):
    """Before: a link pointing outside raw/ was followed; a broken one skipped silently."""
    raw = tmp_path / "raw"
    outside = justid_csv(tmp_path / "elders", "geheim.csv", [notification(1)])
    inside = justid_csv(raw, "echt.csv", [notification(2)])
    (raw / "justid" / "naar-buiten.csv").symlink_to(outside)
    (raw / "justid" / "kapot.csv").symlink_to(raw / "justid" / "bestaat-niet.csv")
    (raw / "justid" / "kopie.csv").symlink_to(inside)
    (raw / "justid" / "map").symlink_to(outside.parent, target_is_directory=True)
    result = justid(raw)
    ledger = {r["file"]: r for r in result.ledger.rows(named=True)}
    assert ledger["justid/naar-buiten.csv"]["status"] == "failed"
    assert "buiten de invoermap" in ledger["justid/naar-buiten.csv"]["error"]
    assert ledger["justid/kapot.csv"]["status"] == "failed"
    assert "naar een bestand dat niet bestaat" in ledger["justid/kapot.csv"]["error"]
    assert ledger["justid/kopie.csv"]["status"] == "duplicate"  # a link inside raw/ is fine
    assert result.rows.get_column("notification_id").to_list() == keyed("JV0000002")
    assert "justid: justid/map genegeerd (koppeling naar een map; niet gevolgd)" in result.log_lines


# --------------------------------------------------------------------------- 9. conflicts


def test_conflicting_release_dates_are_listed_and_source_file_names_the_release(tmp_path):
    """Before: the later date won without a word, and source_file named the other file."""
    admission = notification(1)
    justid_csv(
        tmp_path,
        "2019-Q1.csv",
        [
            admission,
            notification(
                2,
                "Einde detentie",
                **{"Datum melding": "01-03-2019", "Datum ontslag": "01-03-2019"},
            ),
        ],
    )
    justid_csv(
        tmp_path,
        "2019-Q2.csv",
        [
            notification(
                3,
                "Einde detentie",
                **{"Datum melding": "05-04-2019", "Datum ontslag": "01-04-2019"},
            )
        ],
    )
    rows = justid(tmp_path).rows
    (episode,) = det.build_episodes(rows, pl.DataFrame()).rows(named=True)
    assert episode["release_date"] == D(2019, 4, 1)  # the latest notification
    assert episode["source_file"] == "justid/2019-Q2.csv"
    (warning,) = det.release_conflicts(rows, pl.DataFrame()).rows(named=True)
    assert (warning["file"], warning["source_row"], warning["rule"]) == (
        "justid/2019-Q1.csv",
        3,
        "conflicting_release_date",
    )
    assert "justid/2019-Q2.csv, rij 2" in warning["problem"]


def test_the_same_notification_with_another_release_date_in_a_later_export(tmp_path):
    first = notification(7, "Einde detentie", **{"Datum ontslag": "01-03-2019"})
    other = notification(7, "Einde detentie", **{"Datum ontslag": "02-03-2019"})
    justid_csv(tmp_path, "a.csv", [first])
    justid_csv(tmp_path, "b.csv", [other])
    rows = justid(tmp_path).rows
    (episode,) = det.build_episodes(rows, pl.DataFrame()).rows(named=True)
    # one notification: the version of the export whose path sorts first counts
    assert (episode["release_date"], episode["source_file"]) == (D(2019, 3, 1), "justid/a.csv")
    (warning,) = det.release_conflicts(rows, pl.DataFrame()).rows(named=True)
    assert (warning["file"], warning["source_row"]) == ("justid/b.csv", 2)
    assert "justid/a.csv, rij 2" in warning["problem"]


# --------------------------------------------------------------------------- blocking checks


def test_a_failing_blocking_check_names_table_rule_and_input_row():
    import pandera.polars as pa

    from assets.common import validate_frame
    from schemas.base import TableModel

    class Rows(TableModel):
        year: int = pa.Field(le=2100)
        source_file: str
        sheet: str | None = pa.Field(nullable=True)
        source_row: int

        class Config:
            name = "staging.rows"

    frame = pl.DataFrame(
        {
            "year": [2013, 2220],
            "source_file": ["a.xlsx", "b.xlsx"],
            "sheet": [None, "2013"],
            "source_row": [2, 7],
        }
    )
    logged = []

    class Log:
        def error(self, text):
            logged.append(text)

    result = validate_frame(Rows, frame, Log())
    assert not result.passed
    (line,) = logged
    assert "staging.rows matches_schema" in line and "less_than_or_equal_to(2100)" in line
    assert "uit de invoer: b.xlsx, blad '2013', rij 7" in line


def test_no_environment_leaks_into_these_tests():
    assert not [k for k in os.environ if k.startswith("NAZORG_")]


# --------------------------------------------------------------------------- a whole night


def test_a_night_of_hostile_exports_publishes_and_leaks_nothing(tmp_path):
    """Exports of the kinds above in one raw folder: the night's KPIs are published, the
    bad rows are rejected row by row, and no BSN, name or birth date of them reaches the
    warehouse, Dagster's event log, the parse cache or a workbook."""
    import shutil

    import duckdb
    from openpyxl import load_workbook

    from tests.conftest import RAW
    from tests.test_bad_input import run_logged

    raw = tmp_path / "raw"
    (raw / "justid").mkdir(parents=True)
    shutil.copyfile(
        RAW / "justid" / "2019" / "justid_midden-limburg_2019-Q1.csv",
        raw / "justid" / "2019-Q1.csv",
    )
    secrets = {TWO_ZEROS, TWO_ZEROS.lstrip("0"), SURNAME, INITIALS, BIRTH, INVALID_BSN}
    glued = notification(
        9_100_001, BSN=TWO_ZEROS, Achternaam=SURNAME, Voorletters=INITIALS, Geboortedatum=BIRTH
    )
    lines = [";".join(str(glued.get(h) or "") for h in JUSTID_HEADER)]
    (raw / "justid" / "kop-op-mac.csv").write_bytes(
        (";".join(JUSTID_HEADER) + "\r" + "\r\n".join(lines) + "\r\n").encode()
    )
    justid_csv(
        raw,
        "typefouten.csv",
        [
            notification(9_100_002, "Einde detentie", **{"Datum ontslag": "05-01-2201"}),
            notification(9_100_003, "Einde detentie", **{"Datum ontslag": "05-01-1989"}),
            notification(9_100_004, BSN=INVALID_BSN, Achternaam=SURNAME),
            notification(9_100_005, Gemeentecode=TWO_ZEROS, Gemeente=""),
        ],
    )
    header = ["Opmerkingen", "Casusnummer", "BSN", "Naam", "Gemeente", "Datum aanmelding"]
    workbook(
        raw / "caseload" / "gooi-en-vechtstreek" / "registratie.xlsx",
        {
            "2013": [
                header,
                [
                    "Totaal 3 keer gebeld",
                    "GV-1",
                    int(TWO_ZEROS),
                    SURNAME,
                    "Hilversum",
                    D(2013, 1, 16),
                ],
                [None, "GV-2", BSN, SURNAME, "Hilversum", "16-01-2220"],
                [],
                ["Totaal", 2],
            ]
        },
    )
    rows = [episode_row(1, **{"Datum vertrek": "=DATE(2013,5,1)", "Naam": SURNAME}), episode_row(2)]
    dpan_xlsx(raw, "formule.xlsx", {"Export": dpan_sheet(rows)})
    warehouse = tmp_path / "warehouse" / "nazorg.duckdb"
    run = run_logged(raw, warehouse)
    assert run.result.success
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM kpi.outflow").fetchall()[0][0] > 0
        assert con.execute("SELECT count(*) FROM kpi.caseload").fetchall()[0][0] == 1
        rules = dict(
            con.execute("SELECT rule, count(*) FROM quality.rejected_rows GROUP BY rule").fetchall()
        )
        texts = con.execute(
            "SELECT string_agg(v, chr(10)) FROM ("
            + " UNION ALL ".join(
                f'SELECT "{c}"::VARCHAR AS v FROM {s}.{t}'
                for s, t, c in con.execute(
                    "SELECT schema_name, table_name, column_name FROM duckdb_columns() "
                    "WHERE data_type = 'VARCHAR' AND database_name = current_database()"
                ).fetchall()
            )
            + ")"
        ).fetchall()[0][0]
    finally:
        con.close()
    assert rules == {
        "date_out_of_range": 3,
        "bsn_11_proef": 1,
        "formula_without_value": 1,
    }
    workbooks = []
    for path in sorted((tmp_path / "warehouse" / "reports").glob("*.xlsx")):
        for sheet in load_workbook(path, read_only=True).worksheets:
            workbooks += [str(v) for row in sheet.iter_rows(values_only=True) for v in row if v]
    assert workbooks
    cached = cache_texts(tmp_path / "warehouse" / ".cache")
    assert "PI Roermond" in cached  # the parse cache was there and was scanned
    everything = "\n".join([texts, "\n".join(text for _, text in run.logs), cached, *workbooks])
    assert [s for s in secrets if s in everything] == []


def test_a_table_with_late_dates_rejected_is_fingerprinted_with_the_days_bound():
    """Such a table depends on the run's date: it is built again once the bound moved
    (and only then; a date before 1990 stays rejected whatever the day)."""
    import duckdb

    con = duckdb.connect()
    try:
        assert ingest.date_bound_fingerprint(con, ["justid"]) == ""  # a new warehouse
        con.execute("CREATE SCHEMA quality")
        con.execute(
            "CREATE TABLE quality.rejected_rows (source VARCHAR, rule VARCHAR, message VARCHAR)"
        )
        con.execute(
            "INSERT INTO quality.rejected_rows VALUES (?, ?, ?)",
            ["justid", "date_out_of_range", "justid/a.csv, rij 2, kolom 'X': " + ingest.TOO_EARLY],
        )
        assert ingest.date_bound_fingerprint(con, ["justid"]) == ""
        con.execute(
            "INSERT INTO quality.rejected_rows VALUES (?, ?, ?)",
            ["justid", "date_out_of_range", "justid/a.csv, rij 3, kolom 'X': " + ingest.TOO_LATE],
        )
        bound = ingest.latest_event_date().isoformat()
        assert bound in ingest.date_bound_fingerprint(con, ["justid"])
        assert ingest.date_bound_fingerprint(con, ["dpan"]) == ""
    finally:
        con.close()


def keyed(number: str) -> list[str]:
    """A Meldingnummer as the parsed rows hold it (its keyed hash)."""
    column = det.JUSTID.column("notification_id")
    return keyed_numbers(pl.Series([number]), TEST_KEY, column).to_list()
