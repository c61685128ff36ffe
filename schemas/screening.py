"""Models of the screening tables: the forms (staging), coverage and needs (kpi), and
how the forms linked to a detention (quality)."""

from __future__ import annotations

import datetime as dt

import pandera.polars as pa
import polars as pl

from schemas.base import TableModel, region_field, share_field, year_complete_field, year_field

LIFE_DOMAINS = ["id", "housing", "work_income", "debts", "care", "social_network"]
LINK_METHODS = ["same_date", "nearest_admission_14d"]

_WISH = (
    "Ondersteuningswens {}: waar = Ja, onwaar = Nee, leeg = Onbekend of niet ingevuld. "
    "Leeg is geen antwoord (telt niet als beantwoord)."
)


def _wish(domain: str):
    return pa.Field(nullable=True, description=_WISH.format(domain))


class Screenings(TableModel):
    screening_id: str = pa.Field(
        unique=True,
        description="Sleutel van het formulier: pseudoniem (ingekort) en datum formulier, met een volgnummer bij meer formulieren op één dag.",
    )
    person_key: str = pa.Field(
        str_length={"min_value": 64, "max_value": 64},
        description="Pseudoniem van de persoon (HMAC-SHA256 van het BSN met een geheime sleutel).",
    )
    institution: str = pa.Field(description="Inrichting zoals op het formulier.")
    admission_date: dt.date = pa.Field(
        description="Datum insluiting zoals op het formulier getypt (kan afwijken van de insluiting in JustID)."
    )
    form_date: dt.date = pa.Field(description="Datum formulier.")
    consent: bool = pa.Field(
        description="Toestemming gegevensuitwisseling: waar = Ja, onwaar = Nee (verplicht veld)."
    )
    wish_id: bool | None = _wish("identiteitsbewijs")
    wish_housing: bool | None = _wish("huisvesting")
    wish_work_income: bool | None = _wish("werk en inkomen")
    wish_debts: bool | None = _wish("schulden")
    wish_care: bool | None = _wish("zorg")
    wish_social_network: bool | None = _wish("sociaal netwerk")
    answered_domains: int = pa.Field(
        ge=0, le=6, description="Aantal leefgebieden met Ja of Nee (beantwoord)."
    )
    unknown_domains: int = pa.Field(
        ge=0,
        le=6,
        description="Aantal leefgebieden met uitdrukkelijk 'Onbekend' (de overige lege wensen waren niet ingevuld).",
    )
    episode_id: str | None = pa.Field(
        nullable=True,
        description="Detentieperiode (staging.detentions) waar het formulier bij hoort; leeg als het bij geen bekende detentie hoort.",
    )
    link_method: str | None = pa.Field(
        nullable=True,
        isin=LINK_METHODS,
        description="Hoe gekoppeld: same_date (zelfde persoon en datum insluiting) of nearest_admission_14d (geen gelijke datum; de insluiting van die persoon die het dichtst vóór de datum formulier ligt, 0 tot en met 14 dagen ervoor); leeg zonder koppeling.",
    )
    linked_admission_date: dt.date | None = pa.Field(
        nullable=True, description="Datum insluiting van de gekoppelde detentieperiode."
    )
    source_file: str = pa.Field(description="Bestand (pad binnen raw/) waaruit het formulier komt.")
    source_row: int = pa.Field(ge=1, description="Regel in dat bestand.")

    class Config:
        name = "staging.screenings"
        description = "Eén rij per screeningsformulier (Informatieblad / D&R-plan), gepseudonimiseerd en gekoppeld aan de detentieperiode; formulieren zonder koppeling blijven staan (zie quality.unlinked_screenings)."

    @pa.dataframe_check(
        description="Een koppeling heeft altijd een methode en een insluitingsdatum"
    )
    def link_is_complete(cls, data) -> pl.LazyFrame:
        linked = pl.col("episode_id").is_not_null()
        return data.lazyframe.select(
            (linked == pl.col("link_method").is_not_null())
            & (linked == pl.col("linked_admission_date").is_not_null())
        )

    @pa.dataframe_check(
        description="same_date: zelfde datum; terugval: 0–14 dagen vóór het formulier"
    )
    def link_respects_the_rule(cls, data) -> pl.LazyFrame:
        gap = (pl.col("form_date") - pl.col("linked_admission_date")).dt.total_days()
        return data.lazyframe.select(
            pl.when(pl.col("link_method") == "same_date")
            .then(pl.col("linked_admission_date") == pl.col("admission_date"))
            .when(pl.col("link_method") == "nearest_admission_14d")
            .then(gap.is_between(0, 14))
            .otherwise(True)
        )

    @pa.dataframe_check(description="Beantwoorde en onbekende leefgebieden samen hooguit 6")
    def domains_add_up(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("answered_domains") + pl.col("unknown_domains") <= 6)


class ScreeningCoverage(TableModel):
    region: str = region_field("Regio van de gemeente bij ontslag van de detentieperiode.")
    year: int = year_field("Jaar van ontslag (jaar van Datum ontslag / Datum vertrek).")
    released_detentions: int = pa.Field(
        ge=1,
        description="Detentieperioden (niet personen) met een ontslag in het jaar waarvan de gemeente bij ontslag in de regio ligt; iemand die twee keer is ontslagen telt twee keer.",
    )
    with_form: int = pa.Field(
        ge=0,
        description="Daarvan gescreend: met een gekoppeld screeningsformulier, of (DPAN-periode) met een ingevulde Hulpvraag- of Toestemming-cel.",
    )
    share_with_form: float | None = pa.Field(
        nullable=True,
        ge=0,
        le=1,
        description="with_form / released_detentions (fractie 0–1); leeg als de noemer 0 is.",
    )
    no_consent: int = pa.Field(
        ge=0,
        description="Gescreende perioden met 'Nee' op toestemming gegevensuitwisseling (bij meer formulieren telt het laatste; anders DPAN-Toestemming = Nee). Een lege DPAN-Toestemming telt niet als Nee.",
    )
    share_no_consent: float | None = pa.Field(
        nullable=True,
        ge=0,
        le=1,
        description="no_consent / with_form (fractie 0–1); leeg als er geen gescreende perioden zijn.",
    )
    with_linked_form: int = pa.Field(
        ge=0, description="Gescreende perioden met een gekoppeld screeningsformulier."
    )
    with_dpan_screening: int = pa.Field(
        ge=0,
        description="Gescreende perioden zonder formulier maar met een ingevulde DPAN-screening.",
    )

    year_complete: bool = year_complete_field(
        "het jaar van ontslag",
        "de detentiegegevens van DPAN en JustID: eerste datum insluiting tot laatste melding of ontslag, en de gekoppelde screeningsformulieren van de regio als die er zijn",
    )

    class Config:
        name = "kpi.screening_coverage"
        description = "Screening en toestemming per regio en jaar van ontslag: hoeveel uitgestroomde detentieperioden een screeningsformulier hebben (DPAN: ingevulde Hulpvraag/Toestemming) en hoeveel daarvan geen toestemming gaven."

    @pa.dataframe_check(description="Gescreend ≤ ontslagen; geen toestemming ≤ gescreend")
    def counts_nest(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(
            (pl.col("with_form") <= pl.col("released_detentions"))
            & (pl.col("no_consent") <= pl.col("with_form"))
            & (pl.col("with_linked_form") + pl.col("with_dpan_screening") == pl.col("with_form"))
        )

    @pa.dataframe_check(description="Aandelen zijn teller gedeeld door noemer")
    def shares_are_ratios(cls, data) -> pl.LazyFrame:
        def ratio(share: str, num: str, den: str) -> pl.Expr:
            return (
                pl.when(pl.col(den) == 0)
                .then(pl.col(share).is_null())
                .otherwise((pl.col(share) - pl.col(num) / pl.col(den)).abs() < 1e-9)
            )

        return data.lazyframe.select(
            ratio("share_with_form", "with_form", "released_detentions")
            & ratio("share_no_consent", "no_consent", "with_form")
        )


class NeedsAtIntake(TableModel):
    region: str = region_field(
        "Regio van de gekoppelde detentieperiode (gemeente bij ontslag, of bij insluiting als er (nog) geen ontslag is)."
    )
    year: int = year_field("Jaar van insluiting van de gekoppelde detentieperiode.")
    life_domain: str = pa.Field(
        isin=LIFE_DOMAINS,
        description="Leefgebied: id (identiteitsbewijs), housing (huisvesting), work_income (werk en inkomen), debts (schulden), care (zorg), social_network (sociaal netwerk).",
    )
    forms: int = pa.Field(
        ge=1,
        description="Gescreende detentieperioden: met een gekoppeld formulier (bij meer formulieren voor één periode telt alleen het laatste) of, in de DPAN-periode, met een ingevulde Hulpvraag- of Toestemming-cel. Formulieren zonder gekoppelde detentie tellen niet mee.",
    )
    answered: int = pa.Field(
        ge=0,
        description="Daarvan met 'Ja' of 'Nee' voor dit leefgebied. 'Onbekend' en een lege cel tellen niet als antwoord: ze zitten wel in forms, niet in answered of with_need. DPAN kent geen vraag over het sociaal netwerk: daar is answered 0.",
    )
    with_need: int = pa.Field(
        ge=0, description="Daarvan met 'Ja': wens tot ondersteuning op dit leefgebied."
    )
    share: float | None = pa.Field(
        nullable=True,
        ge=0,
        le=1,
        description="with_need / answered (fractie 0–1): aandeel met een wens onder wie de vraag beantwoordde; 'Onbekend' telt niet mee in teller of noemer. Leeg als answered 0 is.",
    )

    year_complete: bool = year_complete_field(
        "het jaar van insluiting",
        "de detentiegegevens van DPAN en JustID: eerste datum insluiting tot laatste melding of ontslag, en de gekoppelde screeningsformulieren van de regio als die er zijn",
    )

    class Config:
        name = "kpi.needs_at_intake"
        description = "Wens tot ondersteuning bij intake per leefgebied, per regio en jaar van insluiting, uit screeningsformulieren en (DPAN-periode) de Hulpvraag-kolommen."

    @pa.dataframe_check(description="with_need ≤ answered ≤ forms; share = with_need / answered")
    def counts_nest(cls, data) -> pl.LazyFrame:
        share_ok = (
            pl.when(pl.col("answered") == 0)
            .then(pl.col("share").is_null())
            .otherwise((pl.col("share") - pl.col("with_need") / pl.col("answered")).abs() < 1e-9)
        )
        return data.lazyframe.select(
            (pl.col("with_need") <= pl.col("answered"))
            & (pl.col("answered") <= pl.col("forms"))
            & share_ok
        )

    @pa.dataframe_check(description="forms is per regio en jaar gelijk voor elk leefgebied")
    def forms_equal_per_domain(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("forms").n_unique().over("region", "year") == 1)


class UnlinkedScreenings(TableModel):
    year: int = year_field("Jaar van de datum formulier.")
    forms: int = pa.Field(
        ge=1, description="Geladen screeningsformulieren met een datum in dat jaar."
    )
    linked_same_date: int = pa.Field(
        ge=0, description="Gekoppeld op persoon en gelijke datum insluiting."
    )
    linked_nearest_admission: int = pa.Field(
        ge=0,
        description="Gekoppeld via de terugvalregel: de insluiting van die persoon het dichtst vóór de datum formulier, hooguit 14 dagen ervoor (getypte datum insluiting wijkt af).",
    )
    unlinked: int = pa.Field(
        ge=0,
        description="Niet te koppelen aan een bekende detentie: geladen in staging.screenings, elk als rijwaarschuwing in quality.row_warnings, maar in geen KPI.",
    )
    share_unlinked: float = share_field("unlinked / forms (fractie 0–1).")

    class Config:
        name = "quality.unlinked_screenings"
        description = "Koppeling van de screeningsformulieren aan detentieperioden, per jaar van het formulier: hoeveel op datum, via de 14-dagenregel, en hoeveel niet."

    @pa.dataframe_check(description="De drie uitkomsten tellen op tot forms")
    def outcomes_add_up(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(
            pl.col("linked_same_date") + pl.col("linked_nearest_admission") + pl.col("unlinked")
            == pl.col("forms")
        )
