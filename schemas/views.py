"""Models of the two ``kpi`` views that answer the questions analysts ask first
(warehouse.md): their Dutch descriptions become ``COMMENT ON VIEW``/``COLUMN``, and the
tests validate the views' rows against them."""

from __future__ import annotations

import pandera.polars as pa

from schemas.base import TableModel, region_field, year_field

_REGION = "Regio van het Zorg- en Veiligheidshuis."
_COMPLETE = (
    "Waar als elke bron met cijfers voor deze regio en dit jaar het hele jaar dekt (de "
    "year_complete van de tabellen waaruit de rij komt); onwaar: voorlopige cijfers, het "
    "jaar loopt nog of een bron dekt het maar deels."
)


class Tabel1(TableModel):
    region: str = region_field(_REGION)
    year: int = year_field(
        "Jaar: jaar van aanmelding voor de caseload, jaar van ontslag voor de uitstroom (zoals in Tabel 1)."
    )
    municipality_code: str = pa.Field(
        description="CBS-code van de gemeente zoals ze toen bestond; OVERIG voor casussen zonder gemeente in de regio."
    )
    municipality_name: str = pa.Field(description="Naam van de gemeente zoals ze toen bestond.")
    caseload_cases: int | None = pa.Field(
        nullable=True,
        ge=0,
        description="Casussen met Datum aanmelding in het jaar (kpi.caseload.cases); 0 als de gemeente daar ontbreekt, leeg als de casusregistratie voor deze regio en dit jaar niets heeft.",
    )
    caseload_share: float | None = pa.Field(
        nullable=True,
        ge=0,
        le=1,
        description="Aandeel van de gemeente in de caseload van de regio in het jaar (fractie 0–1, onafgerond).",
    )
    outflow_persons: int | None = pa.Field(
        nullable=True,
        ge=0,
        description="Uitgestroomde personen (kpi.outflow.persons); 0 als de gemeente daar ontbreekt, leeg als er voor deze regio en dit jaar geen detentiegegevens zijn.",
    )
    outflow_share: float | None = pa.Field(
        nullable=True,
        ge=0,
        le=1,
        description="Aandeel van de gemeente in de uitstroom van de regio in het jaar (fractie 0–1, onafgerond).",
    )
    year_complete: bool = pa.Field(description=_COMPLETE)

    class Config:
        name = "kpi.tabel1"
        description = (
            "Tabel 1 van de evaluatie Gooi en Vechtstreek voor elke regio: per jaar en gemeente "
            "de caseload (casussen) en de uitstroom (personen) met hun aandelen, naast elkaar. "
            "Een view op kpi.caseload en kpi.outflow."
        )


class Headline(TableModel):
    region: str = region_field(_REGION)
    year: int = year_field(
        "Jaar: van ontslag voor uitstroom, screening en herdetentie; van aanmelding voor caseload en profiel."
    )
    outflow_persons: int | None = pa.Field(
        nullable=True,
        ge=0,
        description="Uitstroom: unieke personen met een ontslag in het jaar (totaal van kpi.outflow); leeg zonder detentiegegevens.",
    )
    caseload_cases: int | None = pa.Field(
        nullable=True,
        ge=0,
        description="Caseload: casussen met Datum aanmelding in het jaar (totaal van kpi.caseload); leeg zonder casusregistratie.",
    )
    profile_rate_of_outflow: float | None = pa.Field(
        nullable=True,
        ge=0,
        description="Casussen met een profiel gedeeld door de uitstroom (kpi.coordination, maat profile_made; fractie, kan boven 1 komen).",
    )
    screening_coverage: float | None = pa.Field(
        nullable=True,
        ge=0,
        le=1,
        description="Aandeel van de ontslagen detentieperioden met een screeningsformulier (kpi.screening_coverage.share_with_form; fractie 0–1).",
    )
    redetention_prevalence_2y: float | None = pa.Field(
        nullable=True,
        ge=0,
        le=1,
        description="Deel van alle in het jaar uitgestroomde personen dat binnen 730 dagen opnieuw is ingesloten (kpi.redetention, groep all). Herdetentie, geen recidive.",
    )
    year_complete: bool = pa.Field(description=_COMPLETE)
    redetention_window_complete: bool | None = pa.Field(
        nullable=True,
        description="Waar als het venster van 730 dagen van de herdetentie voorbij is (kpi.redetention.window_complete); onwaar: de herdetentie kan nog stijgen.",
    )

    class Config:
        name = "kpi.headline"
        description = (
            "De kerncijfers per regio en jaar op één regel: uitstroom, caseload, profielen per "
            "uitgestroomde, screeningsdekking en herdetentie binnen twee jaar. Een view op de "
            "KPI-tabellen; leeg waar een bron voor dat jaar niets heeft."
        )
