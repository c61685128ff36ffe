"""Bereik nazorg-plus: the reach funnel of a cohort year, from outflow to the interviewed
sample, with a chart of the most recent cohort."""

from __future__ import annotations

from nazorg.reports.labels import label, order
from nazorg.reports.layout import charts
from nazorg.reports.layout.sheet import SheetWriter
from nazorg.reports.layout.tables import Col, pivot_table
from nazorg.reports.report import Report, index, years

NAME = "Bereik nazorg-plus"
SUMMARY = "Van uitstroom tot geïnterviewde steekproef: hoeveel personen nazorg-plus bereikt"


def absent(report: Report) -> str | None:
    return None if report.rows("kpi.reach_funnel") else "Geen nazorg-plus-cohort in deze regio"


def write(sw: SheetWriter, report: Report) -> None:
    records = report.rows("kpi.reach_funnel")
    by = index(records, "stage", "cohort_year")
    stages = order("stage", (r["stage"] for r in records))
    for year in years(records, "cohort_year", newest_first=True):
        table = pivot_table(
            "Fase",
            stages,
            {s: label("stage", s) for s in stages},
            [year],
            {year: str(year)},
            lambda _y: [
                (Col("Personen", "count", "persons"), by),
                (Col("% van uitgestroomd", "share", "share_of_released", deps=(-1,)), by),
                (Col("% van vorige fase", "share", "share_of_previous", deps=(-2,)), by),
            ],
        )
        table.groups = []
        released = stages.index("released") if "released" in stages else None
        for r in range(len(stages)):  # shares also reveal the stage they are taken of
            if released is not None:
                table.deps.setdefault((r, 2), set()).add((released, 1))
            if r > 0:
                table.deps.setdefault((r, 3), set()).add((r - 1, 1))
        placed = sw.table(
            table,
            title=f"Bereik nazorg-plus, cohort {year}",
            subtitle=f"Personen per fase, van uitgestroomd uit de PI in {year} tot geïnterviewd in de vervolgmeting, {report.region}.",
            source=report.source(
                "detentiemeldingen, casusregistratie en vervolgmeting nazorg-plus"
            ),
            notes=[
                "De fasen zijn niet per se genest: iemand kan een traject starten terwijl hij "
                "nog gedetineerd is. De kosten-batenanalyse rekent van 'Geïnterviewd' (n) "
                "naar 'Traject gestart' (N), niet van de getrokken steekproef."
            ],
        )
        sw.min_width(1, 30)
        chart = charts.bar_chart(f"Bereik nazorg-plus, cohort {year}", "Personen", horizontal=True)
        charts.add_series(chart, sw.ws, 2, placed.first_row, placed.last_row, f"Cohort {year}")
        charts.categories(chart, sw.ws, 1, placed.first_row, placed.last_row)
        charts.data_labels(chart, "#,##0")
        sw.chart(chart, height_cm=6.5)
