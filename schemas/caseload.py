"""Models of the case registration: ``staging.cases`` and the five caseload KPI tables."""

from __future__ import annotations

import datetime as dt

import pandera.polars as pa
import polars as pl

from schemas.base import TableModel, region_field, share_field, year_complete_field, year_field

MUNICIPALITY_CODE = r"^(GM\d{4}|OVERIG)$"
MEASURES = [
    "profile_made",
    "enriched_network_round",
    "enriched_any",
    "life_domain_support",
    "case_conference",
    "repeat_detention",
]
LIFE_DOMAINS = ["id", "housing", "work_income", "debts", "care"]
CONFERENCE_TYPES = ["veelpleger", "huiselijk_geweld", "casus_op_maat"]

_REGION = "Regio van het Zorg- en Veiligheidshuis (weergavenaam)."
_YEAR = "Jaar van Datum aanmelding van de casus (het caseloadjaar)."


def _unique_per(data, keys: list[str]) -> pl.LazyFrame:
    return data.lazyframe.select(~pl.struct(keys).is_duplicated())


class Cases(TableModel):
    region: str = region_field(
        "Regio van het veiligheidshuis, uit de eerste map onder raw/caseload (gooi-en-vechtstreek is Gooi en Vechtstreek)."
    )
    case_number: str = pa.Field(
        description="Casusnummer zoals in de registratie; uniek binnen de regio."
    )
    person_key: str = pa.Field(
        str_length={"min_value": 64, "max_value": 64},
        description="Pseudoniem van de persoon (HMAC-SHA256 van het BSN met een geheime sleutel).",
    )
    municipality_code: str = pa.Field(
        str_matches=MUNICIPALITY_CODE,
        description="CBS-code van de gemeente (Gemeente) op de datum van aanmelding; OVERIG als Gemeente leeg, 'Overig', onbekend of buiten de regio is.",
    )
    municipality_name: str = pa.Field(
        description="Naam van die gemeente zoals ze op de datum van aanmelding bestond (Bussum in 2013); 'Overig' bij OVERIG."
    )
    registration_date: dt.date = pa.Field(
        description="Datum aanmelding; het jaar hiervan is het caseloadjaar."
    )
    outflow_date: dt.date | None = pa.Field(
        nullable=True, description="Datum uitstroom zoals in de registratie (leeg: niet ingevuld)."
    )
    source_channel: str | None = pa.Field(
        nullable=True,
        description="Bron van de aanmelding (Bron): DPAN, JustID, Ketenpartner, Reclassering of anders.",
    )
    has_profile: bool = pa.Field(
        description="Waar als na screening een risicoprofiel is opgesteld (Profiel = Ja)."
    )
    enrichment: str | None = pa.Field(
        nullable=True,
        isin=["Nee", "Bilateraal", "Netwerkronde"],
        description="Verrijking van de casusinformatie: Nee, Bilateraal of Netwerkronde; leeg als niet ingevuld.",
    )
    support_id: bool = pa.Field(
        description="Inzet ID: de coördinator heeft ingezet op een identiteitsbewijs (x of Ja)."
    )
    support_housing: bool = pa.Field(
        description="Inzet huisvesting: de coördinator heeft ingezet op huisvesting."
    )
    support_work_income: bool = pa.Field(
        description="Inzet werk/inkomen: de coördinator heeft ingezet op werk en inkomen."
    )
    support_debts: bool = pa.Field(
        description="Inzet schulden: de coördinator heeft ingezet op schulden."
    )
    support_care: bool = pa.Field(description="Inzet zorg: de coördinator heeft ingezet op zorg.")
    has_life_domain_support: bool = pa.Field(
        description="Waar als ten minste één Inzet-kolom is aangekruist (actieve inzet op leefgebieden)."
    )
    case_conference: str | None = pa.Field(
        nullable=True,
        isin=["Geen", "Veelplegeroverleg", "Scenario-overleg huiselijk geweld", "Casus op Maat"],
        description="Casusoverleg zoals in de registratie: Geen, Veelplegeroverleg, Scenario-overleg huiselijk geweld of Casus op Maat; leeg als niet ingevuld.",
    )
    nazorg_plus: str | None = pa.Field(
        nullable=True,
        isin=["Nee", "Aangemeld", "Gestart"],
        description="Nazorg-plus: Nee, Aangemeld (intake zonder blijvend traject) of Gestart (traject gestart); leeg als niet ingevuld.",
    )
    trajectory_start_date: dt.date | None = pa.Field(
        nullable=True, description="Startdatum van het nazorg-plus traject."
    )
    trajectory_end_date: dt.date | None = pa.Field(
        nullable=True,
        description="Einddatum van het nazorg-plus traject (leeg: loopt nog, niet ingevuld, of vóór de start en daarom terzijde gelegd).",
    )
    intensity: str | None = pa.Field(
        nullable=True,
        isin=["Intensief", "Regulier", "Weinig verbinding"],
        description="Intensiteit van het traject: Intensief, Regulier of Weinig verbinding.",
    )
    source_file: str = pa.Field(
        description="Bestand (pad binnen raw/) waaruit deze rij komt: bij meerdere exports het bestand dat achteraan sorteert."
    )
    sheet: str | None = pa.Field(nullable=True, description="Tabblad van die rij.")
    source_row: int = pa.Field(ge=1, description="Rijnummer in dat tabblad zoals Excel het toont.")

    class Config:
        name = "staging.cases"
        description = "Eén rij per casus van de casusregistratie van het veiligheidshuis, gepseudonimiseerd; zonder naam, BSN of opmerkingen."

    @pa.dataframe_check(description="Casusnummer is uniek binnen de regio")
    def case_number_unique_per_region(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(
            ~pl.struct(
                "region", pl.col("case_number").str.to_uppercase().str.replace_all(r"\s", "")
            ).is_duplicated()
        )

    @pa.dataframe_check(description="Einddatum traject nooit vóór Startdatum traject")
    def trajectory_end_after_start(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(
            (pl.col("trajectory_end_date") >= pl.col("trajectory_start_date")).fill_null(True)
        )

    @pa.dataframe_check(description="OVERIG heet Overig")
    def overig_is_named_overig(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(
            (pl.col("municipality_code") == "OVERIG") == (pl.col("municipality_name") == "Overig")
        )


class Caseload(TableModel):
    region: str = region_field(_REGION)
    year: int = year_field(_YEAR)
    municipality_code: str = pa.Field(
        str_matches=MUNICIPALITY_CODE,
        description="CBS-code van de gemeente uit de kolom Gemeente, op de datum van aanmelding; OVERIG voor leeg, 'Overig', onbekend of buiten de regio.",
    )
    municipality_name: str = pa.Field(
        description="Naam van die gemeente zoals ze toen bestond (Bussum in 2013); 'Overig' bij OVERIG."
    )
    cases: int = pa.Field(
        ge=1,
        description="Aantal casussen (rijen van de registratie) met Datum aanmelding in het jaar.",
    )
    persons: int = pa.Field(
        ge=1,
        description="Aantal unieke personen onder die casussen (een persoon kan meer casussen hebben).",
    )
    share: float = share_field(
        "Aandeel: cases gedeeld door alle casussen van de regio in het jaar (fractie 0–1, onafgerond)."
    )

    year_complete: bool = year_complete_field(
        "het jaar van Datum aanmelding",
        "de casusregistratie van het veiligheidshuis: eerste tot laatste datum erin (aanmelding, uitstroom, traject)",
    )

    class Config:
        name = "kpi.caseload"
        description = "Caseload per gemeente per jaar (Tabel 1, evaluatie Gooi en Vechtstreek): casussen van de casusregistratie van het veiligheidshuis naar jaar van aanmelding."

    @pa.dataframe_check(description="Aandelen tellen per regio en jaar op tot 1")
    def shares_sum_to_one(cls, data) -> pl.LazyFrame:
        sums = data.lazyframe.group_by("region", "year").agg(pl.col("share").sum().alias("s"))
        return sums.select((pl.col("s") - 1).abs() < 1e-9)

    @pa.dataframe_check(description="Eén rij per regio, jaar en gemeente")
    def one_row_per_municipality(cls, data) -> pl.LazyFrame:
        return _unique_per(data, ["region", "year", "municipality_code"])

    @pa.dataframe_check(description="Nooit meer personen dan casussen")
    def persons_at_most_cases(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("persons") <= pl.col("cases"))


class Coordination(TableModel):
    region: str = region_field(_REGION)
    year: int = year_field(_YEAR)
    measure: str = pa.Field(
        isin=MEASURES,
        description="Maat: profile_made (Profiel = Ja), enriched_network_round (Verrijking = Netwerkronde), enriched_any (Bilateraal of Netwerkronde), life_domain_support (ten minste één Inzet-kolom), case_conference (Casusoverleg anders dan Geen/leeg), repeat_detention (casussen van personen met meer dan één casus in het jaar).",
    )
    numerator: int = pa.Field(
        ge=0, description="Aantal casussen in het jaar dat aan de maat voldoet."
    )
    outflow: int | None = pa.Field(
        nullable=True,
        ge=0,
        description="Uitstroom van de regio in het jaar (totaal van kpi.outflow); leeg als er geen uitstroomgegevens zijn.",
    )
    caseload: int = pa.Field(
        ge=1, description="Caseload van de regio in het jaar (totaal van kpi.caseload)."
    )
    rate_of_outflow: float | None = pa.Field(
        nullable=True,
        ge=0,
        description="numerator gedeeld door outflow (fractie, onafgerond; kan boven 1 komen omdat de caseload groter kan zijn dan de uitstroom). De evaluatie gebruikt deze noemer voor profiel en casusoverleg. Leeg als outflow leeg of 0 is.",
    )
    rate_of_caseload: float | None = pa.Field(
        nullable=True,
        ge=0,
        le=1,
        description="numerator gedeeld door caseload (fractie 0–1, onafgerond). De evaluatie gebruikt deze noemer voor netwerkronde, inzet op leefgebieden en meermaals gedetineerden.",
    )
    is_registered: bool = pa.Field(
        description="Onwaar als de registratie de maat in dit regio-jaar helemaal niet bijhoudt: nergens een waarde bij Verrijking (beide verrijkingsmaten), of nergens 'Bilateraal' (bilateraal of netwerkronde is dan alleen de netwerkronde). De werkmap toont dan 'niet geregistreerd' in plaats van een aantal.",
    )

    year_complete: bool = year_complete_field(
        "het jaar van Datum aanmelding",
        "de casusregistratie van het veiligheidshuis: eerste tot laatste datum erin (aanmelding, uitstroom, traject); en voor outflow en rate_of_outflow ook de detentiegegevens (kpi.outflow.year_complete)",
    )

    class Config:
        name = "kpi.coordination"
        description = "Output van de coördinatie nazorg per regio en jaar (§2.4 evaluatie Gooi en Vechtstreek), met beide noemers: uitstroom en caseload."

    @pa.dataframe_check(description="Eén rij per regio, jaar en maat")
    def one_row_per_measure(cls, data) -> pl.LazyFrame:
        return _unique_per(data, ["region", "year", "measure"])


class LifeDomainSupport(TableModel):
    region: str = region_field(_REGION)
    year: int = year_field(_YEAR)
    life_domain: str = pa.Field(
        isin=LIFE_DOMAINS,
        description="Leefgebied: id (identiteitsbewijs), housing (huisvesting), work_income (werk en inkomen), debts (schulden), care (zorg).",
    )
    cases: int = pa.Field(
        ge=0,
        description="Casussen met een kruisje (x, X of Ja) in de Inzet-kolom van dit leefgebied; een casus kan op meer leefgebieden inzet hebben.",
    )

    year_complete: bool = year_complete_field(
        "het jaar van Datum aanmelding",
        "de casusregistratie van het veiligheidshuis: eerste tot laatste datum erin (aanmelding, uitstroom, traject)",
    )

    class Config:
        name = "kpi.life_domain_support"
        description = "Actieve inzet van de coördinator per leefgebied, per regio en jaar van aanmelding (§2.4 evaluatie Gooi en Vechtstreek)."

    @pa.dataframe_check(description="Eén rij per regio, jaar en leefgebied")
    def one_row_per_domain(cls, data) -> pl.LazyFrame:
        return _unique_per(data, ["region", "year", "life_domain"])


class CaseConferences(TableModel):
    region: str = region_field(_REGION)
    year: int = year_field(_YEAR)
    conference_type: str = pa.Field(
        isin=CONFERENCE_TYPES,
        description="Soort casusoverleg: veelpleger (Veelplegeroverleg), huiselijk_geweld (Scenario-overleg huiselijk geweld), casus_op_maat (Casus op Maat).",
    )
    cases: int = pa.Field(
        ge=0, description="Casussen met dit casusoverleg in de kolom Casusoverleg."
    )

    year_complete: bool = year_complete_field(
        "het jaar van Datum aanmelding",
        "de casusregistratie van het veiligheidshuis: eerste tot laatste datum erin (aanmelding, uitstroom, traject)",
    )

    class Config:
        name = "kpi.case_conferences"
        description = "Casussen waarin een casusoverleg is ingezet, per soort overleg, regio en jaar van aanmelding."

    @pa.dataframe_check(description="Eén rij per regio, jaar en soort overleg")
    def one_row_per_type(cls, data) -> pl.LazyFrame:
        return _unique_per(data, ["region", "year", "conference_type"])


class OutflowCaseloadReconciliation(TableModel):
    region: str = region_field(_REGION)
    year: int = year_field(
        "Jaar: jaar van ontslag voor de uitstroom, jaar van aanmelding voor de caseload."
    )
    municipality_code: str = pa.Field(
        str_matches=MUNICIPALITY_CODE,
        description="CBS-code van de gemeente; OVERIG voor casussen zonder gemeente in de regio.",
    )
    municipality_name: str = pa.Field(description="Naam van de gemeente zoals ze toen bestond.")
    outflow_persons: int = pa.Field(
        ge=0,
        description="Uitgestroomde personen (kpi.outflow.persons); 0 als de gemeente daar ontbreekt.",
    )
    caseload_cases: int = pa.Field(
        ge=0, description="Casussen (kpi.caseload.cases); 0 als de gemeente daar ontbreekt."
    )
    difference: int = pa.Field(
        description="caseload_cases min outflow_persons; negatief: minder casussen dan uitgestroomden, een registratieverschil dat aandacht verdient."
    )

    year_complete: bool = year_complete_field(
        "het jaar van ontslag voor de uitstroom en van aanmelding voor de caseload",
        "beide registraties: waar als kpi.outflow en kpi.caseload het jaar allebei compleet hebben",
    )

    class Config:
        name = "kpi.outflow_caseload_reconciliation"
        description = "Uitstroom (DPAN/JustID) en caseload (registratie veiligheidshuis) naast elkaar per gemeente, voor regio-jaren waarin beide registraties gegevens hebben."

    @pa.dataframe_check(description="difference = caseload_cases − outflow_persons")
    def difference_adds_up(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(
            pl.col("difference") == pl.col("caseload_cases") - pl.col("outflow_persons")
        )

    @pa.dataframe_check(description="Eén rij per regio, jaar en gemeente")
    def one_row_per_municipality(cls, data) -> pl.LazyFrame:
        return _unique_per(data, ["region", "year", "municipality_code"])
