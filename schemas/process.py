"""Models of the process and target-group tables (warehouse.md, "Process and target
groups"): what the evaluation reports name in words but nobody counted — how long the
released detentions lasted, how soon the screening form came, whom the coordination
reached, and the expected versus observed offences inside the MKBA."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from schemas.base import TableModel, region_field, share_field, year_field

STAY_BANDS = ["up_to_7_days", "8_to_28_days", "29_to_120_days", "over_120_days"]
TARGET_GROUPS = ["under_27", "frequent_returner", "support_wish", "all"]

_REGION = "Regio van het Zorg- en Veiligheidshuis."
_YEAR_COMPLETE = (
    "Waar als de gegevens waaruit de tabel is gemaakt ({sources}) het hele {year} voor deze "
    "regio beslaan: de eerste datum in die bronnen ligt op of vóór 1 januari en de laatste op "
    "of na 31 december. Onwaar: het jaar loopt nog of een bron dekt het maar deels; de cijfers "
    "staan er wel, als voorlopig."
)


def _year_complete(sources: str, year: str) -> object:
    return pa.Field(description=_YEAR_COMPLETE.format(sources=sources, year=year))


def _ratio_ok(share: str, num: str, den: str) -> pl.Expr:
    """``share`` is ``num / den``, or empty when ``den`` is 0."""
    return (
        pl.when(pl.col(den) == 0)
        .then(pl.col(share).is_null())
        .otherwise((pl.col(share) - pl.col(num) / pl.col(den)).abs() < 1e-9)
    )


class LengthOfStay(TableModel):
    region: str = region_field("Regio van de gemeente bij ontslag van de detentieperiode.")
    release_year: int = year_field("Jaar van ontslag (jaar van Datum ontslag / Datum vertrek).")
    stay_band: str = pa.Field(
        isin=STAY_BANDS,
        description="Verblijfsduur (Datum ontslag min Datum insluiting, in dagen): up_to_7_days (0–7), 8_to_28_days (8–28; samen met de eerste: binnen 4 weken), 29_to_120_days (29–120) of over_120_days (meer dan 120 dagen: vanaf 4 maanden detentie schrijft de gemeente iemand uit en vervalt de huurwoning, Limburg §4.3).",
    )
    band_order: int = pa.Field(ge=1, le=4, description="Volgorde van de klasse (1 = kortst).")
    days_from: int = pa.Field(ge=0, description="Kleinste verblijfsduur in de klasse (dagen).")
    days_to: int | None = pa.Field(
        nullable=True,
        description="Grootste verblijfsduur in de klasse (dagen, inclusief); leeg voor de open klasse.",
    )
    released_episodes: int = pa.Field(
        ge=0,
        description="Detentieperioden (niet personen) met een ontslag in het jaar en de gemeente bij ontslag in de regio (dezelfde perioden als kpi.screening_coverage), met een verblijfsduur in deze klasse.",
    )
    share: float = share_field(
        "released_episodes / alle ontslagen perioden van de regio in het jaar (fractie 0–1)."
    )
    region_year_episodes: int = pa.Field(
        ge=1, description="Alle ontslagen perioden van de regio in het jaar (de noemer)."
    )
    year_complete: bool = _year_complete("de detentiegegevens", "jaar van ontslag")

    class Config:
        name = "kpi.length_of_stay"
        description = "Hoe lang de detenties van de uitgestroomden duurden: ontslagen detentieperioden per regio, jaar van ontslag en verblijfsduurklasse (Limburg §4.3: bijna de helft verlaat binnen 4 weken de PI; vanaf 4 maanden vervalt de woning). Alle vier klassen staan er, ook met 0."

    @pa.dataframe_check(
        description="Per regio en jaar vier klassen die optellen tot alle ontslagen perioden"
    )
    def bands_add_up(cls, data) -> pl.LazyFrame:
        per = data.lazyframe.group_by("region", "release_year").agg(
            pl.len().alias("bands"),
            pl.col("released_episodes").sum().alias("total"),
            pl.col("region_year_episodes").n_unique().alias("denominators"),
            pl.col("region_year_episodes").first().alias("denominator"),
        )
        return per.select(
            (pl.col("bands") == 4)
            & (pl.col("denominators") == 1)
            & (pl.col("total") == pl.col("denominator"))
        )

    @pa.dataframe_check(description="share = released_episodes / region_year_episodes")
    def share_is_ratio(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(
            _ratio_ok("share", "released_episodes", "region_year_episodes")
        )


class IntakeTimeliness(TableModel):
    region: str = region_field(
        "Regio van de detentieperiode (gemeente bij ontslag, of bij insluiting als er (nog) geen ontslag is)."
    )
    admission_year: int = year_field("Jaar van insluiting (Datum insluiting / Datum binnenkomst).")
    admissions: int = pa.Field(
        ge=1, description="Detentieperioden (insluitingen) van de regio met insluiting in het jaar."
    )
    with_form: int = pa.Field(
        ge=0,
        description="Daarvan met een gekoppeld screeningsformulier (Informatieblad). DPAN-perioden hebben geen formulier met een datum en tellen hier niet mee.",
    )
    share_with_form: float = share_field("with_form / admissions (fractie 0–1).")
    within_5_days: int = pa.Field(
        ge=0,
        description="Daarvan met het eerste formulier gedateerd ten hoogste 5 kalenderdagen na de insluiting. De datum van het formulier staat voor het eerste gesprek met de MMD'er in de PI, dat geen bron vastlegt (Gooi §2.3: streven is een eerste gesprek binnen vijf dagen).",
    )
    share_within_5_days: float | None = pa.Field(
        nullable=True,
        ge=0,
        le=1,
        description="within_5_days / with_form (fractie 0–1); leeg zonder formulieren.",
    )
    median_days_to_form: float | None = pa.Field(
        nullable=True,
        description="Mediaan van het aantal kalenderdagen van insluiting tot het eerste formulier (een benadering van het eerste gesprek); leeg zonder formulieren.",
    )
    year_complete: bool = _year_complete(
        "de detentiegegevens en de screeningsformulieren", "jaar van insluiting"
    )

    class Config:
        name = "kpi.intake_timeliness"
        description = "Tijdigheid van de screening per regio en jaar van insluiting: insluitingen, hoeveel een screeningsformulier hebben en hoeveel binnen 5 dagen. De formulierdatum is een benadering van het eerste gesprek, geen registratie ervan."

    @pa.dataframe_check(description="within_5_days ≤ with_form ≤ admissions; aandelen kloppen")
    def counts_nest(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(
            (pl.col("within_5_days") <= pl.col("with_form"))
            & (pl.col("with_form") <= pl.col("admissions"))
            & _ratio_ok("share_with_form", "with_form", "admissions")
            & _ratio_ok("share_within_5_days", "within_5_days", "with_form")
            & ((pl.col("with_form") == 0) == pl.col("median_days_to_form").is_null())
        )


class TargetGroups(TableModel):
    region: str = region_field(
        "Regio van de gemeente bij het laatste ontslag van de persoon in het jaar (zoals kpi.outflow)."
    )
    release_year: int = year_field("Jaar van ontslag (jaar van Datum ontslag / Datum vertrek).")
    target_group: str = pa.Field(
        isin=TARGET_GROUPS,
        description="Doelgroep van de coördinatie (Gooi §2.2): under_27 (ontslagjaar min geboortejaar ten hoogste 26), frequent_returner (meer dan 3 insluitingen in de 5 jaar tot en met de insluiting van het laatste ontslag; insluitingen van vóór de eerste export ontbreken, dus in de eerste jaren te laag), support_wish (een ontslagen periode in het jaar met een screening met ten minste één Ja: het laatste gekoppelde formulier, of in de DPAN-periode de Hulpvraag) of all (iedereen). Eén persoon kan in meer groepen zitten.",
    )
    group_order: int = pa.Field(ge=1, le=4, description="Volgorde van de doelgroep (4 = all).")
    released_persons: int = pa.Field(
        ge=0,
        description="Unieke personen met een ontslag in het jaar, geplaatst bij hun laatste ontslag in de regio (zoals kpi.outflow), in deze doelgroep.",
    )
    with_case: int = pa.Field(
        ge=0,
        description="Daarvan met een casus in de casusregistratie van de regio met Datum aanmelding in het ontslagjaar of de 90 dagen erna. Bereikt betekent geregistreerd, geen effect.",
    )
    share_with_case: float | None = pa.Field(
        nullable=True,
        ge=0,
        le=1,
        description="with_case / released_persons (fractie 0–1): het bereik van de coördinatie in de doelgroep; leeg als de groep leeg is.",
    )
    year_complete: bool = _year_complete(
        "de detentiegegevens en de casusregistratie", "jaar van ontslag"
    )

    class Config:
        name = "kpi.target_groups"
        description = "Doelgroepen van de coördinatie per regio en jaar van ontslag (jongeren onder 27, veelplegers met meer dan 3 detenties, wie een ondersteuningswens had, iedereen) en hoeveel daarvan een casus in de registratie hebben: bereik betekent een casus in het register, geen effect."

    @pa.dataframe_check(
        description="Vier doelgroepen per regio en jaar; geen doelgroep groter dan all"
    )
    def groups_within_all(cls, data) -> pl.LazyFrame:
        all_rows = pl.col("target_group") == "all"
        per = data.lazyframe.group_by("region", "release_year").agg(
            pl.len().alias("groups"),
            pl.col("released_persons").max().alias("max_released"),
            pl.col("released_persons").filter(all_rows).first().alias("all_released"),
            pl.col("with_case").max().alias("max_with_case"),
            pl.col("with_case").filter(all_rows).first().alias("all_with_case"),
        )
        return per.select(
            (pl.col("groups") == 4)
            & (pl.col("max_released") == pl.col("all_released"))
            & (pl.col("max_with_case") == pl.col("all_with_case"))
        )

    @pa.dataframe_check(description="with_case ≤ released_persons; aandeel = teller / noemer")
    def reach_is_ratio(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(
            (pl.col("with_case") <= pl.col("released_persons"))
            & _ratio_ok("share_with_case", "with_case", "released_persons")
        )


class CohortRecidivism(TableModel):
    region: str = region_field(_REGION)
    cohort_year: int = year_field(
        "Cohortjaar: het jaar waarin de nazorg-plus-trajecten startten (Datum aanmelding)."
    )
    interviewed: int = pa.Field(
        ge=1,
        description="Geïnterviewde casussen van de vervolgmeting (n), niet de getrokken steekproef.",
    )
    reference_prevalence: float = share_field(
        "Tweejaarsrecidive van de referentiegroep (parameter van de MKBA, WODC groep 2)."
    )
    expected_recidivists: float = pa.Field(
        ge=0,
        description="Verwachte recidivisten: interviewed × reference_prevalence (niet afgerond; het rapport: 6).",
    )
    offences_per_recidivist: float = pa.Field(
        ge=0, description="Delicten per recidivist in de observatieperiode (parameter van de MKBA)."
    )
    expected_offences: float = pa.Field(
        ge=0,
        description="Verwachte delicten: interviewed × reference_prevalence × offences_per_recidivist, afgerond op een heel getal (half van nul af), zoals in de MKBA ('circa 16 (6 x 2.7)', Limburg §5.1).",
    )
    observed_recidivists: int = pa.Field(
        ge=0, description="Geïnterviewden met Recidive = Ja in de vervolgperiode."
    )
    observed_offences: int = pa.Field(
        ge=0, description="Waargenomen delicten: som van Aantal delicten van de geïnterviewden."
    )
    avoided_offences: float = pa.Field(
        description="Vermeden delicten: expected_offences − observed_offences (negatief als er meer delicten waren dan verwacht)."
    )
    observation_years: int = pa.Field(
        ge=1, description="Lengte van de vervolgperiode in jaren (parameter van de MKBA)."
    )
    avoided_offences_per_year: float = pa.Field(
        description="avoided_offences / observation_years: de delicten per jaar waarop de post vermeden delictschade (variant A) rust, vóór kosten per delict en correctie voor de kleine steekproef."
    )

    class Config:
        name = "kpi.cohort_recidivism"
        description = "Verwachte en waargenomen delicten van de geïnterviewde nazorg-plus-casussen per cohort: de tussenstappen van de MKBA-post vermeden delictschade (Limburg §5.1), met dezelfde parameters en afronding."

    @pa.dataframe_check(
        description="verwacht − waargenomen = vermeden; per jaar = vermeden / jaren"
    )
    def avoided_is_expected_minus_observed(cls, data) -> pl.LazyFrame:
        expected = pl.col("expected_offences")
        avoided = expected - pl.col("observed_offences")
        per_year = pl.col("avoided_offences") / pl.col("observation_years")
        return data.lazyframe.select(
            ((pl.col("avoided_offences") - avoided).abs() < 1e-9)
            & ((pl.col("avoided_offences_per_year") - per_year).abs() < 1e-9)
        )

    @pa.dataframe_check(description="Recidivisten ≤ geïnterviewden; verwacht = n × prevalentie")
    def recidivists_within_interviewed(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(
            (pl.col("observed_recidivists") <= pl.col("interviewed"))
            & (
                (
                    pl.col("expected_recidivists")
                    - pl.col("interviewed") * pl.col("reference_prevalence")
                ).abs()
                < 1e-9
            )
        )
