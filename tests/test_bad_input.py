"""The bad-input suite (issue 7): every kind of broken export a person will one day drop
into ``raw/``, each as a small file generated here.

Each case either loads correctly or yields a Dutch message that names the file, the row
and the column; for every file the ledger balances (``rows_read = rows_loaded +
rows_rejected``; no counts for a failed or duplicate file). Most cases run the framework
and the source's parser directly (fast); two run the whole ``nightly`` job to show what
a broken file and a failing blocking check do to a run.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest
from openpyxl import Workbook

from nazorg.bsn import pseudonymise
from nazorg.ingest import SourceResult, decode_text, ingest_source
from nazorg.ingest.columns import keyed_numbers
from nazorg.municipalities import REFERENCE_CSV
from nazorg.sources import detentions as det
from nazorg.warehouse import REDACTED
from tests.conftest import RAW, TEST_KEY, run_nightly

D = dt.date

JUSTID_HEADER = [
    "Meldingnummer",
    "Soort melding",
    "Datum melding",
    "BSN",
    "Achternaam",
    "Voorletters",
    "Geboortedatum",
    "Geslacht",
    "Gemeentecode",
    "Gemeente",
    "Inrichting",
    "Datum insluiting",
    "Verwachte datum ontslag",
    "Datum ontslag",
    "Titel",
]
DPAN_HEADER = [
    "DPAN-nr",
    "BSN",
    "Naam",
    "Geb. datum",
    "Gemeente",
    "PI",
    "Datum binnenkomst",
    "Datum vertrek",
    "Reden vertrek",
    "Hulpvraag ID",
    "Hulpvraag huisvesting",
    "Hulpvraag werk/inkomen",
    "Hulpvraag schulden",
    "Hulpvraag zorg",
    "Toestemming",
]
# Valid BSNs (11-proef); the second lost its leading zero when stored as a number.
BSN = "111222333"
BSN_WITH_ZERO = "010000008"
INVALID_BSN = "111222334"


def notification(n: int, kind: str = "Begin detentie", **fields) -> dict:
    return {
        "Meldingnummer": f"JV{n:07d}",
        "Soort melding": kind,
        "Datum melding": "02-01-2019",
        "BSN": BSN,
        "Achternaam": "Jansen",
        "Voorletters": "P.",
        "Geboortedatum": "14-06-1967",
        "Geslacht": "M",
        "Gemeentecode": "GM0957",
        "Gemeente": "Roermond",
        "Inrichting": "PI Roermond",
        "Datum insluiting": "02-01-2019",
        "Titel": "Gevangenisstraf",
    } | fields


def justid_csv(
    raw: Path, name: str, rows: list[dict], header=JUSTID_HEADER, encoding="utf-8-sig"
) -> Path:
    lines = [";".join(header)] + [";".join(str(r.get(h) or "") for h in header) for r in rows]
    path = raw / "justid" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def episode_row(n: int, **fields) -> dict:
    return {
        "DPAN-nr": f"D2013-{n:05d}",
        "BSN": BSN,
        "Naam": "P. Jansen",
        "Geb. datum": D(1967, 6, 14),
        "Gemeente": "Hilversum",
        "PI": "PI Almere",
        "Datum binnenkomst": D(2013, 1, 2),
        "Datum vertrek": D(2013, 5, 1),
        "Reden vertrek": "Ontslag",
    } | fields


def dpan_xlsx(raw: Path, name: str, sheets: dict[str, list[list]]) -> Path:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for r in rows:
            sheet.append(r)
    path = raw / "dpan" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def dpan_sheet(rows: list[dict], title_rows: int = 1) -> list[list]:
    titles = [["DPAN export Gooi en Vechtstreek"], []][:title_rows]
    return [*titles, DPAN_HEADER, *[[r.get(h) for h in DPAN_HEADER] for r in rows]]


def justid(raw: Path) -> SourceResult:
    return checked(ingest_source(raw, det.JUSTID, det.parse_justid, TEST_KEY))


def dpan(raw: Path) -> SourceResult:
    return checked(ingest_source(raw, det.DPAN, det.parse_dpan, TEST_KEY))


def checked(result: SourceResult) -> SourceResult:
    """The ledger balances for every file, and every message names file, row, column."""
    for entry in result.ledger.rows(named=True):
        counts = (entry["rows_read"], entry["rows_loaded"], entry["rows_rejected"])
        if entry["status"] == "loaded":
            assert counts[0] == counts[1] + counts[2], entry
            assert entry["error"] is None
        else:
            assert counts == (None, None, None), entry
            assert entry["error"] if entry["status"] == "failed" else entry["error"] is None
    for r in result.rejected.rows(named=True):
        sheet = f", blad '{r['sheet']}'" if r["sheet"] else ""
        assert r["message"].startswith(f"{r['file']}{sheet}, rij {r['row_number']}, kolom ")
        assert f"kolom '{r['column_name']}': " in r["message"]
    return result


def ledger_of(result: SourceResult) -> dict:
    (entry,) = result.ledger.rows(named=True)
    return entry


def messages(result: SourceResult) -> list[str]:
    return result.rejected.get_column("message").to_list()


# --------------------------------------------------------------------------- whole files


def test_a_row_breaking_two_rules_is_counted_once_as_rejected(tmp_path):
    """quality.rejected_rows has a line per problem; the ledger counts rows."""
    bad = episode_row(2, BSN=INVALID_BSN, **{"Datum binnenkomst": "31-02-2013"})
    dpan_xlsx(tmp_path, "twee.xlsx", {"Export": dpan_sheet([episode_row(1), bad])})
    result = dpan(tmp_path)
    entry = ledger_of(result)
    assert (entry["rows_read"], entry["rows_loaded"], entry["rows_rejected"]) == (2, 1, 1)
    assert sorted(result.rejected.get_column("column_name").to_list()) == [
        "BSN",
        "Datum binnenkomst",
    ]
    assert set(result.rejected.get_column("row_number").to_list()) == {4}


def test_empty_file(tmp_path):
    path = tmp_path / "justid" / "leeg.csv"
    path.parent.mkdir(parents=True)
    path.touch()
    entry = ledger_of(justid(tmp_path))
    assert entry["status"] == "failed"
    assert entry["error"] == "justid/leeg.csv: het bestand is leeg (0 bytes)"


def test_header_only_loads_nothing_and_balances(tmp_path):
    justid_csv(tmp_path, "kop.csv", [])
    dpan_xlsx(tmp_path, "kop.xlsx", {"Export": dpan_sheet([])})
    for result in (justid(tmp_path), dpan(tmp_path)):
        entry = ledger_of(result)
        assert entry["status"] == "loaded"
        assert (entry["rows_read"], entry["rows_loaded"], entry["rows_rejected"]) == (0, 0, 0)


def test_truncated_and_non_xlsx_workbooks_fail_clearly(tmp_path):
    good = dpan_xlsx(tmp_path, "goed.xlsx", {"Export": dpan_sheet([episode_row(1)])})
    data = good.read_bytes()
    (tmp_path / "dpan" / "afgekapt.xlsx").write_bytes(data[: len(data) // 2])
    (tmp_path / "dpan" / "eigenlijk-csv.xlsx").write_text(";".join(DPAN_HEADER) + "\n")
    result = dpan(tmp_path)
    ledger = {r["file"]: r for r in result.ledger.rows(named=True)}
    assert ledger["dpan/goed.xlsx"]["status"] == "loaded"
    for name in ("afgekapt.xlsx", "eigenlijk-csv.xlsx"):
        assert ledger[f"dpan/{name}"]["status"] == "failed"
        assert ledger[f"dpan/{name}"]["error"].startswith(
            f"dpan/{name}: geen leesbaar Excel-bestand (.xlsx); het is beschadigd, afgekapt"
        )
    column = det.DPAN.column("dpan_id")  # the rows hold the number's keyed hash
    expected = keyed_numbers(pl.Series(["D2013-00001"]), TEST_KEY, column).to_list()
    assert result.rows.get_column("dpan_id").to_list() == expected


def test_windows_1252_csv_with_euro_and_diaeresis(tmp_path):
    header = [*JUSTID_HEADER, "Kosten"]
    row = notification(1, Inrichting="PI Zuid-Oost, afdeling Maëlle", Kosten="€ 12,50")
    justid_csv(tmp_path, "ansi.csv", [row], header=header, encoding="cp1252")
    assert "ë".encode("cp1252") in (tmp_path / "justid" / "ansi.csv").read_bytes()
    result = justid(tmp_path)
    entry = ledger_of(result)
    assert entry["status"] == "loaded" and entry["extra_columns"] == "Kosten"
    assert result.rows.get_column("institution").to_list() == ["PI Zuid-Oost, afdeling Maëlle"]


def test_missing_required_column_fails_naming_it(tmp_path):
    header = [h for h in JUSTID_HEADER if h != "Datum insluiting"]
    justid_csv(tmp_path, "zonder-insluiting.csv", [notification(1)], header=header)
    entry = ledger_of(justid(tmp_path))
    assert entry["status"] == "failed"
    assert entry["error"] == (
        "justid/zonder-insluiting.csv: verplichte kolom(men) ontbreken: Datum insluiting"
    )


def test_unknown_extra_column_is_ignored_and_logged_once(tmp_path):
    justid_csv(
        tmp_path,
        "extra.csv",
        [notification(1, Dossier="A1"), notification(2, Dossier="A2")],
        header=[*JUSTID_HEADER, "Dossier"],
    )
    result = justid(tmp_path)
    entry = ledger_of(result)
    assert (entry["status"], entry["rows_loaded"], entry["extra_columns"]) == (
        "loaded",
        2,
        "Dossier",
    )
    assert "dossier" not in [c.lower() for c in result.rows.columns]
    (line,) = result.log_lines
    assert line.endswith("extra kolommen genegeerd: Dossier")


def test_the_same_file_twice_is_loaded_once(tmp_path):
    first = justid_csv(tmp_path, "2019/export.csv", [notification(1)])
    copy = tmp_path / "justid" / "archief" / "kopie van export.csv"
    copy.parent.mkdir()
    shutil.copyfile(first, copy)
    result = justid(tmp_path)
    assert result.ledger.select("file", "status").rows() == [
        ("justid/2019/export.csv", "loaded"),
        ("justid/archief/kopie van export.csv", "duplicate"),
    ]
    assert result.rows.height == 1
    assert "zelfde inhoud als justid/2019/export.csv" in result.log_lines[1]


def test_sheet_without_a_header_row(tmp_path):
    # a workbook whose only sheet has no header fails; a notes sheet next to the
    # data sheet is skipped and named in the log
    dpan_xlsx(tmp_path, "a-notities.xlsx", {"Blad1": [["Export volgt"], ["D1", BSN, "x"]]})
    dpan_xlsx(
        tmp_path,
        "b-export.xlsx",
        {"Toelichting": [["Zie tabblad Export"]], "Export": dpan_sheet([episode_row(1)])},
    )
    result = dpan(tmp_path)
    ledger = {r["file"]: r for r in result.ledger.rows(named=True)}
    assert ledger["dpan/a-notities.xlsx"]["status"] == "failed"
    assert ledger["dpan/a-notities.xlsx"]["error"].startswith(
        "dpan/a-notities.xlsx: geen tabblad met een kopregel gevonden (verwacht de kolommen DPAN-nr"
    )
    assert ledger["dpan/b-export.xlsx"]["rows_loaded"] == 1
    assert "tabbladen zonder kopregel overgeslagen: 'Toelichting'" in result.log_lines[1]


def test_totaal_row_is_not_a_data_row(tmp_path):
    rows = dpan_sheet([episode_row(1), episode_row(2, BSN=BSN_WITH_ZERO)])
    dpan_xlsx(tmp_path, "totaal.xlsx", {"Export": [*rows, [], ["Totaal", 2]]})
    entry = ledger_of(dpan(tmp_path))
    assert (entry["rows_read"], entry["rows_loaded"], entry["rows_rejected"]) == (2, 2, 0)


def test_excel_lock_file_next_to_an_open_workbook_is_ignored(tmp_path):
    dpan_xlsx(tmp_path, "export.xlsx", {"Export": dpan_sheet([episode_row(1)])})
    (tmp_path / "dpan" / "~$export.xlsx").write_bytes(b"\x07owner\x00" * 20)
    result = dpan(tmp_path)
    assert result.ledger.get_column("file").to_list() == ["dpan/export.xlsx"]
    assert "dpan: dpan/~$export.xlsx genegeerd (Excel-vergrendelbestand)" in result.log_lines


# --------------------------------------------------------------------------- rows


def test_unknown_soort_melding_is_rejected_with_the_allowed_values(tmp_path):
    justid_csv(tmp_path, "soort.csv", [notification(1), notification(2, "Vrijlating")])
    result = justid(tmp_path)
    assert ledger_of(result)["rows_rejected"] == 1
    assert messages(result) == [
        "justid/soort.csv, rij 3, kolom 'Soort melding': 'Vrijlating' is geen van: "
        "Begin detentie, Einde detentie, Insluiting, Ontslag, Overplaatsing, Verlof"
    ]


def test_release_before_admission_is_rejected_in_both_systems(tmp_path):
    justid_csv(
        tmp_path,
        "ontslag.csv",
        [notification(1, "Einde detentie", **{"Datum ontslag": "01-01-2019"})],
    )
    dpan_xlsx(
        tmp_path,
        "vertrek.xlsx",
        {"Export": dpan_sheet([episode_row(1, **{"Datum vertrek": D(2012, 12, 1)})])},
    )
    assert messages(justid(tmp_path)) == [
        "justid/ontslag.csv, rij 2, kolom 'Datum ontslag': Datum ontslag ligt vóór Datum insluiting"
    ]
    assert messages(dpan(tmp_path)) == [
        "dpan/vertrek.xlsx, blad 'Export', rij 3, kolom 'Datum vertrek': "
        "Datum vertrek ligt vóór Datum binnenkomst"
    ]


def test_invalid_bsn_is_rejected_without_repeating_it(tmp_path):
    justid_csv(tmp_path, "bsn.csv", [notification(1, BSN=INVALID_BSN), notification(2)])
    result = justid(tmp_path)
    assert messages(result) == [
        "justid/bsn.csv, rij 2, kolom 'BSN': BSN voldoet niet aan de 11-proef"
    ]
    assert INVALID_BSN not in " ".join(result.log_lines + messages(result))


def test_bsn_with_a_lost_leading_zero_is_padded_and_loads(tmp_path):
    justid_csv(tmp_path, "nul.csv", [notification(1, BSN=BSN_WITH_ZERO.lstrip("0"))])
    dpan_xlsx(
        tmp_path,
        "nul.xlsx",
        {"Export": dpan_sheet([episode_row(1, BSN=int(BSN_WITH_ZERO))])},  # a number cell
    )
    expected = pseudonymise(pl.Series([BSN_WITH_ZERO]), TEST_KEY).to_list()
    for result in (justid(tmp_path), dpan(tmp_path)):
        assert ledger_of(result)["rows_loaded"] == 1
        assert result.rows.get_column("person_key").to_list() == expected


def test_impossible_birth_date_is_a_rejected_row_not_a_failed_run(tmp_path):
    """Before: a birth year of 1850 loaded, failed the blocking schema check of
    staging.detentions (birth years 1900-2030) and stopped the whole night's publish."""
    justid_csv(
        tmp_path, "geboorte.csv", [notification(1, Geboortedatum="14-06-1850"), notification(2)]
    )
    result = justid(tmp_path)
    assert messages(result) == [
        "justid/geboorte.csv, rij 2, kolom 'Geboortedatum': "
        "geboortedatum is onmogelijk (vóór 1900 of na de Datum insluiting)"
    ]
    assert "1850" not in messages(result)[0]


def test_date_in_three_notations(tmp_path):
    rows = [
        episode_row(1, **{"Datum binnenkomst": "02-01-2013"}),  # dd-mm-jjjj as text
        episode_row(2, **{"Datum binnenkomst": "2013-01-02"}),  # ISO as text
        episode_row(3, **{"Datum binnenkomst": D(2013, 1, 2)}),  # a real date cell
        episode_row(4, **{"Datum binnenkomst": dt.datetime(2013, 1, 2, 9, 30)}),  # with a time
        episode_row(5, **{"Datum binnenkomst": "2-1-2013"}),  # d-m-jjjj
    ]
    dpan_xlsx(tmp_path, "datums.xlsx", {"Export": dpan_sheet(rows)})
    result = dpan(tmp_path)
    assert ledger_of(result)["rows_rejected"] == 0
    assert set(result.rows.get_column("admission_date")) == {D(2013, 1, 2)}
    assert result.rows.get_column("source_row").to_list() == [3, 4, 5, 6, 7]


def test_a_date_in_no_known_notation_is_rejected_quoting_it(tmp_path):
    justid_csv(tmp_path, "datum.csv", [notification(1, **{"Datum melding": "2 jan 2019"})])
    assert messages(justid(tmp_path)) == [
        "justid/datum.csv, rij 2, kolom 'Datum melding': '2 jan 2019' is geen datum "
        "(verwacht dd-mm-jjjj, jjjj-mm-dd of een Excel-datum)"
    ]


# --------------------------------------------------------------------------- municipalities


def placed(raw: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    episodes = det.build_episodes(justid(raw).rows, dpan(raw).rows)
    return det.place_episodes(episodes)


def test_unknown_municipality_loads_with_a_warning_naming_file_row_and_column(tmp_path):
    justid_csv(
        tmp_path,
        "gemeente.csv",
        [
            notification(
                1,
                "Einde detentie",
                Gemeentecode="",
                Gemeente="Atlantis",
                **{"Datum ontslag": "01-03-2019"},
            )
        ],
    )
    episodes, warnings = placed(tmp_path)
    assert episodes.height == 1
    assert episodes.select("is_release", "municipality_code", "region").row(0) == (
        True,
        None,
        None,
    )
    (warning,) = warnings.rows(named=True)
    assert (warning["file"], warning["source_row"], warning["column"]) == (
        "justid/gemeente.csv",
        2,
        "Gemeente",
    )
    assert "'Atlantis'" in warning["problem"] and "geladen zonder gemeente" in warning["problem"]


@pytest.mark.parametrize(
    "released, code, name",
    [(D(2017, 3, 1), "GM1942", "Gooise Meren"), (D(2013, 3, 1), "GM0381", "Bussum")],
)
def test_historic_municipality_name_resolves_at_the_release_date(tmp_path, released, code, name):
    admitted = released - dt.timedelta(days=30)
    row = episode_row(
        1,
        Gemeente="gemeente BUSSUM",
        **{"Datum binnenkomst": admitted, "Datum vertrek": released},
    )
    dpan_xlsx(tmp_path, "historisch.xlsx", {"Export": dpan_sheet([row])})
    episodes, warnings = placed(tmp_path)
    assert warnings.height == 0
    assert episodes.select("municipality_code", "municipality_name", "region").row(0) == (
        code,
        name,
        "Gooi en Vechtstreek",
    )


# --------------------------------------------------------------------------- case registration


def test_duplicate_casusnummer_in_one_file_rejects_the_second_row(tmp_path):
    from nazorg.sources import cases

    header = ["Casusnummer", "BSN", "Naam", "Gemeente", "Datum aanmelding"]
    book = Workbook()
    sheet = book.active
    sheet.title = "2013"
    for r in [
        ["Registratie nazorg 2013"],
        header,
        ["GV-2013-001", BSN, "P. Jansen", "Hilversum", D(2013, 1, 16)],
        ["GV-2013-001", BSN, "P. Jansen", "Hilversum", D(2013, 1, 16)],
    ]:
        sheet.append(r)
    path = tmp_path / "caseload" / "gooi-en-vechtstreek" / "registratie.xlsx"
    path.parent.mkdir(parents=True)
    book.save(path)
    result = checked(
        ingest_source(tmp_path, cases.CASES, cases.parse_cases, TEST_KEY, regions=cases.regions())
    )
    entry = ledger_of(result)
    assert (entry["rows_read"], entry["rows_loaded"], entry["rows_rejected"]) == (2, 1, 1)
    (message,) = messages(result)
    assert message.startswith(
        "caseload/gooi-en-vechtstreek/registratie.xlsx, blad '2013', rij 4, kolom 'Casusnummer':"
    )
    assert BSN not in message


# --------------------------------------------------------------------------- whole runs


def _check(result, name: str):
    (evaluation,) = [e for e in result.get_asset_check_evaluations() if e.check_name == name]
    return evaluation


@dataclass
class LoggedRun:
    """A run of ``nightly`` (through conftest's ``run_nightly``) and its log lines."""

    result: dg.ExecuteInProcessResult
    logs: list[tuple[int, str]]  # (logging level, text) of every line the run logged

    def lines(self, level: int) -> list[str]:
        return [text for lvl, text in self.logs if lvl == level]


def run_logged(raw: Path, warehouse: Path, **kwargs) -> LoggedRun:
    """``run_nightly`` on an instance this module can read the log lines back from."""
    instance = dg.DagsterInstance.ephemeral()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dg.DagsterInstance, "ephemeral", staticmethod(lambda: instance))
        result = run_nightly(raw, warehouse, **kwargs)
    logs = [
        (entry.level, entry.user_message or entry.message or "")
        for entry in instance.all_logs(result.run_id)
    ]
    return LoggedRun(result, logs)


@pytest.fixture(scope="module")
def broken_run(tmp_path_factory):
    """One JustID quarter of the demo data, plus a truncated workbook, an empty CSV and
    a CSV whose rows break rules (one BSN typed into the municipality column)."""
    folder = tmp_path_factory.mktemp("broken")
    raw = folder / "raw"
    (raw / "justid").mkdir(parents=True)
    shutil.copyfile(
        RAW / "justid" / "2019" / "justid_midden-limburg_2019-Q1.csv",
        raw / "justid" / "2019-Q1.csv",
    )
    (raw / "justid" / "leeg.csv").touch()
    justid_csv(
        raw,
        "regels.csv",
        [
            notification(9_000_001, BSN=INVALID_BSN),
            notification(9_000_002, Gemeentecode=BSN, Gemeente=""),
        ],
    )
    (raw / "dpan").mkdir()
    (raw / "dpan" / "export.xlsx").write_bytes(b"PK\x03\x04 afgekapt")
    warehouse = folder / "nazorg.duckdb"
    return run_logged(raw, warehouse), warehouse, raw


def _released_persons(justid_csv: Path) -> int:
    """Distinct persons with a release notification placed in a Midden-Limburg
    municipality (all of this export's releases fall in one year), read straight from
    the CSV: what kpi.outflow must hold when this export is all that loads."""
    rows = list(csv.DictReader(io.StringIO(decode_text(justid_csv.read_bytes())), delimiter=";"))
    reference = list(csv.DictReader(io.StringIO(REFERENCE_CSV.read_text())))
    in_region = {r["code"] for r in reference if r["region"] == "Midden-Limburg"}
    by_name = {r["name"].lower(): r["code"] for r in reference}

    def code(row: dict) -> str | None:  # "0946" or only "Gemeente Weert" in this export
        if row["Gemeentecode"]:
            return f"GM{int(row['Gemeentecode'].removeprefix('GM')):04d}"
        return by_name.get(row["Gemeente"].lower().removeprefix("gemeente "))

    # a release that names no municipality is placed at the address known before: the
    # person's other notifications in this export
    known = {r["BSN"]: code(r) for r in rows if r["Soort melding"] != "Ontslag" and code(r)}
    released = {
        r["BSN"]
        for r in rows
        if r["Soort melding"] == "Ontslag" and (code(r) or known.get(r["BSN"])) in in_region
    }
    assert {r["Datum ontslag"][-4:] for r in rows if r["Soort melding"] == "Ontslag"} == {"2019"}
    return len(released)


def test_a_broken_file_does_not_fail_the_run(broken_run):
    run, warehouse, _ = broken_run
    result = run.result
    assert result.success  # the CLI exits 0 (see test_operations for the CLI itself)
    check = _check(result, "all_files_loaded")
    assert not check.passed and check.severity.value == "WARN"
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        ledger = con.execute(
            "SELECT file, status, rows_read, rows_loaded, rows_rejected, error "
            "FROM quality.file_ledger ORDER BY file"
        ).fetchall()
        outflow = con.execute("SELECT sum(persons) FROM kpi.outflow").fetchall()[0][0]
        texts = con.execute(
            "SELECT message FROM quality.rejected_rows UNION ALL "
            "SELECT message FROM quality.row_warnings UNION ALL "
            "SELECT coalesce(error, '') FROM quality.file_ledger"
        ).fetchall()
    finally:
        con.close()
    statuses = {file: (status, error) for file, status, *_, error in ledger}
    assert statuses["dpan/export.xlsx"][0] == "failed"
    assert statuses["justid/leeg.csv"] == (
        "failed",
        "justid/leeg.csv: het bestand is leeg (0 bytes)",
    )
    assert statuses["justid/2019-Q1.csv"] == ("loaded", None)
    # the rest is published: the one good export's releases, counted from the file itself
    assert outflow == _released_persons(
        RAW / "justid" / "2019" / "justid_midden-limburg_2019-Q1.csv"
    )
    # a BSN typed into the municipality column never reaches the warehouse
    assert not [t for (t,) in texts if BSN in t or INVALID_BSN in t]
    assert [t for (t,) in texts if f"gemeentenaam '{REDACTED}'" in t]


def test_a_failed_file_is_logged_as_a_warning_with_its_reason(broken_run):
    run, _, _ = broken_run
    warnings = run.lines(logging.WARNING)
    assert any(
        "justid: justid/leeg.csv failed: justid/leeg.csv: het bestand is leeg" in m
        for m in warnings
    )
    assert any("dpan/export.xlsx failed:" in m and "geen leesbaar Excel" in m for m in warnings)
    infos = run.lines(logging.INFO)
    assert any("justid/regels.csv ingelezen: 2 gelezen, 1 geladen, 1 afgewezen" in m for m in infos)
    (summary,) = [m for m in infos if m.startswith("Samenvatting van de run:")]
    assert "2 bestand(en) geladen, 0 duplicaat, 2 mislukt" in summary


def double_the_outflow_shares(patch: pytest.MonkeyPatch) -> None:
    """A bug in the outflow query that doubles every share: its blocking Pandera check
    (shares sum to 1 per region and year) fails."""
    import assets.kpi

    original = assets.kpi.sql
    patch.setattr(
        assets.kpi,
        "sql",
        lambda name: (
            original(name).replace("AS share", "* 2 AS share")
            if name == "kpi_outflow"
            else original(name)
        ),
    )


def test_a_failing_blocking_check_stops_publishing_and_fails_the_run(
    broken_run, tmp_path, monkeypatch
):
    """A bug that would double every share in kpi.outflow: the Pandera check
    (shares sum to 1) blocks, nothing is published, and the run says which check."""
    _, good, raw = broken_run
    warehouse = tmp_path / "nazorg.duckdb"
    shutil.copyfile(good, warehouse)
    before = hashlib.sha256(warehouse.read_bytes()).hexdigest()
    double_the_outflow_shares(monkeypatch)
    run = run_logged(raw, warehouse)
    result = run.result
    assert not result.success
    failed = [
        e
        for e in result.get_asset_check_evaluations()
        if not e.passed and e.asset_key.to_user_string() == "kpi/outflow"
    ]
    assert [e.check_name for e in failed] == ["matches_schema"]
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert "kpi/outflow: matches_schema" in failure.event_specific_data.error.message
    errors = run.lines(logging.ERROR)
    assert any(
        "Blokkerende controle kpi.outflow matches_schema faalt" in m and "shares_sum_to_one" in m
        for m in errors
    )
    assert "warehouse__published" not in {
        e.step_key for e in result.all_events if e.event_type_value == "STEP_SUCCESS"
    }
    assert hashlib.sha256(warehouse.read_bytes()).hexdigest() == before


# --------------------------------------------------------------------------- cross-table checks

TAMPER = {
    "denominators_match_outflow_and_caseload": "UPDATE kpi.coordination SET outflow = outflow + 1",
    "released_matches_outflow": "UPDATE kpi.reach_funnel SET persons = persons + 1",
    "region_matches_municipality": (
        "UPDATE staging.detentions SET region = 'Noord-Limburg' WHERE region = 'Midden-Limburg'"
    ),
    "rows_belong_to_loaded_files": "UPDATE quality.rejected_rows SET file = 'justid/weg.csv'",
}


@pytest.mark.parametrize("check", sorted(TAMPER))
def test_cross_table_checks_pass_on_the_demo_and_catch_a_tampered_figure(demo_warehouse, check):
    from assets.checks import sql_check

    query = sql_check(check).query
    assert demo_warehouse.execute(query).fetchall() == []
    con = duckdb.connect()
    try:
        for schema, table in demo_warehouse.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() "
            "WHERE schema_name IN ('kpi', 'staging', 'quality')"
        ).fetchall():
            frame = demo_warehouse.sql(f"SELECT * FROM {schema}.{table}").pl()  # noqa: F841
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            con.execute(f"CREATE TABLE {schema}.{table} AS SELECT * FROM frame")
        con.execute(TAMPER[check])
        assert con.execute(query).fetchall()
    finally:
        con.close()
