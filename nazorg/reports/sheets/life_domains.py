"""Leefgebieden: the coordinator's support per life domain, and the support wishes of
the screening at intake."""

from __future__ import annotations

from nazorg.reports.labels import label, order
from nazorg.reports.layout.sheet import SheetWriter
from nazorg.reports.layout.tables import Col, pivot_table
from nazorg.reports.report import Report, index, years

NAME = "Leefgebieden"
SUMMARY = "Inzet van de coördinator per leefgebied en ondersteuningswensen bij binnenkomst"


def absent(report: Report) -> str | None:
    if report.rows("kpi.life_domain_support") or report.rows("kpi.needs_at_intake"):
        return None
    return "Geen inzet op leefgebieden of screening in deze regio"


def write(sw: SheetWriter, report: Report) -> None:
    support = report.rows("kpi.life_domain_support")
    if support:
        by = index(support, "life_domain", "year")
        shown = years(support, newest_first=True)[:6]
        domains = order("life_domain", (r["life_domain"] for r in support))
        table = pivot_table(
            "Leefgebied",
            domains,
            {d: label("life_domain", d) for d in domains},
            shown,
            {y: str(y) for y in shown},
            lambda _y: [(Col("Casussen", "count", "cases"), by)],
        )
        sw.table(
            table,
            title="Inzet van de coördinator per leefgebied",
            subtitle=f"Casussen met inzet van de coördinator op het leefgebied, {report.region}.",
            source=report.source("casusregistratie Zorg- en Veiligheidshuis"),
            notes=["Een casus kan inzet op meer leefgebieden hebben; de rijen tellen niet op."],
        )
    needs = report.rows("kpi.needs_at_intake")
    if not needs:
        return
    for year in years(needs, newest_first=True)[:4]:
        source = {(r["life_domain"], year): r for r in needs if r["year"] == year}
        domains = order("life_domain", (d for d, _ in source))
        columns = [
            (Col("Formulieren", "count", "forms"), source),
            (Col("Beantwoord", "count", "answered"), source),
            (Col("Met wens", "count", "with_need"), source),
            (Col("% met wens", "share", "share", deps=(-1, -2)), source),
        ]
        table = pivot_table(
            "Leefgebied",
            domains,
            {d: label("life_domain", d) for d in domains},
            [year],
            {year: str(year)},
            lambda _y, columns=columns: columns,
        )
        table.groups = []
        sw.table(
            table,
            title=f"Wens tot ondersteuning bij binnenkomst, {year}",
            subtitle=f"Screeningsformulieren van detenties die in {year} begonnen, {report.region}, per leefgebied.",
            source=report.source("screeningsformulieren (informatiebladen) en detentiemeldingen"),
            notes=[
                "% met wens = met wens ÷ beantwoord; 'Onbekend' en leeg tellen niet als "
                "antwoord. Formulieren uit de DPAN-periode hebben geen vraag over het sociaal netwerk."
            ],
        )
