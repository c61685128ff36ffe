"""Manager workbooks: one Excel file per region, laid out like the evaluation reports.

The entry point :func:`write_region_workbooks` reads only the ``kpi`` and ``quality``
schemas of the warehouse. It computes no KPI: it lays out, labels and formats what those
tables hold (the only arithmetic is the ``Totaal`` row of a table, the sum of the rows
shown). Percentages are written as exact fractions with the number format ``0%``, money
as exact euros with ``€ #,##0`` and ratios with ``0.00``: Excel rounds on display,
normally (half away from zero).

Small-cell suppression (``suppression_threshold=N``) hides counts ``0 < count < N`` as
``<N`` and blanks the shares derived from them; where a total would then reveal a single
hidden cell, the next smallest cell of that row or column is hidden as well (shown as
``x``). Money and ratios of the MKBA are never suppressed.

The Datakwaliteit sheet is the same in every workbook and its size does not grow with
the data: rejected rows and warnings are counted per (file, column, rule) in DuckDB
and only the largest groups are listed (``ISSUE_GROUP_LIMIT``), and beyond
``LEDGER_DETAIL_LIMIT`` files the ledger lists only the files that need attention and
sums the others per source. The full lists stay in the ``quality`` tables.

The files are deterministic: fixed document timestamps and fixed zip entry times, so
two runs on the same warehouse (and the same ``run_info``) give byte-identical files.

The sheets are written with openpyxl, but not cell by cell: a :class:`BufferedSheet`
keeps its cells as plain rows of (value, shared style), and :func:`save_deterministic`
renders those rows to XML exactly as openpyxl's own writer does (a value it has no
fast path for goes through openpyxl's cell writer); openpyxl writes everything else
(column widths, frozen panes, merged cells, print settings, charts, styles). A cell
object and an ElementTree serialisation per value were most of the reports step at
national scale. Reading a cell of a BufferedSheet turns it into an ordinary openpyxl
worksheet; the tests check that both ways give the same file.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import os
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.cell._writer import write_cell
from openpyxl.chart import BarChart, Reference, Series
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.styles import Alignment, Font
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.cell_range import CellRange, MultiCellRange
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter
from openpyxl.xml.functions import xmlfile

__all__ = [
    "LABELS",
    "SHEET_NAMES",
    "BufferedSheet",
    "Warehouse",
    "build_region_workbook",
    "region_slug",
    "save_deterministic",
    "suppress_small_cells",
    "workbook_path",
    "write_region_workbooks",
]

# --------------------------------------------------------------------------- labels

SHEET_OUTFLOW = "Uitstroom en caseload"
SHEET_COORDINATION = "Coördinatie"
SHEET_LIFE_DOMAINS = "Leefgebieden"
SHEET_SCREENING = "Screening"
SHEET_REACH = "Bereik nazorg-plus"
SHEET_MKBA = "MKBA"
SHEET_REDETENTION = "Herdetentie"
SHEET_DEFINITIONS = "Definities"
SHEET_QUALITY = "Datakwaliteit"

#: All sheets in workbook order; ``Herdetentie`` only appears when the region has data.
SHEET_NAMES = (
    SHEET_OUTFLOW,
    SHEET_COORDINATION,
    SHEET_LIFE_DOMAINS,
    SHEET_SCREENING,
    SHEET_REACH,
    SHEET_MKBA,
    SHEET_REDETENTION,
    SHEET_DEFINITIONS,
    SHEET_QUALITY,
)

NO_DATA = "Geen gegevens beschikbaar"
MISSING = "-"  # the municipality or stage has no row in the source table for that year
SECONDARY_MARK = "x"  # hidden so that a total does not reveal a suppressed cell

#: Every Dutch label of a warehouse code, by the column the code appears in.
LABELS: dict[str, dict[str, str]] = {
    "measure": {
        "profile_made": "Profiel opgesteld",
        "enriched_network_round": "Verrijkt via netwerkronde",
        "enriched_any": "Verrijkt (bilateraal of netwerkronde)",
        "life_domain_support": "Actieve inzet op leefgebieden",
        "case_conference": "Casusoverleg ingezet",
        "repeat_detention": "Casussen van personen met meer dan één casus in het jaar",
    },
    "conference_type": {
        "veelpleger": "Veelplegeroverleg",
        "huiselijk_geweld": "Scenario-overleg huiselijk geweld",
        "casus_op_maat": "Casus op Maat",
    },
    "life_domain": {
        "id": "Identiteitsbewijs",
        "housing": "Huisvesting",
        "work_income": "Werk en inkomen",
        "debts": "Schulden",
        "care": "Zorg",
        "social_network": "Sociaal netwerk",
    },
    "stage": {
        "released": "Uitgestroomd uit PI",
        "gross_intake": "Bruto instroom nazorg-plus",
        "trajectory_started": "Traject gestart (netto bereik)",
        "sampled": "Steekproef",
        "approached": "Benaderd",
        "interviewed": "Geïnterviewd",
    },
    "line": {
        "coordinator_salary": "Salariskosten nazorg-plus coördinator",
        "case_investments": "Investeringen in casussen",
        "avoided_offence_damage": "Vermeden delictschade (variant A)",
        "avoided_police_effort": "Vermeden politie-inzet (variant B)",
        "avoided_detention_days": "Vermeden detentiedagen (variant B)",
        "avoided_benefit_costs": "Vermeden uitkeringskosten (blijvend werk)",
        "avoided_benefit_costs_once": "Vermeden uitkeringskosten (eenmalig)",
    },
    "kind": {"cost": "Kosten", "benefit": "Baten"},
    "variant": {
        "A": "Variant A (vermeden delictschade)",
        "B": "Variant B (vermeden politie-inzet en detentiedagen)",
    },
    "group": {
        "nazorg_plus": "Nazorg-plus",
        "regular": "Reguliere nazorg",
        "all": "Alle uitgestroomden",
    },
    "window_complete": {"true": "ja", "false": "nee, venster nog niet compleet"},
    "parameter": {
        "salary": "Salaris coördinator per cohortjaar (€)",
        "horizon_years": "Jaren terugkerende baten meegeteld",
        "observation_years": "Observatieperiode delicten (jaren)",
        "haircut": "Correctie kleine steekproef",
        "reference_prevalence": "Recidive referentiegroep (2 jaar)",
        "offences_per_recidivist": "Delicten per recidivist",
        "cost_per_offence": "Materiële schade per delict (€)",
        "police_cost_per_hour": "Politiekosten per uur (€)",
        "police_hours_per_incident": "Politie-uren per incident",
        "detention_cost_per_day": "Kosten per detentiedag (€)",
        "detention_days_per_year": "Vermeden detentiedagen per jaar (steekproef)",
        "benefit_cost_per_month": "Uitkeringskosten per maand (€)",
        "attribution": "Toerekening werkeffect",
        "work_years_counted": "Jaren blijvend werk meegeteld",
        "discount_rate": "Discontovoet (reëel, per jaar)",
    },
}


def label(family: str, code: Any) -> str:
    """Dutch label of a warehouse code; the code itself when it has none."""
    return LABELS[family].get(str(code), str(code))


def _order(family: str, codes: Iterable[Any]) -> list[Any]:
    """Codes in the order of LABELS[family], unknown codes after them alphabetically."""
    known = list(LABELS[family])
    present = set(codes)
    return [c for c in known if c in present] + sorted(
        (c for c in present if c not in known), key=str
    )


#: One row per figure: (Figuur, Teller, Noemer, Toelichting).
DEFINITIONS: tuple[tuple[str, str, str, str], ...] = (
    (
        "Uitstroom (aantal)",
        "Personen met minstens één ontslag uit detentie in het jaar (geen overplaatsing of "
        "verlof), geteld in de gemeente van hun laatste ontslag dat jaar",
        "-",
        "Bron: detentiemeldingen (DPAN, later JustID). Ontslagen zonder bekende gemeente "
        "tellen in geen enkele regio mee; zie Datakwaliteit.",
    ),
    (
        "Uitstroom (%)",
        "Uitstroom van de gemeente",
        "Uitstroom van de hele regio in hetzelfde jaar",
        "",
    ),
    (
        "Caseload (aantal)",
        "Casussen in de registratie van het Zorg- en Veiligheidshuis met datum aanmelding "
        "in het jaar",
        "-",
        "Eén persoon kan meer casussen in een jaar hebben. Een lege, onbekende of "
        "niet-regionale gemeente telt als Overig. Caseload en uitstroom komen uit "
        "verschillende registraties en kunnen daardoor per gemeente verschillen.",
    ),
    (
        "Caseload (%)",
        "Caseload van de gemeente",
        "Caseload van de hele regio in hetzelfde jaar",
        "",
    ),
    (
        "Profiel opgesteld",
        "Casussen met Profiel = Ja",
        "Uitstroom én caseload van de regio in het jaar (beide getoond)",
        "De evaluatie van Gooi en Vechtstreek deelt dit door de uitstroom.",
    ),
    (
        "Verrijkt via netwerkronde",
        "Casussen met Verrijking = Netwerkronde",
        "Uitstroom én caseload (beide getoond)",
        "De evaluatie deelt dit door de caseload.",
    ),
    (
        "Verrijkt (bilateraal of netwerkronde)",
        "Casussen met Verrijking = Bilateraal of Netwerkronde",
        "Uitstroom én caseload (beide getoond)",
        "",
    ),
    (
        "Actieve inzet op leefgebieden",
        "Casussen met minstens één markering 'Inzet …'",
        "Uitstroom én caseload (beide getoond)",
        "De evaluatie deelt dit door de caseload.",
    ),
    (
        "Casusoverleg ingezet",
        "Casussen met een casusoverleg (anders dan Geen of leeg)",
        "Uitstroom én caseload (beide getoond)",
        "De evaluatie deelt dit door de uitstroom.",
    ),
    (
        "Casussen van personen met meer dan één casus in het jaar",
        "Casussen van personen die in dat jaar meer dan één casus hebben",
        "Uitstroom én caseload (beide getoond)",
        "Personen die vaker gedetineerd waren, waarvoor op verschillende momenten inzet "
        "is gevraagd.",
    ),
    (
        "Inzet per leefgebied",
        "Casussen met inzet van de coördinator op dat leefgebied",
        "-",
        "Een casus kan inzet op meer leefgebieden hebben; de rijen tellen daarom niet op "
        "tot het aantal casussen met inzet.",
    ),
    (
        "Casusoverleg per soort",
        "Casussen met dat soort casusoverleg",
        "-",
        "Totaal = som van de soorten.",
    ),
    (
        "Wens tot ondersteuning bij intake (%)",
        "Screeningsformulieren met 'Ja' voor het leefgebied",
        "Formulieren met 'Ja' of 'Nee' voor dat leefgebied (beantwoord)",
        "Naar jaar van insluiting. 'Onbekend' en leeg tellen niet als antwoord. "
        "Formulieren uit de DPAN-periode hebben geen vraag over het sociaal netwerk.",
    ),
    (
        "Gescreend (%)",
        "Detenties met een screeningsformulier (in de DPAN-periode: ingevulde Hulpvraag "
        "of Toestemming)",
        "Detenties met een ontslag in het jaar in een gemeente van de regio",
        "",
    ),
    (
        "Geen toestemming (%)",
        "Gescreende detenties waarin toestemming met 'Nee' is beantwoord",
        "Gescreende detenties",
        "",
    ),
    (
        "Bereik nazorg-plus: personen per fase",
        "Uitgestroomd uit PI: uitstroom van de regio in het cohortjaar; bruto instroom: "
        "personen met een nazorg-plus-casus (aangemeld of gestart) aangemeld in het jaar; "
        "traject gestart: personen met een gestart traject; steekproef, benaderd en "
        "geïnterviewd: de vervolgmeting",
        "-",
        "De fasen zijn niet per se genest: iemand kan een traject starten terwijl hij nog "
        "gedetineerd is.",
    ),
    (
        "% van uitgestroomd",
        "Personen in de fase",
        "Uitgestroomde personen van de regio in het cohortjaar",
        "",
    ),
    (
        "% van vorige fase",
        "Personen in de fase",
        "Personen in de fase erboven",
        "",
    ),
    (
        "Extrapolatiefactor",
        "Cohortgrootte N (traject gestart)",
        "Steekproefgrootte n (geïnterviewd, niet getrokken)",
        "Alle steekproefbedragen worden met deze factor naar het cohort opgehoogd.",
    ),
    (
        "Bedrag per jaar (steekproef)",
        "Jaarlijks bedrag voor de geïnterviewde steekproef",
        "-",
        "Leeg voor eenmalige posten en voor de investeringen in casussen.",
    ),
    (
        "Steekproef, periode",
        "Bedrag van de steekproef over de meegetelde jaren",
        "-",
        "Verdisconteerd als een discontovoet is ingesteld (jaar 1 niet).",
    ),
    (
        "Cohort (geëxtrapoleerd)",
        "Steekproefbedrag over de periode × extrapolatiefactor",
        "-",
        "Voor de salariskosten: het salaris zelf, één keer per cohortjaar.",
    ),
    (
        "Salariskosten nazorg-plus coördinator",
        "Salaris van de coördinator voor één cohortjaar",
        "-",
        "Kosten, één keer geteld.",
    ),
    (
        "Investeringen in casussen",
        "Som van de eenmalige kosten van de geïnterviewde casussen",
        "-",
        "Kosten (inrichting woning, ID-kaart, opleiding e.d.).",
    ),
    (
        "Vermeden delictschade (variant A)",
        "(verwachte − waargenomen delicten) ÷ observatiejaren × schade per delict × "
        "correctie kleine steekproef",
        "-",
        "Verwacht: geïnterviewden × recidive referentiegroep × delicten per recidivist.",
    ),
    (
        "Vermeden politie-inzet (variant B)",
        "Vermeden politie-incidenten per jaar × uren per incident × uurtarief × correctie "
        "kleine steekproef",
        "-",
        "",
    ),
    (
        "Vermeden detentiedagen (variant B)",
        "Vermeden detentiedagen per jaar × kosten per detentiedag",
        "-",
        "",
    ),
    (
        "Vermeden uitkeringskosten (blijvend werk)",
        "Per casus: vermeden uitkeringsmaanden per jaar × kosten per maand × toerekening, "
        "afgerond op 1.000 euro",
        "-",
        "Geteld voor het ingestelde aantal jaren blijvend werk.",
    ),
    (
        "Vermeden uitkeringskosten (eenmalig)",
        "Per casus: eenmalig vermeden uitkeringsmaanden × kosten per maand × toerekening, "
        "afgerond op 1.000 euro",
        "-",
        "Werk dat niet blijvend was.",
    ),
    (
        "Totale kosten / totale baten",
        "Som van de kosten- of batenposten van de variant (cohort)",
        "-",
        "Variant A rekent met vermeden delictschade, variant B met vermeden politie-inzet "
        "en detentiedagen; kosten en werkposten staan in beide.",
    ),
    ("Saldo", "Totale baten − totale kosten", "-", ""),
    (
        "Baten-kostenverhouding",
        "Totale baten",
        "Totale kosten",
        "Boven 1: de baten zijn groter dan de kosten.",
    ),
    (
        "Verhouding zonder uitkeringsposten",
        "Totale baten zonder de twee posten vermeden uitkeringskosten",
        "Totale kosten",
        "Uitkeringen zijn in strikte welvaartszin een overdracht; dit is de voorzichtigste lezing.",
    ),
    (
        "Gevoeligheid",
        "Baten-kostenverhouding als één parameter de getoonde waarde heeft",
        "-",
        "Alle andere parameters houden hun waarde.",
    ),
    (
        "Break-evenwaarde",
        "Waarde van de parameter waarbij de baten-kostenverhouding precies 1 is",
        "-",
        "'geen': de verhouding blijft over het hele onderzochte bereik aan dezelfde kant van 1.",
    ),
    (
        "Bootstrap-interval (P05, P50, P95)",
        "5e, 50e en 95e percentiel van de baten-kostenverhouding",
        "Over het getoonde aantal trekkingen (met seed)",
        "De geïnterviewde casussen worden met teruglegging opnieuw getrokken; salaris en "
        "extrapolatiefactor blijven vast.",
    ),
    (
        "Herdetentie: heropgenomen binnen 2 jaar",
        "Personen met een nieuwe insluiting binnen 730 dagen na hun eerste ontslag in het "
        "uitstroomjaar",
        "-",
        "Heropname in detentie, geen recidive in de zin van de WODC-recidivemonitor "
        "(nieuwe veroordelingen). Geen causaal effect: de groepen verschillen in wie voor "
        "nazorg-plus is geselecteerd.",
    ),
    (
        "Herdetentie: % heropgenomen (prevalentie)",
        "Heropgenomen personen",
        "Uitgestroomde personen van de groep",
        "",
    ),
    (
        "Herdetentie: detenties per persoon (incidentie)",
        "Nieuwe detenties binnen 2 jaar",
        "Uitgestroomde personen van de groep",
        "",
    ),
    (
        "Herdetentie: venster compleet",
        "-",
        "-",
        "'nee': de laatste melding ligt minder dan 730 dagen na het laatste ontslag van dat "
        "jaar; de cijfers kunnen dan nog stijgen.",
    ),
)

# --------------------------------------------------------------------------- formats

#: Number formats by column kind. ``count`` cells are subject to suppression.
FORMATS: dict[str, str] = {
    "count": "#,##0",
    "int": "#,##0",
    "share": "0%",
    "euro": "€ #,##0",
    "ratio": "0.00",
    "year": "0",
    "general": "General",
    "text": "General",
}
NUMERIC_KINDS = frozenset(FORMATS) - {"text"}
MAX_WIDTH = 60
HEADER_WIDTH = 18
MIN_WIDTH = 8
BOLD = Font(bold=True)
TITLE_FONT = Font(bold=True, size=14)
# Made once: an Alignment per cell cost more than writing the cell's value.
GROUP_ALIGNMENT = Alignment(horizontal="center")  # a year or group over its columns
HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="bottom")
RIGHT = Alignment(horizontal="right")  # '<5', 'x' and '-' in a numeric column
WRAP_TOP = Alignment(wrap_text=True, vertical="top")  # long text
FIXED_TIMESTAMP = dt.datetime(2000, 1, 1)
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)

Pos = tuple[int, int]  # (row, column) inside a table body, 0-based


def _is_number(value: Any) -> bool:
    # a tuple: isinstance with int | float is slower, and this runs for every cell
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _clean(value: Any, kind: str = "general") -> Any:
    """A warehouse value as openpyxl should store it (Decimal→float, NaN→empty)."""
    if value is None or type(value) in (str, int):  # most values: nothing to do
        return value
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float):
        if value != value:  # NaN
            return None
        if kind == "count" and value.is_integer():
            return int(value)
    return value


# --------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class Col:
    """A column: header, kind (key of FORMATS), how to get the value from a record and the
    relative column offsets of the counts a share is derived from (blanked with them)."""

    header: str
    kind: str
    value: str | Callable[[dict[str, Any]], Any]
    deps: tuple[int, ...] = ()

    def get(self, record: dict[str, Any]) -> Any:
        value = self.value
        raw = record.get(value) if type(value) is str else value(record)
        return _clean(raw, self.kind)


@dataclass
class Table:
    """Cells of one table plus what suppression needs to know about them."""

    headers: list[str]
    kinds: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    groups: list[tuple[str, int, int]] = field(default_factory=list)  # label, first col, span
    deps: dict[Pos, set[Pos]] = field(default_factory=dict)  # share cell -> its counts
    totals: list[tuple[Pos, list[Pos]]] = field(default_factory=list)  # total -> members
    bold_rows: set[int] = field(default_factory=set)
    cell_kinds: dict[Pos, str] = field(default_factory=dict)

    def add_row(self, values: list[Any], *, bold: bool = False) -> int:
        self.rows.append(list(values))
        if bold:
            self.bold_rows.add(len(self.rows) - 1)
        return len(self.rows) - 1

    def kind(self, pos: Pos) -> str:
        return self.cell_kinds.get(pos, self.kinds[pos[1]])

    def value(self, pos: Pos) -> Any:
        return self.rows[pos[0]][pos[1]]

    def count_cells(self) -> list[Pos]:
        return [
            (r, c)
            for r, row in enumerate(self.rows)
            for c, value in enumerate(row)
            if self.kind((r, c)) == "count" and _is_number(value)
        ]


def _flat_table(records: list[dict[str, Any]], cols: list[Col]) -> Table:
    """One row per record, one column per Col."""
    table = Table([c.header for c in cols], [c.kind for c in cols])
    for record in records:
        r = table.add_row([c.get(record) for c in cols])
        for ci, col in enumerate(cols):
            if col.deps:
                table.deps[(r, ci)] = {(r, ci + d) for d in col.deps}
    return table


def _pivot_table(
    first_header: str,
    row_keys: list[Any],
    row_labels: dict[Any, str],
    col_keys: list[Any],
    col_labels: dict[Any, str],
    block: Callable[[Any], list[tuple[Col, dict[Any, dict[str, Any]]]]],
    *,
    total_label: str | None = None,
) -> Table:
    """Rows down, a block of columns per column key across (years, groups).

    ``block(col_key)`` gives the columns of that key, each with the records it reads,
    keyed by ``(row_key, col_key)``. A row without a record shows ``-``. With
    ``total_label`` a bold total row sums the counts (and shares) of every column.
    """
    table = Table([first_header], ["text"])
    columns: list[tuple[Any, Col, dict[Any, dict[str, Any]]]] = []
    for key in col_keys:
        cols = block(key)
        if not cols:
            continue
        table.groups.append((col_labels[key], len(table.headers), len(cols)))
        for col, source in cols:
            table.headers.append(col.header)
            table.kinds.append(col.kind)
            columns.append((key, col, source))
    for row_key in row_keys:
        values: list[Any] = [row_labels[row_key]]
        for key, col, source in columns:
            record = source.get((row_key, key))
            values.append(MISSING if record is None else col.get(record))
        r = table.add_row(values)
        for ci, (_, col, _) in enumerate(columns, start=1):
            if col.deps:
                table.deps[(r, ci)] = {(r, ci + d) for d in col.deps}
    if total_label is not None and table.rows:
        body = range(len(table.rows))
        totals: list[Any] = [total_label]
        for ci, (_, col, _) in enumerate(columns, start=1):
            numbers = [table.rows[r][ci] for r in body if _is_number(table.rows[r][ci])]
            summable = col.kind in ("count", "share") and numbers
            totals.append(sum(numbers) if summable else None)
        tr = table.add_row(totals, bold=True)
        for ci, (_, col, _) in enumerate(columns, start=1):
            if col.kind == "count":
                table.totals.append(((tr, ci), [(r, ci) for r in body]))
    return table


def suppress_small_cells(table: Table, threshold: int) -> None:
    """Hide counts 0 < n < threshold as ``<threshold``, then hide the next smallest
    member wherever a total would reveal a single hidden cell (``x``), and blank every
    share derived from a hidden count."""
    primary = {pos for pos in table.count_cells() if 0 < table.value(pos) < threshold}
    hidden = set(primary)
    changed = True
    while changed:
        changed = False
        for total, members in table.totals:
            if total in hidden or sum(m in hidden for m in members) != 1:
                continue
            candidates = [
                m
                for m in members
                if m not in hidden and _is_number(table.value(m)) and table.value(m) > 0
            ]
            pick = min(candidates, key=lambda m: (table.value(m), m)) if candidates else total
            hidden.add(pick)
            changed = True
    for r, c in hidden:
        table.rows[r][c] = f"<{threshold}" if (r, c) in primary else SECONDARY_MARK
    for (r, c), deps in table.deps.items():
        if deps & hidden:
            table.rows[r][c] = None


# --------------------------------------------------------------------------- cells

#: Strings openpyxl writes in a way of its own (formula, error code, xml:space, an empty
#: string) or refuses (control characters): such cells go through openpyxl's writer.
_SPECIAL_TEXT = re.compile(r"^[=#]|^\s|\s$|[\000-\010\013\014\016-\037]")
_SHEET_DATA_MARK = "NAZORG-SHEET-DATA"
_PLAIN_TYPES = frozenset((str, int, float, type(None)))  # values openpyxl binds as they are


def _escape_text(text: str) -> str:
    """Character data as ElementTree escapes it."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


class _Styles:
    """The style of a cell (openpyxl's ``StyleArray``) per number format, alignment and
    font, made once per workbook with openpyxl's own setters, so fonts and number
    formats are registered in the workbook as when every cell is styled one by one.
    Fonts and alignments are the module's constants, known by identity."""

    def __init__(self, ws: Worksheet):
        self._ws = ws  # any sheet of the workbook: the setters register in its parent
        self._made: dict[tuple, tuple[StyleArray, Any, Any]] = {}
        self.plain = StyleArray()  # no style: no ``s`` attribute
        self._bold: StyleArray | None = None

    @property
    def bold(self) -> StyleArray:
        if self._bold is None:
            self._bold = self.get(font=BOLD)
        return self._bold

    def get(
        self,
        *,
        number_format: str | None = None,
        alignment: Alignment | None = None,
        font: Font | None = None,
    ) -> StyleArray:
        key = (number_format, id(alignment), id(font))
        made = self._made.get(key)
        if made is None:
            cell = Cell(self._ws, style_array=StyleArray())  # not placed on the sheet
            if number_format is not None:
                cell.number_format = number_format
            if alignment is not None:
                cell.alignment = alignment
            if font is not None:
                cell.font = font
            made = self._made[key] = (cell._style, alignment, font)  # keeps the ids alive
        return made[0]


class BufferedSheet(Worksheet):
    """A worksheet that keeps its cells as plain rows, ``{row: {column: (value, style)}}``
    with one shared ``StyleArray`` per style, instead of an openpyxl cell object per
    value: filling it costs a dict entry per cell, and :func:`save_deterministic`
    renders the rows straight to XML, exactly as openpyxl's writer would (openpyxl
    itself writes every other part of the sheet: widths, panes, merged cells, print
    settings, charts).

    For everything else it is an ordinary worksheet: the first access to its cells
    (``ws.cell``, ``iter_rows``, ``wb.save`` …) turns the rows into openpyxl cells."""

    def __init__(self, parent: Workbook, title: str):
        self.buffered = False  # Worksheet.__init__ sets _cells
        super().__init__(parent, title)
        self.buffer: dict[int, dict[int, tuple[Any, StyleArray]]] = {}
        self._merges: list[str] = []
        self.buffered = True

    @property
    def _cells(self) -> dict[tuple[int, int], Cell]:
        if self.buffered:
            self._materialize()
        return self._cell_objects

    @_cells.setter
    def _cells(self, cells: dict[tuple[int, int], Cell]) -> None:
        self._cell_objects = cells

    def row_cells(self, row: int) -> dict[int, tuple[Any, StyleArray]]:
        """The cells of a row, by column, to add ``(value, style)`` to."""
        if not self.buffered:
            raise RuntimeError("cells are added to a BufferedSheet before it is read")
        cells = self.buffer.get(row)
        if cells is None:
            cells = self.buffer[row] = {}
        return cells

    def put(self, row: int, column: int, value: Any, style: StyleArray) -> None:
        if type(value) not in _PLAIN_TYPES:
            style = self.bound_style(value, style)
        self.row_cells(row)[column] = (value, style)

    def bound_style(self, value: Any, style: StyleArray) -> StyleArray:
        """The style of a cell made with ``value`` and then given ``style``, as openpyxl
        makes it: a date gets a date format (registered in the workbook now, as when the
        cell is made) unless the style has a number format of its own."""
        bound = Cell(self, value=value)._style
        if bound is None or not bound.numFmtId or style.numFmtId:
            return style
        style = StyleArray(style)
        style.numFmtId = bound.numFmtId
        return style

    def merge(self, first_row: int, first_col: int, last_row: int, last_col: int) -> None:
        if not self.buffered:
            raise RuntimeError("cells are merged in a BufferedSheet before it is read")
        coord = CellRange(
            min_row=first_row, min_col=first_col, max_row=last_row, max_col=last_col
        ).coord
        self.merged_cells.add(coord)
        self._merges.append(coord)

    def _materialize(self) -> None:
        """The rows as openpyxl cells, merged ranges as openpyxl's merge_cells makes them."""
        self.buffered = False
        cells = self._cell_objects
        for row, columns in self.buffer.items():
            for column, (value, style) in columns.items():
                cell = cells[(row, column)] = Cell(self, row=row, column=column, value=value)
                cell._style = StyleArray(style)  # the style as put: final
        self.buffer = {}
        self.merged_cells = MultiCellRange()
        for coord in self._merges:
            self.merge_cells(coord)

    def calculate_dimension(self) -> str:
        if not self.buffered:
            return super().calculate_dimension()
        rows = [(row, min(cells), max(cells)) for row, cells in self.buffer.items() if cells]
        merged = [CellRange(coord) for coord in self._merges]  # their cells count too
        if not rows and not merged:
            return "A1:A1"
        min_row = min([r[0] for r in rows] + [m.min_row for m in merged])
        max_row = max([r[0] for r in rows] + [m.max_row for m in merged])
        min_col = min([r[1] for r in rows] + [m.min_col for m in merged])
        max_col = max([r[2] for r in rows] + [m.max_col for m in merged])
        return f"{get_column_letter(min_col)}{min_row}:{get_column_letter(max_col)}{max_row}"

    def sheet_data(self) -> str:
        """The content of ``<sheetData>`` as openpyxl writes it. Registers the styles of
        the cells in the workbook as openpyxl does (in order of first use, row by row)."""
        cell_styles = self.parent._cell_styles
        style_attr: dict[int, str] = {}
        text_xml: dict[str, str] = {}  # the rest of a text cell after its r and s, by text
        width = max((max(cells) for cells in self.buffer.values() if cells), default=0)
        letters = [""] + [get_column_letter(c) for c in range(1, width + 1)]
        parts: list[str] = []
        append = parts.append
        for row in sorted(self.buffer):
            cells = self.buffer[row]
            if not cells:
                continue
            append(f'<row r="{row}">')
            for column in sorted(cells):
                value, style = cells[column]
                s = style_attr.get(id(style))
                if s is None:
                    s = style_attr[id(style)] = (
                        f' s="{cell_styles.add(style)}"' if any(style) else ""
                    )
                kind = type(value)
                if kind is str:
                    rest = text_xml.get(value)
                    if rest is None:
                        plain = value and len(value) <= 32767 and not _SPECIAL_TEXT.search(value)
                        rest = text_xml[value] = (
                            f' t="inlineStr"><is><t>{_escape_text(value)}</t></is></c>'
                            if plain
                            else ""
                        )
                    if rest:
                        append(f'<c r="{letters[column]}{row}"{s}{rest}')
                    else:
                        append(self._cell_xml(row, column, value, style))
                elif kind is int or (kind is float and math.isfinite(value)):
                    append(f'<c r="{letters[column]}{row}"{s} t="n"><v>{value:.16g}</v></c>')
                elif value is None:
                    if s:
                        append(f'<c r="{letters[column]}{row}"{s} t="n" />')
                else:
                    append(self._cell_xml(row, column, value, style))
            append("</row>")
        return "".join(parts)

    def _cell_xml(self, row: int, column: int, value: Any, style: StyleArray) -> str:
        """One cell written by openpyxl itself: values the fast path leaves alone."""
        cell = Cell(self, row=row, column=column, value=value)
        cell._style = StyleArray(style)  # the style as put: final
        if cell._value is None and not cell.has_style:
            return ""
        out = io.BytesIO()
        with xmlfile(out) as xf, xf.element("sheetData"):
            write_cell(xf, self, cell, cell.has_style)
        xml = out.getvalue().decode("utf-8")
        return xml[xml.index("<sheetData>") + len("<sheetData>") : xml.rindex("</sheetData>")]


class _BufferedSheetWriter(WorksheetWriter):
    """openpyxl's worksheet writer for all of a sheet but its cells; the rows rendered
    by :meth:`BufferedSheet.sheet_data` take the place of a marker in ``<sheetData>``.
    They are rendered first (a value openpyxl refuses fails before the stream opens)."""

    def __init__(self, ws: BufferedSheet):
        self.rows_xml = ws.sheet_data()
        super().__init__(ws, out=io.BytesIO())

    def write_rows(self) -> None:
        xf = self.xf.send(True)
        with xf.element("sheetData"):
            xf.write(_SHEET_DATA_MARK)
        self.xf.send(None)

    def xml(self) -> bytes:
        head, mark, tail = self.read().partition(_SHEET_DATA_MARK.encode())
        if not mark:
            raise RuntimeError("openpyxl wrote the sheet without the sheetData marker")
        return b"".join((head, self.rows_xml.encode("utf-8"), tail))


class _ExcelWriter(ExcelWriter):
    """openpyxl's workbook writer; a BufferedSheet still holding its rows is written by
    _BufferedSheetWriter, any other sheet as openpyxl does."""

    def write_worksheet(self, ws: Worksheet) -> None:
        if not (isinstance(ws, BufferedSheet) and ws.buffered):
            super().write_worksheet(ws)
            return
        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        writer = _BufferedSheetWriter(ws)
        writer.write()
        ws._rels = writer._rels
        self._archive.writestr(ws.path[1:], writer.xml())
        self.manifest.append(ws)


class _FixedTimeZip(zipfile.ZipFile):
    """A zip whose entries all get the same time and permissions (no clock in the file)."""

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            entry = zipfile.ZipInfo(zinfo_or_arcname, date_time=ZIP_TIMESTAMP)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            zinfo_or_arcname = entry
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        with open(filename, "rb") as source:
            self.writestr(arcname or os.path.basename(filename), source.read())


# --------------------------------------------------------------------------- sheets


@dataclass
class Placed:
    """Where a table landed on the sheet (Excel row numbers, 1-based)."""

    header_row: int
    first_row: int
    last_row: int


class SheetWriter:
    """Writes titles, notes, tables and charts below each other on one worksheet.

    The cells go into the worksheet's row buffer (:class:`BufferedSheet`) with a shared
    style (:class:`_Styles`), not into openpyxl cell objects."""

    def __init__(self, ws: BufferedSheet, threshold: int | None, styles: _Styles | None = None):
        self.ws = ws
        self.threshold = threshold
        self.styles = styles if styles is not None else _Styles(ws)
        self.row = 1
        self.widths: dict[int, int] = {}
        self.freeze: str | None = None

    def title(self, text: str) -> None:
        self.ws.put(self.row, 1, text, self.styles.get(font=TITLE_FONT))
        self.row += 2

    def subtitle(self, text: str) -> None:
        self.ws.put(self.row, 1, text, self.styles.bold)
        self.row += 1

    def note(self, text: str) -> None:
        self.ws.put(self.row, 1, text, self.styles.plain)
        self.row += 1

    def gap(self) -> None:
        self.row += 1

    def no_data(self) -> None:
        self.note(NO_DATA)
        self.gap()

    def table(self, table: Table, *, suppress: bool = True, freeze_cols: int = 0) -> Placed:
        """Header (with an optional group row above it), body, formats; suppression first
        when it is on and the table holds counts."""
        if suppress and self.threshold:
            suppress_small_cells(table, self.threshold)
        ws, styles = self.ws, self.styles
        if table.groups:
            group_style = styles.get(font=BOLD, alignment=GROUP_ALIGNMENT)
            for text, first, span in table.groups:
                ws.put(self.row, first + 1, text, group_style)
                if span > 1:
                    ws.merge(self.row, first + 1, self.row, first + span)
            self.row += 1
        header_row = self.row
        header_style = styles.get(font=BOLD, alignment=HEADER_ALIGNMENT)
        widths = [_header_width(header) for header in table.headers]
        for ci, header in enumerate(table.headers):
            ws.put(header_row, ci + 1, header, header_style)
        # A body cell's style: what openpyxl's number_format, alignment and font setters
        # would give it; by (number format, or 1 for RIGHT, 2 for WRAP_TOP, and bold),
        # made on first use.
        body_styles: dict[tuple[str | int | None, bool], StyleArray] = {}

        def body_style(tag: str | int | None, bold: bool) -> StyleArray:
            style = body_styles.get((tag, bold))
            if style is None:
                style = body_styles[(tag, bold)] = styles.get(
                    number_format=tag if isinstance(tag, str) else None,
                    alignment=RIGHT if tag == 1 else WRAP_TOP if tag == 2 else None,
                    font=BOLD if bold else None,
                )
            return style

        kinds, cell_kinds, bold_rows = table.kinds, table.cell_kinds, table.bold_rows
        number_styles = {}  # (kind, bold) -> style of a number in such a cell
        for ri, values in enumerate(table.rows):
            cells = ws.row_cells(header_row + 1 + ri)
            bold = ri in bold_rows
            for ci, value in enumerate(values):
                kind = cell_kinds.get((ri, ci), kinds[ci]) if cell_kinds else kinds[ci]
                t = type(value)
                if t is float or t is int or (t is not str and _is_number(value)):
                    style = number_styles.get((kind, bold))
                    if style is None:
                        style = number_styles[(kind, bold)] = body_style(FORMATS[kind], bold)
                    width = 5 if kind == "share" else _number_width(value, kind)
                elif t is str or isinstance(value, str):
                    if kind in NUMERIC_KINDS:
                        style = body_style(1, bold)
                    elif len(value) > MAX_WIDTH:
                        style = body_style(2, bold)
                    else:
                        style = body_style(None, bold)
                    width = len(value)
                elif value is None:
                    style, width = body_style(None, bold), 0
                else:  # a bool, a date …: what openpyxl adds when it binds the value
                    style = ws.bound_style(value, body_style(None, bold))
                    width = len(str(value))
                cells[ci + 1] = (value, style)
                if width > widths[ci]:
                    widths[ci] = width
        for ci, width in enumerate(widths):
            self._track(ci, width)
        if self.freeze is None:
            self.freeze = f"{get_column_letter(freeze_cols + 1)}{header_row + 1}"
        placed = Placed(header_row, header_row + 1, header_row + len(table.rows))
        self.row = placed.last_row + 2
        return placed

    def chart(self, chart: BarChart, rows: int = 18) -> None:
        chart.height = 8
        chart.width = 17
        self.ws.add_chart(chart, f"A{self.row}")
        self.row += rows

    def _track(self, ci: int, width: int) -> None:
        self.widths[ci] = max(self.widths.get(ci, 0), width)

    def finish(self) -> None:
        """Column widths, frozen header and print settings."""
        ws = self.ws
        for ci, width in self.widths.items():
            ws.column_dimensions[get_column_letter(ci + 1)].width = min(
                MAX_WIDTH, max(MIN_WIDTH, width + 2)
            )
        if self.freeze:
            ws.freeze_panes = self.freeze
        ws.page_setup.orientation = "landscape"
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0


def _header_width(header: str) -> int:
    """Headers wrap: room for their longest word, or the whole header when it is short."""
    return max(max(len(word) for word in header.split() or [""]), min(len(header), HEADER_WIDTH))


def _number_width(value: int | float, kind: str) -> int:
    """Characters a number takes on display in a column of ``kind``."""
    if kind == "share":
        return 5
    if kind in ("ratio", "general"):
        return len(f"{value:.2f}") if isinstance(value, float) else len(str(value))
    if kind == "year":
        return len(str(value))
    return len(f"{value:,.0f}") + (2 if kind == "euro" else 0)


def _bar_chart(title: str, y_title: str, *, horizontal: bool = False) -> BarChart:
    chart = BarChart()
    chart.type = "bar" if horizontal else "col"
    chart.title = title
    chart.y_axis.title = y_title
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    if horizontal:
        chart.x_axis.scaling.orientation = "maxMin"  # first category on top
    return chart


def _add_series(
    chart: BarChart, ws: Worksheet, col: int, first_row: int, last_row: int, title: str
) -> None:
    ref = Reference(ws, min_col=col, min_row=first_row, max_row=last_row)
    chart.series.append(Series(ref, title=title))


def _index(records: list[dict[str, Any]], row_field: str, col_field: str) -> dict:
    return {(r.get(row_field), r.get(col_field)): r for r in records}


def _years(records: list[dict[str, Any]], name: str = "year") -> list[Any]:
    """Distinct years, newest first (as in the reports)."""
    return sorted({r[name] for r in records if r.get(name) is not None}, reverse=True)


# --- 1. Uitstroom en caseload -----------------------------------------------------


def _municipality_key(record: dict[str, Any]) -> str:
    return str(record.get("municipality_code") or record.get("municipality_name"))


def _is_overig(record: dict[str, Any]) -> bool:
    code = str(record.get("municipality_code") or "").upper()
    return code == "OVERIG" or str(record.get("municipality_name") or "").lower() == "overig"


def write_outflow_sheet(sw: SheetWriter, region: str, data: Warehouse) -> None:
    """Tabel 1: municipalities down, per year caseload and outflow (count, %) across."""
    outflow = [{**r, "key": _municipality_key(r)} for r in data.rows("kpi.outflow", region)]
    caseload = [{**r, "key": _municipality_key(r)} for r in data.rows("kpi.caseload", region)]
    sw.title(f"Uitstroom en caseload per gemeente — {region}")
    if not outflow and not caseload:
        sw.no_data()
        return
    out_by = _index(outflow, "key", "year")
    case_by = _index(caseload, "key", "year")
    names: dict[str, str] = {}
    overig: set[str] = set()
    for r in sorted(outflow + caseload, key=lambda r: r["year"]):
        names[r["key"]] = str(r.get("municipality_name") or r.get("municipality_code"))
        if _is_overig(r):
            overig.add(r["key"])
    out_years, case_years = _years(outflow), _years(caseload)
    latest = out_years[0] if out_years else None

    def recent_outflow(key: str) -> float | None:
        record = out_by.get((key, latest))
        return None if record is None else _clean(record.get("persons"))

    def sort_key(key: str) -> tuple:
        persons = recent_outflow(key)
        return (key in overig, persons is None, -(persons or 0), names[key])

    keys = sorted(names, key=sort_key)

    def block(year: Any) -> list[tuple[Col, dict]]:
        cols: list[tuple[Col, dict]] = []
        if year in case_years:
            cols += [
                (Col("Caseload aantal", "count", "cases"), case_by),
                (Col("%", "share", "share", deps=(-1,)), case_by),
            ]
        if year in out_years:
            cols += [
                (Col("Uitstroom aantal", "count", "persons"), out_by),
                (Col("%", "share", "share", deps=(-1,)), out_by),
            ]
        return cols

    years = sorted(set(out_years) | set(case_years), reverse=True)
    table = _pivot_table(
        "Gemeente",
        keys,
        names,
        years,
        {y: str(y) for y in years},
        block,
        total_label="Totaal",
    )
    placed = sw.table(table, freeze_cols=1)
    sw.note(
        "Caseload: casussen in de registratie van het Zorg- en Veiligheidshuis; uitstroom: "
        "personen die in het jaar uit detentie zijn ontslagen. '-' = geen registratie."
    )
    sw.note("Percentages zijn normaal afgerond; een kolom kan daardoor op 99% of 101% uitkomen.")
    sw.gap()
    with_outflow = [k for k in keys if recent_outflow(k) is not None]
    if latest is not None and with_outflow:
        col = next(
            first + 1 + (2 if latest in case_years else 0)
            for text, first, _ in table.groups
            if text == str(latest)
        )
        chart = _bar_chart(f"Uitstroom per gemeente {latest}", "Personen")
        last = placed.first_row + len(with_outflow) - 1
        _add_series(chart, sw.ws, col, placed.first_row, last, f"Uitstroom {latest}")
        chart.set_categories(Reference(sw.ws, min_col=1, min_row=placed.first_row, max_row=last))
        chart.legend = None
        sw.chart(chart)


# --- 2. Coördinatie ---------------------------------------------------------------

_DENOMINATOR_ROWS = {"__outflow": "Uitstroom (noemer)", "__caseload": "Caseload (noemer)"}


def write_coordination_sheet(sw: SheetWriter, region: str, data: Warehouse) -> None:
    """Coordination measures per year with both denominators, then case conferences."""
    sw.title(f"Coördinatie nazorg — {region}")
    sw.subtitle("Output van de coördinatie")
    records = data.rows("kpi.coordination", region)
    if not records:
        sw.no_data()
    else:
        by = _index(records, "measure", "year")
        years = _years(records)
        for year in years:  # the denominators as two extra rows, as counts
            sample = next(r for r in records if r["year"] == year)
            by[("__outflow", year)] = {"numerator": sample.get("outflow")}
            by[("__caseload", year)] = {"numerator": sample.get("caseload")}
        measures = _order("measure", (r["measure"] for r in records))
        labels = {m: label("measure", m) for m in measures} | _DENOMINATOR_ROWS
        keys = measures + list(_DENOMINATOR_ROWS)
        table = _pivot_table(
            "Maatregel",
            keys,
            labels,
            years,
            {y: str(y) for y in years},
            lambda _year: [
                (Col("Aantal", "count", "numerator"), by),
                (Col("% van uitstroom", "share", "rate_of_outflow", deps=(-1,)), by),
                (Col("% van caseload", "share", "rate_of_caseload", deps=(-2,)), by),
            ],
        )
        out_row, case_row = len(measures), len(measures) + 1
        table.bold_rows |= {out_row, case_row}
        for _, first, _ in table.groups:  # a rate also reveals its denominator
            for r in range(len(measures)):
                table.deps.setdefault((r, first + 1), set()).add((out_row, first))
                table.deps.setdefault((r, first + 2), set()).add((case_row, first))
        sw.table(table)
        sw.note(
            "Beide noemers staan erbij: de evaluaties delen de ene maatregel door de "
            "uitstroom en de andere door de caseload."
        )
        sw.gap()

    sw.subtitle("Casusoverleg naar soort (casussen)")
    conferences = data.rows("kpi.case_conferences", region)
    if not conferences:
        sw.no_data()
        return
    by = _index(conferences, "conference_type", "year")
    years = _years(conferences)
    types = _order("conference_type", (r["conference_type"] for r in conferences))
    table = _pivot_table(
        "Soort casusoverleg",
        types,
        {t: label("conference_type", t) for t in types},
        years,
        {y: str(y) for y in years},
        lambda _year: [(Col("Casussen", "count", "cases"), by)],
        total_label="Totaal",
    )
    sw.table(table)


# --- 3. Leefgebieden --------------------------------------------------------------


def write_life_domain_sheet(sw: SheetWriter, region: str, data: Warehouse) -> None:
    """Coordinator support per life domain, then support wishes at intake."""
    sw.title(f"Leefgebieden — {region}")
    sw.subtitle("Inzet van de coördinator per leefgebied (casussen)")
    support = data.rows("kpi.life_domain_support", region)
    if not support:
        sw.no_data()
    else:
        by = _index(support, "life_domain", "year")
        years = _years(support)
        domains = _order("life_domain", (r["life_domain"] for r in support))
        table = _pivot_table(
            "Leefgebied",
            domains,
            {d: label("life_domain", d) for d in domains},
            years,
            {y: str(y) for y in years},
            lambda _year: [(Col("Casussen", "count", "cases"), by)],
        )
        sw.table(table)
        sw.note("Een casus kan op meer leefgebieden inzet hebben.")
        sw.gap()

    sw.subtitle("Wens tot ondersteuning bij intake (screening)")
    needs = data.rows("kpi.needs_at_intake", region)
    if not needs:
        sw.no_data()
        return
    by = _index(needs, "life_domain", "year")
    years = _years(needs)
    domains = _order("life_domain", (r["life_domain"] for r in needs))
    table = _pivot_table(
        "Leefgebied",
        domains,
        {d: label("life_domain", d) for d in domains},
        years,
        {y: str(y) for y in years},
        lambda _year: [
            (Col("Formulieren", "count", "forms"), by),
            (Col("Beantwoord", "count", "answered"), by),
            (Col("Met wens", "count", "with_need"), by),
            (Col("% met wens", "share", "share", deps=(-1, -2)), by),
        ],
    )
    sw.table(table)
    sw.note("% met wens = met wens ÷ beantwoord ('Onbekend' en leeg tellen niet als antwoord).")


# --- 4. Screening -------------------------------------------------------------------


def write_screening_sheet(sw: SheetWriter, region: str, data: Warehouse) -> None:
    """Screening forms and consent per release year."""
    sw.title(f"Screening en toestemming — {region}")
    records = sorted(
        data.rows("kpi.screening_coverage", region), key=lambda r: r["year"], reverse=True
    )
    if not records:
        sw.no_data()
        return
    table = _flat_table(
        records,
        [
            Col("Jaar", "year", "year"),
            Col("Uitgestroomde detenties", "count", "released_detentions"),
            Col("Met screeningsformulier", "count", "with_form"),
            Col("% gescreend", "share", "share_with_form", deps=(-1, -2)),
            Col("Geen toestemming", "count", "no_consent"),
            Col("% geen toestemming (van gescreend)", "share", "share_no_consent", deps=(-1, -3)),
        ],
    )
    sw.table(table)


# --- 5. Bereik nazorg-plus ------------------------------------------------------------


def write_reach_sheet(sw: SheetWriter, region: str, data: Warehouse) -> None:
    """Reach funnel per cohort year with a bar chart of the most recent one."""
    sw.title(f"Bereik nazorg-plus — {region}")
    records = data.rows("kpi.reach_funnel", region)
    if not records:
        sw.no_data()
        return
    by = _index(records, "stage", "cohort_year")
    years = _years(records, "cohort_year")
    stages = _order("stage", (r["stage"] for r in records))
    table = _pivot_table(
        "Fase",
        stages,
        {s: label("stage", s) for s in stages},
        years,
        {y: f"Cohort {y}" for y in years},
        lambda _year: [
            (Col("Personen", "count", "persons"), by),
            (Col("% van uitgestroomd", "share", "share_of_released", deps=(-1,)), by),
            (Col("% van vorige fase", "share", "share_of_previous", deps=(-2,)), by),
        ],
    )
    released = stages.index("released") if "released" in stages else None
    for _, first, _ in table.groups:  # shares also reveal the stage they are taken of
        for r in range(len(stages)):
            if released is not None:
                table.deps[(r, first + 1)].add((released, first))
            if r > 0:
                table.deps[(r, first + 2)].add((r - 1, first))
    placed = sw.table(table, freeze_cols=1)
    sw.note(
        "De kosten-batenanalyse extrapoleert naar 'Traject gestart' (N) vanuit "
        "'Geïnterviewd' (n), niet vanuit de getrokken steekproef."
    )
    sw.gap()
    chart = _bar_chart(f"Bereik nazorg-plus, cohort {years[0]}", "Personen", horizontal=True)
    _add_series(chart, sw.ws, 2, placed.first_row, placed.last_row, f"Cohort {years[0]}")
    chart.set_categories(
        Reference(sw.ws, min_col=1, min_row=placed.first_row, max_row=placed.last_row)
    )
    chart.legend = None
    sw.chart(chart)


# --- 6. MKBA --------------------------------------------------------------------------


def write_mkba_sheet(sw: SheetWriter, region: str, data: Warehouse) -> None:
    """Cost-benefit analysis per cohort year: balance, lines per variant, sensitivity,
    break-even, bootstrap interval and the parameters used."""
    sw.title(f"Maatschappelijke kosten-batenanalyse nazorg-plus — {region}")
    lines = data.rows("kpi.cohort_benefit", region)
    summary = data.rows("kpi.cohort_benefit_summary", region)
    sensitivity = data.rows("kpi.cohort_sensitivity", region)
    uncertainty = data.rows("kpi.cohort_uncertainty", region)
    parameters = data.rows("kpi.cohort_parameters", region)
    everything = lines + summary + sensitivity + uncertainty + parameters
    if not everything:
        sw.no_data()
        return
    per_year: list[dict[Any, list[dict]]] = []
    for records in (lines, summary, sensitivity, uncertainty, parameters):
        groups: dict[Any, list[dict]] = {}
        for r in records:
            groups.setdefault(r.get("cohort_year"), []).append(r)
        per_year.append(groups)
    for year in _years(everything, "cohort_year"):
        lines_, summary_, sensitivity_, uncertainty_, parameters_ = (
            groups.get(year, []) for groups in per_year
        )
        _write_mkba_balance(sw, year, summary_)
        _write_mkba_lines(sw, lines_, summary_)
        _write_mkba_sensitivity(sw, sensitivity_)
        _write_mkba_uncertainty(sw, uncertainty_)
        _write_mkba_parameters(sw, parameters_)


def _write_mkba_balance(sw: SheetWriter, year: Any, summary: list[dict]) -> None:
    sw.subtitle(f"Eindbalans cohort {year}")
    if not summary:
        sw.no_data()
        return
    summary = sorted(summary, key=lambda r: str(r["variant"]))
    table = _flat_table(
        summary,
        [
            Col("Variant", "text", lambda r: label("variant", r["variant"])),
            Col("Cohort (N)", "int", "cohort_size"),
            Col("Steekproef (n)", "int", "sample_size"),
            Col("Extrapolatiefactor", "ratio", "extrapolation_factor"),
            Col("Totale kosten", "euro", "total_costs"),
            Col("Totale baten", "euro", "total_benefits"),
            Col("Saldo (baten − kosten)", "euro", "net_benefit"),
            Col("Baten-kostenverhouding", "ratio", "benefit_cost_ratio"),
            Col("Baten zonder uitkeringsposten", "euro", "benefits_excl_transfers"),
            Col("Verhouding zonder uitkeringsposten", "ratio", "ratio_excl_transfers"),
        ],
    )
    placed = sw.table(table, suppress=False)
    sw.note(
        "Uitkeringen zijn in strikte welvaartszin een overdracht; de verhouding zonder "
        "uitkeringsposten is de voorzichtigste lezing."
    )
    sw.gap()
    chart = _bar_chart(f"Kosten en baten per variant, cohort {year}", "Euro")
    _add_series(chart, sw.ws, 5, placed.first_row, placed.last_row, "Totale kosten")
    _add_series(chart, sw.ws, 6, placed.first_row, placed.last_row, "Totale baten")
    chart.set_categories(
        Reference(sw.ws, min_col=1, min_row=placed.first_row, max_row=placed.last_row)
    )
    chart.y_axis.numFmt = FORMATS["euro"]
    sw.chart(chart)


_MKBA_TOTAL_ROWS = (
    ("Totaal kosten", "total_costs", "euro"),
    ("Totaal baten", "total_benefits", "euro"),
    ("Saldo (baten − kosten)", "net_benefit", "euro"),
    ("Baten-kostenverhouding", "benefit_cost_ratio", "ratio"),
    ("Baten zonder uitkeringsposten", "benefits_excl_transfers", "euro"),
    ("Verhouding zonder uitkeringsposten", "ratio_excl_transfers", "ratio"),
)


def _write_mkba_lines(sw: SheetWriter, lines: list[dict], summary: list[dict]) -> None:
    """Per variant: the cost and benefit lines like the report's table, then the totals."""
    variants = sorted({str(r["variant"]) for r in lines + summary})
    line_order = list(LABELS["line"])
    for variant in variants:
        sw.subtitle(f"Kosten en baten — {label('variant', variant)}")
        rows = [r for r in lines if str(r["variant"]) == variant]
        rows.sort(
            key=lambda r: (
                r.get("kind") != "cost",
                line_order.index(r["line"]) if r["line"] in line_order else len(line_order),
                str(r["line"]),
            )
        )
        table = _flat_table(
            rows,
            [
                Col("Soort", "text", lambda r: label("kind", r.get("kind"))),
                Col("Post", "text", lambda r: label("line", r["line"])),
                Col("Bedrag per jaar (steekproef)", "euro", "amount_per_year_sample"),
                Col("Steekproef, periode", "euro", "amount_sample_period"),
                Col("Cohort (geëxtrapoleerd)", "euro", "amount_cohort"),
            ],
        )
        totals = next((r for r in summary if str(r["variant"]) == variant), None)
        for text, name, kind in _MKBA_TOTAL_ROWS if totals else ():
            r = table.add_row([text, None, None, None, _clean(totals.get(name))], bold=True)
            table.cell_kinds[(r, 4)] = kind
        if table.rows:
            sw.table(table, suppress=False)
        else:
            sw.no_data()


_NO_BREAK_EVEN = "geen binnen het bereik"


def _break_even_value(record: dict[str, Any] | None) -> Any:
    value = None if record is None else _clean(record.get("value"))
    return _NO_BREAK_EVEN if value is None else value


def _write_mkba_sensitivity(sw: SheetWriter, sensitivity: list[dict]) -> None:
    sw.subtitle("Gevoeligheid: baten-kostenverhouding als één parameter verandert")
    rows = [r for r in sensitivity if r.get("kind") == "sensitivity"]
    variants = sorted({str(r["variant"]) for r in sensitivity})
    if not rows:
        sw.no_data()
    else:
        order = list(LABELS["parameter"])
        keys = sorted(
            {(r["parameter"], _clean(r["value"])) for r in rows},
            key=lambda k: (
                order.index(k[0]) if k[0] in order else len(order),
                str(k[0]),
                k[1] if _is_number(k[1]) else math.inf,
                str(k[1]),
            ),
        )
        ratio = {
            (r["parameter"], _clean(r["value"]), str(r["variant"])): r["benefit_cost_ratio"]
            for r in rows
        }
        cols = [
            Col("Parameter", "text", lambda k: label("parameter", k[0])),
            Col("Code", "text", lambda k: k[0]),
            Col("Waarde", "general", lambda k: k[1]),
        ] + [
            Col(f"Verhouding variant {v}", "ratio", lambda k, v=v: ratio.get((k[0], k[1], v)))
            for v in variants
        ]
        sw.table(_flat_table(keys, cols), suppress=False)

    sw.subtitle("Break-evenwaarden (verhouding precies 1)")
    found = {
        (str(r["variant"]), r["parameter"]): r for r in sensitivity if r.get("kind") == "break_even"
    }
    searched = {(str(r["variant"]), r["parameter"]) for r in rows} | set(found)
    if not searched:
        sw.no_data()
        return
    order = list(LABELS["parameter"])
    keys = sorted(
        searched,
        key=lambda k: (k[0], order.index(k[1]) if k[1] in order else len(order), str(k[1])),
    )
    table = _flat_table(
        keys,
        [
            Col("Variant", "text", lambda k: f"Variant {k[0]}"),
            Col("Parameter", "text", lambda k: label("parameter", k[1])),
            Col("Code", "text", lambda k: k[1]),
            Col(
                "Break-evenwaarde",
                "general",
                lambda k: _break_even_value(found.get(k)),
            ),
        ],
    )
    sw.table(table, suppress=False)


def _write_mkba_uncertainty(sw: SheetWriter, uncertainty: list[dict]) -> None:
    sw.subtitle("Onzekerheid: bootstrap-interval van de baten-kostenverhouding")
    if not uncertainty:
        sw.no_data()
        return
    table = _flat_table(
        sorted(uncertainty, key=lambda r: str(r["variant"])),
        [
            Col("Variant", "text", lambda r: label("variant", r["variant"])),
            Col("Trekkingen", "int", "draws"),
            Col("Seed", "general", "seed"),
            Col("P05", "ratio", "ratio_p05"),
            Col("P50 (mediaan)", "ratio", "ratio_p50"),
            Col("P95", "ratio", "ratio_p95"),
        ],
    )
    sw.table(table, suppress=False)


def _write_mkba_parameters(sw: SheetWriter, parameters: list[dict]) -> None:
    sw.subtitle("Gebruikte parameters")
    if not parameters:
        sw.no_data()
        return
    order = list(LABELS["parameter"])
    table = _flat_table(
        sorted(
            parameters,
            key=lambda r: (
                order.index(r["parameter"]) if r["parameter"] in order else len(order),
                str(r["parameter"]),
            ),
        ),
        [
            Col("Parameter", "text", lambda r: label("parameter", r["parameter"])),
            Col("Code", "text", "parameter"),
            Col("Waarde", "general", "value"),
        ],
    )
    sw.table(table, suppress=False)


# --- 7. Herdetentie ---------------------------------------------------------------

_REDETENTION_NOTES = (
    "Dit is heropname in detentie (herdetentie): een nieuwe insluiting binnen twee jaar "
    "(730 dagen) na het eerste ontslag in het uitstroomjaar.",
    "Het is géén recidive in de zin van de WODC-recidivemonitor (nieuwe veroordelingen).",
    "Het verschil tussen de groepen is géén causaal effect van nazorg-plus: de groepen "
    "verschillen in wie voor nazorg-plus is geselecteerd.",
    "Uitstroom telt een persoon bij het laatste ontslag van het jaar, herdetentie bij het "
    "eerste; de totalen kunnen daardoor licht verschillen.",
)


def _window_label(value: Any) -> str:
    complete = value if isinstance(value, bool) else str(value).lower() in ("true", "1", "ja")
    return label("window_complete", "true" if complete else "false")


def write_redetention_sheet(sw: SheetWriter, region: str, records: list[dict]) -> None:
    """Release years down, the groups side by side, with the re-detention caveats."""
    sw.title(f"Herdetentie binnen twee jaar na uitstroom — {region}")
    for text in _REDETENTION_NOTES:
        sw.note(text)
    sw.gap()
    by = _index(records, "release_year", "aftercare_group")
    years = _years(records, "release_year")
    groups = _order("group", (r["aftercare_group"] for r in records))
    table = _pivot_table(
        "Uitstroomjaar",
        years,
        {y: y for y in years},
        groups,
        {g: label("group", g) for g in groups},
        lambda _group: [
            (Col("Uitgestroomd", "count", "released_persons"), by),
            (Col("Heropgenomen binnen 2 jaar", "count", "redetained_2y"), by),
            (Col("% heropgenomen", "share", "prevalence_2y", deps=(-1, -2)), by),
            (Col("Nieuwe detenties binnen 2 jaar", "count", "new_detentions_2y"), by),
            (Col("Detenties per persoon", "ratio", "incidence_2y", deps=(-1, -4)), by),
        ],
    )
    table.kinds[0] = "year"
    starts = {g: first for (_, first, _), g in zip(table.groups, groups, strict=True)}
    if {"nazorg_plus", "regular", "all"} <= set(starts):  # 'all' = the sum of the two
        for r in range(len(table.rows)):
            for offset in (0, 1, 3):
                table.totals.append(
                    (
                        (r, starts["all"] + offset),
                        [(r, starts["nazorg_plus"] + offset), (r, starts["regular"] + offset)],
                    )
                )
    table.headers.append("Venster 2 jaar compleet")
    table.kinds.append("text")
    for r, year in enumerate(years):
        flags = [rec.get("window_complete") for rec in records if rec["release_year"] == year]
        table.rows[r].append(_window_label(all(_window_label(f) == "ja" for f in flags)))
    placed = sw.table(table, freeze_cols=1)
    sw.gap()
    chart = _bar_chart("Heropgenomen binnen 2 jaar (prevalentie) per groep", "Aandeel")
    for group in groups:
        col = starts[group] + 3  # '% heropgenomen', 1-based
        _add_series(chart, sw.ws, col, placed.first_row, placed.last_row, label("group", group))
    chart.set_categories(
        Reference(sw.ws, min_col=1, min_row=placed.first_row, max_row=placed.last_row)
    )
    chart.y_axis.numFmt = FORMATS["share"]
    sw.chart(chart)


# --- 8. Definities ------------------------------------------------------------------


def suppression_statement(threshold: int | None) -> str:
    """The Definities line that says whether small-cell suppression was on."""
    if not threshold:
        return "Onderdrukking van kleine aantallen: uit — alle aantallen worden getoond."
    return (
        f"Onderdrukking van kleine aantallen: aan (drempel {threshold}). Aantallen van 1 tot "
        f"en met {threshold - 1} staan als '<{threshold}' en het bijbehorende percentage is "
        f"leeg. Waar een totaal één onderdrukt aantal zou verraden, is ook het "
        f"eerstvolgende kleinste aantal in die rij of kolom onderdrukt (weergegeven als "
        f"'{SECONDARY_MARK}'). Bedragen en verhoudingen van de MKBA worden niet onderdrukt."
    )


def write_definitions_sheet(sw: SheetWriter, threshold: int | None) -> None:
    """Every figure with its numerator and denominator, rounding and suppression."""
    sw.title("Definities")
    table = _flat_table(
        [dict(zip(("f", "t", "n", "e"), row, strict=True)) for row in DEFINITIONS],
        [
            Col("Figuur", "text", "f"),
            Col("Teller", "text", "t"),
            Col("Noemer", "text", "n"),
            Col("Toelichting", "text", "e"),
        ],
    )
    sw.table(table, suppress=False)
    sw.note(
        "Percentages zijn normaal afgerond (vanaf ,5 naar boven); een kolom kan daardoor "
        "optellen tot 99% of 101%."
    )
    sw.note(
        "Bedragen zijn in euro's (prijspeil van de analyse), in de tabellen afgerond op hele "
        "euro's; verhoudingen op twee decimalen."
    )
    sw.note(f"'{MISSING}' betekent: geen registratie voor deze rij in dat jaar.")
    sw.note(suppression_statement(threshold))


# --- 9. Datakwaliteit ---------------------------------------------------------------

#: Rejected rows and warnings are listed per (file, column, rule) with the number of rows
#: and one example message, largest group first. A national run with a systematic
#: problem (an unknown municipality in every daily export) has thousands of groups and
#: hundreds of thousands of rows; nobody reads that in a workbook, and writing it made
#: the reports step take minutes. Fifty groups fit on two printed pages and, sorted by
#: size, cover nearly every row; the rest is counted in one line that points to the
#: full table in the warehouse.
ISSUE_GROUP_LIMIT = 50

#: Up to this many files the ledger lists every file, as it always did (a national run
#: reads about 200: ten years of JustID exports, 25 case registrations, the cohorts and
#: the screening files). Beyond it (years of daily exports) a file-by-file list hides
#: the few files that need attention, so only those are listed, capped at the same
#: number, and the loaded files without rejected rows are summarised per source.
LEDGER_DETAIL_LIMIT = 200

_ISSUE_TABLES = {
    "quality.rejected_rows": "Afgewezen rijen, naar bestand, kolom en regel",
    "quality.row_warnings": (
        "Geladen rijen met een waarschuwing (veld terzijde gelegd), naar bestand, kolom en regel"
    ),
}

_ISSUE_COLS = [
    Col("Bestand", "text", "file"),
    Col("Kolom", "text", "column"),
    Col("Regel", "text", "rule"),
    Col("Rijen", "int", "rows"),
    Col("Voorbeeld van de melding", "text", "message"),
]

_LEDGER_COLS = [
    Col("Bestand", "text", "file"),
    Col("Bron", "text", "source"),
    Col("Status", "text", "status"),
    Col("Rijen gelezen", "int", "rows_read"),
    Col("Rijen geladen", "int", "rows_loaded"),
    Col("Rijen afgewezen", "int", "rows_rejected"),
    Col("Fout", "text", "error"),
]

_LEDGER_FIELDS = ("file", "source", "status", "rows_read", "rows_loaded", "rows_rejected", "error")

_LEDGER_SUMMARY_COLS = [
    Col("Bron", "text", "source"),
    Col("Bestanden", "int", "files"),
    Col("Rijen gelezen", "int", "rows_read"),
    Col("Rijen geladen", "int", "rows_loaded"),
    Col("Rijen afgewezen", "int", "rows_rejected"),
]


def _number(n: int) -> str:
    """``28400`` → ``28.400`` (Dutch thousands separator)."""
    return f"{n:,}".replace(",", ".")


def _plural(n: int, one: str, many: str) -> str:
    return f"{_number(n)} {one if n == 1 else many}"


def _write_ledger(sw: SheetWriter, ledger: Ledger) -> None:
    sw.subtitle("Ingelezen bestanden")
    if not ledger.files:
        sw.no_data()
        return
    if ledger.summary is None:  # few files: every file on its own line
        sw.table(_flat_table(ledger.detail, _LEDGER_COLS), suppress=False)
        return
    sw.note(
        f"{_plural(ledger.files, 'bestand', 'bestanden')} ingelezen. Hieronder elk bestand "
        "dat niet is geladen (mislukt of dubbel) of afgewezen rijen heeft; de overige "
        "bestanden staan samengevat per bron."
    )
    sw.gap()
    if ledger.detail:
        sw.table(_flat_table(ledger.detail, _LEDGER_COLS), suppress=False)
        hidden = ledger.exceptions - len(ledger.detail)
        if hidden > 0:
            sw.row -= 1  # the line belongs to the table above
            sw.note(
                f"… en nog {_plural(hidden, 'bestand', 'bestanden')} die niet zijn geladen "
                "of afgewezen rijen hebben; de volledige lijst staat in de tabel "
                "quality.file_ledger van het warehouse."
            )
            sw.gap()
    else:
        sw.note("Alle bestanden zijn geladen, zonder afgewezen rijen.")
        sw.gap()
    sw.subtitle("Overige bestanden per bron (geladen, geen afgewezen rijen)")
    if ledger.summary:
        sw.table(_flat_table(ledger.summary, _LEDGER_SUMMARY_COLS), suppress=False)
    else:
        sw.no_data()


def _write_issues(sw: SheetWriter, title: str, table_name: str, issues: IssueGroups) -> None:
    sw.subtitle(title)
    if not issues.groups:
        sw.no_data()
        return
    sw.note(
        f"{_plural(issues.rows, 'rij', 'rijen')} in "
        f"{_plural(issues.total_groups, 'groep', 'groepen')}; per groep één voorbeeld "
        "van de melding, grootste groep eerst."
    )
    sw.table(_flat_table(issues.groups, _ISSUE_COLS), suppress=False)
    more_groups = issues.total_groups - len(issues.groups)
    if more_groups > 0:
        more_rows = issues.rows - sum(int(g["rows"]) for g in issues.groups)
        sw.row -= 1  # the line belongs to the table above
        sw.note(
            f"… en nog {_plural(more_groups, 'groep', 'groepen')} met samen "
            f"{_plural(more_rows, 'rij', 'rijen')}. De volledige lijst, rij voor rij, "
            f"staat in de tabel {table_name} van het warehouse."
        )
        sw.gap()


def write_quality_sheet(sw: SheetWriter, data: Warehouse, run_info: dict[str, str] | None) -> None:
    """Files read, rows rejected and set aside, unplaceable releases, the run itself."""
    sw.title("Datakwaliteit van de run (alle regio's)")
    _write_ledger(sw, data.ledger())
    for table_name, title in _ISSUE_TABLES.items():
        _write_issues(sw, title, table_name, data.issue_groups(table_name))

    sw.subtitle("Ontslagen zonder gemeente (in geen enkele regio geteld)")
    unplaced = sorted(
        data.rows("quality.releases_without_municipality"), key=lambda r: r["year"], reverse=True
    )
    if unplaced:
        table = _flat_table(
            unplaced, [Col("Jaar", "year", "year"), Col("Personen", "count", "persons")]
        )
        sw.table(table)
    else:
        sw.no_data()

    sw.subtitle("Run")
    if run_info:
        table = _flat_table(
            [{"k": k, "v": v} for k, v in run_info.items()],
            [Col("Gegeven", "text", "k"), Col("Waarde", "text", "v")],
        )
        sw.table(table, suppress=False)
    else:
        sw.no_data()


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class IssueGroups:
    """Rejected rows or warnings per (file, column, rule): the largest groups (each with
    ``file, column, rule, rows, message``), how many groups and rows there are in all."""

    groups: list[dict[str, Any]]
    total_groups: int
    rows: int


@dataclass(frozen=True)
class Ledger:
    """The file ledger as the sheet shows it: ``detail`` are the files listed one by one
    (all of them, or with ``summary`` set only the exceptions), ``summary`` the other
    files per source."""

    files: int
    detail: list[dict[str, Any]]
    exceptions: int
    summary: list[dict[str, Any]] | None


class Warehouse:
    """Read-only access to the ``kpi`` and ``quality`` schemas; every table and every
    aggregate is read once, however many workbooks are written.

    A missing table reads as no rows and a missing column as NULL; nothing outside
    these two schemas is touched. The (possibly large) row-level quality tables are
    never read into Python: they are aggregated in DuckDB."""

    SCHEMAS = ("kpi", "quality")

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self._con = con
        found = con.execute(
            """
            SELECT schema_name, table_name, column_name
            FROM duckdb_columns()
            WHERE database_name = current_database() AND schema_name IN ('kpi', 'quality')
            ORDER BY schema_name, table_name, column_index
            """
        ).fetchall()
        self.columns: dict[str, list[str]] = {}
        for schema, table, column in found:
            self.columns.setdefault(f"{schema}.{table}", []).append(column)
        self._cache: dict[str, list[dict[str, Any]]] = {}
        self._by_region: dict[str, dict[Any, list[dict[str, Any]]]] = {}
        self._aggregates: dict[str, Any] = {}
        self.queries = 0  # statements run against the warehouse (tests check the caching)

    def _fetch(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        self.queries += 1
        cursor = self._con.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def _ref(self, table: str) -> str:
        schema, name = table.split(".", 1)
        return f'"{schema}"."{name}"'

    def _col(self, table: str, column: str) -> str:
        """The quoted column, or NULL when the table lacks it."""
        return f'"{column}"' if column in self.columns.get(table, ()) else "NULL"

    def rows(self, table: str, region: str | None = None) -> list[dict[str, Any]]:
        """All rows of ``schema.table`` as dicts, only those of ``region`` if given."""
        if table not in self.columns:
            return []
        if table not in self._cache:
            self._cache[table] = self._fetch(f"SELECT * FROM {self._ref(table)}")
        rows = self._cache[table]
        if region is None:
            return rows
        if table not in self._by_region:
            parts: dict[Any, list[dict[str, Any]]] = {}
            for r in rows:
                parts.setdefault(r.get("region"), []).append(r)
            self._by_region[table] = parts
        return list(self._by_region[table].get(region, ()))

    def regions(self) -> list[str]:
        """Distinct non-NULL regions over every kpi table with a region column."""
        if "regions" not in self._aggregates:
            selects = [
                f"SELECT region FROM {self._ref(t)}"
                for t, columns in self.columns.items()
                if t.startswith("kpi.") and "region" in columns
            ]
            found = (
                self._fetch(
                    f"SELECT DISTINCT CAST(region AS VARCHAR) AS region FROM ({' UNION ALL '.join(selects)}) "
                    "WHERE region IS NOT NULL ORDER BY region"
                )
                if selects
                else []
            )
            self._aggregates["regions"] = [str(r["region"]) for r in found]
        return list(self._aggregates["regions"])

    def issue_groups(self, table: str, limit: int = ISSUE_GROUP_LIMIT) -> IssueGroups:
        """Rows of ``quality.rejected_rows`` or ``quality.row_warnings`` counted per
        (file, column, rule) in DuckDB, largest group first, the first ``limit`` groups
        with the message of the group's first row (lowest row number) as its example."""
        key = f"issues:{table}:{limit}"
        if key not in self._aggregates:
            if table not in self.columns:
                self._aggregates[key] = IssueGroups([], 0, 0)
            else:
                col = lambda c: self._col(table, c)  # noqa: E731
                example = (  # the message of the group's first row in the file
                    'first(message ORDER BY "row_number" NULLS LAST, message NULLS LAST)'
                    if {"message", "row_number"} <= set(self.columns[table])
                    else f"min({col('message')})"
                )
                found = self._fetch(
                    f"""
                    WITH g AS (
                        SELECT {col("file")} AS file, {col("column_name")} AS "column",
                               {col("rule")} AS rule, count(*) AS rows,
                               {example} AS message
                        FROM {self._ref(table)}
                        GROUP BY 1, 2, 3
                    )
                    SELECT *, count(*) OVER () AS total_groups, sum(rows) OVER () AS total_rows
                    FROM g
                    ORDER BY rows DESC, file NULLS LAST, "column" NULLS LAST, rule NULLS LAST
                    LIMIT ?
                    """,
                    [limit],
                )
                total_groups = int(found[0]["total_groups"]) if found else 0
                total_rows = int(found[0]["total_rows"]) if found else 0
                groups = [
                    {k: r[k] for k in ("file", "column", "rule", "rows", "message")} for r in found
                ]
                self._aggregates[key] = IssueGroups(groups, total_groups, total_rows)
        return self._aggregates[key]

    def ledger(self, limit: int = LEDGER_DETAIL_LIMIT) -> Ledger:
        """The file ledger: every file when there are at most ``limit``, else the files
        that are not ``loaded`` or have rejected rows (failed first, at most ``limit``)
        and the other files summed per source."""
        table = "quality.file_ledger"
        key = f"ledger:{limit}"
        if key in self._aggregates:
            return self._aggregates[key]
        if table not in self.columns:
            self._aggregates[key] = Ledger(0, [], 0, None)
            return self._aggregates[key]
        col = lambda c: self._col(table, c)  # noqa: E731
        fields = ", ".join(f'{col(c)} AS "{c}"' for c in _LEDGER_FIELDS)
        ref = self._ref(table)
        files = int(self._fetch(f"SELECT count(*) AS n FROM {ref}")[0]["n"])
        if files <= limit:
            detail = self._fetch(f"SELECT {fields} FROM {ref} ORDER BY file NULLS LAST")
            ledger = Ledger(files, detail, 0, None)
        else:
            exception = (
                f"({col('status')} IS DISTINCT FROM 'loaded' "
                f"OR coalesce({col('rows_rejected')}, 0) > 0)"
            )
            detail = self._fetch(
                f"""
                SELECT {fields}, count(*) OVER () AS exceptions FROM {ref}
                WHERE {exception}
                ORDER BY CASE status WHEN 'failed' THEN 0 WHEN 'loaded' THEN 2 ELSE 1 END,
                         file NULLS LAST, source NULLS LAST
                LIMIT ?
                """,
                [limit],
            )
            exceptions = int(detail[0]["exceptions"]) if detail else 0
            for r in detail:
                del r["exceptions"]
            summary = self._fetch(
                f"""
                SELECT {col("source")} AS source, count(*) AS files,
                       sum({col("rows_read")}) AS rows_read,
                       sum({col("rows_loaded")}) AS rows_loaded,
                       sum({col("rows_rejected")}) AS rows_rejected
                FROM {ref}
                WHERE NOT {exception}
                GROUP BY 1
                ORDER BY 1 NULLS LAST
                """
            )
            ledger = Ledger(files, detail, exceptions, summary)
        self._aggregates[key] = ledger
        return ledger


# --------------------------------------------------------------------------- workbooks


def region_slug(region: str) -> str:
    """``Gooi en Vechtstreek`` → ``gooi-en-vechtstreek``."""
    return region.strip().lower().replace(" ", "-").replace("/", "-")


def workbook_path(reports_dir: Path, region: str) -> Path:
    return Path(reports_dir) / f"kpi_{region_slug(region)}.xlsx"


def _document_timestamp(run_info: dict[str, str] | None) -> dt.datetime:
    """The workbook's created/modified time: the run's data timestamp when run_info has
    one (``data_timestamp``), else a constant, so equal data give equal files."""
    text = (run_info or {}).get("data_timestamp")
    if text:
        try:
            stamp = dt.datetime.fromisoformat(str(text))
        except ValueError:
            return FIXED_TIMESTAMP
        if stamp.tzinfo is not None:
            stamp = stamp.astimezone(dt.UTC).replace(tzinfo=None)
        return stamp.replace(microsecond=0)
    return FIXED_TIMESTAMP


def build_region_workbook(
    data: Warehouse,
    region: str,
    *,
    suppression_threshold: int | None = None,
    run_info: dict[str, str] | None = None,
) -> Workbook:
    """All sheets of one region's workbook, in order."""
    wb = Workbook()
    wb.remove(wb.active)
    stamp = _document_timestamp(run_info)
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.properties.creator = "nazorg"
    wb.properties.title = f"KPI nazorg ex-gedetineerden — {region}"

    styles: _Styles | None = None

    def sheet(name: str, write: Callable[[SheetWriter], None]) -> None:
        nonlocal styles
        ws = BufferedSheet(wb, name)
        wb._add_sheet(ws)
        styles = styles or _Styles(ws)
        sw = SheetWriter(ws, suppression_threshold, styles)
        write(sw)
        sw.finish()

    sheet(SHEET_OUTFLOW, lambda sw: write_outflow_sheet(sw, region, data))
    sheet(SHEET_COORDINATION, lambda sw: write_coordination_sheet(sw, region, data))
    sheet(SHEET_LIFE_DOMAINS, lambda sw: write_life_domain_sheet(sw, region, data))
    sheet(SHEET_SCREENING, lambda sw: write_screening_sheet(sw, region, data))
    sheet(SHEET_REACH, lambda sw: write_reach_sheet(sw, region, data))
    sheet(SHEET_MKBA, lambda sw: write_mkba_sheet(sw, region, data))
    redetention = data.rows("kpi.redetention", region)
    if redetention:
        sheet(SHEET_REDETENTION, lambda sw: write_redetention_sheet(sw, region, redetention))
    sheet(SHEET_DEFINITIONS, lambda sw: write_definitions_sheet(sw, suppression_threshold))
    sheet(SHEET_QUALITY, lambda sw: write_quality_sheet(sw, data, run_info))
    return wb


def save_deterministic(wb: Workbook, path: Path) -> None:
    """Save with the workbook's own timestamps and fixed zip entry times, atomically
    (write next to the target, then rename over it)."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with _FixedTimeZip(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
            _ExcelWriter(wb, archive).save()  # unlike wb.save(), keeps properties.modified
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_region_workbooks(
    con: duckdb.DuckDBPyConnection,
    reports_dir: Path,
    *,
    suppression_threshold: int | None = None,
    run_info: dict[str, str] | None = None,
) -> list[Path]:
    """Write ``kpi_<region-slug>.xlsx`` for every region in the kpi tables.

    Reads only the ``kpi`` and ``quality`` schemas of ``con``. Returns the paths written,
    ordered by region name.
    """
    if suppression_threshold is not None and suppression_threshold < 1:
        raise ValueError("suppression_threshold must be a positive number or None")
    reports_dir = Path(reports_dir)
    reports_dir.mkdir(parents=True, exist_ok=True)
    data = Warehouse(con)
    written = []
    for region in data.regions():
        wb = build_region_workbook(
            data, region, suppression_threshold=suppression_threshold, run_info=run_info
        )
        path = workbook_path(reports_dir, region)
        save_deterministic(wb, path)
        written.append(path)
    return written
