"""The manager workbooks on the demo data: the nightly job writes them shielded (the
default); the published figures are checked on workbooks written with shielding off."""

import datetime as dt
import re

import pytest
from openpyxl import load_workbook

from nazorg.reports import SHEET_NAMES, write_region_workbooks

RUN = dt.datetime(2026, 12, 6, 2, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def nightly(demo_build):
    """The workbooks as the nightly job wrote them."""
    result, warehouse = demo_build
    assert result.success
    folder = warehouse.parent / "reports"
    return {
        p.stem.removeprefix("kpi_"): load_workbook(p) for p in sorted(folder.glob("kpi_*.xlsx"))
    }


@pytest.fixture(scope="module")
def unshielded(demo_warehouse, tmp_path_factory):
    folder = tmp_path_factory.mktemp("open")
    paths = write_region_workbooks(demo_warehouse, folder, suppression_threshold=0, run_time=RUN)
    return {p.stem.removeprefix("kpi_"): load_workbook(p) for p in paths}


def _cells(ws) -> list[list]:
    return [list(row) for row in ws.iter_rows(values_only=True)]


def _row(ws, first: str, after: int = 0) -> list:
    return next(r for i, r in enumerate(_cells(ws)) if i >= after and r and r[0] == first)


def _texts(ws) -> list[str]:
    return [v for row in _cells(ws) for v in row if isinstance(v, str)]


def test_one_workbook_per_region_overzicht_first(nightly):
    assert set(nightly) == {"gooi-en-vechtstreek", "midden-limburg"}
    for wb in nightly.values():
        assert wb.sheetnames[0] == "Overzicht"
        assert wb.sheetnames == [s for s in SHEET_NAMES if s in wb.sheetnames]
    assert "MKBA" not in nightly["gooi-en-vechtstreek"].sheetnames
    assert "MKBA" in nightly["midden-limburg"].sheetnames


def test_the_nightly_workbooks_are_shielded(nightly):
    ws = nightly["gooi-en-vechtstreek"]["Uitstroom en caseload"]
    assert "<5" in [v for row in _cells(ws) for v in row]
    assert any(t.startswith("<5: minder dan 5 personen") for t in _texts(ws))


def test_tabel_1_in_the_gooi_workbook(unshielded):
    ws = unshielded["gooi-en-vechtstreek"]["Uitstroom en caseload"]
    header = _row(ws, "Gemeente")
    assert header[1:6] == ["Caseload aantal", "%", "Uitstroom aantal", "%", "Uitstroom aantal"]
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


def test_the_reconciliation_names_blaricum_and_muiden(unshielded):
    ws = unshielded["gooi-en-vechtstreek"]["Uitstroom en caseload"]
    [note] = [t for t in _texts(ws) if t.startswith("NB:")]
    assert "Muiden en Blaricum" in note and "caseload lager dan uitstroom" in note


def test_coordination_in_the_gooi_workbook(unshielded):
    ws = unshielded["gooi-en-vechtstreek"]["Coördinatie"]
    row = _row(ws, "Profiel opgesteld")
    assert row[1] == 115 and abs(row[2] * 100 - 44) <= 1
    assert _row(ws, "Verrijkt via netwerkronde")[1] == 65
    # the Gooi register of 2013 holds no bilateral enrichment at all
    assert _row(ws, "Verrijkt (bilateraal of netwerkronde)")[1] == "niet geregistreerd"


def test_mkba_in_the_midden_limburg_workbook(unshielded):
    ws = unshielded["midden-limburg"]["MKBA"]
    assert [round(v, 2) for v in _row(ws, "Baten-kostenverhouding")[1:3]] == [1.30, 2.28]
    assert _row(ws, "Totale kosten")[1:3] == [122000, 122000]
    assert [round(v) for v in _row(ws, "Totale baten")[1:3]] == [158125, 278745]
    texts = _texts(ws)
    assert "50%" in texts and "34,4 dagen per jaar" in texts
    assert len(ws._charts) == 2  # a tornado per variant


def test_reach_funnel(unshielded):
    ws = unshielded["midden-limburg"]["Bereik nazorg-plus"]
    assert _row(ws, "Uitgestroomd uit PI")[1] == 285
    assert _row(ws, "Traject gestart (netto bereik)")[1] == 69
    assert _row(ws, "Geïnterviewd")[1] == 12


def test_no_case_numbers_or_codes_in_any_workbook(nightly, unshielded):
    code = re.compile(r"^[a-z]+(_[a-z0-9]+)+$")
    case = re.compile(r"\b[A-Z]{2}-\d{4}-\d{3}\b")
    for wb in list(nightly.values()) + list(unshielded.values()):
        for ws in wb:
            for text in _texts(ws):
                assert not code.match(text), (ws.title, text)
                assert not case.search(text), (ws.title, text)
                assert text not in {"loaded", "superseded", "failed", "duplicate"}


def test_every_demo_sheet_prints_one_page_wide_on_a4_at_70_percent_or_more(nightly):
    from nazorg.reports.layout import page

    for wb in nightly.values():
        for ws in wb:
            scale = int(ws.page_setup.scale)
            assert int(ws.page_setup.paperSize) == 9 and scale >= page.MIN_SCALE, ws.title
            width = sum(d.width or 0 for d in ws.column_dimensions.values())
            printable = page.printable_width_pt(ws.page_setup.orientation)
            assert width * page.POINTS_PER_UNIT * scale / 100 <= printable + 1, ws.title


TARGET_SHEET = "Doelgroepen en doorlooptijd"


def test_stay_bands_give_the_reports_bijna_de_helft(unshielded):
    """Limburg §4.3: "bijna de helft … verlaat binnen 4 weken de PI": 149 of 322."""
    ws = unshielded["midden-limburg"][TARGET_SHEET]
    cells = _cells(ws)
    header = next(i for i, r in enumerate(cells) if r[0] == "Uitstroomjaar")
    groups = [v for v in cells[header - 1] if v]
    assert groups[-1] == "Binnen 4 weken" and "meer dan 120 dagen" in groups
    row = _row(ws, "2020", header)
    assert row[9] == 149 and row[11] == 322 and row[10] == pytest.approx(149 / 322)
    assert round(row[10] * 100) == 46
    assert sum(row[1:9:2]) == 322
    assert len(ws._charts) == 1  # the stay bands, complete years only


def test_intake_and_target_groups_in_the_demo_workbooks(unshielded):
    ws = unshielded["midden-limburg"][TARGET_SHEET]
    cells = _cells(ws)
    intake = next(i for i, r in enumerate(cells) if r[0] == "Jaar van insluiting")
    assert _row(ws, "2020", intake)[1:7] == [278, 160, pytest.approx(160 / 278), 100, 0.625, 4.0]
    assert _row(ws, "2022 (voorlopig)", intake)[1] == 181
    groups = next(i for i, r in enumerate(cells) if r[0] == "Uitstroomjaar, doelgroep")
    year = next(i for i, r in enumerate(cells) if i > groups and r[0] == "2020")
    assert _row(ws, "Alle uitgestroomden", year)[1:3] == [285, 223]
    assert _row(ws, "Jonger dan 27 jaar", year)[1:3] == [40, 31]
    texts = " ".join(_texts(ws))
    assert "staat in voor het eerste gesprek" in texts and "niet dat het effect had" in texts
    gooi = " ".join(_texts(unshielded["gooi-en-vechtstreek"][TARGET_SHEET]))
    assert "niet te bepalen voor Gooi en Vechtstreek" in gooi


def test_the_nightly_target_sheet_is_shielded(nightly):
    ws = nightly["midden-limburg"][TARGET_SHEET]
    cells = _cells(ws)
    groups = next(i for i, r in enumerate(cells) if r[0] == "Uitstroomjaar, doelgroep")
    year = next(i for i, r in enumerate(cells) if i > groups and r[0] == "2020")
    assert _row(ws, "Veelterugkeerders", year)[1:4] == ["<5", "<5", None]
    assert any(t.startswith("<5: minder dan 5 personen") for t in _texts(ws))
    assert TARGET_SHEET in nightly["gooi-en-vechtstreek"].sheetnames


def test_mkba_expected_versus_observed_offences(unshielded):
    """Limburg §5.1: "circa 16 (6 x 2.7) … in totaal 7 delicten … 9 (16 minus 7) … 4.5
    delicten per jaar"."""
    ws = unshielded["midden-limburg"]["MKBA"]
    steps = {
        r[0].split(":")[0]: tuple(r[1:3])
        for r in _cells(ws)
        if isinstance(r[0], str) and ":" in r[0]
    }
    assert steps["Geïnterviewde deelnemers (n)"] == (12, "personen")
    assert steps["Verwachte recidivisten"] == (6, "personen")
    assert steps["Verwachte delicten"] == (16, "delicten")
    assert steps["Waargenomen recidivisten"] == (5, "personen")
    assert steps["Waargenomen delicten"] == (7, "delicten")
    assert steps["Vermeden delicten"] == (9, "delicten")
    assert steps["Vermeden delicten per jaar"] == (4.5, "delicten per jaar")
    damage = steps["Vermeden delictschade per jaar, steekproef (variant A)"]
    assert damage == (_row(ws, "Baten: Vermeden delictschade")[2], "euro per jaar")
