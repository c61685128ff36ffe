"""MKBA: the social cost-benefit analysis of a nazorg-plus cohort as the Limburg report
tables it (sample and cohort, variants A and B), the totals, the assumptions in words
with their units, and the sensitivity as one row per assumption with a tornado chart.
The full grid of the sensitivity stays in ``kpi.cohort_sensitivity``."""

from __future__ import annotations

from typing import Any

from nazorg.reports.labels import dutch_number, label, parameter_name, parameter_value
from nazorg.reports.layout import charts
from nazorg.reports.layout.sheet import SheetWriter
from nazorg.reports.layout.tables import Col, Table, clean, flat_table
from nazorg.reports.report import Report, years

NAME = "MKBA"
SUMMARY = "Maatschappelijke kosten en baten van nazorg-plus, aannames en gevoeligheid"
SOURCE = "vervolgmeting nazorg-plus-cohort, casusregistratie; methode rapport Limburg (2023)"
LINE_ORDER = (
    ("coordinator_salary", "Kosten", "A en B"),
    ("case_investments", "Kosten", "A en B"),
    ("avoided_offence_damage", "Baten", "A"),
    ("avoided_police_effort", "Baten", "B"),
    ("avoided_detention_days", "Baten", "B"),
    ("avoided_benefit_costs", "Baten", "A en B"),
    ("avoided_benefit_costs_once", "Baten", "A en B"),
)


def absent(report: Report) -> str | None:
    if report.rows("kpi.cohort_benefit_summary") or report.rows("kpi.cohort_recidivism"):
        return None
    return "Geen kosten-batenanalyse (nazorg-plus-cohort) voor deze regio"


def write(sw: SheetWriter, report: Report) -> None:
    summary = report.rows("kpi.cohort_benefit_summary")
    # a cohort whose size N is unknown has no MKBA, but its offences are still counted
    cohorts = summary + report.rows("kpi.cohort_recidivism")
    for year in years(cohorts, "cohort_year", newest_first=True):

        def of(table: str, year: Any = year) -> list[dict[str, Any]]:
            return [r for r in report.rows(table) if r.get("cohort_year") == year]

        totals = {str(r["variant"]): r for r in of("kpi.cohort_benefit_summary")}
        if totals:
            _balance(sw, report, year, of("kpi.cohort_benefit"), totals)
        _recidivism(
            sw,
            report,
            year,
            of("kpi.cohort_recidivism"),
            of("kpi.cohort_benefit"),
            of("kpi.cohort_parameters"),
        )
        _assumptions(sw, report, year, of("kpi.cohort_parameters"))
        for variant in sorted(totals):
            _sensitivity(
                sw,
                report,
                year,
                variant,
                of("kpi.cohort_sensitivity"),
                of("kpi.cohort_parameters"),
                totals[variant],
            )
        _uncertainty(sw, report, year, of("kpi.cohort_uncertainty"))
    sw.min_width(1, 34)
    sw.fix_width(6, 14)  # "geen (blijft boven 1)" wraps rather than widen the sheet


def _balance(sw: SheetWriter, report: Report, year: Any, lines: list[dict], totals: dict) -> None:
    any_total = next(iter(totals.values()))
    n, big_n = any_total.get("sample_size"), any_total.get("cohort_size")
    by = {}
    for r in lines:
        by.setdefault(r["line"], r)
    rows = [(code, kind, variant, by[code]) for code, kind, variant in LINE_ORDER if code in by]
    sign = {"Kosten": -1, "Baten": 1}
    table = flat_table(
        rows,
        [
            Col("Post", "text", lambda x: f"{x[1]}: {label('line', x[0])}"),
            Col("Variant", "text", lambda x: x[2]),
            Col(
                "Per jaar (steekproef)",
                "euro",
                lambda x: _signed(x[3].get("amount_per_year_sample"), sign[x[1]]),
            ),
            Col(
                f"Steekproef (n={n}), hele periode",
                "euro",
                lambda x: _signed(x[3].get("amount_sample_period"), sign[x[1]]),
            ),
            Col(
                f"Cohort (N={big_n}), hele periode",
                "euro",
                lambda x: _signed(x[3].get("amount_cohort"), sign[x[1]]),
            ),
        ],
    )
    sw.table(
        table,
        title=f"Tabel MKBA. Kosten en baten van nazorg-plus, cohort {year}",
        subtitle=f"Bedragen voor de {n} geïnterviewde deelnemers en opgehoogd naar de {big_n} gestarte trajecten van {year}, {report.region}; kosten negatief.",
        source=report.source(SOURCE),
        notes=[
            "Variant A rekent de baten van minder criminaliteit als vermeden delictschade, "
            "variant B als vermeden politie-inzet plus vermeden detentiedagen; kosten en "
            "werk tellen in beide. Per jaar: leeg voor eenmalige posten.",
            f"Ophogen: × {any_total.get('extrapolation_factor', 0):.2f}".replace(".", ",")
            + f" (N ÷ n = {big_n} ÷ {n}); salariskosten tellen één keer per cohortjaar.",
        ],
        shielded=False,
    )
    rows_t = [
        ("Totale kosten", "total_costs", "euro"),
        ("Totale baten", "total_benefits", "euro"),
        ("Saldo (baten − kosten)", "net_benefit", "euro"),
        ("Baten-kostenverhouding", "benefit_cost_ratio", "ratio"),
        ("Baten zonder uitkeringsposten", "benefits_excl_transfers", "euro"),
        ("Verhouding zonder uitkeringsposten", "ratio_excl_transfers", "ratio"),
    ]
    variants = sorted(totals)
    table = Table(
        ["Uitkomst (cohort)"] + [f"Variant {v}" for v in variants],
        ["text"] + ["euro"] * len(variants),
    )
    for text, name, kind in rows_t:
        r = table.add_row([text] + [totals[v].get(name) for v in variants], bold=kind == "ratio")
        for c in range(1, len(variants) + 1):
            table.cell_kinds[(r, c)] = kind
    sw.table(
        table,
        title=f"Eindbalans cohort {year}",
        subtitle=f"Totale kosten en baten van het cohort {year} per variant, en de verhouding baten : kosten.",
        source=report.source(SOURCE),
        notes=[
            "Een verhouding boven 1: elke euro kosten levert meer dan een euro baten op. "
            "Uitkeringen zijn in strikte welvaartszin een overdracht; de verhouding zonder "
            "uitkeringsposten is de voorzichtigste lezing."
        ],
        shielded=False,
    )


def _recidivism(
    sw: SheetWriter,
    report: Report,
    year: Any,
    found: list[dict],
    lines: list[dict],
    parameters: list[dict],
) -> None:
    """Expected and observed offences of the interviewed cases (Limburg §5.1: "circa 16
    (6 x 2.7) … 9 (16 minus 7) … 4.5 delicten per jaar"), step by step in words with
    their units, down to the yearly amount of the offence-damage line they feed."""
    if not found:
        return
    r = found[0]
    value = {p["parameter"]: p.get("value") for p in parameters}
    years_observed = r.get("observation_years") or value.get("observation_years")

    def num(x: Any, decimals: int = 1) -> str:
        x = float(x)
        return dutch_number(x, 0 if x.is_integer() else decimals)

    n, prevalence = r.get("interviewed"), r.get("reference_prevalence")
    expected_recidivists = r.get("expected_recidivists")
    per, expected = r.get("offences_per_recidivist"), r.get("expected_offences")
    observed, avoided = r.get("observed_offences"), r.get("avoided_offences")
    steps: list[tuple[str, Any, str, str, str]] = [
        ("Geïnterviewde deelnemers (n)", n, "int", "personen", "uit de vervolgmeting"),
        (
            "Recidive van de referentiegroep in twee jaar",
            prevalence,
            "share",
            "van de personen",
            "aanname (WODC-recidivemonitor)",
        ),
        (
            "Verwachte recidivisten",
            expected_recidivists,
            "decimal",
            "personen",
            f"{num(n)} × {parameter_value('reference_prevalence', prevalence)}",
        ),
        (
            "Delicten per recidivist",
            per,
            "decimal",
            "delicten",
            f"aanname, over {num(years_observed)} jaar" if years_observed else "aanname",
        ),
        (
            "Verwachte delicten",
            expected,
            "int",
            "delicten",
            f"{num(expected_recidivists)} × {num(per)}, afgerond op hele delicten",
        ),
        (
            "Waargenomen recidivisten",
            r.get("observed_recidivists"),
            "int",
            "personen",
            "geïnterviewden met recidive in de vervolgperiode",
        ),
        (
            "Waargenomen delicten",
            observed,
            "int",
            "delicten",
            "opgeteld over de geïnterviewden",
        ),
        (
            "Vermeden delicten",
            avoided,
            "int",
            "delicten",
            f"{num(expected)} verwacht − {num(observed)} waargenomen",
        ),
        (
            "Vermeden delicten per jaar",
            r.get("avoided_offences_per_year"),
            "decimal",
            "delicten per jaar",
            f"{num(avoided)} ÷ {num(years_observed)} jaar vervolgperiode"
            if years_observed
            else "per jaar van de vervolgperiode",
        ),
    ]
    damage = next(
        (
            x
            for x in lines
            if x.get("line") == "avoided_offence_damage" and x.get("amount_per_year_sample")
        ),
        None,
    )
    if damage is not None:
        how = [num(r.get("avoided_offences_per_year"))]
        if value.get("cost_per_offence") is not None:
            how.append(f"{parameter_value('cost_per_offence', value['cost_per_offence'])} schade")
        if value.get("haircut") is not None:
            how.append(f"{parameter_value('haircut', value['haircut'])} (kleine steekproef)")
        steps.append(
            (
                f"{label('line', 'avoided_offence_damage')} per jaar, steekproef "
                f"(variant {damage['variant']})",
                damage["amount_per_year_sample"],
                "euro",
                "euro per jaar",
                " × ".join(how),
            )
        )
    # three columns, so that the table fits the widths of the report's table above it
    table = Table(["Stap en berekening", "Waarde", "Eenheid"], ["text", "decimal", "text"])
    for text, x, kind, unit, how in steps:
        row = table.add_row(
            [f"{text}: {how}", clean(x, kind), unit],
            bold=text.startswith(("Vermeden", label("line", "avoided_offence_damage"))),
        )
        table.cell_kinds[(row, 1)] = kind
    sw.table(
        table,
        title=f"Verwachte en waargenomen delicten, cohort {year}",
        subtitle=(
            f"Hoeveel delicten de {num(n)} geïnterviewden volgens de referentiegroep zouden "
            "plegen, hoeveel zij pleegden, en de post vermeden delictschade die daaruit volgt."
        ),
        source=report.source(SOURCE),
        notes=[
            "De verwachting past de recidive van een referentiegroep toe op de "
            "geïnterviewden; het is geen controlegroep. Vermeden delicten zijn dus geen "
            "bewezen effect van nazorg-plus.",
        ],
        shielded=False,
    )


def _signed(value: Any, sign: int) -> Any:
    return None if value is None else sign * float(value)


def _assumptions(sw: SheetWriter, report: Report, year: Any, parameters: list[dict]) -> None:
    if not parameters:
        return
    table = flat_table(
        parameters,
        [
            Col("Aanname", "text", lambda r: parameter_name(r["parameter"])),
            Col("Waarde", "text", lambda r: parameter_value(r["parameter"], r.get("value"))),
        ],
    )
    for r in range(len(table.rows)):
        table.cell_kinds[(r, 1)] = "text"
    sw.table(
        table,
        title=f"Aannames van de berekening, cohort {year}",
        subtitle="De waarden waarmee elk bedrag hierboven is berekend (prijspeil van het cohortjaar).",
        source=report.source(
            "instellingen van de run; standaardwaarden uit het rapport Limburg (2023)"
        ),
        shielded=False,
    )


def _sensitivity(
    sw: SheetWriter,
    report: Report,
    year: Any,
    variant: str,
    sensitivity: list[dict],
    parameters: list[dict],
    total: dict,
) -> None:
    rows = [
        r for r in sensitivity if str(r["variant"]) == variant and r.get("kind") == "sensitivity"
    ]
    if not rows:
        return
    base = float(total["benefit_cost_ratio"])
    found = {
        r["parameter"]: r
        for r in sensitivity
        if str(r["variant"]) == variant and r.get("kind") == "break_even"
    }
    per: dict[str, list[dict]] = {}
    for r in rows:
        per.setdefault(r["parameter"], []).append(r)
    lines = []
    for code, points in per.items():
        points.sort(key=lambda r: r["value"])
        low, high = points[0], points[-1]
        lines.append(
            {
                "code": code,
                "low": low["value"],
                "high": high["value"],
                "ratio_low": low["benefit_cost_ratio"],
                "ratio_high": high["benefit_cost_ratio"],
                "break_even": _break_even(code, found.get(code), points),
                "swing": abs((high["benefit_cost_ratio"] or 0) - (low["benefit_cost_ratio"] or 0)),
            }
        )
    lines.sort(key=lambda x: (-x["swing"], x["code"]))
    table = flat_table(
        lines,
        [
            Col("Aanname", "text", lambda x: parameter_name(x["code"])),
            Col("Lage waarde", "text", lambda x: parameter_value(x["code"], x["low"])),
            Col("Hoge waarde", "text", lambda x: parameter_value(x["code"], x["high"])),
            Col("Verhouding bij lage waarde", "ratio", "ratio_low"),
            Col("Verhouding bij hoge waarde", "ratio", "ratio_high"),
            Col("Verhouding 1 bij", "text", "break_even"),
        ],
    )
    placed = sw.table(
        table,
        title=f"Gevoeligheid, variant {variant}, cohort {year}",
        subtitle=f"De baten-kostenverhouding (nu {base:.2f}".replace(".", ",")
        + ") als één aanname de lage of de hoge waarde krijgt en de andere blijven zoals ze zijn; grootste uitslag bovenaan.",
        source=report.source(SOURCE),
        notes=[
            "Verhouding 1 bij: de waarde van de aanname waarbij baten en kosten gelijk zijn; "
            "'geen' als de verhouding over het hele onderzochte bereik aan één kant van 1 "
            "blijft. Het volledige raster staat in kpi.cohort_sensitivity."
        ],
        shielded=False,
    )
    chart = charts.tornado(
        sw.ws,
        f"Variant {variant}: baten-kostenverhouding bij lage en hoge waarde",
        base,
        1,
        4,
        5,
        placed.first_row,
        placed.last_row,
    )
    sw.chart(chart, width_cm=22.0, height_cm=max(8.0, 0.8 * len(lines) + 3.5))


def _break_even(code: str, found: dict | None, points: list[dict]) -> str:
    if found is not None and found.get("value") is not None:
        return parameter_value(code, found["value"])
    ratios = [p["benefit_cost_ratio"] for p in points if p["benefit_cost_ratio"] is not None]
    if ratios and min(ratios) > 1:
        return "geen (blijft boven 1)"
    if ratios and max(ratios) < 1:
        return "geen (blijft onder 1)"
    for a, b in zip(points, points[1:], strict=False):  # a parameter of whole values
        ra, rb = a["benefit_cost_ratio"], b["benefit_cost_ratio"]
        if ra is not None and rb is not None and (ra - 1) * (rb - 1) < 0:
            low, high = parameter_value(code, a["value"]), parameter_value(code, b["value"])
            return f"tussen {low} en {high}"
    return "geen"


def _uncertainty(sw: SheetWriter, report: Report, year: Any, uncertainty: list[dict]) -> None:
    if not uncertainty:
        return
    draws = uncertainty[0].get("draws")
    table = flat_table(
        sorted(uncertainty, key=lambda r: str(r["variant"])),
        [
            Col("Variant", "text", lambda r: f"Variant {r['variant']}"),
            Col("Ondergrens (5%)", "ratio", "ratio_p05"),
            Col("Midden (mediaan)", "ratio", "ratio_p50"),
            Col("Bovengrens (95%)", "ratio", "ratio_p95"),
        ],
    )
    sw.table(
        table,
        title=f"Onzekerheid door de kleine steekproef, cohort {year}",
        subtitle="Tussen welke waarden de baten-kostenverhouding ligt als de geïnterviewden anders waren getrokken (90%-interval).",
        source=report.source(SOURCE),
        notes=[
            f"De geïnterviewde casussen zijn {draws:,}".replace(",", ".")
            + " keer opnieuw getrokken (met teruglegging); salaris en ophoogfactor blijven vast."
        ],
        shielded=False,
    )
