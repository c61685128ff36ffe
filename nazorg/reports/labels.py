"""Every word a manager reads for a warehouse code: measures, stages, lines, groups,
parameters with their units, rules and statuses of the data quality. A code without a
label is a bug (a test scans the workbooks for code-like words)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

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
        "sampled": "Steekproef getrokken",
        "approached": "Benaderd (bereikbaar)",
        "interviewed": "Geïnterviewd",
    },
    "line": {
        "coordinator_salary": "Salariskosten nazorg-plus-coördinator",
        "case_investments": "Investeringen in casussen (opleiding, ID-kaart e.d.)",
        "avoided_offence_damage": "Vermeden delictschade",
        "avoided_police_effort": "Vermeden politie-inzet",
        "avoided_detention_days": "Vermeden detentiedagen",
        "avoided_benefit_costs": "Vermeden uitkeringskosten (blijvend werk)",
        "avoided_benefit_costs_once": "Vermeden uitkeringskosten (eenmalig)",
    },
    "group": {
        "nazorg_plus": "Nazorg-plus",
        "regular": "Reguliere nazorg",
        "all": "Alle uitgestroomden",
    },
    "stay_band": {
        "up_to_7_days": "t/m 7 dagen",
        "8_to_28_days": "8 t/m 28 dagen",
        "29_to_120_days": "29 t/m 120 dagen",
        "over_120_days": "meer dan 120 dagen",
    },
    "target_group": {
        "all": "Alle uitgestroomden",
        "under_27": "Jonger dan 27 jaar",
        "frequent_returner": "Veelterugkeerders",
        "support_wish": "Met hulpvraag",
    },
    "source": {
        "justid": "JustID-detentiemeldingen",
        "dpan": "DPAN-detentiemeldingen",
        "caseload": "Casusregistratie Zorg- en Veiligheidshuis",
        "cohort": "Vervolgmeting nazorg-plus-cohort",
        "screening": "Screeningsformulieren (informatiebladen)",
    },
    "status": {
        "loaded": "ingelezen",
        "duplicate": "dubbel, overgeslagen",
        "failed": "niet gelezen",
    },
    "rule": {
        "bsn_11_proef": "BSN ongeldig (voldoet niet aan de elfproef)",
        "required": "verplicht veld leeg",
        "choice": "waarde niet toegestaan",
        "date": "geen geldige datum",
        "number": "geen geldig getal",
        "release_before_admission": "ontslag vóór insluiting",
        "duplicate_case_number": "casusnummer dubbel",
        "superseded": "oudere versie van een casus, vervangen door een nieuwere",
        "screening_unlinked": "formulier bij geen detentie te plaatsen",
        "municipality_unknown": "gemeente onbekend, niet meegeteld bij een gemeente",
        "unknown_municipality": "gemeente onbekend, niet meegeteld bij een gemeente",
        "municipality_ambiguous": "gemeente niet eenduidig, niet meegeteld bij een gemeente",
    },
}

#: MKBA parameters: (words, unit kind). Unit kinds are formatted by ``parameter_value``.
PARAMETERS: dict[str, tuple[str, str]] = {
    "salary": ("Salaris nazorg-plus-coördinator per cohortjaar", "euro_year"),
    "horizon_years": ("Jaren waarin terugkerende baten meetellen", "years"),
    "observation_years": ("Lengte van de vervolgperiode voor delicten", "years"),
    "haircut": ("Correctie voor de kleine steekproef (deel van de baten dat meetelt)", "percent"),
    "reference_prevalence": ("Recidive in twee jaar van de referentiegroep (WODC)", "percent"),
    "offences_per_recidivist": ("Delicten per recidivist in de vervolgperiode", "count1"),
    "cost_per_offence": ("Materiële schade per delict", "euro"),
    "police_cost_per_hour": ("Kosten politie per uur", "euro"),
    "police_hours_per_incident": ("Politie-uren per incident", "hours"),
    "detention_cost_per_day": ("Kosten per detentiedag", "euro"),
    "detention_days_per_year": ("Vermeden detentiedagen per jaar (steekproef)", "days"),
    "benefit_cost_per_month": ("Uitkeringskosten per maand (direct en indirect)", "euro_month"),
    "attribution": ("Deel van het werkeffect dat aan nazorg-plus wordt toegerekend", "percent"),
    "work_years_counted": ("Jaren blijvend werk die meetellen", "years"),
    "discount_rate": ("Discontovoet (reëel, per jaar; jaar 1 niet verdisconteerd)", "percent2"),
    "bootstrap_draws": ("Trekkingen voor het onzekerheidsinterval", "count0"),
    "bootstrap_seed": ("Startgetal van de trekkingen (voor herhaalbaarheid)", "plain"),
}


def label(family: str, code: Any) -> str:
    """Dutch words for a warehouse code; a readable fallback for a code without one."""
    text = LABELS[family].get(str(code))
    if text is not None:
        return text
    return str(code).replace("_", " ").capitalize()


def order(family: str, codes: Iterable[Any]) -> list[Any]:
    """Codes in the order of LABELS[family], unknown codes after them alphabetically."""
    known = list(LABELS[family])
    present = set(codes)
    return [c for c in known if c in present] + sorted(
        (c for c in present if c not in known), key=str
    )


def dutch_number(value: float, decimals: int = 0) -> str:
    """``1640.5`` → ``1.640,5``."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def parameter_name(code: str) -> str:
    return PARAMETERS.get(code, (label_code(code), "plain"))[0]


def label_code(code: str) -> str:
    return str(code).replace("_", " ").capitalize()


def parameter_value(code: str, value: float | None) -> str:
    """A parameter's value in words with its unit: ``50%``, ``34,4 dagen``,
    ``€ 1.640 per maand``."""
    if value is None:
        return "-"
    unit = PARAMETERS.get(code, ("", "plain"))[1]
    if unit == "percent":
        return f"{dutch_number(value * 100)}%"
    if unit == "percent2":
        return f"{dutch_number(value * 100, 2 if round(value * 100) != value * 100 else 0)}%"
    if unit == "euro":
        return f"€ {dutch_number(value)}"
    if unit == "euro_year":
        return f"€ {dutch_number(value)} per jaar"
    if unit == "euro_month":
        return f"€ {dutch_number(value)} per maand"
    if unit == "years":
        return f"{dutch_number(value, 0 if value == int(value) else 1)} jaar"
    if unit == "days":
        return f"{dutch_number(value, 1)} dagen per jaar"
    if unit == "hours":
        return f"{dutch_number(value, 0 if value == int(value) else 1)} uur"
    if unit == "count1":
        return dutch_number(value, 0 if value == int(value) else 1)
    if unit == "count0":
        return dutch_number(value)
    return str(int(value)) if value == int(value) else dutch_number(value, 2)
