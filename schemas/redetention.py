"""Model of ``kpi.redetention``: re-detention of whole release cohorts (warehouse.md).

Re-detention is a new admission to detention after a release. It is measured on every
released person from the detention notifications, so it covers the whole cohort, but it
is not recidivism in the sense of the WODC monitor (new convictions) and the difference
between the groups is not an effect of nazorg-plus.
"""

from __future__ import annotations

import datetime as dt

import pandera.polars as pa
import polars as pl

from schemas.base import REGIONS, TableModel, year_complete_field, year_field

GROUPS = ["nazorg_plus", "regular", "all"]
WINDOW_DAYS = 730

_NOT_RECIDIVISM = (
    "Dit is heropname in detentie (herdetentie), geen recidive in de zin van de "
    "WODC-recidivemonitor (die telt nieuwe veroordelingen)."
)
_NOT_CAUSAL = (
    "Een verschil tussen de groepen is geen causaal effect van nazorg-plus: de groepen "
    "verschillen in wie voor nazorg-plus is geselecteerd."
)


class Redetention(TableModel):
    region: str = pa.Field(
        isin=REGIONS,
        description=(
            "Regio van het Zorg- en Veiligheidshuis van de gemeente bij het eerste ontslag "
            "van de persoon in het uitstroomjaar. Een ontslag zonder regio (geen gemeente "
            "bekend of buiten de drie regio's) telt in geen enkele regio mee."
        ),
    )
    release_year: int = year_field(
        "Uitstroomjaar: jaar van de datum ontslag (niet van de meldingsdatum)."
    )
    aftercare_group: str = pa.Field(
        isin=GROUPS,
        description=(
            "Groep: 'nazorg_plus' = persoon heeft in deze regio een zaak met Nazorg-plus "
            "'Gestart' en Datum aanmelding in het uitstroomjaar; 'regular' = alle andere "
            "uitgestroomde personen (reguliere nazorg); 'all' = beide samen. "
            "'Aangemeld' zonder start telt als regular. " + _NOT_CAUSAL
        ),
    )
    released_persons: int = pa.Field(
        ge=1,
        description=(
            "Aantal unieke personen van de groep met ten minste één ontslag (geen "
            "overplaatsing of verlof) in het uitstroomjaar, geplaatst bij hun EERSTE ontslag "
            "van dat jaar (de uitstroom in kpi.outflow plaatst bij het laatste; de totalen "
            "kunnen daardoor licht verschillen). Noemer van beide maten."
        ),
    )
    redetained_2y: int = pa.Field(
        ge=0,
        description=(
            "Aantal van die personen met minstens één nieuwe insluiting: een "
            "detentieperiode met een datum insluiting NA de datum van het eerste ontslag en "
            "uiterlijk 730 dagen erna (dag 730 telt, dag 731 niet). Een overplaatsing of "
            "verlof is geen nieuwe insluiting, en evenmin een insluiting op de dag van het "
            "ontslag zelf (doorlopende detentie). " + _NOT_RECIDIVISM
        ),
    )
    prevalence_2y: float = pa.Field(
        ge=0,
        le=1,
        description=(
            "Prevalentie van herdetentie binnen 2 jaar: redetained_2y / released_persons "
            "(fractie 0–1, onafgerond): welk deel van de groep opnieuw is ingesloten. "
            + _NOT_RECIDIVISM
            + " "
            + _NOT_CAUSAL
        ),
    )
    new_detentions_2y: int = pa.Field(
        ge=0,
        description=(
            "Aantal nieuwe detentieperioden (nieuwe datum insluiting) van de personen van de "
            "groep binnen 730 dagen na hun eerste ontslag in het uitstroomjaar; een persoon "
            "kan er meer hebben. Geen aantal delicten of veroordelingen."
        ),
    )
    incidence_2y: float = pa.Field(
        ge=0,
        description=(
            "Incidentie van herdetentie binnen 2 jaar: new_detentions_2y / released_persons, "
            "nieuwe detenties per uitgestroomde persoon (kan groter zijn dan 1). "
            + _NOT_RECIDIVISM
            + " "
            + _NOT_CAUSAL
        ),
    )
    window_complete: bool = pa.Field(
        description=(
            "Waar als de gegevens het volledige venster dekken: de laatste meldingsdatum van "
            "de detenties van deze regio (data_end_date) ligt minstens 730 dagen na het laatste "
            "eerste ontslag van deze regio in dit jaar (last_release_date). Onwaar: de "
            "cijfers worden wel gegeven, maar zijn nog onvolledig en kunnen stijgen."
        ),
    )
    last_release_date: dt.date = pa.Field(
        description=(
            "Laatste datum van een eerste ontslag in deze regio en dit uitstroomjaar (over "
            "alle groepen): het venster van deze persoon sluit het laatst."
        ),
    )
    data_end_date: dt.date = pa.Field(
        description=(
            "Einde van de gegevens voor deze regio: de laatste meldingsdatum van de "
            "detentieperioden die in deze regio zijn geplaatst (over alle bronnen)."
        ),
    )

    year_complete: bool = year_complete_field(
        "het uitstroomjaar (jaar van ontslag)",
        "de detentiegegevens van DPAN en JustID: eerste datum insluiting tot laatste melding of ontslag. Los daarvan zegt window_complete of het venster van 730 dagen na het ontslag al voorbij is",
    )

    class Config:
        name = "kpi.redetention"
        description = (
            "Herdetentie van uitstroomcohorten: per regio, uitstroomjaar en groep (nazorg-plus, "
            "reguliere nazorg, alle) het aantal uitgestroomde personen en hoeveel van hen "
            "binnen 730 dagen na hun eerste ontslag van het jaar opnieuw zijn ingesloten "
            "(prevalentie) en hoe vaak (incidentie). " + _NOT_RECIDIVISM + " " + _NOT_CAUSAL
        )

    @pa.dataframe_check(description="Heropgenomen personen nooit meer dan uitgestroomde personen")
    def redetained_within_released(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("redetained_2y") <= pl.col("released_persons"))

    @pa.dataframe_check(description="Minstens één nieuwe detentie per heropgenomen persoon")
    def detentions_at_least_persons(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("new_detentions_2y") >= pl.col("redetained_2y"))

    @pa.dataframe_check(description="Prevalentie en incidentie zijn de quotiënten van de aantallen")
    def rates_are_quotients(cls, data) -> pl.LazyFrame:
        n = pl.col("released_persons")
        return data.lazyframe.select(
            ((pl.col("prevalence_2y") - pl.col("redetained_2y") / n).abs() < 1e-9)
            & ((pl.col("incidence_2y") - pl.col("new_detentions_2y") / n).abs() < 1e-9)
        )

    @pa.dataframe_check(
        description="Venster compleet precies als het einde van de gegevens 730 dagen na het laatste ontslag ligt"
    )
    def window_flag_matches_dates(cls, data) -> pl.LazyFrame:
        reach = pl.col("last_release_date") + pl.duration(days=WINDOW_DAYS)
        return data.lazyframe.select(
            pl.col("window_complete") == (pl.col("data_end_date") >= reach)
        )
