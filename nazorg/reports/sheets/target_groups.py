"""Doelgroepen en doorlooptijd: what the evaluations name but did not count. How long the
released detentions lasted (stay bands per release year, with a chart), how soon after
admission the screening form was made (per admission year), and the coordination's
target groups with the share that has a case in the register, per release year.

Rows run oldest year first; provisional years (``year_complete`` false) are marked
``voorlopig``; in the stay table, the one with a chart, they are listed after the
complete years and left out of the chart, so that a partial year never reads as a
trend (a chart reads one block of rows)."""

from __future__ import annotations

from typing import Any

from nazorg.reports import columns
from nazorg.reports.labels import label, order
from nazorg.reports.layout import charts, styles
from nazorg.reports.layout.sheet import SheetWriter
from nazorg.reports.layout.tables import MISSING, Col, Table, clean, flat_table
from nazorg.reports.report import Report, year_label

NAME = "Doelgroepen en doorlooptijd"
SUMMARY = "Verblijfsduur, screening binnen 5 dagen en bereik van de doelgroepen"
STAYS = "kpi.length_of_stay"
INTAKE = "kpi.intake_timeliness"
GROUPS = "kpi.target_groups"
#: The bands that together are "binnen 4 weken" (Limburg §4.3: "bijna de helft").
WITHIN_FOUR_WEEKS = ("up_to_7_days", "8_to_28_days")
PERCENT_NOTE = (
    "Percentages zijn normaal afgerond; een rij kan daardoor op 99% of 101% uitkomen. "
    "<1%: meer dan nul, maar minder dan een half procent."
)


def absent(report: Report) -> str | None:
    if any(report.rows(t) for t in (STAYS, INTAKE, GROUPS)):
        return None
    return "Geen detentiemeldingen voor deze regio"


def write(sw: SheetWriter, report: Report) -> None:
    _stays(sw, report)
    _intake(sw, report)
    _target_groups(sw, report)
    sw.min_width(1, 16)
    for col in range(2, sw.ws.max_column + 1):  # a band's name sits over two columns
        sw.min_width(col, 8.5)


def _complete_by_year(records: list[dict[str, Any]], year_field: str) -> dict[Any, bool]:
    """A year is complete when every row of it says so."""
    out: dict[Any, bool] = {}
    for r in records:
        year = r.get(year_field)
        if year is not None:
            out[year] = out.get(year, True) and columns.year_complete(r)
    return out


def _year_order(complete: dict[Any, bool]) -> list[Any]:
    """Complete years oldest first, then the provisional ones (oldest first)."""
    return sorted(complete, key=lambda y: (not complete[y], y))


def _provisional_note(complete: dict[Any, bool], what: str, *, chart: bool = False) -> list[str]:
    if all(complete.values()):
        return []
    where = "; voorlopige jaren staan onder de volledige en niet in de grafiek" if chart else ""
    return [f"voorlopig: {what} dekken dit jaar nog niet helemaal{where}."]


# --------------------------------------------------------------------------- stays


def _stays(sw: SheetWriter, report: Report) -> None:
    records = report.rows(STAYS)
    if not records:
        return
    complete = _complete_by_year(records, "release_year")
    shown = _year_order(complete)
    rank = {r["stay_band"]: r.get("band_order") for r in records}
    bands = sorted(
        order("stay_band", rank),
        key=lambda b: (rank[b] is None, rank[b] if rank[b] is not None else 0),
    )
    by = {(r["release_year"], r["stay_band"]): r for r in records}
    four_weeks = [b for b in bands if b in WITHIN_FOUR_WEEKS]

    table = Table(["Uitstroomjaar"], ["text"])
    for band in bands:
        table.groups.append((label("stay_band", band), len(table.headers), 2))
        table.headers += ["Aantal", "%"]
        table.kinds += ["count", "share"]
    week_col = len(table.headers)
    if four_weeks:
        table.groups.append(("Binnen 4 weken", week_col, 2))
        table.headers += ["Aantal", "%"]
        table.kinds += ["count", "share"]
    total_col = len(table.headers)
    table.headers.append("Totaal")
    table.kinds.append("count")
    for year in shown:
        counts, shares = [], []
        values: list[Any] = [year_label(year, complete[year])]
        for band in bands:
            record = by.get((year, band))
            counts.append(None if record is None else clean(record.get("released_episodes")))
            shares.append(None if record is None else clean(record.get("share")))
            # a band without a row reads "-" (no registration), never an empty cell
            values += [MISSING, MISSING] if record is None else [counts[-1], shares[-1]]
        members = [i for i, b in enumerate(bands) if b in WITHIN_FOUR_WEEKS]
        if four_weeks:  # the sum of the band cells shown, like a Totaal
            values += [
                sum(counts[i] or 0 for i in members),
                sum(shares[i] or 0 for i in members),
            ]
        values.append(sum(n or 0 for n in counts))
        r = table.add_row(values)
        band_cells = [(r, 1 + 2 * i) for i in range(len(bands))]
        for i in range(len(bands)):
            table.deps[(r, 2 + 2 * i)] = {(r, 1 + 2 * i), (r, total_col)}
        if four_weeks:
            table.totals.append(((r, week_col), [band_cells[i] for i in members]))
            table.deps[(r, week_col + 1)] = {(r, week_col), (r, total_col)} | {
                band_cells[i] for i in members
            }
        table.totals.append(((r, total_col), band_cells))
    placed = sw.table(
        table,
        title="Verblijfsduur in detentie",
        subtitle=(
            f"Detenties die in het jaar zijn geëindigd met ontslag naar {report.region}, "
            "naar het aantal dagen tussen insluiting en ontslag."
        ),
        source=report.source("detentiemeldingen (DPAN, JustID)"),
        notes=[
            "Detenties, geen personen: wie twee keer in een jaar is ontslagen, telt twee "
            "keer. Dagen = datum ontslag − datum insluiting. Totaal: alle detenties die in "
            "het jaar zijn geëindigd.",
            "Binnen 4 weken = t/m 28 dagen (rapport Limburg: 'bijna de helft … verlaat "
            "binnen 4 weken de PI'). Vanaf 4 maanden detentie schrijft de gemeente de "
            "huurder uit en gaat de woning verloren: meer dan 120 dagen.",
            *_provisional_note(complete, "de detentiemeldingen", chart=True),
            PERCENT_NOTE,
        ],
    )
    closed = sum(1 for y in shown if complete[y])
    if closed:
        last = placed.first_row + closed - 1
        chart = charts.stacked_shares(
            sw.ws,
            "Verblijfsduur van de uitgestroomde detenties",
            [(3 + 2 * i, label("stay_band", b)) for i, b in enumerate(bands)],
            1,
            placed.first_row,
            last,
        )
        sw.chart(chart, height_cm=7.5)


# --------------------------------------------------------------------------- intake


def _intake(sw: SheetWriter, report: Report) -> None:
    records = report.rows(INTAKE)
    if not records:
        return
    complete = _complete_by_year(records, "admission_year")
    if not any(r.get("with_form") for r in records):
        # DPAN-era screening (Gooi en Vechtstreek) has no form date: a table of zeros
        # would read as "never screened"
        sw.paragraph(
            f"Screening binnen vijf dagen na insluiting: niet te bepalen voor "
            f"{report.region}. De screeningen van deze regio staan in de DPAN-meldingen, "
            "zonder datum van het formulier.",
            styles.BODY,
        )
        sw.gap()
        return
    rows = sorted(records, key=lambda r: r["admission_year"])
    table = flat_table(
        rows,
        [
            Col(
                "Jaar van insluiting",
                "text",
                lambda r: year_label(r["admission_year"], complete[r["admission_year"]]),
            ),
            Col("Insluitingen", "count", "admissions"),
            Col("Met formulier", "count", "with_form"),
            Col("% met formulier", "share", "share_with_form", deps=(-1, -2)),
            Col("Binnen 5 dagen", "count", "within_5_days"),
            Col("% binnen 5 dagen", "share", "share_within_5_days", deps=(-1, -3)),
            # the median of a shielded handful would say something about it
            Col("Mediaan (dagen)", "decimal", "median_days_to_form", deps=(-4,)),
        ],
    )
    sw.table(
        table,
        title="Screening binnen vijf dagen na insluiting",
        subtitle=(
            f"Insluitingen van {report.region} per jaar, hoeveel een screeningsformulier "
            "kregen en hoeveel daarvan binnen 5 dagen na de insluiting."
        ),
        source=report.source("detentiemeldingen en screeningsformulieren (informatiebladen)"),
        notes=[
            "De datum van het screeningsformulier staat in voor het eerste gesprek met de "
            "maatschappelijk dienstverlener (die streeft naar een eerste gesprek binnen vijf "
            "dagen, rapport Gooi en Vechtstreek); geen registratie legt dat gesprek zelf "
            "vast. Een formulier kan later zijn uitgewerkt dan het gesprek.",
            "Binnen 5 dagen: het eerste formulier bij de detentie is ten hoogste 5 "
            "kalenderdagen na de insluiting gedateerd; % binnen 5 dagen is van de "
            "insluitingen met een formulier. Mediaan: de middelste waarde van het aantal "
            "dagen van insluiting tot het eerste formulier, over de insluitingen met een "
            "formulier. Een jaar zonder formulier met datum (vóór de eerste levering van de "
            "formulieren) heeft geen aandeel en geen mediaan.",
            *_provisional_note(complete, "de detentiemeldingen of de formulieren"),
        ],
    )


# --------------------------------------------------------------------------- groups


def _target_groups(sw: SheetWriter, report: Report) -> None:
    records = report.rows(GROUPS)
    if not records:
        return
    complete = _complete_by_year(records, "release_year")
    groups = order("target_group", (r["target_group"] for r in records))
    by = {(r["release_year"], r["target_group"]): r for r in records}
    # a year is a bold line with its groups under it: as narrow as the tables above
    cols = [
        Col("Personen", "count", "released_persons"),
        Col("Bereikt", "count", "with_case"),
        Col("% bereikt", "share", "share_with_case", deps=(-1, -2)),
    ]
    table = Table(
        ["Uitstroomjaar, doelgroep"] + [c.header for c in cols], ["text"] + [c.kind for c in cols]
    )
    for year in sorted(complete):
        table.add_row([year_label(year, complete[year])] + [None] * len(cols), bold=True)
        for group in groups:
            record = by.get((year, group))
            if record is None:
                continue
            r = table.add_row([label("target_group", group)] + [c.get(record) for c in cols])
            table.deps[(r, 3)] = {(r, 1), (r, 2)}
    sw.table(
        table,
        title="Doelgroepen van de coördinatie en hun bereik",
        subtitle=(
            f"Personen die in het jaar uit detentie zijn ontslagen in {report.region}, per "
            "doelgroep, en hoeveel van hen een casus bij het Zorg- en Veiligheidshuis hebben "
            "(bereikt)."
        ),
        source=report.source(
            "detentiemeldingen, screeningsformulieren en casusregistratie Zorg- en Veiligheidshuis"
        ),
        notes=[
            "Bereikt betekent: een casus in de registratie van het Zorg- en "
            "Veiligheidshuis van de regio, aangemeld in het uitstroomjaar of in de 90 dagen "
            "erna. Het zegt niet wat er is gedaan, en niet dat het effect had.",
            "Doelgroepen (rapport Gooi en Vechtstreek): jonger dan 27 = uitstroomjaar − "
            "geboortejaar t/m 26; veelterugkeerders = meer dan 3 insluitingen in de 5 jaar "
            "tot en met de laatste; met hulpvraag = minstens één leefgebied met 'ja' op het "
            "screeningsformulier (of in DPAN). Iemand kan in meer doelgroepen vallen; de "
            "doelgroepen tellen niet op tot alle uitgestroomden.",
            "Insluitingen van vóór de eerste levering van detentiemeldingen zijn niet "
            "bekend: de eerste jaren tellen te weinig veelterugkeerders.",
            *_provisional_note(complete, "de detentiemeldingen of de casusregistratie"),
        ],
    )
