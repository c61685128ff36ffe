"""Unit tests of the case registration source (nazorg.sources.cases): marks, header
finding across sheets, Overig, duplicates within a file and superseding across files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandera.polars as pa
import polars as pl
import pytest
from openpyxl import Workbook

from nazorg.demo import persons
from nazorg.ingest import RawTable, ingest_source
from nazorg.sources import cases as src
from schemas.caseload import Cases

KEY = "unit-test-key"
BSNS = persons.test_range_bsns()[:40]
GOOI = "Gooi en Vechtstreek"
HEADER = [
    "Casusnummer",
    "BSN",
    "Naam",
    "Gemeente",
    "Datum aanmelding",
    "Datum uitstroom",
    "Bron",
    "Profiel",
    "Verrijking",
    "Inzet ID",
    "Inzet huisvesting",
    "Inzet werk/inkomen",
    "Inzet schulden",
    "Inzet zorg",
    "Casusoverleg",
    "Nazorg-plus",
    "Startdatum traject",
    "Einddatum traject",
    "Intensiteit",
    "Opmerkingen",
]


def raw_table(rows: list[dict], sheet: str = "2013") -> RawTable:
    """A RawTable as the framework hands it to the parser (text cells, row numbers)."""
    base = {"case_number": None, "bsn": None, "registration_date": "2013-03-01 00:00:00"}
    columns = list(dict.fromkeys([*base, *(k for r in rows for k in r)]))
    frame = pl.DataFrame(
        [{c: (base | r).get(c) for c in columns} for r in rows],
        schema=dict.fromkeys(columns, pl.Utf8),
    )
    return RawTable(
        frame.with_columns(
            source_row=pl.Series(range(5, 5 + len(rows)), dtype=pl.Int64), sheet=pl.lit(sheet)
        )
    )


def row(i: int, **fields) -> dict:
    return {"case_number": f"GV-2013-{i:03d}", "bsn": BSNS[i]} | fields


def write_register(path: Path, sheets: dict[str, list[list]]) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    for title, lines in sheets.items():
        ws = wb.create_sheet(title)
        for line in lines:
            ws.append(line)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def case_line(number: str, bsn, gemeente, registered, **extra) -> list:
    values = (
        dict.fromkeys(HEADER)
        | {
            "Casusnummer": number,
            "BSN": bsn,
            "Naam": "T. Testpersoon",
            "Gemeente": gemeente,
            "Datum aanmelding": registered,
            "Opmerkingen": "vertrouwelijke opmerking die nergens mag komen",
        }
        | extra
    )
    return [values[h] for h in HEADER]


def ingest(raw_dir: Path):
    result = ingest_source(raw_dir, src.CASES, src.parse_cases, KEY, regions=src.regions())
    cases, superseded = src.build_cases(result.rows)
    return result, cases, superseded


# --------------------------------------------------------------------------- marks


@pytest.mark.parametrize(
    ("mark", "expected"),
    [
        ("x", True),
        ("X", True),
        ("Ja", True),
        ("ja", True),
        ("J", True),
        (None, False),
        ("Nee", False),
    ],
)
def test_marks_in_the_inzet_columns(mark, expected):
    parsed = src.parse_cases(raw_table([row(1, support_housing=mark, support_care=mark)]), KEY)
    assert parsed.rejected.height == 0
    got = parsed.rows.row(0, named=True)
    assert got["support_housing"] is expected and got["support_care"] is expected


def test_an_unknown_mark_rejects_the_row_with_a_message():
    parsed = src.parse_cases(raw_table([row(1, support_debts="misschien")]), KEY)
    assert parsed.rows.height == 0
    (problem,) = parsed.rejected.rows(named=True)
    assert problem["column"] == "Inzet schulden" and "Ja/Nee of x" in problem["problem"]


def test_choice_columns_accept_other_spellings_and_reject_unknown_values():
    parsed = src.parse_cases(
        raw_table(
            [
                row(1, case_conference="Veelpleger-overleg", enrichment="netwerkronde"),
                row(2, case_conference="scenario overleg huiselijk geweld", nazorg_plus="gestart"),
                row(3, case_conference="-", intensity="weinig  verbinding"),
                row(4, case_conference="Koffie"),
            ]
        ),
        KEY,
    )
    got = {r["case_number"]: r for r in parsed.rows.iter_rows(named=True)}
    assert got["GV-2013-001"]["case_conference"] == "Veelplegeroverleg"
    assert got["GV-2013-001"]["enrichment"] == "Netwerkronde"
    assert got["GV-2013-002"]["case_conference"] == "Scenario-overleg huiselijk geweld"
    assert got["GV-2013-002"]["nazorg_plus"] == "Gestart"
    assert got["GV-2013-003"]["case_conference"] is None
    assert got["GV-2013-003"]["intensity"] == "Weinig verbinding"
    (problem,) = parsed.rejected.rows(named=True)
    assert problem["column"] == "Casusoverleg" and problem["source_row"] == 8
    assert "Veelplegeroverleg" in problem["problem"]


def test_bsn_as_number_and_dates_as_text_or_cells():
    leading_zero = next(persons.generated_bsns())
    assert leading_zero.startswith("0")
    parsed = src.parse_cases(
        raw_table(
            [
                {"case_number": "A", "bsn": leading_zero, "registration_date": "05-02-2013"},
                {
                    "case_number": "B",
                    "bsn": str(int(leading_zero)),
                    "registration_date": "5-2-2013",
                },
                {"case_number": "C", "bsn": f"{int(leading_zero)}.0", "registration_date": "41310"},
            ]
        ),
        KEY,
    )
    assert parsed.rejected.height == 0
    assert parsed.rows.get_column("person_key").n_unique() == 1
    assert set(parsed.rows.get_column("registration_date")) == {dt.date(2013, 2, 5)}
    assert "bsn" not in parsed.rows.columns


def test_trajectory_dates_that_do_not_fit_are_warnings_not_rejections():
    parsed = src.parse_cases(
        raw_table(
            [
                row(
                    1,
                    nazorg_plus="Gestart",
                    trajectory_start_date="01-03-2013",
                    trajectory_end_date="01-02-2013",
                ),
                row(2, nazorg_plus="Gestart"),
            ]
        ),
        KEY,
    )
    assert parsed.rows.height == 2 and parsed.rejected.height == 0
    assert parsed.rows.get_column("trajectory_end_date").null_count() == 2
    assert sorted(parsed.warnings.get_column("rule")) == [
        "trajectory_end_before_start",
        "trajectory_start_missing",
    ]


# --------------------------------------------------------------------------- Overig


def test_overig_empty_overig_unknown_and_out_of_region(tmp_path):
    # Codes written by hand from the CBS list, not taken from the reference table.
    lines = [
        case_line("C1", BSNS[1], "Hilversum", dt.datetime(2013, 1, 10)),
        case_line("C2", BSNS[2], None, dt.datetime(2013, 1, 11)),
        case_line("C3", BSNS[3], "Overig", dt.datetime(2013, 1, 12)),
        case_line("C4", BSNS[4], "Hilvesum", dt.datetime(2013, 1, 13)),  # typo
        case_line("C5", BSNS[5], "Amsterdam", dt.datetime(2013, 1, 14)),  # outside the region
        case_line("C6", BSNS[6], "Roermond", dt.datetime(2013, 1, 15)),  # another region
        case_line("C7", BSNS[7], "Laren (NH)", "16-01-2013"),
        case_line("C8", BSNS[8], "GEMEENTE BUSSUM", dt.datetime(2013, 1, 17)),
        case_line("C9", BSNS[9], "Bussum", dt.datetime(2017, 1, 17)),  # merged by then
        case_line("C10", BSNS[10], "Bergen", dt.datetime(2013, 1, 18)),  # ambiguous
        case_line("C11", BSNS[11], 402, dt.datetime(2013, 1, 19)),  # a code, as a number
        case_line("C12", BSNS[12], "n.v.t.", dt.datetime(2013, 1, 20)),
        case_line("C13", BSNS[13], "GM0344", dt.datetime(2013, 1, 21)),  # a code elsewhere
    ]
    write_register(
        tmp_path / "caseload" / "gooi-en-vechtstreek" / "r.xlsx",
        {"2013": [["Registratie"], HEADER, *lines]},
    )
    result, cases, _ = ingest(tmp_path)
    got = {
        r["case_number"]: (r["municipality_code"], r["municipality_name"])
        for r in cases.iter_rows(named=True)
    }
    assert got == {
        "C1": ("GM0402", "Hilversum"),
        "C2": ("OVERIG", "Overig"),
        "C3": ("OVERIG", "Overig"),
        "C4": ("OVERIG", "Overig"),
        "C5": ("OVERIG", "Overig"),
        "C6": ("OVERIG", "Overig"),
        "C7": ("GM0417", "Laren"),
        "C8": ("GM0381", "Bussum"),
        "C9": ("GM1942", "Gooise Meren"),
        "C10": ("OVERIG", "Overig"),
        "C11": ("GM0402", "Hilversum"),
        "C12": ("OVERIG", "Overig"),
        "C13": ("OVERIG", "Overig"),
    }
    assert set(cases.get_column("region")) == {GOOI}
    warnings = result.warnings.sort("row_number").rows(named=True)
    assert [(w["row_number"], w["column_name"], w["rule"]) for w in warnings] == [
        (6, "Gemeente", "municipality_unknown"),
        (11, "Datum aanmelding", "year_differs_from_sheet"),  # a 2017 case on sheet 2013
        (12, "Gemeente", "municipality_unknown"),
    ]
    assert "niet eenduidig" in warnings[2]["message"]
    assert "'Hilvesum' komt niet voor" in warnings[0]["message"]
    assert "Overig" in warnings[0]["message"]
    assert warnings[0]["message"].startswith(
        "caseload/gooi-en-vechtstreek/r.xlsx, blad '2013', rij 6"
    )
    Cases.validate(cases)


# --------------------------------------------------------------------------- headers


def test_header_found_on_every_year_sheet_title_rows_totaal_and_no_header_sheet(tmp_path):
    path = write_register(
        tmp_path / "caseload" / "gooi-en-vechtstreek" / "2013" / "registratie.xlsx",
        {
            "Toelichting": [
                ["Toelichting bij de registratie"],
                ["Inzet-kolommen", "kruisje als de coördinator inzet deed"],
                ["Casusnummer", "uniek per casus"],
            ],
            "2013": [
                ["Registratie nazorg Gooi en Vechtstreek 2013"],
                ["Stand 10-01-2014"],
                [],
                HEADER,
                case_line("GV-2013-001", BSNS[1], "Hilversum", dt.datetime(2013, 1, 16)),
                case_line("GV-2013-002", int(BSNS[2]), "Huizen", "05-02-2013"),
                [],
                case_line("GV-2013-003", BSNS[3], "Weesp", dt.datetime(2013, 3, 1)),
                [],
                ["Totaal", 3],
            ],
            # Another year, header in the first row and the columns in another order.
            "2014": [
                list(reversed(HEADER)),
                list(reversed(case_line("GV-2014-001", BSNS[4], "Bussum", "2-1-2014"))),
                ["Totaal aantal casussen", 1],
            ],
        },
    )
    result, cases, _ = ingest(tmp_path)
    (ledger,) = result.ledger.rows(named=True)
    assert ledger["status"] == "loaded"
    assert (ledger["rows_read"], ledger["rows_loaded"], ledger["rows_rejected"]) == (4, 4, 0)
    got = sorted(cases.select("sheet", "source_row", "case_number", "registration_date").rows())
    assert got == [
        ("2013", 5, "GV-2013-001", dt.date(2013, 1, 16)),
        ("2013", 6, "GV-2013-002", dt.date(2013, 2, 5)),
        ("2013", 8, "GV-2013-003", dt.date(2013, 3, 1)),
        ("2014", 2, "GV-2014-001", dt.date(2014, 1, 2)),
    ]
    assert set(cases.get_column("source_file")) == {path.relative_to(tmp_path).as_posix()}
    # Names and remarks are never read into a frame.
    assert not {"Naam", "Opmerkingen", "naam", "opmerkingen"} & set(result.rows.columns)


def test_a_workbook_without_any_header_fails_clearly(tmp_path):
    write_register(
        tmp_path / "caseload" / "midden-limburg" / "notities.xlsx",
        {"Blad1": [["alleen een notitie"]]},
    )
    result, cases, _ = ingest(tmp_path)
    (ledger,) = result.ledger.rows(named=True)
    assert ledger["status"] == "failed" and "Casusnummer" in ledger["error"]
    assert cases.height == 0


def test_a_register_outside_a_region_folder_fails(tmp_path):
    write_register(tmp_path / "caseload" / "registratie.xlsx", {"2013": [HEADER]})
    result, _, _ = ingest(tmp_path)
    assert result.ledger.get_column("status").to_list() == ["failed"]
    assert "regiomap" in result.ledger.get_column("error")[0]


# --------------------------------------------------------------------------- duplicates


def test_duplicate_case_number_in_one_file_rejects_the_second(tmp_path):
    write_register(
        tmp_path / "caseload" / "gooi-en-vechtstreek" / "registratie.xlsx",
        {
            "2013": [
                ["Registratie"],
                HEADER,
                case_line("GV-2013-001", BSNS[1], "Hilversum", dt.datetime(2013, 1, 16)),
                case_line("GV-2013-002", BSNS[2], "Huizen", dt.datetime(2013, 1, 17)),
                case_line("GV-2013-001", BSNS[1], "Hilversum", dt.datetime(2013, 1, 16)),
            ],
            "2014": [
                HEADER,
                case_line("gv-2013-002 ", BSNS[3], "Huizen", dt.datetime(2014, 1, 3)),
            ],
        },
    )
    result, cases, _ = ingest(tmp_path)
    assert sorted(cases.get_column("case_number")) == ["GV-2013-001", "GV-2013-002"]
    (ledger,) = result.ledger.rows(named=True)
    assert (ledger["rows_read"], ledger["rows_loaded"], ledger["rows_rejected"]) == (4, 2, 2)
    rejected = result.rejected.sort("sheet", "row_number").rows(named=True)
    assert [(r["sheet"], r["row_number"], r["column_name"], r["rule"]) for r in rejected] == [
        ("2013", 5, "Casusnummer", "duplicate_case_number"),
        ("2014", 2, "Casusnummer", "duplicate_case_number"),
    ]
    first = rejected[0]["message"]
    assert first.startswith(
        "caseload/gooi-en-vechtstreek/registratie.xlsx, blad '2013', rij 5, kolom 'Casusnummer':"
    )
    assert "'GV-2013-001'" in first and "blad '2013', rij 3" in first
    assert "blad '2013', rij 4" in rejected[1]["message"]
    assert BSNS[1] not in first


def test_superseding_across_cumulative_exports(tmp_path):
    folder = tmp_path / "caseload" / "gooi-en-vechtstreek"
    write_register(
        folder / "registratie_2013-04.xlsx",
        {
            "2013": [
                HEADER,
                case_line("GV-2013-001", BSNS[1], "Hilversum", dt.datetime(2013, 1, 16)),
                case_line("GV-2013-002", BSNS[2], "Huizen", dt.datetime(2013, 2, 1)),
            ]
        },
    )
    write_register(
        folder / "registratie_2014-01.xlsx",
        {
            "2013": [
                ["Registratie"],
                HEADER,
                # the person moved: the newer export says Bussum, and the profile is made
                case_line("GV-2013-001", BSNS[1], "Bussum", dt.datetime(2013, 1, 16), Profiel="Ja"),
                case_line("GV-2013-003", BSNS[3], "Weesp", dt.datetime(2013, 5, 1)),
            ]
        },
    )
    result, cases, superseded = ingest(tmp_path)
    got = {r["case_number"]: r for r in cases.iter_rows(named=True)}
    assert sorted(got) == ["GV-2013-001", "GV-2013-002", "GV-2013-003"]
    assert got["GV-2013-001"]["municipality_name"] == "Bussum"
    assert got["GV-2013-001"]["has_profile"] is True
    assert (
        got["GV-2013-001"]["source_file"] == "caseload/gooi-en-vechtstreek/registratie_2014-01.xlsx"
    )
    assert (
        got["GV-2013-002"]["source_file"] == "caseload/gooi-en-vechtstreek/registratie_2013-04.xlsx"
    )
    # The older row counted as loaded, and is listed as superseded.
    assert result.ledger.get_column("rows_loaded").to_list() == [2, 2]
    (warning,) = superseded.rows(named=True)
    assert (warning["file"], warning["sheet"], warning["row_number"], warning["rule"]) == (
        "caseload/gooi-en-vechtstreek/registratie_2013-04.xlsx",
        "2013",
        2,
        "superseded",
    )
    assert "registratie_2014-01.xlsx, blad '2013', rij 3" in warning["message"]
    assert warning["source"] == "caseload"


def test_supersede_is_per_region():
    rows = pl.DataFrame(
        {
            "region": [GOOI, "Midden-Limburg"],
            "case_number": ["C-1", "C-1"],
            "source_file": ["caseload/a.xlsx", "caseload/b.xlsx"],
            "sheet": ["2013", "2013"],
            "source_row": [2, 2],
        }
    )
    kept, warnings = src.supersede(rows)
    assert kept.height == 2 and warnings.height == 0


# --------------------------------------------------------------------------- shape


def test_no_files_gives_an_empty_table_of_the_right_shape():
    cases, superseded = src.build_cases(pl.DataFrame())
    assert cases.height == 0 and superseded.height == 0
    assert list(cases.columns) == list(Cases.to_schema().columns)
    Cases.validate(cases)


def test_the_schema_rejects_a_duplicate_case_number_in_a_region(tmp_path):
    write_register(
        tmp_path / "caseload" / "gooi-en-vechtstreek" / "r.xlsx",
        {"2013": [HEADER, case_line("C1", BSNS[1], "Hilversum", dt.datetime(2013, 1, 10))]},
    )
    _, cases, _ = ingest(tmp_path)
    Cases.validate(cases)
    with pytest.raises(pa.errors.SchemaErrors):
        Cases.validate(pl.concat([cases, cases]), lazy=True)
