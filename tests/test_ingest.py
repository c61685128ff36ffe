"""Unit tests of the ingestion framework (nazorg.ingest): reading, typing, the ledger.

A toy source with a few columns of every kind is enough to pin the framework's
behaviour; the sources' own rules are tested with their parsers (test_bad_input.py and
the source test modules).
"""

from __future__ import annotations

import datetime as dt
import gc
import weakref
from pathlib import Path

import polars as pl
import pytest
from openpyxl import Workbook

from nazorg.bsn import pseudonymise_one
from nazorg.ingest import (
    Column,
    FileProblem,
    Parsed,
    RawTable,
    SourceSpec,
    apply_columns,
    decode_text,
    discover,
    empty_problems,
    ingest_source,
    read_file,
)
from nazorg.warehouse import REDACTED, redact_numbers

D = dt.date

TOY = SourceSpec(
    name="toy",
    folder="toy",
    columns=(
        Column("Nummer", "number", required=True),
        Column("Datum", "date", kind="date", required=True),
        Column("Soort", "kind", kind="choice", choices=("Begin detentie", "Einde detentie")),
        Column("Bedrag", "amount", kind="number", minimum=0),
        Column("Plaats", "place"),
    ),
)
HEADER = "Nummer;Datum;Soort;Bedrag;Plaats"


def parse_toy(raw: RawTable, key: str) -> Parsed:
    good, rejected = apply_columns(raw.frame, TOY)
    return Parsed(good, rejected, empty_problems())


def write(folder: Path, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
    path = folder / "toy" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


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


def read(path: Path) -> RawTable:
    return read_file(path, TOY, path.name)


def ingest(raw_dir: Path):
    return ingest_source(raw_dir, TOY, parse_toy, "key")


# --------------------------------------------------------------------------- encodings


@pytest.mark.parametrize(
    "data, expected",
    [
        ("Moërs € 12".encode(), "Moërs € 12"),
        (b"\xef\xbb\xbf" + "Moërs".encode(), "Moërs"),  # UTF-8 with BOM
        ("Moërs € 12".encode("cp1252"), "Moërs € 12"),
        ("Moërs".encode("utf-16"), "Moërs"),  # Excel's "Unicode-tekst"
        # two exports pasted together: neither half turns into mojibake
        ("Moërs\n".encode() + "Moërs €".encode("cp1252"), "Moërs\nMoërs €"),
    ],
)
def test_encoding_is_detected(data, expected):
    assert decode_text(data) == expected


def test_windows_1252_csv_reads_euro_and_diaeresis(tmp_path):
    path = write(tmp_path, "a.csv", f"{HEADER}\r\nN1;02-01-2019;;€ 12,50;Moërs\r\n", "cp1252")
    frame = read(path).frame
    assert frame.row(0, named=True) | {"sheet": None} == {
        "number": "N1",
        "date": "02-01-2019",
        "kind": None,
        "amount": "€ 12,50",
        "place": "Moërs",
        "source_row": 2,
        "sheet": None,
    }


# --------------------------------------------------------------------------- CSV structure


def test_header_case_spacing_order_and_unknown_columns(tmp_path):
    header = "  plaats ;EXTRA kolom;datum;  NUMMER  ;Naam"
    path = write(tmp_path, "a.csv", f"{header}\nRoermond;x;02-01-2019;N1;Jansen\n")
    raw = read(path)
    assert raw.frame.columns == ["place", "date", "number", "source_row", "sheet"]
    assert raw.frame.row(0)[:3] == ("Roermond", "02-01-2019", "N1")
    # the unknown column is reported by name; a name column is never even listed
    assert raw.extra_columns == ["EXTRA kolom"]


def test_blank_lines_keep_the_line_numbers_a_person_sees(tmp_path):
    content = f"\n{HEADER}\n\nN1;02-01-2019\n;;;;\n  \nN2;03-01-2019\n"
    raw = read(write(tmp_path, "a.csv", content))
    assert raw.frame["source_row"].to_list() == [4, 7]


def test_csv_totaal_row_is_not_data(tmp_path):
    raw = read(write(tmp_path, "a.csv", f"{HEADER}\nN1;02-01-2019\nTotaal;1\n"))
    assert raw.frame["number"].to_list() == ["N1"]


def test_quoted_cell_over_several_lines_keeps_the_starting_line(tmp_path):
    content = (
        f"{HEADER};Opmerkingen\r\n"
        'N1;02-01-2019;;;;"eerste regel\r\ntweede regel"\r\n'
        "N2;03-01-2019;;;;\r\n"
    )
    raw = read(write(tmp_path, "a.csv", content))
    assert raw.frame["number"].to_list() == ["N1", "N2"]
    assert raw.frame["source_row"].to_list() == [2, 4]


def test_unclosed_quote_fails_the_file_naming_the_line(tmp_path):
    content = f'{HEADER}\nN1;02-01-2019\nN2;"03-01-2019\nN3;04-01-2019\n'
    with pytest.raises(FileProblem, match=r"a\.csv, regel 3: een aanhalingsteken"):
        read(write(tmp_path, "a.csv", content))


def test_quote_inside_a_cell_is_just_a_character(tmp_path):
    raw = read(write(tmp_path, "a.csv", f'{HEADER}\nN1;02-01-2019;;;O"Brien\n'))
    assert raw.frame["place"].to_list() == ['O"Brien']


def test_wrong_separator_says_so(tmp_path):
    path = write(tmp_path, "a.csv", HEADER.replace(";", ",") + "\nN1,02-01-2019\n")
    with pytest.raises(FileProblem, match="gescheiden door een komma; verwacht wordt ';'"):
        read(path)


@pytest.mark.parametrize("content", [b"", b"\r\n \r\n;;;\r\n"])
def test_an_empty_file_is_a_problem(tmp_path, content):
    with pytest.raises(FileProblem, match="a.csv: het bestand is leeg"):
        read(write(tmp_path, "a.csv", content))


# --------------------------------------------------------------------------- Excel structure


def test_excel_header_below_title_rows_totaal_and_empty_rows(tmp_path):
    path = workbook(
        tmp_path / "toy" / "a.xlsx",
        {
            "Export": [
                ["Export van de registratie"],
                [],
                ["Nummer", "Datum", "Plaats"],
                ["N1", D(2019, 1, 2), "Roermond"],
                [],
                ["N2", "03-01-2019", None],
                ["Totaal", 2],
            ]
        },
    )
    raw = read(path)
    assert raw.frame["number"].to_list() == ["N1", "N2"]
    assert raw.frame["source_row"].to_list() == [4, 6]
    assert raw.frame["sheet"].to_list() == ["Export", "Export"]


def test_excel_rows_count_from_the_sheets_first_row(tmp_path):
    """calamine starts a sheet at its first used row; empty rows and a formula without
    a cached value above it must not shift the row numbers."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Blad1"
    sheet["A2"] = "=1+1"  # openpyxl stores no cached value: calamine sees nothing
    sheet["B3"] = "Nummer"
    sheet["C3"] = "Datum"
    sheet["B4"] = "N1"
    sheet["C4"] = "02-01-2019"
    path = tmp_path / "toy" / "a.xlsx"
    path.parent.mkdir(parents=True)
    book.save(path)
    assert read(path).frame["source_row"].to_list() == [4]


def test_every_sheet_with_the_header_is_read_and_others_are_listed(tmp_path):
    path = workbook(
        tmp_path / "toy" / "a.xlsx",
        {
            "2019": [["Nummer", "Datum"], ["N1", "02-01-2019"]],
            "Toelichting": [["Dit blad legt uit"], ["hoe de export werkt"]],
            "2020": [["Titel"], ["Nummer", "Datum"], ["N2", "02-01-2020"]],
        },
    )
    raw = read(path)
    assert raw.frame.select("sheet", "source_row").rows() == [("2019", 2), ("2020", 3)]
    assert raw.skipped_sheets == ["Toelichting"]
    result = ingest(tmp_path)
    assert "tabbladen zonder kopregel overgeslagen: 'Toelichting'" in result.log_lines[0]


def test_a_workbook_without_a_header_row_fails_clearly(tmp_path):
    path = workbook(tmp_path / "toy" / "a.xlsx", {"Blad1": [["Titel"], ["N1", "02-01-2019"]]})
    with pytest.raises(FileProblem, match="geen tabblad met een kopregel gevonden"):
        read(path)


@pytest.mark.parametrize(
    "content",
    [b"this is not a workbook", b"PK\x03\x04 truncated zip"],
    ids=["text", "truncated-zip"],
)
def test_not_a_workbook_fails_clearly(tmp_path, content):
    with pytest.raises(FileProblem, match="geen leesbaar Excel-bestand"):
        read(write(tmp_path, "a.xlsx", content))


def test_a_truncated_real_workbook_fails_clearly(tmp_path):
    good = workbook(tmp_path / "good.xlsx", {"Blad1": [["Nummer", "Datum"], ["N1", "x"]]})
    data = good.read_bytes()
    with pytest.raises(FileProblem, match="a.xlsx: geen leesbaar Excel-bestand"):
        read(write(tmp_path, "a.xlsx", data[: len(data) // 2]))


def test_excel_lock_files_and_other_files_are_ignored_with_a_log_line(tmp_path):
    write(tmp_path, "a.csv", f"{HEADER}\nN1;02-01-2019\n")
    write(tmp_path, "~$a.xlsx", b"\x00owner")
    write(tmp_path, "LEESMIJ.txt", "uitleg")
    files, ignored = discover(tmp_path / "toy")
    assert [p.name for p in files] == ["a.csv"]
    assert sorted(p.name for p in ignored) == ["LEESMIJ.txt", "~$a.xlsx"]
    result = ingest(tmp_path)
    assert result.ledger["file"].to_list() == ["toy/a.csv"]
    assert any("~$a.xlsx genegeerd (Excel-vergrendelbestand)" in x for x in result.log_lines)


# --------------------------------------------------------------------------- typing


def typed(values: dict[str, list]) -> tuple[pl.DataFrame, pl.DataFrame]:
    n = len(next(iter(values.values())))
    base = {"number": [f"N{i}" for i in range(n)], "date": ["02-01-2019"] * n}
    frame = pl.DataFrame(base | values, schema_overrides={k: pl.Utf8 for k in values})
    frame = frame.with_columns(
        source_row=pl.int_range(2, n + 2, dtype=pl.Int64), sheet=pl.lit(None, pl.Utf8)
    )
    return apply_columns(frame, TOY)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("02-01-2019", D(2019, 1, 2)),  # dd-mm-jjjj
        ("2-1-2019", D(2019, 1, 2)),  # d-m-jjjj
        ("2019-01-02", D(2019, 1, 2)),  # ISO
        ("2019-01-02 00:00:00", D(2019, 1, 2)),  # a real date cell, as calamine reads it
        ("2019-01-02 14:35:00", D(2019, 1, 2)),  # a date-time cell: the date counts
        ("02-01-2019 14:35", D(2019, 1, 2)),  # a timestamp in an export
        ("43467", D(2019, 1, 2)),  # a date cell formatted as a number
    ],
)
def test_date_notations(text, expected):
    good, rejected = typed({"date": [text]})
    assert rejected.height == 0 and good["date"].to_list() == [expected]


def test_a_bad_date_names_value_column_and_row():
    good, rejected = typed({"date": ["02-01-2019", "31-02-2019"]})
    assert good["number"].to_list() == ["N0"]
    (problem,) = rejected.rows(named=True)
    assert problem["source_row"] == 3 and problem["column"] == "Datum"
    # a text shaped like a date is never quoted (it could be a birth date in a wrong column)
    assert problem["problem"].startswith("'[datum weggelaten]' is geen datum")


def test_choices_ignore_case_and_spacing_and_name_the_allowed_values():
    good, rejected = typed({"kind": ["  einde   DETENTIE ", "Begin detentie", "Vrijlating"]})
    assert good["kind"].to_list() == ["Einde detentie", "Begin detentie"]
    (problem,) = rejected["problem"].to_list()
    assert problem == "'Vrijlating' is geen van: Begin detentie, Einde detentie"


def test_numbers_with_decimal_comma_euro_sign_and_minimum():
    good, rejected = typed({"amount": ["€ 1.234,50", "0.5", "-3", "veel"]})
    assert good["amount"].to_list() == [1234.5, 0.5]
    assert rejected["problem"].to_list() == [
        "'-3' is geen getal (minimaal 0)",
        "'veel' is geen getal (minimaal 0)",
    ]


def test_a_required_empty_value_rejects_the_row():
    good, rejected = typed({"number": ["N1", "  "]})
    assert good.height == 1
    assert rejected.select("source_row", "column", "rule").rows() == [(3, "Nummer", "required")]


# --------------------------------------------------------------------------- the ledger


def test_ledger_duplicate_changed_and_failed_files(tmp_path):
    content = f"{HEADER}\nN1;02-01-2019\nN2;31-02-2019\n"
    write(tmp_path, "2019/a.csv", content)
    write(tmp_path, "2019/kopie van a.csv", content)
    write(tmp_path, "b.xlsx", b"not a workbook")
    result = ingest(tmp_path)
    ledger = {r["file"]: r for r in result.ledger.rows(named=True)}
    assert ledger["toy/2019/a.csv"]["status"] == "loaded"
    assert (ledger["toy/2019/a.csv"]["rows_read"], ledger["toy/2019/a.csv"]["rows_loaded"]) == (
        2,
        1,
    )
    assert ledger["toy/2019/a.csv"]["rows_rejected"] == 1
    assert ledger["toy/2019/kopie van a.csv"]["status"] == "duplicate"
    assert ledger["toy/b.xlsx"]["status"] == "failed"
    assert ledger["toy/b.xlsx"]["error"].startswith("toy/b.xlsx: geen leesbaar Excel-bestand")
    assert result.rows["source_file"].to_list() == ["toy/2019/a.csv"]
    assert result.log_lines == [
        "toy: toy/2019/a.csv ingelezen: 2 gelezen, 1 geladen, 1 afgewezen",
        "toy: toy/2019/kopie van a.csv dubbel (zelfde inhoud als toy/2019/a.csv)",
        "toy: toy/b.xlsx failed: " + ledger["toy/b.xlsx"]["error"],
    ]
    (message,) = result.rejected["message"].to_list()
    assert message == (
        "toy/2019/a.csv, rij 3, kolom 'Datum': '[datum weggelaten]' is geen datum "
        "(verwacht dd-mm-jjjj, jjjj-mm-dd of een Excel-datum)"
    )


def test_a_row_with_two_problems_is_one_rejected_row(tmp_path):
    # N2 has an impossible date and a negative amount: two quality lines, one row.
    write(tmp_path, "a.csv", f"{HEADER}\nN1;02-01-2019\nN2;31-02-2019;;-5\nN3;03-01-2019\n")
    result = ingest(tmp_path)
    (entry,) = result.ledger.rows(named=True)
    assert (entry["rows_read"], entry["rows_loaded"], entry["rows_rejected"]) == (3, 2, 1)
    assert result.rejected.select("row_number", "column_name").rows() == [
        (3, "Datum"),
        (3, "Bedrag"),
    ]
    assert result.log_lines == ["toy: toy/a.csv ingelezen: 3 gelezen, 2 geladen, 1 afgewezen"]


def test_an_unexpected_parser_error_fails_only_that_file_without_quoting_it(tmp_path):
    write(tmp_path, "a.csv", f"{HEADER}\nN1;02-01-2019\n")
    write(tmp_path, "b.csv", f"{HEADER}\n111222333;02-01-2019\n")

    def fragile(raw: RawTable, key: str) -> Parsed:
        # Files are parsed together; a batch that breaks the parser is retried per file.
        if "111222333" in raw.frame["number"].to_list():
            raise ValueError("could not convert '111222333'")
        return parse_toy(raw, key)

    result = ingest_source(tmp_path, TOY, fragile, "key")
    assert result.ledger["status"].to_list() == ["loaded", "failed"]
    error = result.ledger["error"][1]
    assert "onverwachte fout (ValueError)" in error and "111222333" not in error


def test_a_missing_raw_folder_fails_instead_of_publishing_nothing(tmp_path):
    with pytest.raises(FileNotFoundError, match="bestaat niet"):
        ingest(tmp_path / "niet-hier")


def test_an_empty_raw_folder_is_simply_no_files(tmp_path):
    result = ingest(tmp_path)
    assert result.ledger.height == 0 and result.rows.height == 0


def test_long_numbers_are_redacted_from_quality_messages_but_not_file_names():
    frame = pl.DataFrame(
        {
            "file": ["justid/export_20190102.csv"],
            "message": [
                "justid/export_20190102.csv, rij 2, kolom 'Gemeente': gemeentenaam '111222333' onbekend"
            ],
        }
    )
    (message,) = redact_numbers(frame)["message"].to_list()
    assert message == (
        f"justid/export_20190102.csv, rij 2, kolom 'Gemeente': gemeentenaam '{REDACTED}' onbekend"
    )


def test_many_csv_exports_read_at_once_equal_each_read_alone(tmp_path):
    """The files of a source are read a few at a time: every file must come out, in the
    files' order, exactly as when it is read on its own, row numbers included."""
    from polars.testing import assert_frame_equal

    from nazorg.ingest.files import Candidate
    from nazorg.ingest.reading import read_all

    files = {
        "a.csv": f"{HEADER}\nN1;02-01-2019;;1;Roermond\nN2;03-01-2019\n",
        "b.csv": f"{HEADER}\nN3;04-01-2019;;;Weert\nTotaal;1\n\n",
        "c.csv": f"{HEADER}\r\nN4;05-01-2019;;2,5;Venlo\r\n",  # another header line ending
        "d.csv": "\ufeff" + f"{HEADER}\nN5;06-01-2019\n",  # UTF-8 with BOM
        "e.csv": f"{HEADER}\nN6;07-01-2019;;;Moërs\n".encode("cp1252"),  # read alone
        "f.csv": f'{HEADER}\nN7;"08-01-2019";;;"Echt"\n',  # quotes: read alone
        "g.csv": f"{HEADER}\n\nN8;09-01-2019\n",  # a blank line: read alone
        "h.csv": "Plaats;Nummer;Datum\nThorn;N9;10-01-2019\n",  # another header
        "i.csv": f"{HEADER}\nN10;11-01-2019\n",
    }
    paths = [write(tmp_path, name, content) for name, content in files.items()]
    candidates = [Candidate(i, p, p.name, "", None) for i, p in enumerate(paths)]
    together = read_all(candidates, TOY)
    for path, table in zip(paths, together, strict=True):
        alone = read(path)
        assert_frame_equal(table.frame, alone.frame)
        assert table.extra_columns == alone.extra_columns
    assert [t.frame["source_row"].to_list() for t in together][:3] == [[2, 3], [2], [2]]


def test_first_used_row_is_found_past_a_long_title_and_many_empty_cells(tmp_path):
    """The first row with a value is found from the start of the sheet's XML, however far
    down it is and however long its text."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Blad1"
    for row in range(1, 3000):  # formatted but empty cells above the table
        sheet.cell(row, 1).number_format = "0.00"
    sheet.cell(3000, 1, "Titel " + "x" * 70_000)
    sheet.cell(3001, 1, "Nummer")
    sheet.cell(3001, 2, "Datum")
    sheet.cell(3002, 1, "N1")
    sheet.cell(3002, 2, "02-01-2019")
    path = tmp_path / "toy" / "a.xlsx"
    path.parent.mkdir(parents=True)
    book.save(path)
    assert read(path).frame["source_row"].to_list() == [3002]


def test_a_failed_file_leaves_no_cycle_that_holds_the_callers_frame(tmp_path):
    """A file that fails is kept as its problem; with the problem's traceback that kept
    every calling frame alive until a garbage collection, and with them the asset's DuckDB
    connection, which the command line (no collection at exit) then reported leaked."""
    write(tmp_path, "leeg.csv", "")
    write(tmp_path, "goed.csv", f"{HEADER}\nN1;02-01-2019\n")

    class Connection:  # stands for the asset's connection, a local of a calling frame
        pass

    def asset() -> weakref.ref:
        con = Connection()
        result = ingest(tmp_path)
        assert [e["status"] for e in result.ledger.rows(named=True)] == ["loaded", "failed"]
        return weakref.ref(con)

    gc.collect()
    gc.disable()
    try:
        con = asset()
        assert con() is None, "the caller's frame is kept alive by a reference cycle"
    finally:
        gc.enable()


# ----------------------------------------------------- the column typing, every kind

KINDS = SourceSpec(
    name="kinds",
    folder="kinds",
    columns=(
        Column("Nummer", "number", required=True),
        Column("Vlag", "flag", kind="yes_no"),
        Column("Antwoord", "answer", kind="yes_no_unknown"),
        Column("Aantal", "count", kind="int", minimum=0, maximum=10),
        Column("Bedrag", "amount", kind="number", maximum=100),
        Column("BSN", "bsn", kind="bsn", sensitive=True),
        Column("Datum", "date", kind="date"),
        Column("Soort", "kind", kind="choice", choices=("Begin detentie", "Einde  detentie")),
    ),
)
KIND_DTYPES = {
    "number": pl.Utf8,
    "flag": pl.Boolean,
    "answer": pl.Boolean,
    "count": pl.Int64,
    "amount": pl.Float64,
    "date": pl.Date,
    "kind": pl.Utf8,
}


def kinds_frame(rows: list[dict]) -> pl.DataFrame:
    columns = sorted({k for r in rows for k in r})
    frame = pl.DataFrame(
        [{c: r.get(c) for c in columns} for r in rows], schema={c: pl.Utf8 for c in columns}
    )
    return frame.with_columns(
        source_row=pl.int_range(2, frame.height + 2, dtype=pl.Int64), sheet=pl.lit(None, pl.Utf8)
    )


def test_every_kind_types_its_values():
    rows = [
        {"number": "A", "flag": " JA ", "answer": "nee", "count": "10", "amount": "100",
         "bsn": "10000008", "date": "02-01-2019", "kind": "einde detentie"},
        {"number": "B", "flag": "x", "answer": "Onbekend", "count": "0", "amount": "0,5",
         "bsn": "010000008", "date": "2019-01-03", "kind": "begin  DETENTIE"},
        {"number": "C", "flag": "", "answer": "", "count": "", "amount": "", "bsn": "111222333",
         "date": "", "kind": ""},
        {"number": "D", "flag": "Nee", "answer": "J", "count": " 3 ", "amount": "€ 1,5",
         "bsn": "", "date": None, "kind": None},
    ]  # fmt: skip
    good, rejected = apply_columns(kinds_frame(rows), KINDS, key="k")
    assert rejected.height == 0
    assert good.schema["person_key"] == pl.Utf8 and "bsn" not in good.columns
    assert {c: good.schema[c] for c in KIND_DTYPES} == KIND_DTYPES
    assert good["flag"].to_list() == [True, True, False, False]
    assert good["answer"].to_list() == [False, None, None, True]
    assert good["count"].to_list() == [10, 0, None, 3]
    assert good["amount"].to_list() == [100.0, 0.5, None, 1.5]
    assert good["date"].to_list() == [D(2019, 1, 2), D(2019, 1, 3), None, None]
    assert good["kind"].to_list() == ["Einde  detentie", "Begin detentie", None, None]
    # one BSN written two ways is one person; the pseudonym is the keyed HMAC
    same = pseudonymise_one("010000008", "k")
    assert good["person_key"].to_list() == [same, same, pseudonymise_one("111222333", "k"), None]
    # without a key the BSN column stays, normalised (nine digits)
    plain, _ = apply_columns(kinds_frame(rows), KINDS)
    assert plain["bsn"].to_list() == ["010000008", "010000008", "111222333", None]


def test_every_kind_names_its_rule_and_problem():
    rows = [
        {"number": "A", "flag": "misschien"},
        {"number": "B", "answer": "soms"},
        {"number": "C", "count": "2,5"},
        {"number": "D", "count": "11"},
        {"number": "E", "count": "-1"},
        {"number": "F", "amount": "100,5"},
        {"number": "G", "bsn": "111222334"},
        {"number": "H", "date": "2019-13-01"},
        {"number": "I", "kind": "Verlof"},
        {"number": " ", "amount": "1"},
        {"number": "K", "flag": "ja", "answer": "ja", "count": "1", "amount": "1"},
    ]
    good, rejected = apply_columns(kinds_frame(rows), KINDS, key="k")
    assert good["number"].to_list() == ["K"]
    assert rejected.select("source_row", "column", "rule", "problem").rows() == [
        (2, "Vlag", "yes_no", "'misschien' is geen Ja/Nee of x"),
        (3, "Antwoord", "yes_no_unknown", "'soms' is geen Ja, Nee of Onbekend"),
        (4, "Aantal", "number", "'2,5' is geen geheel getal (minimaal 0 en maximaal 10)"),
        (5, "Aantal", "number", "'11' is geen geheel getal (minimaal 0 en maximaal 10)"),
        (6, "Aantal", "number", "'-1' is geen geheel getal (minimaal 0 en maximaal 10)"),
        (7, "Bedrag", "number", "'100,5' is geen getal (maximaal 100)"),
        (8, "BSN", "bsn_11_proef", "BSN voldoet niet aan de 11-proef"),  # never the value
        (9, "Datum", "date_format",
         "'[datum weggelaten]' is geen datum (verwacht dd-mm-jjjj, jjjj-mm-dd of een Excel-datum)"),
        (10, "Soort", "choice", "'Verlof' is geen van: Begin detentie, Einde  detentie"),
        (11, "Nummer", "required", "verplicht veld is leeg"),
    ]  # fmt: skip


def test_a_missing_optional_column_types_as_if_every_cell_were_empty():
    good, rejected = apply_columns(kinds_frame([{"number": "A"}, {"number": "B"}]), KINDS)
    assert rejected.height == 0
    assert {c: good.schema[c] for c in KIND_DTYPES} == KIND_DTYPES
    assert good.schema["bsn"] == pl.Utf8
    assert good["flag"].to_list() == [False, False]  # an empty yes/no cell is nee
    for column in ("answer", "count", "amount", "date", "kind", "bsn"):
        assert good[column].to_list() == [None, None], column


def test_a_column_with_only_empty_cells_and_a_number_column_read_as_numbers():
    frame = kinds_frame([{"number": "A", "flag": " ", "count": None}, {"number": "B"}])
    frame = frame.with_columns(amount=pl.Series([7, None], dtype=pl.Int64))  # not text
    good, rejected = apply_columns(frame, KINDS)
    assert rejected.height == 0
    assert good["flag"].to_list() == [False, False]
    assert good["count"].to_list() == [None, None] and good.schema["count"] == pl.Int64
    assert good["amount"].to_list() == [7.0, None] and good.schema["amount"] == pl.Float64
    required_empty = kinds_frame([{"number": None}, {"number": ""}])
    good, rejected = apply_columns(required_empty, KINDS)
    assert good.height == 0
    assert rejected.select("source_row", "rule").rows() == [(2, "required"), (3, "required")]


def test_present_columns_without_any_value_keep_their_kind():
    rows = [{"number": "A", "answer": None, "amount": None, "date": None, "kind": None}] * 2
    good, rejected = apply_columns(kinds_frame(rows), KINDS)
    assert rejected.height == 0
    assert {c: good.schema[c] for c in ("answer", "amount", "date", "kind")} == {
        "answer": pl.Boolean,
        "amount": pl.Float64,
        "date": pl.Date,
        "kind": pl.Utf8,
    }
    # a required column whose every cell is NULL rejects every row
    good, rejected = apply_columns(kinds_frame([{"number": None, "flag": None}] * 2), KINDS)
    assert good.height == 0
    assert rejected.select("source_row", "column", "rule").rows() == [
        (2, "Nummer", "required"),
        (3, "Nummer", "required"),
    ]


def test_a_whole_number_beyond_int64_is_rejected_not_loaded_as_empty():
    spec = SourceSpec("n", "n", (Column("Nummer", "number"), Column("Aantal", "count", kind="int")))
    counts = ["1e30", "12", "1e19", "9223372036854775808", "126", "9e18"]
    frame = kinds_frame([{"number": str(i), "count": c} for i, c in enumerate(counts)])
    good, rejected = apply_columns(frame, spec)
    assert good.select("number", "count").rows() == [("1", 12), ("4", 126), ("5", 9 * 10**18)]
    assert rejected.select("source_row", "rule", "problem").rows() == [
        (2, "number", "'1e30' is geen geheel getal"),
        (4, "number", "'1e19' is geen geheel getal"),
        (
            5,
            "number",
            "'[getal weggelaten]' is geen geheel getal",
        ),  # 2**63, a long digit run: redacted
    ]


def test_a_required_typed_column_with_only_empty_cells_rejects_every_row():
    spec = SourceSpec(
        "n", "n", (Column("Nummer", "number"), Column("Datum", "date", kind="date", required=True))
    )
    good, rejected = apply_columns(kinds_frame([{"number": "A", "date": None}] * 2), spec)
    assert good.height == 0
    assert rejected.select("source_row", "column", "rule").rows() == [
        (2, "Datum", "required"),
        (3, "Datum", "required"),
    ]
