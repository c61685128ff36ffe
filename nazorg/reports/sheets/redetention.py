"""Herdetentie: re-admission within two years of the first release of the year, per
release year and aftercare group. Years whose window is still open are marked voorlopig
and left out of the chart, so that an open window never reads as a falling trend."""

from __future__ import annotations

from nazorg.reports import columns
from nazorg.reports.labels import label, order
from nazorg.reports.layout import charts
from nazorg.reports.layout.sheet import SheetWriter
from nazorg.reports.layout.tables import Col, flat_table
from nazorg.reports.report import Report, year_label, years

NAME = "Herdetentie"
SUMMARY = "Opnieuw gedetineerd binnen twee jaar na ontslag, per uitstroomjaar en groep"

NOTES = (
    "Herdetentie is een nieuwe insluiting binnen twee jaar (730 dagen) na het eerste ontslag "
    "in het uitstroomjaar. Het is géén recidive in de zin van de WODC-recidivemonitor "
    "(nieuwe veroordelingen).",
    "Het verschil tussen de groepen is géén causaal effect van nazorg-plus: de groepen "
    "verschillen in wie voor nazorg-plus is geselecteerd.",
    "voorlopig: de twee jaar na het laatste ontslag van dat jaar zijn nog niet verstreken; "
    "de cijfers kunnen nog stijgen. Voorlopige jaren staan niet in de grafiek.",
    "Uitstroom telt een persoon bij het laatste ontslag van het jaar, herdetentie bij het "
    "eerste; de totalen kunnen daardoor licht verschillen.",
)


def absent(report: Report) -> str | None:
    return None if report.rows("kpi.redetention") else "Geen detentiemeldingen voor deze regio"


def write(sw: SheetWriter, report: Report) -> None:
    records = report.rows("kpi.redetention")
    present = {columns.redetention_group(r) for r in records}
    if "nazorg_plus" not in present:  # without nazorg-plus, 'regular' repeats 'all'
        present -= {"regular"}
    groups = ["all"] + [g for g in order("group", present) if g != "all"]
    with_plus = {
        r["release_year"] for r in records if columns.redetention_group(r) == "nazorg_plus"
    }
    rows = sorted(  # a year without nazorg-plus: its regular group repeats 'all'
        (
            r
            for r in records
            if columns.redetention_group(r) in groups
            and (columns.redetention_group(r) == "all" or r["release_year"] in with_plus)
        ),
        key=lambda r: (groups.index(columns.redetention_group(r)), r["release_year"]),
    )
    table = flat_table(
        rows,
        [
            Col(
                "Uitstroomjaar",
                "text",
                lambda r: year_label(r["release_year"], columns.flag(r, columns.WINDOW_COMPLETE)),
            ),
            Col("Groep", "text", lambda r: label("group", columns.redetention_group(r))),
            Col("Uitgestroomd (personen)", "count", "released_persons"),
            Col("Heropgenomen binnen 2 jaar", "count", "redetained_2y"),
            Col("% heropgenomen", "share", "prevalence_2y", deps=(-1, -2)),
            Col("Nieuwe detenties binnen 2 jaar", "count", "new_detentions_2y"),
            Col("Detenties per persoon", "ratio", "incidence_2y", deps=(-1, -4)),
        ],
    )
    position = {(r["release_year"], columns.redetention_group(r)): i for i, r in enumerate(rows)}
    for year in years(records, "release_year"):  # 'all' = nazorg-plus + regular
        parts = [position.get((year, g)) for g in ("nazorg_plus", "regular")]
        whole = position.get((year, "all"))
        if whole is not None and None not in parts:
            for c in (2, 3, 5):
                table.totals.append(((whole, c), [(p, c) for p in parts]))
    placed = sw.table(
        table,
        title="Herdetentie binnen twee jaar na uitstroom",
        subtitle=f"Personen die in het jaar uit detentie zijn ontslagen in {report.region}, en hoeveel van hen binnen twee jaar opnieuw zijn ingesloten.",
        source=report.source("detentiemeldingen (DPAN, JustID) en casusregistratie"),
        notes=NOTES,
    )
    sw.min_width(1, 16)
    # The chart reads the 'all' rows of the years whose window has closed: the first
    # rows of the table (groups one under the other, 'all' first, years oldest first).
    closed = 0
    for i, r in enumerate(rows):
        if columns.redetention_group(r) != "all" or not columns.flag(r, columns.WINDOW_COMPLETE):
            break
        closed = i + 1
    if closed:
        chart = charts.bar_chart(
            "Heropgenomen binnen 2 jaar, alle uitgestroomden", "Aandeel", number_format="0%"
        )
        last = placed.first_row + closed - 1
        charts.add_series(chart, sw.ws, 5, placed.first_row, last, "Heropgenomen")
        charts.categories(chart, sw.ws, 1, placed.first_row, last)
        charts.data_labels(chart, "0%")
        chart.y_axis.scaling.min = 0
        sw.chart(chart, height_cm=7.0)
