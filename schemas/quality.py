"""Models of the ``quality`` tables."""

from __future__ import annotations

import datetime as dt

import pandera.polars as pa
import polars as pl

from schemas.base import TableModel

_PROBLEM_COLUMNS = {
    "file": "Bestand (pad binnen raw/).",
    "row_number": "Rijnummer zoals een mens het in het bestand ziet (spreadsheetrij of CSV-regel).",
    "column_name": "Kolom zoals in de export.",
    "rule": "Code van de regel die is overtreden.",
    "message": "Uitleg in het Nederlands; noemt bestand, rij en kolom, nooit een BSN, naam of geboortedatum.",
}


class FileLedger(TableModel):
    file: str = pa.Field(description="Bestand (pad binnen raw/).")
    sha256: str | None = pa.Field(
        nullable=True,
        str_length={"min_value": 64, "max_value": 64},
        description="SHA-256 van de inhoud: de identiteit van het bestand. Leeg als het bestand niet gelezen is (een koppeling naar een bestand buiten raw/ of naar niets, of een bestand dat verdween).",
    )
    source: str = pa.Field(
        isin=["justid", "dpan", "screening", "caseload", "cohort"],
        description="Bron (map onder raw/).",
    )
    status: str = pa.Field(
        isin=["loaded", "duplicate", "failed"],
        description="loaded, duplicate (dezelfde inhoud onder een andere naam) of failed.",
    )
    rows_read: int | None = pa.Field(
        nullable=True,
        ge=0,
        description="Gelezen gegevensrijen (zonder titel-, kop-, lege en Totaal-rijen).",
    )
    rows_loaded: int | None = pa.Field(
        nullable=True,
        ge=0,
        description="Geladen rijen (ook als ze al uit een overlappende export bekend waren).",
    )
    rows_rejected: int | None = pa.Field(
        nullable=True, ge=0, description="Afgewezen rijen (zie quality.rejected_rows)."
    )
    error: str | None = pa.Field(
        nullable=True, description="Waarom het bestand niet gelezen kon worden."
    )
    extra_columns: str | None = pa.Field(
        nullable=True, description="Onbekende extra kolommen die zijn genegeerd."
    )

    class Config:
        name = "quality.file_ledger"
        description = "Eén rij per invoerbestand van de run: status en aantallen."

    @pa.dataframe_check(description="rows_read = rows_loaded + rows_rejected")
    def ledger_balances(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(
            (pl.col("status") != "loaded")
            | (pl.col("rows_read") == pl.col("rows_loaded") + pl.col("rows_rejected"))
        )


class RejectedRows(TableModel):
    source: str = pa.Field(description="Bron (map onder raw/).")
    file: str = pa.Field(description=_PROBLEM_COLUMNS["file"])
    sheet: str | None = pa.Field(nullable=True, description="Tabblad (Excel).")
    row_number: int = pa.Field(ge=1, description=_PROBLEM_COLUMNS["row_number"])
    column_name: str = pa.Field(description=_PROBLEM_COLUMNS["column_name"])
    rule: str = pa.Field(description=_PROBLEM_COLUMNS["rule"])
    message: str = pa.Field(description=_PROBLEM_COLUMNS["message"])

    class Config:
        name = "quality.rejected_rows"
        description = "Afgewezen rijen: niet geladen, met de reden."


class RowWarnings(RejectedRows):
    class Config:
        name = "quality.row_warnings"
        description = "Rijen die wel zijn geladen maar waarvan een veld terzijde is gelegd (bijvoorbeeld een onbekende gemeente)."


class ReleasesWithoutMunicipality(TableModel):
    year: int = pa.Field(description="Jaar van ontslag.")
    persons: int = pa.Field(
        ge=0,
        description="Personen van wie het laatste ontslag in het jaar geen gemeente heeft (geen vaste woon- of verblijfplaats): zij tellen in geen enkele regio mee.",
    )

    class Config:
        name = "quality.releases_without_municipality"
        description = "Ontslagen die in geen gemeente te plaatsen zijn, per jaar."


class RegionFiles(TableModel):
    region: str = pa.Field(description="Regio waarvoor de rijen van het bestand meetellen.")
    source: str = pa.Field(
        isin=["justid", "dpan", "caseload", "cohort"],
        description="Bron (map onder raw/).",
    )
    file: str = pa.Field(description="Bestand (pad binnen raw/).")
    rows: int = pa.Field(
        ge=0,
        description="Rijen van het bestand die voor de regio tellen: detentieperioden (JustID, DPAN; naar de gemeente bij ontslag), casussen (registratie) of rijen van de vervolgmeting.",
    )
    first_date: dt.date | None = pa.Field(
        nullable=True,
        description="Vroegste datum in die rijen: ontslag (of de laatste melding als er nog geen ontslag is), aanmelding, of 1 januari van het cohortjaar.",
    )
    last_date: dt.date | None = pa.Field(
        nullable=True,
        description="Laatste datum in die rijen: de laatste melding van een detentie, aanmelding, of 31 december van het cohortjaar.",
    )

    class Config:
        name = "quality.region_files"
        description = "Per regio de invoerbestanden waarvan rijen voor die regio tellen, met het aantal rijen en de periode die ze beslaan (voor de werkmappen: periode van de gegevens en datakwaliteit per regio; een bestand dat meer regio's bedient, staat er per regio)."


class TableBuilds(TableModel):
    table_name: str = pa.Field(unique=True, description="Tabel (schema.tabel).")
    inputs: str = pa.Field(
        description="Vingerafdruk van alles waaruit de tabel is gebouwd: code, sleutel (niet de sleutel zelf), invoerbestanden, query of instellingen, en de inhoud van de tabellen die ze leest."
    )
    content: str = pa.Field(
        description="Vingerafdruk van de inhoud; tabellen die deze tabel lezen, rekenen daarmee."
    )
    fixed_inputs: str | None = pa.Field(
        nullable=True,
        description="Vingerafdruk van het deel van de invoer waaronder een volgende run de tabel mag bijwerken in plaats van opnieuw bouwen (code, sleutel, referentiegegevens; er zijn alleen exports bijgekomen).",
    )
    run_id: str = pa.Field(description="Dagster-run die de tabel zo heeft gebouwd.")
    built_at: dt.datetime = pa.Field(description="Tijdstip van die build (UTC).")
    rows: int | None = pa.Field(nullable=True, ge=0, description="Aantal rijen na de build.")
    checked: str | None = pa.Field(
        nullable=True,
        description="Vingerafdruk van inhoud en code waarvoor de Pandera-controle van deze build slaagde; een herbouw met dezelfde inhoud en code hoeft niet opnieuw gecontroleerd te worden. Leeg: niet geslaagd.",
    )
    parts: str | None = pa.Field(
        nullable=True,
        description="De delen van de invoervingerafdruk (JSON: code, sleutel, exports of query, inhoud per gelezen tabel), waarmee een volgende run in het log zegt waarom hij de tabel opnieuw bouwt.",
    )

    class Config:
        name = "quality.table_builds"
        description = "Per tabel de run die haar heeft gebouwd en waaruit; een run bouwt een tabel alleen opnieuw als iets daarvan veranderd is (het resultaat is gelijk aan een volledige herbouw)."
