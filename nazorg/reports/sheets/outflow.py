"""Uitstroom en caseload: Tabel 1 of the Gooi en Vechtstreek evaluation (municipalities
down, per year caseload and outflow with their shares across, newest year first as in the
report), a chart of the outflow per municipality, and the reconciliation of caseload and
outflow with the report's note on municipalities whose caseload is below their outflow."""

from __future__ import annotations

from typing import Any

from nazorg.reports import columns
from nazorg.reports.layout import charts
from nazorg.reports.layout.sheet import SheetWriter
from nazorg.reports.layout.tables import Col, flat_table, pivot_table
from nazorg.reports.report import Report, index, names_list, year_label, years

NAME = "Uitstroom en caseload"
SUMMARY = "Tabel 1: caseload en uitstroom per gemeente, met de vergelijking van beide"
#: Columns of counts and shares side by side in one table: more would not print readably
#: on A4; further years continue in a table below (newest first, as in the report).
COLUMNS_PER_TABLE = 10
SOURCE = "detentiemeldingen (DPAN, JustID) en casusregistratie Zorg- en Veiligheidshuis"


def absent(report: Report) -> str | None:
    if report.rows("kpi.outflow") or report.rows("kpi.caseload"):
        return None
    return "Geen uitstroom- of caseloadgegevens voor deze regio"


def _key(record: dict[str, Any]) -> str:
    return str(record.get("municipality_code") or record.get("municipality_name"))


def _is_overig(record: dict[str, Any]) -> bool:
    return str(record.get("municipality_code") or "").upper() == "OVERIG"


def write(sw: SheetWriter, report: Report) -> None:
    outflow = [{**r, "key": _key(r)} for r in report.rows("kpi.outflow")]
    caseload = [{**r, "key": _key(r)} for r in report.rows("kpi.caseload")]
    out_by, case_by = index(outflow, "key", "year"), index(caseload, "key", "year")
    names: dict[str, str] = {}
    overig: set[str] = set()
    for r in sorted(outflow + caseload, key=lambda r: r["year"]):
        names[r["key"]] = str(r.get("municipality_name") or r.get("municipality_code"))
        if _is_overig(r):
            overig.add(r["key"])
    out_years, case_years = years(outflow), years(caseload)
    complete = {
        y: all(columns.year_complete(r) for r in outflow + caseload if r["year"] == y)
        for y in set(out_years) | set(case_years)
    }
    shown = sorted(complete, reverse=True)  # the report's order: newest year first
    latest = next((y for y in shown if y in out_years and complete[y]), None)
    latest = latest if latest is not None else (out_years[-1] if out_years else None)

    def sort_key(key: str) -> tuple:
        record = out_by.get((key, latest))
        persons = record.get("persons") if record else None
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

    chunks: list[list[Any]] = [[]]
    for year in shown:
        width = 2 * ((year in case_years) + (year in out_years))
        used = sum(2 * ((y in case_years) + (y in out_years)) for y in chunks[-1])
        if chunks[-1] and used + width > COLUMNS_PER_TABLE:
            chunks.append([])
        chunks[-1].append(year)
    placed_latest = None
    for n, chunk in enumerate(chunks):
        table = pivot_table(
            "Gemeente",
            keys,
            names,
            chunk,
            {y: year_label(y, complete[y]) for y in chunk},
            block,
            total_label="Totaal",
        )
        period = f"{chunk[-1]}–{chunk[0]}" if len(chunk) > 1 else str(chunk[0])
        notes = [
            "Caseload: casussen in de registratie van het Zorg- en Veiligheidshuis, naar "
            "datum aanmelding; uitstroom: personen die in het jaar uit detentie zijn "
            "ontslagen, in de gemeente van hun laatste ontslag. '-' = geen registratie.",
            "Percentages zijn normaal afgerond; een kolom kan daardoor op 99% of 101% "
            "uitkomen. <1%: meer dan nul, maar minder dan een half procent.",
        ]
        if not all(complete[y] for y in chunk):
            notes.append("voorlopig: de gegevens dekken dit jaar nog niet helemaal.")
        placed = sw.table(
            table,
            title="Tabel 1. Caseload en uitstroom per gemeente" + (" (vervolg)" if n else ""),
            subtitle=f"Casussen en uitgestroomde personen per gemeente, {report.region}, {period}.",
            source=report.source(SOURCE),
            notes=notes,
        )
        if latest in chunk:
            col = next(
                first + 1 + (2 if latest in case_years else 0)
                for text, first, _ in table.groups
                if text.startswith(str(latest))
            )
            placed_latest = (placed, col)
    sw.min_width(1, 18)
    if placed_latest is not None:
        placed, col = placed_latest
        rows = [k for k in keys if (k, latest) in out_by]
        last = placed.first_row + len(rows) - 1
        chart = charts.bar_chart(f"Uitstroom per gemeente, {latest}", "Personen", horizontal=True)
        charts.add_series(chart, sw.ws, col, placed.first_row, last, f"Uitstroom {latest}")
        charts.categories(chart, sw.ws, 1, placed.first_row, last)
        sw.chart(chart, height_cm=max(5.0, 0.6 * len(rows) + 2.5))
    _reconciliation(sw, report)


def _reconciliation(sw: SheetWriter, report: Report) -> None:
    records = report.rows("kpi.outflow_caseload_reconciliation")
    for year in years(records, newest_first=True):
        rows = [r for r in records if r["year"] == year]
        rows.sort(
            key=lambda r: (_is_overig(r), r.get("difference") or 0, str(r.get("municipality_name")))
        )
        table = flat_table(
            rows,
            [
                Col(
                    "Gemeente",
                    "text",
                    lambda r: str(r.get("municipality_name") or r.get("municipality_code")),
                ),
                Col("Uitstroom (personen)", "count", "outflow_persons"),
                Col("Caseload (casussen)", "count", "caseload_cases"),
                Col("Verschil caseload − uitstroom", "difference", "difference", deps=(-1, -2)),
            ],
        )
        body = range(len(table.rows))
        total = table.add_row(
            [
                "Totaal",
                sum(r.get("outflow_persons") or 0 for r in rows),
                sum(r.get("caseload_cases") or 0 for r in rows),
                sum(r.get("difference") or 0 for r in rows),
            ],
            total=True,
        )
        for c in (1, 2):
            table.totals.append(((total, c), [(r, c) for r in body]))
        table.deps[(total, 3)] = {(total, 1), (total, 2)}
        below = [
            str(r.get("municipality_name"))
            for r in rows
            if not _is_overig(r) and (r.get("difference") or 0) < 0
        ]
        notes = []
        if below:
            subject = "gemeente" if len(below) == 1 else "gemeenten"
            notes.append(
                f"NB: {names_list(below)}: caseload lager dan uitstroom ({subject} met een "
                "negatief verschil). Mogelijke oorzaak: een registratieverschil tussen de "
                "detentiemeldingen (uitstroom) en de eigen registratie van het Zorg- en "
                "Veiligheidshuis (caseload), dat de feitelijke verblijfplaats registreert; "
                "ook kan een uitstromer incidenteel niet zijn aangemeld."
            )
        notes.append(
            "Een casus is geen persoon: één persoon kan meer casussen in een jaar hebben. "
            "Overig: casussen zonder gemeente van de regio."
        )
        sw.table(
            table,
            title=f"Caseload naast uitstroom per gemeente, {year}",
            subtitle=f"Casussen en uitgestroomde personen per gemeente in {year}, waar beide registraties gegevens hebben; verschil = caseload − uitstroom.",
            source=report.source(SOURCE),
            notes=notes,
        )
