"""Coördinatie: the output of the coordination per year with both denominators (§2.4 of
the Gooi en Vechtstreek evaluation), then the case conferences by type."""

from __future__ import annotations

from nazorg.reports import columns
from nazorg.reports.labels import label, order
from nazorg.reports.layout.sheet import SheetWriter
from nazorg.reports.layout.tables import NOT_REGISTERED, Col, pivot_table
from nazorg.reports.report import Report, index, year_label, years

NAME = "Coördinatie"
SUMMARY = "Profiel, verrijking, inzet op leefgebieden en casusoverleg, als aantal en percentage"
SOURCE = "casusregistratie Zorg- en Veiligheidshuis en detentiemeldingen"
YEARS_PER_TABLE = 2  # three counts and shares per year; more would not print readably


def absent(report: Report) -> str | None:
    return None if report.rows("kpi.coordination") else "Geen casusregistratie in deze regio"


def write(sw: SheetWriter, report: Report) -> None:
    records = report.rows("kpi.coordination")
    by = index(records, "measure", "year")
    all_years = years(records, newest_first=True)
    complete = {
        y: all(columns.year_complete(r) for r in records if r["year"] == y) for y in all_years
    }
    measures = order("measure", (r["measure"] for r in records))
    not_registered = False
    for (m, y), r in by.items():
        if not columns.flag(r, columns.IS_REGISTERED):
            by[(m, y)] = {"numerator": NOT_REGISTERED}
            not_registered = True
    for y in all_years:
        sample = next(r for r in records if r["year"] == y)
        by[("__outflow", y)] = {"numerator": sample.get("outflow")}
        by[("__caseload", y)] = {"numerator": sample.get("caseload")}
    labels = {m: label("measure", m) for m in measures}
    labels |= {"__outflow": "Uitstroom (noemer)", "__caseload": "Caseload (noemer)"}
    for chunk in [
        all_years[i : i + YEARS_PER_TABLE] for i in range(0, len(all_years), YEARS_PER_TABLE)
    ]:
        table = pivot_table(
            "Maat",
            measures + ["__outflow", "__caseload"],
            labels,
            chunk,
            {y: year_label(y, complete[y]) for y in chunk},
            lambda _y: [
                (Col("Aantal", "count", "numerator"), by),
                (Col("% van uitstroom", "share", "rate_of_outflow", deps=(-1,)), by),
                (Col("% van caseload", "share", "rate_of_caseload", deps=(-2,)), by),
            ],
        )
        out_row, case_row = len(measures), len(measures) + 1
        table.bold_rows |= {out_row, case_row}
        table.total_rows.add(out_row)
        for _, first, _ in table.groups:  # a rate also reveals its denominator
            for r in range(len(measures)):
                table.deps.setdefault((r, first + 1), set()).add((out_row, first))
                table.deps.setdefault((r, first + 2), set()).add((case_row, first))
        notes = [
            "Beide noemers staan erbij: de evaluatie deelt profiel en casusoverleg door de "
            "uitstroom, verrijking, inzet op leefgebieden en herhaalde detentie door de "
            "caseload. Percentages zijn normaal afgerond.",
        ]
        if not_registered:
            notes.append(
                "niet geregistreerd: de registratie houdt dit in dat jaar niet bij (bij "
                "verrijking: nergens een waarde, of nergens 'Bilateraal'); geen aantal bekend."
            )
        period = f"{chunk[-1]}–{chunk[0]}" if len(chunk) > 1 else str(chunk[0])
        sw.table(
            table,
            title="Output van de coördinatie nazorg",
            subtitle=f"Casussen per maat, {report.region}, {period}, als aandeel van de uitstroom en van de caseload.",
            source=report.source(SOURCE),
            notes=notes,
        )
    sw.min_width(1, 30)
    _conferences(sw, report)


def _conferences(sw: SheetWriter, report: Report) -> None:
    records = report.rows("kpi.case_conferences")
    if not records:
        return
    by = index(records, "conference_type", "year")
    all_years = years(records, newest_first=True)[:6]
    types = order("conference_type", (r["conference_type"] for r in records))
    table = pivot_table(
        "Soort casusoverleg",
        types,
        {t: label("conference_type", t) for t in types},
        all_years,
        {y: str(y) for y in all_years},
        lambda _y: [(Col("Casussen", "count", "cases"), by)],
        total_label="Totaal",
    )
    sw.table(
        table,
        title="Casusoverleg naar soort",
        subtitle=f"Casussen met een casusoverleg, naar soort overleg, {report.region}.",
        source=report.source("casusregistratie Zorg- en Veiligheidshuis"),
        notes=["Totaal = som van de soorten."],
    )
