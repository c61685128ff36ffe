"""Models of the nazorg-plus cohort tables: the follow-up sample, the reach funnel and
the social cost-benefit analysis (MKBA) of ``kpi-method.md`` part B."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from nazorg.mkba import LINE_KINDS, VARIANT_LINES
from nazorg.sources.cohort import INTENSITIES, OUTCOMES, STATUSES
from schemas.base import REGIONS, TableModel, share_field, year_field

STAGES = [
    "released",
    "gross_intake",
    "trajectory_started",
    "sampled",
    "approached",
    "interviewed",
]
LIFE_DOMAINS = ["housing", "work_income", "debts", "care", "recidivism"]
VARIANTS = ["A", "B"]

_REGION = "Regio van het Zorg- en Veiligheidshuis."
_COHORT_YEAR = "Cohortjaar: het jaar waarin de nazorg-plus-trajecten startten (Datum aanmelding)."
_VARIANT = (
    "Variant van de MKBA: A rekent criminaliteit als vermeden delictschade, B als vermeden "
    "politie-inzet plus vermeden detentiedagen."
)


def _region(**kwargs) -> object:
    return pa.Field(isin=REGIONS, description=_REGION, **kwargs)


def _cohort_year() -> object:
    return year_field(_COHORT_YEAR)


def _variant() -> object:
    return pa.Field(isin=VARIANTS, description=_VARIANT)


def _unique_per(data, *keys: str) -> pl.LazyFrame:
    return data.lazyframe.select(~pl.struct(list(keys)).is_duplicated())


# --------------------------------------------------------------------------- staging


class CohortSample(TableModel):
    region: str = _region()
    cohort_year: int = _cohort_year()
    case_number: str = pa.Field(
        description="Casusnummer zoals in de vervolgmeting; bestaat in de casusregistratie van de regio."
    )
    person_key: str = pa.Field(
        str_length={"min_value": 64, "max_value": 64},
        description="Pseudoniem van de persoon, via het Casusnummer uit de casusregistratie (staging.cases).",
    )
    status: str = pa.Field(
        isin=list(STATUSES),
        description="Uitkomst van de benadering: Geïnterviewd, Onbereikbaar, Weigering of Afgezegd.",
    )
    recidivism: bool | None = pa.Field(
        nullable=True,
        description="Recidive: ten minste één nieuw bewezen delict in de vervolgperiode (verplicht bij Geïnterviewd).",
    )
    offences: int | None = pa.Field(
        nullable=True,
        ge=0,
        description="Aantal bewezen delicten in de vervolgperiode (verplicht bij Geïnterviewd).",
    )
    police_incidents_per_year: float | None = pa.Field(
        nullable=True, ge=0, description="Geschatte vermeden politie-incidenten per jaar."
    )
    benefit_months_per_year: float | None = pa.Field(
        nullable=True,
        ge=0,
        le=12,
        description="Vermeden uitkeringsmaanden per jaar door blijvend werk.",
    )
    benefit_months_once: float | None = pa.Field(
        nullable=True,
        ge=0,
        description="Eenmalig vermeden uitkeringsmaanden door werk dat niet bleef.",
    )
    attribution: float | None = pa.Field(
        nullable=True,
        ge=0,
        le=1,
        description="Toerekening: aandeel van het werkeffect dat aan nazorg-plus wordt toegeschreven (fractie; leeg = de standaardwaarde van de MKBA).",
    )
    one_off_costs_eur: float | None = pa.Field(
        nullable=True,
        ge=0,
        description="Eenmalige kosten aan de casus in euro (ID-kaart, inrichting, opleiding, reis).",
    )
    intensity: str | None = pa.Field(
        nullable=True,
        isin=list(INTENSITIES),
        description="Intensiteit van het traject: Intensief, Regulier of Weinig verbinding.",
    )
    outcome_housing: str | None = pa.Field(
        nullable=True, isin=list(OUTCOMES), description="Uitkomst op het leefgebied wonen."
    )
    outcome_work: str | None = pa.Field(
        nullable=True,
        isin=list(OUTCOMES),
        description="Uitkomst op het leefgebied werk (en inkomen).",
    )
    outcome_debts: str | None = pa.Field(
        nullable=True, isin=list(OUTCOMES), description="Uitkomst op het leefgebied schulden."
    )
    outcome_care: str | None = pa.Field(
        nullable=True, isin=list(OUTCOMES), description="Uitkomst op het leefgebied zorg."
    )
    source_file: str = pa.Field(description="Bestand (pad binnen raw/) waar de rij vandaan komt.")
    sheet: str | None = pa.Field(nullable=True, description="Tabblad (Steekproef).")
    source_row: int = pa.Field(
        ge=1, description="Rijnummer in dat bestand, zoals een mens het ziet."
    )

    class Config:
        name = "staging.cohort_sample"
        description = (
            "Vervolgmeting van een steekproef nazorg-plus-trajecten: één rij per getrokken casus "
            "van een cohort, gekoppeld aan de casusregistratie."
        )

    @pa.dataframe_check(description="Een casus staat één keer in de steekproef van zijn regio")
    def one_row_per_case(cls, data) -> pl.LazyFrame:
        return _unique_per(data, "region", "case_number")

    @pa.dataframe_check(description="Een geïnterviewde casus heeft Recidive en Aantal delicten")
    def interviewed_complete(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(
            (pl.col("status") != "Geïnterviewd")
            | (pl.col("recidivism").is_not_null() & pl.col("offences").is_not_null())
        )


# ------------------------------------------------------------------------------ kpi


class ReachFunnel(TableModel):
    region: str = _region()
    cohort_year: int = _cohort_year()
    stage: str = pa.Field(
        isin=STAGES,
        description="Fase: released (uitgestroomd uit PI), gross_intake (bruto instroom nazorg-plus), trajectory_started (traject gestart, netto bereik), sampled (steekproef), approached (benaderd), interviewed (geïnterviewd).",
    )
    stage_order: int = pa.Field(ge=1, le=6, description="Volgorde van de fase (1 = released).")
    persons: int | None = pa.Field(
        nullable=True,
        ge=0,
        description="Personen in de fase: released de uitstroom van de regio in het jaar; gross_intake en trajectory_started unieke personen met een casus Nazorg-plus Aangemeld/Gestart resp. Gestart en Datum aanmelding in het jaar; sampled, approached en interviewed de rijen van de vervolgmeting. Leeg als de uitstroom van het jaar niet bekend is.",
    )
    share_of_released: float | None = pa.Field(
        nullable=True,
        ge=0,
        description="persons gedeeld door de uitstroom (fase released) van de regio in het jaar; leeg als die onbekend of 0 is.",
    )
    share_of_previous: float | None = pa.Field(
        nullable=True,
        ge=0,
        description="persons gedeeld door de personen in de vorige fase; leeg voor de eerste fase of als de vorige fase leeg of 0 is. De fasen zijn niet per se genest.",
    )

    class Config:
        name = "kpi.reach_funnel"
        description = "Bereik van nazorg-plus in een cohortjaar: personen per fase van uitstroom tot interview (Limburg-evaluatie §2.3 en §4.5)."

    @pa.dataframe_check(description="Eén rij per regio, cohortjaar en fase")
    def one_row_per_stage(cls, data) -> pl.LazyFrame:
        return _unique_per(data, "region", "cohort_year", "stage")


class CohortBenefit(TableModel):
    region: str = _region()
    cohort_year: int = _cohort_year()
    variant: str = _variant()
    line: str = pa.Field(
        isin=list(LINE_KINDS),
        description="Post: coordinator_salary, case_investments, avoided_offence_damage (A), avoided_police_effort (B), avoided_detention_days (B), avoided_benefit_costs (blijvend werk), avoided_benefit_costs_once (werk dat niet bleef).",
    )
    kind: str = pa.Field(
        isin=["cost", "benefit"], description="cost (kosten) of benefit (baten); bedragen positief."
    )
    amount_per_year_sample: float | None = pa.Field(
        nullable=True,
        description="Jaarlijks bedrag voor de geïnterviewde steekproef (euro); leeg voor eenmalige posten en investeringen in casussen.",
    )
    amount_sample_period: float = pa.Field(
        description="Bedrag van de steekproef over de meegetelde jaren (euro, verdisconteerd als een discontovoet is ingesteld)."
    )
    amount_cohort: float = pa.Field(
        description="Bedrag voor het hele cohort: steekproefbedrag × extrapolatiefactor N/n; voor de salariskosten het salaris zelf (euro, onafgerond)."
    )

    class Config:
        name = "kpi.cohort_benefit"
        description = "Maatschappelijke kosten-batenanalyse (MKBA) van een nazorg-plus-cohort: één rij per variant en post (kpi-method.md deel B)."

    @pa.dataframe_check(description="Elke post hoort bij zijn variant en heeft de juiste soort")
    def line_fits_variant(cls, data) -> pl.LazyFrame:
        allowed = [
            f"{v}|{line}|{LINE_KINDS[line]}" for v, lines in VARIANT_LINES.items() for line in lines
        ]
        return data.lazyframe.select(
            pl.concat_str("variant", "line", "kind", separator="|").is_in(allowed)
        )

    @pa.dataframe_check(description="Eén rij per regio, cohortjaar, variant en post")
    def one_row_per_line(cls, data) -> pl.LazyFrame:
        return _unique_per(data, "region", "cohort_year", "variant", "line")


class CohortBenefitSummary(TableModel):
    region: str = _region()
    cohort_year: int = _cohort_year()
    variant: str = _variant()
    cohort_size: int = pa.Field(
        ge=1, description="Cohortgrootte N: personen met een gestart traject (trajectory_started)."
    )
    sample_size: int = pa.Field(
        ge=1,
        description="Steekproefgrootte n: geïnterviewde casussen (niet de getrokken steekproef).",
    )
    extrapolation_factor: float = pa.Field(gt=0, description="Extrapolatiefactor N / n.")
    total_costs: float = pa.Field(description="Totale kosten van het cohort (euro).")
    total_benefits: float = pa.Field(description="Totale baten van het cohort (euro).")
    net_benefit: float = pa.Field(description="Saldo: totale baten min totale kosten (euro).")
    benefit_cost_ratio: float | None = pa.Field(
        nullable=True, description="Baten-kostenverhouding: totale baten / totale kosten."
    )
    benefits_excl_transfers: float = pa.Field(
        description="Totale baten zonder de twee posten vermeden uitkeringskosten (in strikte welvaartszin een overdracht)."
    )
    ratio_excl_transfers: float | None = pa.Field(
        nullable=True, description="Baten zonder uitkeringsposten / totale kosten."
    )

    class Config:
        name = "kpi.cohort_benefit_summary"
        description = "Eindbalans van de MKBA per cohort en variant: kosten, baten, saldo en verhouding, ook zonder uitkeringsposten."

    @pa.dataframe_check(description="Saldo = baten − kosten")
    def net_is_benefits_minus_costs(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(
            (pl.col("net_benefit") - (pl.col("total_benefits") - pl.col("total_costs"))).abs()
            < 1e-6
        )


class CohortParameters(TableModel):
    region: str = _region()
    cohort_year: int = _cohort_year()
    parameter: str = pa.Field(
        description="Naam van de parameter (veld van de Dagster-config van de MKBA), bijvoorbeeld cost_per_offence; bootstrap_draws en bootstrap_seed voor de onzekerheid."
    )
    value: float = pa.Field(description="Waarde waarmee de cijfers van dit cohort zijn berekend.")
    unit: str = pa.Field(
        str_length={"min_value": 1},
        description="Eenheid van de waarde in woorden: euro per jaar, jaar, fractie (0–1), dagen per jaar, euro per maand, …",
    )

    class Config:
        name = "kpi.cohort_parameters"
        description = "De aannames van de MKBA: per cohort de parameterwaarden waarmee elk cijfer in deze run is berekend."

    @pa.dataframe_check(description="Eén waarde per parameter per cohort")
    def one_value_per_parameter(cls, data) -> pl.LazyFrame:
        return _unique_per(data, "region", "cohort_year", "parameter")


class CohortSensitivity(TableModel):
    region: str = _region()
    cohort_year: int = _cohort_year()
    variant: str = _variant()
    kind: str = pa.Field(
        isin=["sensitivity", "break_even"],
        description="sensitivity: de verhouding bij deze waarde van één parameter (de rest ongewijzigd); break_even: de waarde waarbij de verhouding 1 wordt.",
    )
    parameter: str = pa.Field(
        description="De gevarieerde parameter; attribution vervangt de Toerekening van elke casus."
    )
    value: float = pa.Field(description="Waarde van de parameter.")
    benefit_cost_ratio: float | None = pa.Field(
        nullable=True, description="Baten-kostenverhouding bij die waarde."
    )

    class Config:
        name = "kpi.cohort_sensitivity"
        description = "Gevoeligheid van de baten-kostenverhouding voor elke parameter afzonderlijk, en break-evenwaarden waar die binnen het bereik liggen."


class CohortUncertainty(TableModel):
    region: str = _region()
    cohort_year: int = _cohort_year()
    variant: str = _variant()
    draws: int = pa.Field(ge=1, description="Aantal bootstrap-trekkingen.")
    seed: int = pa.Field(
        description="Seed van de toevalsgenerator: dezelfde seed geeft dezelfde uitkomst."
    )
    ratio_p05: float | None = pa.Field(
        nullable=True, description="5e percentiel van de verhouding."
    )
    ratio_p50: float | None = pa.Field(nullable=True, description="Mediaan van de verhouding.")
    ratio_p95: float | None = pa.Field(
        nullable=True, description="95e percentiel van de verhouding."
    )
    benefit_cost_ratio: float | None = pa.Field(
        nullable=True, description="De puntschatting van de verhouding, ter vergelijking."
    )

    class Config:
        name = "kpi.cohort_uncertainty"
        description = "Onzekerheid van de baten-kostenverhouding: percentielbootstrap over de geïnterviewde casussen (trekken met teruglegging, n gelijk; salaris en extrapolatiefactor vast)."

    @pa.dataframe_check(description="p05 ≤ p50 ≤ p95")
    def percentiles_ordered(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(
            (pl.col("ratio_p05") <= pl.col("ratio_p50"))
            & (pl.col("ratio_p50") <= pl.col("ratio_p95"))
        )


class CohortOutcomes(TableModel):
    region: str = _region()
    cohort_year: int = _cohort_year()
    life_domain: str = pa.Field(
        isin=LIFE_DOMAINS,
        description="Leefgebied: housing (Wonen), work_income (Werk), debts (Schulden), care (Zorg), of recidivism (Recidive).",
    )
    outcome: str = pa.Field(
        description="Uitkomst: Positief, Neutraal tot positief, Neutraal, Negatief of Onbekend (een lege cel telt als Onbekend); bij recidivism Ja of Nee."
    )
    cases: int = pa.Field(ge=0, description="Geïnterviewde casussen met deze uitkomst.")
    interviewed: int = pa.Field(ge=1, description="Geïnterviewde casussen van het cohort (n).")
    share: float = share_field("cases gedeeld door interviewed.")

    class Config:
        name = "kpi.cohort_outcomes"
        description = "Effecten van nazorg-plus die niet in euro's zijn uitgedrukt: uitkomsten per leefgebied van de geïnterviewde casussen, plus recidive."

    @pa.dataframe_check(
        description="Per leefgebied tellen de casussen op tot het aantal geïnterviewden"
    )
    def domains_add_up(cls, data) -> pl.LazyFrame:
        sums = data.lazyframe.group_by("region", "cohort_year", "life_domain").agg(
            (pl.col("cases").sum() == pl.col("interviewed").first()).alias("ok")
        )
        return sums.select("ok")
