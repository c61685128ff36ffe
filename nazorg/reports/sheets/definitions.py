"""Definities: every figure of the workbook in words, with numerator and denominator,
how percentages are rounded and whether small numbers are shielded."""

from __future__ import annotations

from nazorg.reports.layout.sheet import SheetWriter
from nazorg.reports.layout.tables import Col, flat_table
from nazorg.reports.report import Report

NAME = "Definities"
SUMMARY = "Elk cijfer in gewone woorden: wat wordt geteld en waardoor gedeeld"

#: One row per figure: (Cijfer, Teller, Noemer, Toelichting).
DEFINITIONS: tuple[tuple[str, str, str, str], ...] = (
    (
        "Uitstroom (aantal)",
        "Personen met minstens één ontslag uit detentie in het jaar (geen overplaatsing of "
        "verlof), geteld in de gemeente van hun laatste ontslag dat jaar",
        "-",
        "Bron: detentiemeldingen (DPAN, later JustID). Ontslagen zonder bekende gemeente "
        "tellen in geen enkele regio mee; zie Datakwaliteit.",
    ),
    (
        "Uitstroom (%)",
        "Uitstroom van de gemeente",
        "Uitstroom van de hele regio in hetzelfde jaar",
        "",
    ),
    (
        "Caseload (aantal)",
        "Casussen in de registratie van het Zorg- en Veiligheidshuis met datum aanmelding "
        "in het jaar",
        "-",
        "Eén persoon kan meer casussen in een jaar hebben. Een lege, onbekende of "
        "niet-regionale gemeente telt als Overig. Caseload en uitstroom komen uit "
        "verschillende registraties en kunnen daardoor per gemeente verschillen.",
    ),
    (
        "Caseload (%)",
        "Caseload van de gemeente",
        "Caseload van de hele regio in hetzelfde jaar",
        "",
    ),
    (
        "Profiel opgesteld",
        "Casussen met Profiel = Ja",
        "Uitstroom én caseload van de regio in het jaar (beide getoond)",
        "De evaluatie van Gooi en Vechtstreek deelt dit door de uitstroom.",
    ),
    (
        "Verrijkt via netwerkronde",
        "Casussen met Verrijking = Netwerkronde",
        "Uitstroom én caseload (beide getoond)",
        "De evaluatie deelt dit door de caseload.",
    ),
    (
        "Verrijkt (bilateraal of netwerkronde)",
        "Casussen met Verrijking = Bilateraal of Netwerkronde",
        "Uitstroom én caseload (beide getoond)",
        "",
    ),
    (
        "Actieve inzet op leefgebieden",
        "Casussen met minstens één markering 'Inzet …'",
        "Uitstroom én caseload (beide getoond)",
        "De evaluatie deelt dit door de caseload.",
    ),
    (
        "Casusoverleg ingezet",
        "Casussen met een casusoverleg (anders dan Geen of leeg)",
        "Uitstroom én caseload (beide getoond)",
        "De evaluatie deelt dit door de uitstroom.",
    ),
    (
        "Casussen van personen met meer dan één casus in het jaar",
        "Casussen van personen die in dat jaar meer dan één casus hebben",
        "Uitstroom én caseload (beide getoond)",
        "Personen die vaker gedetineerd waren, waarvoor op verschillende momenten inzet "
        "is gevraagd.",
    ),
    (
        "Inzet per leefgebied",
        "Casussen met inzet van de coördinator op dat leefgebied",
        "-",
        "Een casus kan inzet op meer leefgebieden hebben; de rijen tellen daarom niet op "
        "tot het aantal casussen met inzet.",
    ),
    (
        "Casusoverleg per soort",
        "Casussen met dat soort casusoverleg",
        "-",
        "Totaal = som van de soorten.",
    ),
    (
        "Wens tot ondersteuning bij intake (%)",
        "Screeningsformulieren met 'Ja' voor het leefgebied",
        "Formulieren met 'Ja' of 'Nee' voor dat leefgebied (beantwoord)",
        "Naar jaar van insluiting. 'Onbekend' en leeg tellen niet als antwoord. "
        "Formulieren uit de DPAN-periode hebben geen vraag over het sociaal netwerk.",
    ),
    (
        "Gescreend (%)",
        "Detenties met een screeningsformulier (in de DPAN-periode: ingevulde Hulpvraag "
        "of Toestemming)",
        "Detenties met een ontslag in het jaar in een gemeente van de regio",
        "",
    ),
    (
        "Geen toestemming (%)",
        "Gescreende detenties waarin toestemming met 'Nee' is beantwoord",
        "Gescreende detenties",
        "",
    ),
    (
        "Bereik nazorg-plus: personen per fase",
        "Uitgestroomd uit PI: uitstroom van de regio in het cohortjaar; bruto instroom: "
        "personen met een nazorg-plus-casus (aangemeld of gestart) aangemeld in het jaar; "
        "traject gestart: personen met een gestart traject; steekproef, benaderd en "
        "geïnterviewd: de vervolgmeting",
        "-",
        "De fasen zijn niet per se genest: iemand kan een traject starten terwijl hij nog "
        "gedetineerd is.",
    ),
    (
        "% van uitgestroomd",
        "Personen in de fase",
        "Uitgestroomde personen van de regio in het cohortjaar",
        "",
    ),
    (
        "% van vorige fase",
        "Personen in de fase",
        "Personen in de fase erboven",
        "",
    ),
    (
        "Extrapolatiefactor",
        "Cohortgrootte N (traject gestart)",
        "Steekproefgrootte n (geïnterviewd, niet getrokken)",
        "Alle steekproefbedragen worden met deze factor naar het cohort opgehoogd.",
    ),
    (
        "Bedrag per jaar (steekproef)",
        "Jaarlijks bedrag voor de geïnterviewde steekproef",
        "-",
        "Leeg voor eenmalige posten en voor de investeringen in casussen.",
    ),
    (
        "Steekproef, periode",
        "Bedrag van de steekproef over de meegetelde jaren",
        "-",
        "Verdisconteerd als een discontovoet is ingesteld (jaar 1 niet).",
    ),
    (
        "Cohort (geëxtrapoleerd)",
        "Steekproefbedrag over de periode × extrapolatiefactor",
        "-",
        "Voor de salariskosten: het salaris zelf, één keer per cohortjaar.",
    ),
    (
        "Salariskosten nazorg-plus coördinator",
        "Salaris van de coördinator voor één cohortjaar",
        "-",
        "Kosten, één keer geteld.",
    ),
    (
        "Investeringen in casussen",
        "Som van de eenmalige kosten van de geïnterviewde casussen",
        "-",
        "Kosten (inrichting woning, ID-kaart, opleiding e.d.).",
    ),
    (
        "Vermeden delictschade (variant A)",
        "(verwachte − waargenomen delicten) ÷ observatiejaren × schade per delict × "
        "correctie kleine steekproef",
        "-",
        "Verwacht: geïnterviewden × recidive referentiegroep × delicten per recidivist.",
    ),
    (
        "Vermeden politie-inzet (variant B)",
        "Vermeden politie-incidenten per jaar × uren per incident × uurtarief × correctie "
        "kleine steekproef",
        "-",
        "",
    ),
    (
        "Vermeden detentiedagen (variant B)",
        "Vermeden detentiedagen per jaar × kosten per detentiedag",
        "-",
        "",
    ),
    (
        "Vermeden uitkeringskosten (blijvend werk)",
        "Per casus: vermeden uitkeringsmaanden per jaar × kosten per maand × toerekening, "
        "afgerond op 1.000 euro",
        "-",
        "Geteld voor het ingestelde aantal jaren blijvend werk.",
    ),
    (
        "Vermeden uitkeringskosten (eenmalig)",
        "Per casus: eenmalig vermeden uitkeringsmaanden × kosten per maand × toerekening, "
        "afgerond op 1.000 euro",
        "-",
        "Werk dat niet blijvend was.",
    ),
    (
        "Totale kosten / totale baten",
        "Som van de kosten- of batenposten van de variant (cohort)",
        "-",
        "Variant A rekent met vermeden delictschade, variant B met vermeden politie-inzet "
        "en detentiedagen; kosten en werkposten staan in beide.",
    ),
    ("Saldo", "Totale baten − totale kosten", "-", ""),
    (
        "Baten-kostenverhouding",
        "Totale baten",
        "Totale kosten",
        "Boven 1: de baten zijn groter dan de kosten.",
    ),
    (
        "Verhouding zonder uitkeringsposten",
        "Totale baten zonder de twee posten vermeden uitkeringskosten",
        "Totale kosten",
        "Uitkeringen zijn in strikte welvaartszin een overdracht; dit is de voorzichtigste lezing.",
    ),
    (
        "Gevoeligheid",
        "Baten-kostenverhouding als één parameter de getoonde waarde heeft",
        "-",
        "Alle andere parameters houden hun waarde.",
    ),
    (
        "Verhouding 1 bij (break-even)",
        "Waarde van de parameter waarbij de baten-kostenverhouding precies 1 is",
        "-",
        "'geen': de verhouding blijft over het hele onderzochte bereik aan dezelfde kant van 1.",
    ),
    (
        "Onzekerheidsinterval (5%, mediaan, 95%)",
        "5e, 50e en 95e percentiel van de baten-kostenverhouding",
        "Over het getoonde aantal trekkingen",
        "De geïnterviewde casussen worden met teruglegging opnieuw getrokken; salaris en "
        "extrapolatiefactor blijven vast.",
    ),
    (
        "Herdetentie: heropgenomen binnen 2 jaar",
        "Personen met een nieuwe insluiting binnen 730 dagen na hun eerste ontslag in het "
        "uitstroomjaar",
        "-",
        "Heropname in detentie, geen recidive in de zin van de WODC-recidivemonitor "
        "(nieuwe veroordelingen). Geen causaal effect: de groepen verschillen in wie voor "
        "nazorg-plus is geselecteerd.",
    ),
    (
        "Herdetentie: % heropgenomen (prevalentie)",
        "Heropgenomen personen",
        "Uitgestroomde personen van de groep",
        "",
    ),
    (
        "Herdetentie: detenties per persoon (incidentie)",
        "Nieuwe detenties binnen 2 jaar",
        "Uitgestroomde personen van de groep",
        "",
    ),
    (
        "Herdetentie: venster compleet",
        "-",
        "-",
        "'nee': de laatste melding ligt minder dan 730 dagen na het laatste ontslag van dat "
        "jaar; de cijfers kunnen dan nog stijgen.",
    ),
    (
        "Verwachte delicten",
        "Geïnterviewden × recidive van de referentiegroep × delicten per recidivist, "
        "afgerond op hele delicten",
        "-",
        "De recidive van een referentiegroep (WODC), geen controlegroep.",
    ),
    (
        "Vermeden delicten (per jaar)",
        "Verwachte − waargenomen delicten van de geïnterviewden (per jaar: gedeeld door de "
        "jaren van de vervolgperiode)",
        "-",
        "Per jaar × schade per delict × correctie voor de kleine steekproef = de post "
        "vermeden delictschade per jaar (variant A).",
    ),
    (
        "Verblijfsduur (aantal, %)",
        "Detenties die in het jaar met ontslag zijn geëindigd, naar dagen tussen insluiting "
        "en ontslag: t/m 7, 8 t/m 28, 29 t/m 120, meer dan 120",
        "Alle detenties van de regio die in het jaar zijn geëindigd",
        "Detenties, geen personen. Binnen 4 weken = t/m 28 dagen; vanaf 4 maanden detentie "
        "gaat de woning verloren.",
    ),
    (
        "Screening: % met formulier",
        "Insluitingen met een screeningsformulier",
        "Insluitingen van de regio in het jaar",
        "",
    ),
    (
        "Screening: % binnen 5 dagen",
        "Insluitingen waarvan het eerste formulier ten hoogste 5 kalenderdagen na de "
        "insluiting is gedateerd",
        "Insluitingen met een formulier",
        "De formulierdatum staat in voor het eerste gesprek; geen registratie legt dat "
        "gesprek zelf vast.",
    ),
    (
        "Screening: mediaan (dagen)",
        "Middelste aantal dagen van insluiting tot het eerste formulier",
        "Over de insluitingen met een formulier",
        "",
    ),
    (
        "Doelgroepen",
        "Jonger dan 27: uitstroomjaar − geboortejaar t/m 26; veelterugkeerders: meer dan 3 "
        "insluitingen in 5 jaar; met hulpvraag: minstens één leefgebied met 'ja' bij de "
        "screening",
        "-",
        "Iemand kan in meer doelgroepen vallen.",
    ),
    (
        "Doelgroep: % bereikt",
        "Personen van de doelgroep met een casus bij het Zorg- en Veiligheidshuis, "
        "aangemeld in het uitstroomjaar of de 90 dagen erna",
        "Uitgestroomde personen van de doelgroep",
        "Bereikt zegt niet wat er is gedaan en niet dat het effect had.",
    ),
)


def absent(report: Report) -> str | None:
    return None


def shielding_statement(threshold: int) -> str:
    if not threshold:
        return (
            "Kleine aantallen: niet afgeschermd (alleen voor intern gebruik; "
            "NAZORG_SUPPRESSION_THRESHOLD=0)."
        )
    return (
        f"Kleine aantallen: afgeschermd (drempel {threshold}). Aantallen van 1 tot en met "
        f"{threshold - 1} staan als '<{threshold}' en het percentage ernaast is leeg; waar "
        "een totaal één afgeschermd aantal zou verraden, is ook het eerstvolgende kleinste "
        "aantal afgeschermd ('x'). Bedragen en verhoudingen van de MKBA worden niet afgeschermd."
    )


def write(sw: SheetWriter, report: Report) -> None:
    table = flat_table(
        [dict(zip(("f", "t", "n", "e"), row, strict=True)) for row in DEFINITIONS],
        [
            Col("Cijfer", "text", "f"),
            Col("Teller (wat wordt geteld)", "text", "t"),
            Col("Noemer (waardoor gedeeld)", "text", "n"),
            Col("Toelichting", "text", "e"),
        ],
    )
    sw.table(
        table,
        title="Definities van de cijfers",
        subtitle="Wat elk cijfer in deze werkmap telt; '-' = geen noemer (een aantal).",
        source=report.source(
            "definities van de evaluaties Gooi en Vechtstreek (2014) en Limburg (2023)"
        ),
        notes=[
            "Percentages zijn normaal afgerond (vanaf ,5 naar boven); een kolom kan daardoor "
            "optellen tot 99% of 101%. <1%: meer dan nul, maar minder dan een half procent.",
            "Bedragen in euro's (prijspeil van de analyse), afgerond op hele euro's; "
            "verhoudingen op twee decimalen.",
            "'-': geen registratie voor deze rij in dat jaar. 'niet geregistreerd': de "
            "registratie houdt dit cijfer in dat jaar niet bij.",
            shielding_statement(report.ctx.threshold),
        ],
        shielded=False,
    )
    for col, width in ((1, 20), (2, 30), (3, 22), (4, 30)):
        sw.fix_width(col, width)
