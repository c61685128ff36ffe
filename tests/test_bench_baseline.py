"""The naive baseline of the benchmark computes the same outflow and caseload as the
pipeline: on the demo data (the published figures), on a folder of edge cases, and in
its small rules (11-proef, municipality codes, mergers)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from bench import baseline
from bench.run import compare_with_warehouse
from tests.conftest import RAW, run_nightly

# --------------------------------------------------------------------------- unit rules


def test_elfproef_and_lost_leading_zero():
    assert baseline.elfproef("111222333")
    assert not baseline.elfproef("111222334")
    assert not baseline.elfproef("000000000")
    assert not baseline.elfproef("11122233")  # 8 digits: only after padding
    assert baseline.normalise_bsn("12345672") == "012345672"
    assert baseline.elfproef(baseline.normalise_bsn(" 12345672.0 "))


def test_municipality_codes_are_one_code_however_written():
    for text in ("GM0402", "gm0402", "0402", "402", " 402 ", "402.0"):
        assert baseline.normalise_code(text) == "GM0402", text
    assert baseline.normalise_code("Hilversum") is None
    assert baseline.normalise_name("Gemeente 's-Graveland") == "sgraveland"


def test_municipality_is_resolved_at_the_event_date():
    ref = baseline.load_reference()
    texts = pd.Series(["Bussum", "Bussum", "GM0381", "Bergen", "Laren (NH)", "Helden", "x"])
    dates = pd.Series(
        pd.to_datetime(["2013-06-01", "2017-06-01", "2016-01-01"] + ["2012-01-01"] * 4)
    )
    placed = baseline.resolve(texts, dates, ref)
    codes = placed["municipality_code"].tolist()
    # Hand-written expectations, independent of the reference table.
    assert codes[:3] == ["GM0381", "GM1942", "GM1942"]  # Bussum 2013 stays, 2017 Gooise Meren
    assert pd.isna(codes[3]) and pd.isna(codes[6])  # ambiguous, unknown
    assert codes[4] == "GM0417" and codes[5] == "GM1894"  # Laren; Helden → Peel en Maas
    assert placed["region"].tolist()[:2] == ["Gooi en Vechtstreek"] * 2


def test_dates_in_every_form_the_exports_use():
    texts = pd.Series(
        [
            "05-02-2013",
            "5-2-2013",
            "05/02/2013",
            "2013-02-05",
            "2013-02-05 10:30:00",
            "05-02-2013 10:30",
            "41310",
            "31-02-2013",
            "2013/02/05",
            "morgen",
            None,
        ],
        dtype="str",
    )
    parsed = baseline.parse_dates(texts)
    assert parsed.iloc[:7].tolist() == [pd.Timestamp("2013-02-05")] * 7
    assert parsed.iloc[7:].isna().all()


# --------------------------------------------------------------------------- demo data


@pytest.fixture(scope="module")
def demo_baseline(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("baseline") / "baseline.xlsx"
    baseline.write(baseline.compute(RAW), out)
    return out


def test_baseline_equals_the_pipeline_on_the_demo_data(demo_build, demo_baseline):
    result, warehouse = demo_build
    assert result.success
    assert compare_with_warehouse(demo_baseline, warehouse) == []


def test_baseline_gives_the_published_demo_figures(demo_baseline):
    outflow = pd.read_excel(demo_baseline, sheet_name="uitstroom")
    caseload = pd.read_excel(demo_baseline, sheet_name="caseload")
    gooi = outflow[(outflow["region"] == "Gooi en Vechtstreek") & (outflow["year"] == 2013)]
    # kpi-method.md part A, Tabel 1 (2013): 261 persons, Hilversum 159, Blaricum 2.
    assert gooi["persons"].sum() == 261
    named = dict(zip(gooi["municipality_name"], gooi["persons"], strict=True))
    assert named["Hilversum"] == 159 and named["Blaricum"] == 2
    cases = caseload[(caseload["region"] == "Gooi en Vechtstreek") & (caseload["year"] == 2013)]
    assert cases["cases"].sum() == 325
    assert dict(zip(cases["municipality_code"], cases["cases"], strict=True))["OVERIG"] == 11
    assert abs(cases["share"].sum() - 1) < 1e-9


def test_a_difference_is_reported(demo_build, demo_baseline, tmp_path):
    from openpyxl import load_workbook

    _result, warehouse = demo_build
    workbook = load_workbook(demo_baseline)
    sheet = workbook["caseload"]
    sheet.cell(row=2, column=5, value=sheet.cell(row=2, column=5).value + 1)
    workbook["uitstroom"].delete_rows(2)
    changed = tmp_path / "changed.xlsx"
    workbook.save(changed)
    differences = compare_with_warehouse(changed, warehouse)
    assert len(differences) == 2
    assert any("kpi.caseload" in d and "cases" in d for d in differences)


# --------------------------------------------------------------------------- edge cases

JUSTID_HEADER = (
    "Meldingnummer;Soort melding;Datum melding;BSN;Achternaam;Voorletters;Geboortedatum;"
    "Geslacht;Gemeentecode;Gemeente;Inrichting;Datum insluiting;Verwachte datum ontslag;"
    "Datum ontslag;Titel"
)


def valid_bsns(n: int, start: int = 100_000_000) -> list[str]:
    found, number = [], start
    while len(found) < n:
        text = f"{number:09d}"
        if baseline.elfproef(text):
            found.append(text)
        number += 1
    return found


def _justid_line(nr, kind, date, bsn, code, name, admission, release="", birth="01-01-1980"):
    return ";".join(
        [
            nr,
            kind,
            date,
            bsn,
            "Jansen",
            "J.",
            birth,
            "M",
            code,
            name,
            "PI Roermond",
            admission,
            "",
            release,
            "Gevangenisstraf",
        ]
    )


def _workbook(path: Path, sheets: dict[str, list[list]]) -> None:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)


def write_edge_cases(raw: Path) -> None:
    """Exports with the quirks and broken rows of the contract, in small."""
    p = valid_bsns(40)
    q = valid_bsns(3, start=10_000_000)  # a leading zero, lost where stored as a number
    d = dt.datetime
    justid = raw / "justid"
    (justid / "a").mkdir(parents=True)
    (justid / "a-b").mkdir()
    lines = [
        JUSTID_HEADER,
        # P0: release without a place takes the admission's; a later release that year wins.
        _justid_line(
            "J1", "Begin detentie", "05-01-2019", p[0], "GM0957", "Roermond", "05-01-2019"
        ),
        _justid_line(
            "J2", "Einde detentie", "01-03-2019", p[0], "", "", "05-01-2019", "01-03-2019"
        ),
        _justid_line("J3", "Insluiting", "01-05-2019", p[0], "", "", "01-05-2019"),
        _justid_line(
            "J4", "Ontslag", "01-09-2019", p[0], "988", "Weert", "01-05-2019", "01-09-2019"
        ),
        # P1: old vocabulary, name only; P2: code without GM, in another region.
        _justid_line(
            "J5", "ONTSLAG", "02-02-2020", p[1], "", "Gemeente Roermond", "01-01-2020", "2-2-2020"
        ),
        _justid_line(
            "J6", "Einde detentie", "2019-06-01", p[2], "0402", "", "2019-01-01", "2019-06-01"
        ),
        # Mergers at the release date; ambiguous, unknown and out-of-region places.
        _justid_line(
            "J7", "Einde detentie", "01-06-2015", p[3], "", "Bussum", "01-01-2015", "01-06-2015"
        ),
        _justid_line(
            "J8", "Einde detentie", "01-06-2017", p[4], "", "BUSSUM", "01-01-2017", "01-06-2017"
        ),
        _justid_line(
            "J9", "Einde detentie", "01-06-2019", p[5], "", "Bergen", "01-01-2019", "01-06-2019"
        ),
        _justid_line(
            "J10",
            "Einde detentie",
            "01-06-2019",
            p[6],
            "GM0363",
            "Amsterdam",
            "01-01-2019",
            "01-06-2019",
        ),
        _justid_line(
            "J11", "Einde detentie", "01-06-2019", p[7], "GM9999", "", "01-01-2019", "01-06-2019"
        ),
        _justid_line(
            "J12", "Einde detentie", "01-05-2022", p[8], "", "Weesp", "01-01-2022", "01-05-2022"
        ),
        _justid_line(
            "J13", "Einde detentie", "01-03-2022", p[9], "", "Weesp", "01-01-2022", "01-03-2022"
        ),
        _justid_line(
            "J14",
            "Einde detentie",
            "01-06-2012",
            p[10],
            "",
            "Meerlo-Wanssum",
            "01-01-2012",
            "01-06-2012",
        ),
        _justid_line(
            "J15", "Einde detentie", "01-06-2012", p[11], "", "Helden", "01-01-2012", "01-06-2012"
        ),
        # Leave and transfer never release, even with a Datum ontslag filled in.
        _justid_line(
            "J16", "Verlof", "01-04-2019", p[12], "GM0957", "", "01-01-2019", "01-04-2019"
        ),
        _justid_line("J17", "Overplaatsing", "01-04-2019", p[13], "GM0957", "", "01-01-2019"),
        # Two release notifications of one episode: the last one's place.
        _justid_line(
            "J18", "Einde detentie", "01-07-2019", p[14], "GM0957", "", "01-01-2019", "01-07-2019"
        ),
        _justid_line(
            "J19", "Einde detentie", "03-07-2019", p[14], "GM0988", "", "01-01-2019", "02-07-2019"
        ),
        # Date forms: timestamp, slashes, serial number.
        _justid_line(
            "J20",
            "Einde detentie",
            "01-08-2019 10:30",
            p[15],
            "GM1640",
            "",
            "01/01/2019",
            "01-08-2019 10:30",
        ),
        _justid_line("J21", "Einde detentie", "43678", p[16], "GM1641", "", "43466", "43678"),
        # Broken rows: 11-proef, unknown kind, release before admission, no release date,
        # impossible birth dates, a date that does not exist, a required field empty.
        _justid_line(
            "X1",
            "Einde detentie",
            "01-06-2019",
            "123456789",
            "GM0957",
            "",
            "01-01-2019",
            "01-06-2019",
        ),
        _justid_line(
            "X2", "Heroverweging", "01-06-2019", p[17], "GM0957", "", "01-01-2019", "01-06-2019"
        ),
        _justid_line(
            "X3", "Einde detentie", "01-06-2019", p[18], "GM0957", "", "01-07-2019", "01-06-2019"
        ),
        _justid_line("X4", "Einde detentie", "01-06-2019", p[19], "GM0957", "", "01-01-2019", ""),
        _justid_line(
            "X5",
            "Einde detentie",
            "01-06-2019",
            p[20],
            "GM0957",
            "",
            "01-01-2019",
            "01-06-2019",
            "01-01-1850",
        ),
        _justid_line(
            "X6",
            "Einde detentie",
            "01-06-2019",
            p[21],
            "GM0957",
            "",
            "01-01-2019",
            "01-06-2019",
            "01-02-2019",
        ),
        _justid_line(
            "X7", "Einde detentie", "01-06-2019", p[22], "GM0957", "", "01-01-2019", "31-06-2019"
        ),
        _justid_line("X8", "Einde detentie", "", p[23], "GM0957", "", "01-01-2019", "01-06-2019"),
        # A BSN that lost its leading zero; a quoted cell with the separator; extra cells.
        _justid_line("J22", "Begin detentie", "01-01-2019", q[0], "GM0946", "", "01-01-2019"),
        _justid_line(
            "J24",
            "Einde detentie",
            "01-06-2019",
            str(int(q[0])),
            "",
            "",
            "01-01-2019",
            "01-06-2019",
        ),
        _justid_line(
            "J23",
            "Einde detentie",
            "01-06-2019",
            p[25],
            "GM0988",
            '"Weert; centrum"',
            "01-01-2019",
            "01-06-2019",
        )
        + ";extra;cells",
        "Totaal;30",
    ]
    (justid / "a" / "export.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    # Path order (a/ before a-b/) decides which of two different rows with the same
    # Meldingnummer counts; text order would put a-b/ first.
    header = (
        " meldingnummer ;SOORT MELDING;Datum melding;BSN;geboortedatum;Gemeentecode;Gemeente;"
        "Inrichting;Datum  insluiting;Datum ontslag;Opmerking"
    )
    overlap = [
        "",
        header,
        f"J4;Ontslag;01-09-2019;{p[0]};01-01-1980;GM1711;;PI Roermond;01-05-2019;01-09-2019;x",
        f"J30;Einde detentie;01-10-2019;{p[26]};01-01-1980;GM1669;;PI Roermond;01-01-2019;01-10-2019;é",
    ]
    (justid / "a-b" / "export.csv").write_text("\n".join(overlap) + "\n", encoding="utf-8-sig")
    shutil.copy(justid / "a" / "export.csv", justid / "kopie.csv")  # same bytes: once
    (justid / "zonder_bsn.csv").write_text("Meldingnummer;Soort melding\nJ99;Ontslag\n")
    (justid / "leesmij.txt").write_text("geen invoer")

    # DPAN: title row, transfers, an export that reappears closed, text dates, numbers.
    dpan_header = [
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
        "Toestemming",
    ]
    _workbook(
        raw / "dpan" / "dpan_2011.xlsx",
        {
            "Export": [
                ["DPAN export 2011"],
                dpan_header,
                [
                    "D1",
                    p[27],
                    "X",
                    d(1980, 1, 1),
                    "Hilversum",
                    "PI",
                    d(2011, 1, 1),
                    d(2011, 3, 1),
                    "Overplaatsing",
                    "Ja",
                    "Nee",
                ],
                [
                    "D2",
                    p[27],
                    "X",
                    d(1980, 1, 1),
                    None,
                    "PI",
                    d(2011, 1, 1),
                    d(2011, 6, 1),
                    "ontslag",
                    None,
                    None,
                ],
                [
                    "D3",
                    int(p[28]),
                    "X",
                    "5-2-1975",
                    "Gemeente Naarden",
                    "PI",
                    d(2011, 11, 1),
                    None,
                    None,
                    None,
                    None,
                ],
                [
                    "D4",
                    p[29],
                    "X",
                    d(1980, 1, 1),
                    "Huizen",
                    "PI",
                    "01-02-2011",
                    "01-05-2011",
                    None,
                    None,
                    None,
                ],
                [
                    "D5",
                    p[30],
                    "X",
                    d(1980, 1, 1),
                    "Huizen",
                    "PI",
                    d(2011, 2, 1),
                    d(2011, 5, 1),
                    "Ontslag",
                    "Misschien",
                    None,
                ],
                [
                    "D6",
                    p[31],
                    "X",
                    d(1980, 1, 1),
                    "Laren (NH)",
                    "PI",
                    d(2011, 2, 1),
                    d(2011, 5, 1, 14, 30),
                    "Ontslag",
                    "Onbekend",
                    "Ja",
                ],
                ["Totaal", 6],
            ],
            "Toelichting": [["Geen kopregel hier"]],
        },
    )
    _workbook(
        raw / "dpan" / "dpan_2012.xlsx",
        {
            "Export": [
                ["DPAN export 2012"],
                [],
                dpan_header,
                [
                    "D3",
                    p[28],
                    "X",
                    d(1975, 2, 5),
                    "Bussum",
                    "PI",
                    d(2011, 11, 1),
                    d(2012, 2, 1),
                    "Ontslag",
                    None,
                    None,
                ],
                # In both systems: JustID's release and place win.
                [
                    "D7",
                    p[32],
                    "X",
                    d(1980, 1, 1),
                    "Hilversum",
                    "PI",
                    d(2012, 12, 1),
                    d(2019, 2, 1),
                    "Ontslag",
                    None,
                    None,
                ],
                [],
                [
                    "D8",
                    p[33],
                    "X",
                    d(1980, 1, 1),
                    "Blaricum",
                    "PI",
                    d(2012, 3, 1),
                    d(2012, 4, 1),
                    "Ontslag",
                    None,
                    None,
                ],
            ]
        },
    )
    both = [
        JUSTID_HEADER,
        _justid_line(
            "J40", "Einde detentie", "01-02-2019", p[32], "GM0957", "", "01-12-2012", "01-02-2019"
        ),
        _justid_line("J41", "Begin detentie", "01-03-2012", p[33], "GM0957", "", "01-03-2012"),
    ]
    (justid / "both.csv").write_text("\n".join(both) + "\n", encoding="utf-8")

    # Case registration: re-exports, duplicates, OVERIG texts, choices, marks, dates.
    case_header = [
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
        "Casusoverleg",
        "Nazorg-plus",
        "Intensiteit",
        "Opmerkingen",
    ]

    def case(number, bsn, place, registered, **extra):
        values = {"Profiel": "Ja", "Verrijking": "Nee", "Casusoverleg": "Geen"} | extra
        return [
            number,
            bsn,
            "N",
            place,
            registered,
            None,
            "JustID",
            values["Profiel"],
            values["Verrijking"],
            values.get("Inzet ID"),
            values["Casusoverleg"],
            values.get("Nazorg-plus"),
            values.get("Intensiteit"),
            None,
        ]

    gooi = raw / "caseload" / "gooi-en-vechtstreek"
    _workbook(
        gooi / "registratie_2013-04.xlsx",
        {
            "2013": [
                ["Registratie"],
                case_header,
                case("GV-1", p[0], "Hilversum", d(2013, 2, 1)),
                case("GV-2", p[1], "Huizen", d(2013, 2, 1)),
                case(17, p[2], "Huizen", d(2013, 2, 1)),
            ]
        },
    )
    _workbook(
        gooi / "registratie_2014-01.xlsx",
        {
            "2014": [
                ["Registratie 2014"],
                case_header,
                case("GV-20", p[3], "Bussum", d(2014, 2, 1)),
                case("GV-21", p[3], "Gemeente Bussum", "5-2-2017"),
                case("GV-22", int(p[28]), "Weesp", "01-06-2023"),
                case("GV-23", p[5], "Laren (NH)", 41700),
                case("GV-24", int(q[1]), "Blaricum", d(2014, 3, 1)),
                case("GV-25", q[1], "Blaricum", d(2014, 3, 2)),
            ],
            "2013": [
                ["Registratie 2013"],
                [],
                case_header,
                case(" gv-1 ", p[0], "HILVERSUM", "05-02-2013"),  # supersedes GV-1
                case("GV-3", p[6], "Overig", d(2013, 3, 1)),
                case("GV-4", p[7], "n.v.t.", d(2013, 3, 1)),
                case("GV-5", p[8], None, d(2013, 3, 1)),
                case("GV-6", p[9], "Amsterdam", d(2013, 3, 1)),
                case("GV-7", p[10], "Roermond", d(2013, 3, 1)),
                case("GV-8", p[11], "Hilversun", d(2013, 3, 1)),
                case("GV-9", p[12], "0402", d(2013, 3, 1), Casusoverleg="Veelpleger-overleg"),
                case("GV-10", p[13], "Hilversum", d(2013, 3, 1), Verrijking="Misschien"),
                case("GV-11", p[14], "Hilversum", d(2013, 3, 1), Profiel="?"),
                case("GV-12", p[15], "Hilversum", "2013-13-01"),
                case("GV-13", "123456789", "Hilversum", d(2013, 3, 1)),
                case(
                    "GV-14", p[16], "Hilversum", d(2013, 3, 1), Verrijking="-", **{"Inzet ID": "X"}
                ),
                case("GV-14", p[17], "Huizen", d(2013, 3, 1)),  # twice in one file
                case("GV-15", p[0], "Hilversum", d(2013, 4, 1)),  # same person, second case
                [],
                ["Totaal", 14],
            ],
            "Oud": [["Casusnummer", "BSN"], ["GV-99", p[18]]],  # header without a date
            "Toelichting": [["Een tabblad per jaar"]],
        },
    )
    _workbook(
        raw / "caseload" / "midden-limburg" / "reg.xlsx",
        {"2020": [case_header, case("ML-1", p[19], "Roermond", d(2020, 5, 1)), ["Totaal", 1]]},
    )
    _workbook(
        raw / "caseload" / "zonder-regio.xlsx",
        {"x": [case_header, case("Z1", p[20], "Weert", d(2020, 1, 1))]},
    )
    _workbook(
        raw / "caseload" / "elders" / "x.xlsx",
        {"x": [case_header, case("Z2", p[21], "Weert", d(2020, 1, 1))]},
    )
    (raw / "caseload" / "midden-limburg" / "kapot.xlsx").write_bytes(b"PK\x03\x04 not a workbook")


@pytest.fixture(scope="module")
def edge_cases(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("edge")
    raw = folder / "raw"
    write_edge_cases(raw)
    result = run_nightly(raw, folder / "wh" / "nazorg.duckdb")
    assert result.success
    out = folder / "baseline.xlsx"
    baseline.write(baseline.compute(raw), out)
    return out, folder / "wh" / "nazorg.duckdb"


def test_baseline_equals_the_pipeline_on_edge_cases(edge_cases):
    out, warehouse = edge_cases
    assert compare_with_warehouse(out, warehouse) == []


def test_edge_cases_are_not_trivial(edge_cases):
    """The comparison above means something: the edge cases produce figures."""
    out, _warehouse = edge_cases
    outflow = pd.read_excel(out, sheet_name="uitstroom")
    caseload = pd.read_excel(out, sheet_name="caseload")
    assert outflow["persons"].sum() >= 15
    assert {"GM1942", "GM0381", "GM1894", "GM0457"} <= set(outflow["municipality_code"])
    overig = caseload[caseload["municipality_code"] == "OVERIG"]
    assert overig["cases"].sum() >= 6
