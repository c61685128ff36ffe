"""Screening: screening forms and consent per release year."""

from __future__ import annotations

from nazorg.reports import columns
from nazorg.reports.layout.sheet import SheetWriter
from nazorg.reports.layout.tables import Col, flat_table
from nazorg.reports.report import Report, year_label

NAME = "Screening"
SUMMARY = "Uitgestroomde detenties met een screeningsformulier, en hoe vaak geen toestemming"


def absent(report: Report) -> str | None:
    return (
        None if report.rows("kpi.screening_coverage") else "Geen screeningsgegevens in deze regio"
    )


def write(sw: SheetWriter, report: Report) -> None:
    records = sorted(report.rows("kpi.screening_coverage"), key=lambda r: r["year"])
    table = flat_table(
        records,
        [
            Col(
                "Jaar van ontslag",
                "text",
                lambda r: year_label(r["year"], columns.year_complete(r)),
            ),
            Col("Uitgestroomde detenties", "count", "released_detentions"),
            Col("Met screeningsformulier", "count", "with_form"),
            Col("% gescreend", "share", "share_with_form", deps=(-1, -2)),
            Col("Geen toestemming", "count", "no_consent"),
            Col("% geen toestemming (van gescreend)", "share", "share_no_consent", deps=(-1, -3)),
        ],
    )
    sw.table(
        table,
        title="Screening en toestemming",
        subtitle=f"Detenties met een ontslag in het jaar in een gemeente van {report.region}: hoeveel gescreend, en hoeveel daarvan zonder toestemming.",
        source=report.source("detentiemeldingen en screeningsformulieren"),
        notes=[
            "Een detentie is een periode van insluiting tot ontslag; één persoon kan er meer hebben."
        ],
    )
    sw.min_width(1, 16)
