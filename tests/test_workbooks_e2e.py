"""The manager workbooks written by the nightly job on the demo data."""

import pytest
from openpyxl import load_workbook

from nazorg.reports import SHEET_NAMES


@pytest.fixture(scope="module")
def workbooks(demo_build):
    result, warehouse = demo_build
    assert result.success
    folder = warehouse.parent / "reports"
    return {
        p.stem.removeprefix("kpi_"): load_workbook(p) for p in sorted(folder.glob("kpi_*.xlsx"))
    }


def _cells(ws) -> list[list]:
    return [list(row) for row in ws.iter_rows(values_only=True)]


def _row(ws, first: str) -> list:
    return next(r for r in _cells(ws) if r and r[0] == first)


def test_one_workbook_per_region_with_the_dutch_sheets(workbooks):
    assert {"gooi-en-vechtstreek", "midden-limburg"} <= set(workbooks)
    for wb in workbooks.values():
        assert [s for s in wb.sheetnames if s != "Herdetentie"] == [
            s for s in SHEET_NAMES if s != "Herdetentie"
        ]


def test_tabel_1_in_the_gooi_workbook(workbooks):
    ws = workbooks["gooi-en-vechtstreek"]["Uitstroom en caseload"]
    header = _row(ws, "Gemeente")
    assert header[1:6] == ["Caseload aantal", "%", "Uitstroom aantal", "%", "Uitstroom aantal"]
    # Columns: 2013 caseload, %, 2013 outflow, %, 2012 outflow, % (years newest first).
    for name, (caseload, outflow_2013, outflow_2012) in {
        "Hilversum": (177, 159, 144),
        "Bussum": (45, 28, 29),
        "Blaricum": (1, 2, 4),
        "Muiden": (2, 4, 6),
        "Totaal": (325, 261, 258),
    }.items():
        row = _row(ws, name)
        assert (row[1], row[3], row[5]) == (caseload, outflow_2013, outflow_2012), name
    assert round(_row(ws, "Hilversum")[4], 2) == 0.61
    assert ws._charts, "no chart on the outflow sheet"


def test_mkba_ratios_in_the_midden_limburg_workbook(workbooks):
    ws = workbooks["midden-limburg"]["MKBA"]
    ratios = {round(v, 2) for row in _cells(ws) for v in row if isinstance(v, float) and 1 < v < 3}
    assert {1.30, 2.28} <= ratios
    assert ws._charts, "no chart on the MKBA sheet"


def test_suppression_on_the_demo_warehouse_hides_every_small_count(demo_warehouse, tmp_path):
    from nazorg.reports import write_region_workbooks

    paths = write_region_workbooks(demo_warehouse, tmp_path, suppression_threshold=5)
    count_sheets = {
        "Uitstroom en caseload",
        "Coördinatie",
        "Leefgebieden",
        "Screening",
        "Bereik nazorg-plus",
        "Herdetentie",
    }
    shown_marker = False
    for path in paths:
        wb = load_workbook(path)
        for name in count_sheets & set(wb.sheetnames):
            for row in wb[name].iter_rows():
                for cell in row:
                    value = cell.value
                    if (
                        isinstance(value, int)
                        and not isinstance(value, bool)
                        and cell.number_format != "0%"
                    ):
                        assert not 1 <= value <= 4, (path.name, name, cell.coordinate)
                    shown_marker |= value == "<5"
        definitions = " ".join(
            str(c) for row in wb["Definities"].iter_rows(values_only=True) for c in row if c
        )
        assert "Onderdrukking van kleine aantallen: aan (drempel 5)" in definitions
    assert shown_marker


def _section(ws, title: str) -> list[list]:
    """Rows under a subtitle up to the next bold one-cell line, empty rows dropped."""
    rows, inside = [], False
    for row in ws.iter_rows():
        if row[0].value == title:
            inside = True
            continue
        filled = [c for c in row if c.value is not None]
        if inside and len(filled) == 1 and row[0].font.bold:
            break
        if inside and filled:
            rows.append([c.value for c in row])
    assert inside, title
    return rows


def test_quality_sheet_lists_every_file_and_groups_the_warnings(workbooks, demo_warehouse):
    ws = workbooks["gooi-en-vechtstreek"]["Datakwaliteit"]
    files = demo_warehouse.execute("SELECT file FROM quality.file_ledger ORDER BY file").fetchall()
    ledger = _section(ws, "Ingelezen bestanden")
    assert ledger[0][0] == "Bestand"
    assert [r[0] for r in ledger[1:]] == [f for (f,) in files]  # few files: one line each
    for table, title in (
        ("rejected_rows", "Afgewezen rijen, naar bestand, kolom en regel"),
        (
            "row_warnings",
            "Geladen rijen met een waarschuwing (veld terzijde gelegd), naar bestand, "
            "kolom en regel",
        ),
    ):
        [(rows, groups)] = demo_warehouse.execute(
            f"SELECT count(*), count(DISTINCT (file, column_name, rule)) FROM quality.{table}"
        ).fetchall()  # fetchall: the session's connection must not keep an open result
        assert 0 < groups <= 50, table  # the demo data stays under the cap
        lines = _section(ws, title)
        assert lines[1][:5] == ["Bestand", "Kolom", "Regel", "Rijen", "Voorbeeld van de melding"]
        body = lines[2:]
        assert len(body) == groups, table  # one line per (file, column, rule)
        assert sum(r[3] for r in body) == rows, table
        assert [r[3] for r in body] == sorted((r[3] for r in body), reverse=True)
        messages = {
            m for (m,) in demo_warehouse.execute(f"SELECT message FROM quality.{table}").fetchall()
        }
        assert {r[4] for r in body} <= messages  # an example is a message from the warehouse


def test_buffered_rows_give_the_workbook_openpyxl_writes_on_the_demo(demo_warehouse, tmp_path):
    """The demo workbooks as the fast writer saves them equal what openpyxl writes from
    its own cells (a BufferedSheet becomes openpyxl cells when it is read)."""
    from nazorg.reports import Warehouse, build_region_workbook, region_slug, save_deterministic
    from tests.test_reports import assert_same_workbook, read_back, save_through_openpyxl_cells

    data = Warehouse(demo_warehouse)
    for threshold in (None, 5):
        for region in data.regions():
            kwargs = {"suppression_threshold": threshold, "run_info": {"run_id": "demo"}}
            fast = tmp_path / f"fast-{threshold}-{region_slug(region)}.xlsx"
            slow = tmp_path / f"slow-{threshold}-{region_slug(region)}.xlsx"
            save_deterministic(build_region_workbook(data, region, **kwargs), fast)
            save_through_openpyxl_cells(build_region_workbook(data, region, **kwargs), slow)
            assert_same_workbook(fast, slow)
            outflow = read_back(fast)["Uitstroom en caseload"]
            assert outflow["charts"] and outflow["merged"] and outflow["freeze"]
