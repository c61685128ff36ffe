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
