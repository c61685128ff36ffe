"""Demo exports of the veiligheidshuis case registration (``raw/caseload/<region>/``).

Gooi en Vechtstreek, 2013 (the evaluation of 2014, Tabel 1 and §2.4): 325 cases in 2013
per municipality exactly as published, including ``Overig`` 11; 39 cases of 19 persons
with more than one case in the year; profile 115, network round 65, life-domain support
36 (housing 24, work/income 22, debts 15, care 12, ID 2), case conferences 44
veelpleger + 7 huiselijk geweld. Most cases belong to persons released in 2013 (placed
where they actually live, which is not always where DPAN placed them: Blaricum and
Muiden end up with fewer cases than released persons, as the report noticed); the rest
to persons released without a fixed address (not in any outflow), persons released
outside the region, and persons who were never in the DPAN outflow.

Midden-Limburg, 2020 (the Limburg evaluation): one ``Gestart`` case for each of the 69
persons of the cohort (``ML-2020-001``…``069``), one ``Aangemeld`` case for each of the
24 persons of the gross intake without a trajectory (``070``…``093``), and ordinary
cases (``Nee``) for part of the other released persons and a few others.

Quirks of a hand-kept register: title rows above the header, a sheet per year (newest
first) and a legend sheet without a header, a ``Totaal`` row below an empty row, dates
as real date cells and typed as text (``05-02-2013``, ``5-2-2013``), marks ``x``, ``X``
and ``Ja``, BSNs stored as numbers (leading zero lost), municipality names in capitals,
with ``Gemeente`` or ``(NH)``, one misspelled; free-text remarks; a cumulative
re-export (the April export is superseded by the January export); and a row pasted
twice (the second is rejected).

Why one module of over 500 lines: a generator of synthetic demo data, outside the
nightly product (the product never imports it); the two regions' registers are drawn
from the one population and written by the same row and sheet writers.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field, replace
from pathlib import Path

from openpyxl import Workbook

from nazorg.demo.files import save_workbook
from nazorg.demo.persons import Person
from nazorg.demo.population import (
    GOOI,
    MIDDEN_LIMBURG,
    SPARE_SLICES,
    Population,
    ml_case_number,
)

HEADER = [
    "Casusnummer",
    "BSN",
    "Naam",
    "Gemeente",
    "Datum aanmelding",
    "Datum uitstroom",
    "Bron",
    "Profiel",
    "Verrijking",
    "Inzet ID",
    "Inzet huisvesting",
    "Inzet werk/inkomen",
    "Inzet schulden",
    "Inzet zorg",
    "Casusoverleg",
    "Nazorg-plus",
    "Startdatum traject",
    "Einddatum traject",
    "Intensiteit",
    "Opmerkingen",
]
# The register got its nazorg-plus columns later in 2013: the April export lacks them.
EARLY_HEADER = [h for h in HEADER if h not in HEADER[15:19]]
DOMAINS = ("id", "housing", "work_income", "debts", "care")

# --- the published figures (kpi-method.md part A) -------------------------------------

GOOI_CASELOAD_2013 = {
    "Hilversum": 177,
    "Bussum": 45,
    "Huizen": 35,
    "Weesp": 27,
    "Wijdemeren": 10,
    "Naarden": 11,
    "Blaricum": 1,
    "Laren": 6,
    "Muiden": 2,
    "Overig": 11,
}
GOOI_PROFILE = 115
GOOI_NETWORK_ROUND = 65
GOOI_DOMAIN_SUPPORT = 36
GOOI_DOMAINS = {"housing": 24, "work_income": 22, "debts": 15, "care": 12, "id": 2}
GOOI_VEELPLEGER = 44
GOOI_HUISELIJK_GEWELD = 7

# --- our choices behind them ----------------------------------------------------------

# Distinct persons per registered municipality and where they come from: released in
# 2013 to that municipality (DPAN), released to another municipality of the region
# (the register records the actual residence), released without a fixed address (in no
# outflow: the report's explanation of caseload > outflow), or never in the DPAN outflow.
GOOI_PERSONS = {
    #            same, {released elsewhere}, no address, spare
    "Hilversum": (150, {"Huizen": 1, "Weesp": 1}, 8, 5),
    "Bussum": (25, {"Muiden": 1, "Naarden": 1}, 8, 7),
    "Huizen": (29, {}, 2, 2),
    "Weesp": (18, {}, 3, 4),
    "Wijdemeren": (6, {}, 2, 2),
    "Naarden": (7, {}, 1, 2),
    "Blaricum": (1, {}, 0, 0),
    "Laren": (1, {"Blaricum": 1}, 1, 3),
    "Muiden": (2, {}, 0, 0),
}
# Overig: (where the person comes from, what the register says in Gemeente).
GOOI_OVERIG = [
    ("released:Hilversum", "Amsterdam"),  # moved out of the region after release
    ("released:Hilversum", "Amsterdam"),
    ("released:Huizen", None),
    ("released_outside:Amsterdam", "Amsterdam"),
    ("released_outside:Utrecht", "Utrecht"),  # not in the reference list: a warning
    ("no_address", None),
    ("no_address", "Overig"),
    ("no_address", "overig"),
    ("spare", "Hilvesum"),  # a typo: unknown, a warning, counted as Overig
    ("spare", "Amsterdam"),
    ("spare", None),
]
# Persons with more than one case in 2013 (12% of the caseload: 39 cases of 19 persons):
# per municipality, how many persons have two cases; the first Hilversum one has three.
GOOI_REPEATS = {"Hilversum": 11, "Bussum": 3, "Huizen": 2, "Weesp": 2, "Naarden": 1}
GOOI_REPEATS_IN_VEELPLEGER = 20

GOOI_EXPORT_EARLY = dt.date(2013, 4, 2)  # the cumulative re-export that is superseded
GOOI_EXPORT_FINAL = dt.date(2014, 1, 10)
DUPLICATED_ROW = 117  # GV-2013-117 pasted twice in the final export

ML_REGULAR_WITH_CASE = 130
ML_SPARE_CASES = 14
ML_INTENSITY = {"Intensief": 30, "Regulier": 25, "Weinig verbinding": 14}

REMARKS = [
    "verblijft tijdelijk bij zijn zus",
    "belt niet terug, via reclassering proberen",
    "schuld bij woningcorporatie, afspraak budgetcoach",
    "wacht op uitkering, aanvraag loopt",
    "ID-kaart aangevraagd bij de gemeente",
    "zwervend bestaan, slaapt soms in de opvang",
    "moeder is contactpersoon",
    "wil graag werk in de bouw",
    "contact met wijkagent gehad",
    "afspraak verslavingszorg staat",
    "nog geen reactie van woningbouw",
    "meldt zich wekelijks bij reclassering",
]


@dataclass
class Case:
    """One row of a register, with the values as they are written."""

    person: Person
    gemeente: str | None
    registered: dt.date
    outflow: dt.date | None = None
    source: str | None = None
    profile: str | None = None
    enrichment: str | None = None
    support: set[str] = field(default_factory=set)
    conference: str | None = None
    nazorg_plus: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    intensity: str | None = None
    remark: str | None = None
    number: str = ""
    tags: set[str] = field(default_factory=set)


def _releases(population: Population, system: str, year: int) -> dict[str, list[dt.date]]:
    """BSN → sorted release dates in ``year`` of that detention system."""
    out: dict[str, list[dt.date]] = {}
    for ep in population.episodes:
        if ep.system == system and ep.is_release and ep.end and ep.end.year == year:
            out.setdefault(ep.person.bsn, []).append(ep.end)
    return {b: sorted(d) for b, d in out.items()}


def _in_year(rng: random.Random, day: dt.date, year: int) -> dt.date:
    """``day`` moved into ``year``: a registration the register puts in the first days of
    January (the register of a year starts then) or on its last day."""
    if day.year < year:
        return dt.date(year, 1, 2) + dt.timedelta(days=rng.randrange(10))
    return min(day, dt.date(year, 12, 31))


def _spelling(rng: random.Random, name: str) -> str:
    """How a hand-kept register writes a municipality."""
    if name == "Laren":
        return rng.choice(["Laren", "Laren (NH)", "Laren NH"])
    roll = rng.random()
    if roll < 0.06:
        return name.upper()
    if roll < 0.1:
        return f"Gemeente {name}"
    if roll < 0.13:
        return f"{name} "
    return name


def _support_sets(rng: random.Random, n: int, counts: dict[str, int]) -> list[set[str]]:
    """``n`` non-empty sets of life domains with the given count per domain."""
    rows = list(range(n))
    chosen = {d: set() for d in counts}
    chosen["housing"] = set(rng.sample(rows, counts["housing"]))
    uncovered = [r for r in rows if r not in chosen["housing"]]
    extra = counts["work_income"] - len(uncovered)
    chosen["work_income"] = set(uncovered) | set(rng.sample(sorted(chosen["housing"]), extra))
    for d in ("debts", "care", "id"):
        chosen[d] = set(rng.sample(rows, counts[d]))
    sets = [{d for d in counts if r in chosen[d]} for r in rows]
    assert all(sets), "every supported case has at least one life domain"
    return sets


def _gooi_persons(population: Population) -> tuple:
    """(registered municipality, person, kind) per distinct person with a 2013 case."""
    rng = random.Random(3013)
    releases = _releases(population, "DPAN", 2013)
    released: dict[str, list[Person]] = {}
    for person, municipality in population.gooi_released[2013]:
        released.setdefault(municipality, []).append(person)
    twice = {b for b, days in releases.items() if len(days) > 1}
    released_bsns = {p.bsn for p, _ in population.gooi_released[2013]}
    no_address = [
        ep.person
        for ep in population.episodes
        if ep.system == "DPAN"
        and ep.is_release
        and ep.end.year == 2013
        and ep.municipality is None
        and ep.person.bsn not in released_bsns
    ]
    outside = {
        ep.municipality: ep.person
        for ep in population.episodes
        if ep.system == "DPAN"
        and ep.is_release
        and ep.end.year == 2013
        and ep.municipality in ("Amsterdam", "Utrecht")
    }
    spare = list(population.spare[SPARE_SLICES["caseload_gooi"]])
    no_address = list(dict.fromkeys(no_address))
    rng.shuffle(no_address)

    def take_released(municipality: str, n: int, prefer_twice: int = 0) -> list[Person]:
        pool = released[municipality]
        first = [p for p in pool if p.bsn in twice][:prefer_twice]
        rest = [p for p in pool if p not in first]
        picked = first + rng.sample(rest, n - len(first))
        for p in picked:
            pool.remove(p)
        return picked

    chosen: list[tuple[str, Person, str]] = []
    for municipality, (same, elsewhere, homeless, never) in GOOI_PERSONS.items():
        repeats = GOOI_REPEATS.get(municipality, 0)
        for p in take_released(municipality, same, prefer_twice=repeats):
            chosen.append((municipality, p, "released"))
        for other, n in elsewhere.items():
            for p in take_released(other, n):
                chosen.append((municipality, p, "released_elsewhere"))
        for _ in range(homeless):
            chosen.append((municipality, no_address.pop(), "no_address"))
        for _ in range(never):
            chosen.append((municipality, spare.pop(0), "spare"))
    overig = []
    for origin, written in GOOI_OVERIG:
        kind, _, where = origin.partition(":")
        if kind == "released":
            person = take_released(where, 1)[0]
        elif kind == "released_outside":
            person = outside[where]
        elif kind == "no_address":
            person = no_address.pop()
        else:
            person = spare.pop(0)
        overig.append((written, person, kind))
    return tuple(chosen), tuple(overig), tuple(no_address), tuple(spare)


def _anchor_dates(
    rng: random.Random, person: Person, n: int, releases: dict[str, list[dt.date]]
) -> list[tuple[dt.date, dt.date | None]]:
    """``n`` (registration date, release date or None) for one person's 2013 cases."""
    own = releases.get(person.bsn, [])[-n:]
    out = []
    for release in own:
        registered = _in_year(rng, release - dt.timedelta(days=rng.randrange(0, 45)), 2013)
        out.append((registered, release if rng.random() < 0.9 else None))
    while len(out) < n:
        day = dt.date(2013, 1, 2) + dt.timedelta(days=rng.randrange(363))
        if all(abs((day - d).days) > 20 for d, _ in out):
            out.append((day, None))
    return sorted(out)


def gooi_register(population: Population) -> tuple[Case, ...]:
    """The final state of the Gooi en Vechtstreek register: the cases of 2013."""
    rng = random.Random(2013_0325)
    releases = _releases(population, "DPAN", 2013)
    chosen, overig, _, _ = _gooi_persons(population)
    cases: list[Case] = []
    repeats_left = dict(GOOI_REPEATS)
    three_given = False
    for municipality, person, kind in chosen:
        n = 1
        if repeats_left.get(municipality, 0) > 0 and kind == "released":
            repeats_left[municipality] -= 1
            n = 2
            if municipality == "Hilversum" and not three_given:
                n, three_given = 3, True
        for registered, release in _anchor_dates(rng, person, n, releases):
            case = Case(person, _spelling(rng, municipality), registered, release)
            case.tags |= {kind, "repeat"} if n > 1 else {kind}
            cases.append(case)
    assert not any(repeats_left.values())
    for written, person, kind in overig:
        ((registered, release),) = _anchor_dates(rng, person, 1, releases)
        cases.append(Case(person, written, registered, release, tags={kind, "overig"}))
    assert len(cases) == sum(GOOI_CASELOAD_2013.values())
    cases.sort(key=lambda c: (c.registered, c.person.bsn))
    for i, case in enumerate(cases, start=1):
        case.number = f"GV-2013-{i:03d}"
        case.source = _source(rng, case.tags)
        case.nazorg_plus = "Nee" if rng.random() < 0.7 else None
        case.remark = rng.choice(REMARKS) if rng.random() < 0.2 else None
    _coordination(rng, cases)
    return tuple(cases)


def _source(rng: random.Random, tags: set[str]) -> str:
    if tags & {"released", "released_elsewhere", "released_outside"}:
        return "DPAN" if rng.random() < 0.9 else "Reclassering"
    if "no_address" in tags:
        return rng.choice(["DPAN", "DPAN", "Reclassering", "Ketenpartner"])
    return rng.choice(["Ketenpartner", "Reclassering", "Politie", "Gemeente"])


def _coordination(rng: random.Random, cases: list[Case]) -> None:
    """Profile, network round, life-domain support and case conferences of 2013."""
    everyone = list(range(len(cases)))
    profiled = set(rng.sample(everyone, GOOI_PROFILE))
    network = set(rng.sample(sorted(profiled), 55)) | set(
        rng.sample([i for i in everyone if i not in profiled], GOOI_NETWORK_ROUND - 55)
    )
    supported = rng.sample(everyone, GOOI_DOMAIN_SUPPORT)
    domains = _support_sets(rng, GOOI_DOMAIN_SUPPORT, GOOI_DOMAINS)
    repeat = [i for i in everyone if "repeat" in cases[i].tags]
    others = [i for i in everyone if "repeat" not in cases[i].tags]
    veelpleger = set(rng.sample(repeat, GOOI_REPEATS_IN_VEELPLEGER)) | set(
        rng.sample(others, GOOI_VEELPLEGER - GOOI_REPEATS_IN_VEELPLEGER)
    )
    violence = set(rng.sample([i for i in others if i not in veelpleger], GOOI_HUISELIJK_GEWELD))
    spellings = ["Veelplegeroverleg"] * 8 + ["Veelpleger-overleg", "veelplegeroverleg"]
    for i, case in enumerate(cases):
        case.profile = "Ja" if i in profiled else ("Nee" if rng.random() < 0.85 else None)
        # Bilateral enrichment was not registered in 2013 (§2.4): Netwerkronde or Nee.
        case.enrichment = (
            "Netwerkronde" if i in network else ("Nee" if rng.random() < 0.7 else None)
        )
        if i in veelpleger:
            case.conference = rng.choice(spellings)
        elif i in violence:
            case.conference = "Scenario-overleg huiselijk geweld"
        else:
            case.conference = "Geen" if rng.random() < 0.8 else None
    for i, sets in zip(supported, domains, strict=True):
        cases[i].support = sets


def _as_of(rng: random.Random, case: Case, day: dt.date) -> Case:
    """The row as it stood in an earlier export: later work not yet written down."""
    early = replace(case, support=set(case.support), tags=set(case.tags))
    if early.outflow and early.outflow > day:
        early.outflow = None
    if early.profile == "Ja" and rng.random() < 0.4:
        early.profile = None
    if early.enrichment == "Netwerkronde" and rng.random() < 0.5:
        early.enrichment = "Nee"
    if early.support and rng.random() < 0.5:
        early.support = set()
    if early.conference not in (None, "Geen") and rng.random() < 0.3:
        early.conference = "Geen"
    return early


# --- Midden-Limburg ---------------------------------------------------------------------


def ml_register(population: Population) -> tuple[Case, ...]:
    """The Midden-Limburg register of 2020, in case-number order."""
    rng = random.Random(2020_0093)
    releases = _releases(population, "JustID", 2020)
    place = population.ml_released_municipality

    def registered_before(person: Person) -> tuple[dt.date, dt.date]:
        release = releases[person.bsn][0]
        return _in_year(rng, release - dt.timedelta(days=rng.randrange(5, 60)), 2020), release

    intensities = [k for k, n in ML_INTENSITY.items() for _ in range(n)]
    rng.shuffle(intensities)
    cases: list[Case] = []
    for i, person in enumerate(population.ml_started):
        registered, release = registered_before(person)
        start = registered + dt.timedelta(days=rng.randrange(3, 30))
        end = start + dt.timedelta(days=rng.randrange(90, 400)) if rng.random() < 0.6 else None
        cases.append(
            Case(
                person,
                _spelling(rng, place[person.bsn]),
                registered,
                release,
                nazorg_plus="Gestart",
                start=start,
                end=end,
                intensity=intensities[i],
                number=ml_case_number(i),
                tags={"started"},
            )
        )
    offset = len(population.ml_started)
    for j, person in enumerate(population.ml_registered_only):
        registered, release = registered_before(person)
        cases.append(
            Case(
                person,
                _spelling(rng, place[person.bsn]),
                registered,
                release,
                nazorg_plus="Aangemeld",
                number=ml_case_number(offset + j),
                tags={"registered"},
            )
        )
    ordinary = []
    for person in rng.sample(population.ml_regular, ML_REGULAR_WITH_CASE):
        registered, release = registered_before(person)
        ordinary.append(
            Case(person, _spelling(rng, place[person.bsn]), registered, release, tags={"regular"})
        )
    for person in population.spare[SPARE_SLICES["caseload_ml"]][:ML_SPARE_CASES]:
        written = rng.choice(["Roermond", "Weert", None, "Overig", "Venlo", "Echt-Susteren"])
        day = dt.date(2020, 1, 2) + dt.timedelta(days=rng.randrange(360))
        ordinary.append(Case(person, written, day, tags={"spare"}))
    ordinary.sort(key=lambda c: (c.registered, c.person.bsn))
    for k, case in enumerate(ordinary):
        case.number = ml_case_number(offset + len(population.ml_registered_only) + k)
        case.nazorg_plus = "Nee"
    cases += ordinary
    for case in cases:
        plus = case.nazorg_plus != "Nee"
        case.source = (
            rng.choice(["Ketenpartner", "Reclassering"])
            if "spare" in case.tags
            else rng.choice(["JustID", "JustID", "JustID", "Reclassering"])
        )
        case.profile = "Ja" if rng.random() < (0.6 if plus else 0.3) else "Nee"
        case.enrichment = rng.choices(["Nee", "Bilateraal", "Netwerkronde"], [5, 3, 2])[0]
        if rng.random() < (0.6 if plus else 0.15):
            case.support = set(rng.sample(DOMAINS, rng.choice([1, 1, 2, 3])))
        case.conference = rng.choices(
            ["Geen", "Casus op Maat", "Veelplegeroverleg", None], [10, 2, 1, 1]
        )[0]
        case.remark = rng.choice(REMARKS) if rng.random() < 0.15 else None
        if case.outflow and rng.random() < 0.15:
            case.outflow = None
    return tuple(cases)


# --- rendering --------------------------------------------------------------------------


def _date_cell(rng: random.Random, day: dt.date | None, typed: float = 0.15):
    if day is None:
        return None
    roll = rng.random()
    if roll < typed * 0.6:
        return day.strftime("%d-%m-%Y")
    if roll < typed:
        return f"{day.day}-{day.month}-{day.year}"
    return day


def _mark(rng: random.Random, on: bool):
    if not on:
        return None
    return rng.choices(["x", "X", "Ja"], [6, 3, 2])[0]


def _bsn_cell(rng: random.Random, bsn: str):
    return int(bsn) if rng.random() < 0.25 else bsn


def _row(rng: random.Random, case: Case, header: list[str]) -> list:
    p = case.person
    values = {
        "Casusnummer": case.number,
        "BSN": _bsn_cell(rng, p.bsn),
        "Naam": p.full_name if rng.random() < 0.8 else f"{p.surname.upper()}, {p.initials}",
        "Gemeente": case.gemeente,
        "Datum aanmelding": _date_cell(rng, case.registered),
        "Datum uitstroom": _date_cell(rng, case.outflow),
        "Bron": case.source,
        "Profiel": case.profile,
        "Verrijking": case.enrichment,
        "Inzet ID": _mark(rng, "id" in case.support),
        "Inzet huisvesting": _mark(rng, "housing" in case.support),
        "Inzet werk/inkomen": _mark(rng, "work_income" in case.support),
        "Inzet schulden": _mark(rng, "debts" in case.support),
        "Inzet zorg": _mark(rng, "care" in case.support),
        "Casusoverleg": case.conference,
        "Nazorg-plus": case.nazorg_plus,
        "Startdatum traject": _date_cell(rng, case.start, 0.25),
        "Einddatum traject": _date_cell(rng, case.end, 0.25),
        "Intensiteit": case.intensity,
        "Opmerkingen": case.remark,
    }
    return [values[h] for h in header]


def _year_sheet(
    wb: Workbook,
    rng: random.Random,
    title: str,
    lines: list[str],
    cases: list[Case],
    header: list[str],
    *,
    duplicate: str | None = None,
    blank_before_total: bool = True,
) -> None:
    ws = wb.create_sheet(title)
    for line in lines:
        ws.append([line])
    ws.append([])
    ws.append(header)
    for case in cases:
        row = _row(rng, case, header)
        ws.append(row)
        if case.number == duplicate:
            ws.append(row)  # pasted twice by hand
    if blank_before_total:
        ws.append([])
    ws.append(["Totaal", len(cases)])


def _legend(wb: Workbook) -> None:
    ws = wb.create_sheet("Toelichting")
    for line in (
        ["Toelichting bij de registratie nazorg"],
        [],
        ["Inzet-kolommen", "kruisje (x) als de coördinator op dat leefgebied heeft ingezet"],
        ["Verrijking", "Nee, Bilateraal of Netwerkronde"],
        ["Casusoverleg", "Geen, Veelplegeroverleg, Scenario-overleg huiselijk geweld"],
        ["Eén tabblad per jaar van aanmelding; nieuwe casussen onderaan toevoegen."],
    ):
        ws.append(line)


def write_gooi(population: Population, raw_dir: Path) -> list[Path]:
    rng = random.Random(14)
    cases_2013 = gooi_register(population)
    folder = raw_dir / "caseload" / "gooi-en-vechtstreek"
    title = "Registratie nazorg ex-gedetineerden Veiligheidshuis Gooi en Vechtstreek"

    early = Workbook()
    early.remove(early.active)
    before = [
        _as_of(rng, c, GOOI_EXPORT_EARLY) for c in cases_2013 if c.registered < GOOI_EXPORT_EARLY
    ]
    _year_sheet(
        early,
        rng,
        "2013",
        [title, f"Stand {GOOI_EXPORT_EARLY:%d-%m-%Y}"],
        before,
        EARLY_HEADER,
        blank_before_total=False,
    )
    early_path = folder / f"registratie_nazorg_{GOOI_EXPORT_EARLY:%Y-%m}.xlsx"
    save_workbook(early, early_path)

    final = Workbook()
    final.remove(final.active)
    stand = f"Stand {GOOI_EXPORT_FINAL:%d-%m-%Y}"
    # The 2014 sheet is ready, but no case of 2014 was entered yet when the register was
    # exported: the demo has caseload for 2013 only, as the evaluation (footnote 3).
    _year_sheet(final, rng, "2014", [f"{title} 2014", stand], [], HEADER)
    _year_sheet(
        final,
        rng,
        "2013",
        [f"{title} 2013", stand],
        list(cases_2013),
        HEADER,
        duplicate=f"GV-2013-{DUPLICATED_ROW:03d}",
    )
    _legend(final)
    final_path = folder / f"registratie_nazorg_{GOOI_EXPORT_FINAL:%Y-%m}.xlsx"
    save_workbook(final, final_path)
    return [early_path, final_path]


def write_ml(population: Population, raw_dir: Path) -> list[Path]:
    rng = random.Random(20)
    wb = Workbook()
    wb.remove(wb.active)
    ws = wb.create_sheet("2020")
    ws.append(["Registratie nazorg Zorg- en Veiligheidshuis Midden-Limburg 2020"])
    ws.append(HEADER)  # the header directly below the title
    cases = ml_register(population)
    for case in cases:
        ws.append(_row(rng, case, HEADER))
    ws.append(["Totaal", len(cases)])
    path = raw_dir / "caseload" / "midden-limburg" / "registratie_nazorg_2020.xlsx"
    save_workbook(wb, path)
    return [path]


def write_caseload(population: Population, raw_dir: Path) -> list[Path]:
    """Both registers: Gooi en Vechtstreek (two exports) and Midden-Limburg."""
    return [*write_gooi(population, raw_dir), *write_ml(population, raw_dir)]


__all__ = ["GOOI", "MIDDEN_LIMBURG", "gooi_register", "ml_register", "write_caseload"]
