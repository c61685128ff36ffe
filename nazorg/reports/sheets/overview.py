"""Overzicht, the first sheet: region, the period the data cover per source, up to when
figures are complete, when the run was made (Amsterdam time), whether small numbers are
shielded, headline figures of the last complete year, and the sheets (linked), with the
ones left out and why."""

from __future__ import annotations

from typing import Any

from openpyxl.worksheet.hyperlink import Hyperlink

from nazorg.reports import columns
from nazorg.reports.labels import label
from nazorg.reports.layout import styles
from nazorg.reports.layout.sheet import SheetWriter
from nazorg.reports.layout.tables import Col, flat_table
from nazorg.reports.report import Report

NAME = "Overzicht"
SOURCE_ORDER = ("justid", "dpan", "caseload", "cohort")


def _date(value: Any) -> str:
    return value.strftime("%d-%m-%Y") if value is not None else "-"


def periods(report: Report) -> list[tuple[str, str]]:
    """Per source: its words and the period its rows for this region cover."""
    spans: dict[str, list[Any]] = {}
    for r in report.rows("quality.region_files"):
        span = spans.setdefault(r["source"], [None, None, 0])
        if r.get("first_date") and (span[0] is None or r["first_date"] < span[0]):
            span[0] = r["first_date"]
        if r.get("last_date") and (span[1] is None or r["last_date"] > span[1]):
            span[1] = r["last_date"]
        span[2] += 1
    out = []
    for source in sorted(spans, key=lambda s: (SOURCE_ORDER + (s,)).index(s)):
        first, last, files = spans[source]
        files_text = f"{files} bestand" + ("en" if files != 1 else "")
        out.append(
            (label("source", source), f"van {_date(first)} t/m {_date(last)} ({files_text})")
        )
    return out


def data_until(report: Report) -> Any:
    """The latest date of the detention notifications (the source every figure starts from)."""
    last = [
        r["last_date"]
        for r in report.rows("quality.region_files")
        if r["source"] in ("justid", "dpan") and r.get("last_date")
    ]
    return max(last) if last else None


def headline(report: Report) -> list[dict[str, Any]]:
    """Five or six figures of the last complete year, each with one line of meaning."""
    out: list[dict[str, Any]] = []
    outflow = [r for r in report.rows("kpi.outflow") if columns.year_complete(r)]
    if outflow:
        year = max(r["year"] for r in outflow)
        out.append(
            dict(
                f="Uitstroom uit detentie",
                y=year,
                kind="count",
                v=sum(r["persons"] for r in outflow if r["year"] == year),
                m="personen die dat jaar uit detentie zijn ontslagen in een gemeente van de regio",
            )
        )
    caseload = [r for r in report.rows("kpi.caseload") if columns.year_complete(r)]
    if caseload:
        year = max(r["year"] for r in caseload)
        out.append(
            dict(
                f="Caseload",
                y=year,
                kind="count",
                v=sum(r["cases"] for r in caseload if r["year"] == year),
                m="casussen in de registratie van het Zorg- en Veiligheidshuis",
            )
        )
    profile = [
        r
        for r in report.rows("kpi.coordination")
        if r["measure"] == "profile_made" and r.get("rate_of_outflow") is not None
    ]
    if profile:
        r = max(profile, key=lambda r: r["year"])
        out.append(
            dict(
                f="Profiel opgesteld",
                y=r["year"],
                kind="share",
                v=r["rate_of_outflow"],
                m="casussen met een profiel, als deel van de uitstroom",
            )
        )
    screening = [r for r in report.rows("kpi.screening_coverage") if columns.year_complete(r)]
    if screening:
        r = max(screening, key=lambda r: r["year"])
        out.append(
            dict(
                f="Gescreend",
                y=r["year"],
                kind="share",
                v=r["share_with_form"],
                m="uitgestroomde detenties met een screeningsformulier",
            )
        )
    redetention = [
        r
        for r in report.rows("kpi.redetention")
        if columns.redetention_group(r) == "all" and columns.flag(r, columns.WINDOW_COMPLETE)
    ]
    if redetention:
        r = max(redetention, key=lambda r: r["release_year"])
        out.append(
            dict(
                f="Opnieuw gedetineerd binnen 2 jaar",
                y=r["release_year"],
                kind="share",
                v=r["prevalence_2y"],
                m="uitgestroomden die binnen twee jaar weer zijn ingesloten (laatste afgesloten jaar)",
            )
        )
    mkba = report.rows("kpi.cohort_benefit_summary")
    if mkba:
        year = max(r["cohort_year"] for r in mkba)
        ratios = {
            str(r["variant"]): r["benefit_cost_ratio"] for r in mkba if r["cohort_year"] == year
        }
        text = " / ".join(f"{ratios[v]:.2f}".replace(".", ",") for v in sorted(ratios))
        out.append(
            dict(
                f="Baten per euro kosten, nazorg-plus",
                y=year,
                kind="text",
                v=text,
                m="baten-kostenverhouding, variant " + " / ".join(sorted(ratios)),
            )
        )
    return out


def write(
    sw: SheetWriter, report: Report, present: list[Any], left_out: list[tuple[Any, str]]
) -> None:
    ctx = report.ctx
    sw.label_value("Regio", report.region, bold=True)
    for source, span in periods(report):
        sw.label_value(source, span)
    until = data_until(report)
    sw.label_value("Gegevens tot en met", _date(until) if until else "-", bold=True)
    sw.label_value("Gemaakt op", f"{ctx.run_date} (Nederlandse tijd)")
    sw.label_value(
        "Kleine aantallen",
        f"afgeschermd: aantallen onder {ctx.threshold} staan als <{ctx.threshold}"
        if ctx.threshold
        else "niet afgeschermd (alleen voor intern gebruik)",
    )
    sw.gap()
    figures = headline(report)
    if figures:
        table = flat_table(
            figures,
            [
                Col("Kerncijfer", "text", "f"),
                Col("Jaar", "text", lambda r: str(r["y"])),
                Col("Waarde", "count", "v"),
                Col("Wat het zegt", "text", "m"),
            ],
        )
        for i, f in enumerate(figures):
            table.cell_kinds[(i, 2)] = f["kind"]
        sw.table(
            table,
            title="Kerncijfers van het laatste volledige jaar",
            subtitle=f"De belangrijkste cijfers van {report.region}; de tabbladen geven de details.",
            source=report.source("detentiemeldingen, casusregistratie, screening en vervolgmeting"),
        )
    sw.gap()
    cell = sw.ws.cell(sw.row, 1, "Tabbladen")
    cell.font = styles.TABLE_TITLE
    sw.row += 1
    for m in present:
        name, _ = sw.label_value(m.NAME, m.SUMMARY)
        name.hyperlink = Hyperlink(ref=name.coordinate, location=f"'{m.NAME}'!A1")
        name.font = styles.LINK
    for m, reason in left_out:
        sw.label_value(m.NAME, f"niet in deze werkmap: {reason}")
    sw.fix_width(1, 24)
    sw.fix_width(2, 6)
    sw.fix_width(3, 10)
    sw.fix_width(4, 27)
