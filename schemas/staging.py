"""Models of the ``staging`` tables: validated, normalised, pseudonymised rows."""

from __future__ import annotations

import datetime as dt

import pandera.polars as pa
import polars as pl

from schemas.base import TableModel


class Municipalities(TableModel):
    code: str = pa.Field(
        unique=True, str_matches=r"^GM\d{4}$", description="CBS-gemeentecode, bijvoorbeeld GM0402."
    )
    name: str = pa.Field(description="Officiële gemeentenaam.")
    region: str | None = pa.Field(
        nullable=True,
        isin=["Gooi en Vechtstreek", "Midden-Limburg", "Noord-Limburg"],
        description="Regio van het Zorg- en Veiligheidshuis; leeg voor gemeenten buiten de drie regio's.",
    )
    valid_from: dt.date | None = pa.Field(
        nullable=True,
        description="Eerste dag waarop de gemeente bestond (leeg: al vóór de periode van de gegevens).",
    )
    valid_to: dt.date | None = pa.Field(
        nullable=True, description="Laatste dag waarop de gemeente bestond (leeg: bestaat nog)."
    )
    successor_code: str | None = pa.Field(
        nullable=True,
        description="Code van de gemeente waarin deze is opgegaan; leeg bij een splitsing zonder eenduidige opvolger.",
    )
    variants: str | None = pa.Field(
        nullable=True, description="Andere schrijfwijzen van de naam, gescheiden door |."
    )
    source_note: str | None = pa.Field(
        nullable=True, description="Waar code en datums vandaan komen."
    )

    class Config:
        name = "staging.municipalities"
        description = (
            "Referentielijst van gemeenten (CBS-codes) met regio, geldigheid en herindelingen."
        )


class Detentions(TableModel):
    episode_id: str = pa.Field(
        unique=True,
        description="Sleutel van de detentieperiode: pseudoniem (ingekort) en datum insluiting.",
    )
    person_key: str = pa.Field(
        str_length={"min_value": 64, "max_value": 64},
        description="Pseudoniem van de persoon (HMAC-SHA256 van het BSN met een geheime sleutel).",
    )
    source_system: str = pa.Field(
        isin=["JustID", "DPAN"],
        description="Bronsysteem van de periode (JustID-meldingen of DPAN-export).",
    )
    birth_year: int | None = pa.Field(
        nullable=True,
        ge=1900,
        le=2030,
        description="Geboortejaar (de volledige geboortedatum wordt nooit opgeslagen).",
    )
    sex: str | None = pa.Field(
        nullable=True, description="Geslacht zoals gemeld (M, V, X); leeg in DPAN."
    )
    admission_date: dt.date = pa.Field(
        description="Datum insluiting (JustID) of datum binnenkomst (DPAN)."
    )
    institution: str | None = pa.Field(
        nullable=True, description="Penitentiaire inrichting van de laatste melding."
    )
    detention_title: str | None = pa.Field(
        nullable=True, description="Titel van de detentie (JustID)."
    )
    is_release: bool = pa.Field(
        description="Waar als de periode eindigde met een ontslag (uitstroom); niet bij overplaatsing, verlof, schorsing of overlijden."
    )
    release_date: dt.date | None = pa.Field(
        nullable=True,
        description="Datum ontslag; leeg zolang de persoon gedetineerd is of de periode anders eindigde.",
    )
    end_reason: str | None = pa.Field(
        nullable=True,
        description="Reden van het einde van de periode (Ontslag, Schorsing, Overlijden, Overig); leeg als de periode nog loopt.",
    )
    municipality_code: str | None = pa.Field(
        nullable=True,
        description="Gemeente bij ontslag (of, zonder ontslag, bij insluiting), bepaald op de datum van die gebeurtenis.",
    )
    municipality_name: str | None = pa.Field(nullable=True, description="Naam van die gemeente.")
    region: str | None = pa.Field(
        nullable=True,
        description="Regio van die gemeente; leeg als de gemeente onbekend is of buiten de drie regio's ligt.",
    )
    municipality_recorded: bool = pa.Field(
        description="Waar als de export een gemeente(code) noemde; onwaar bij geen vaste woon- of verblijfplaats en ook geen eerdere gemeente."
    )
    last_event_date: dt.date = pa.Field(
        description="Laatste meldingsdatum van de periode; het maximum over de tabel is het einde van de gegevens."
    )
    notifications: int = pa.Field(
        ge=1, description="Aantal meldingen (JustID) of rijen (DPAN) van deze periode."
    )
    need_id: bool | None = pa.Field(
        nullable=True,
        description="DPAN: hulpvraag identiteitsbewijs (leeg: onbekend of niet gevraagd).",
    )
    need_housing: bool | None = pa.Field(nullable=True, description="DPAN: hulpvraag huisvesting.")
    need_work_income: bool | None = pa.Field(
        nullable=True, description="DPAN: hulpvraag werk en inkomen."
    )
    need_debts: bool | None = pa.Field(nullable=True, description="DPAN: hulpvraag schulden.")
    need_care: bool | None = pa.Field(nullable=True, description="DPAN: hulpvraag zorg.")
    consent: bool | None = pa.Field(
        nullable=True, description="DPAN: toestemming voor gegevensuitwisseling."
    )
    dpan_screened: bool = pa.Field(
        description="DPAN: een Hulpvraag- of Toestemming-cel is ingevuld (geldt als screening)."
    )
    source_file: str = pa.Field(
        description="Bestand (pad binnen raw/) waaruit het ontslag van de periode komt; zonder ontslag het eerste bestand waarin de periode voorkomt."
    )

    class Config:
        name = "staging.detentions"
        description = "Eén rij per detentieperiode uit JustID en DPAN samen, gepseudonimiseerd."

    @pa.dataframe_check(description="Ontslag nooit vóór insluiting")
    def release_after_admission(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(
            pl.col("release_date").is_null() | (pl.col("release_date") >= pl.col("admission_date"))
        )

    @pa.dataframe_check(description="Een ontslag heeft een ontslagdatum")
    def release_has_date(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("is_release") == pl.col("release_date").is_not_null())
