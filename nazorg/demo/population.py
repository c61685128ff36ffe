"""The truth behind the demo exports: who was detained when, and released where.

Every source's demo export is rendered from this one population, so the exports agree
with each other the way real ones do (a case in the register belongs to a person who
was released; a screening form belongs to a detention). The published figures the demo
must reproduce (kpi-method.md) are constants here, next to the choices made to get
there; each writer module adds only the quirks of its export format.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from functools import cache

from nazorg.demo.persons import Person, PersonPool

GOOI = "Gooi en Vechtstreek"
MIDDEN_LIMBURG = "Midden-Limburg"

# Tabel 1 of the Gooi en Vechtstreek evaluation: outflow per municipality (persons).
# 2010 and 2011 are published only as totals (239, 285); their split is ours.
GOOI_OUTFLOW = {
    2010: {
        "Hilversum": 131,
        "Bussum": 27,
        "Huizen": 33,
        "Weesp": 15,
        "Wijdemeren": 9,
        "Naarden": 8,
        "Blaricum": 4,
        "Laren": 6,
        "Muiden": 6,
    },
    2011: {
        "Hilversum": 158,
        "Bussum": 32,
        "Huizen": 40,
        "Weesp": 18,
        "Wijdemeren": 11,
        "Naarden": 9,
        "Blaricum": 5,
        "Laren": 6,
        "Muiden": 6,
    },
    2012: {
        "Hilversum": 144,
        "Bussum": 29,
        "Huizen": 38,
        "Weesp": 16,
        "Wijdemeren": 11,
        "Naarden": 5,
        "Blaricum": 4,
        "Laren": 5,
        "Muiden": 6,
    },
    2013: {
        "Hilversum": 159,
        "Bussum": 28,
        "Huizen": 33,
        "Weesp": 20,
        "Wijdemeren": 6,
        "Naarden": 8,
        "Blaricum": 2,
        "Laren": 1,
        "Muiden": 4,
    },
}
# Releases without any known municipality (no fixed address): footnote 4 of the report
# gives 36 persons for 2013; the other years are ours.
GOOI_WITHOUT_MUNICIPALITY = {2010: 25, 2011: 29, 2012: 31, 2013: 36}

# Midden-Limburg 2020: 285 persons released (Limburg report §2.3, §4.5); split is ours.
ML_OUTFLOW_2020 = {
    "Roermond": 95,
    "Weert": 60,
    "Echt-Susteren": 35,
    "Leudal": 30,
    "Maasgouw": 25,
    "Roerdalen": 20,
    "Nederweert": 20,
}
ML_WITHOUT_MUNICIPALITY_2020 = 12
# Background releases in the other JustID years (not published; they make the
# notification stream realistic and give later cohorts to re-detention).
ML_BACKGROUND = {2019: 150, 2021: 140, 2022: 130}
# Of the 2019 background releases, this many are admitted again within two years (and
# still detained at the end of the data, so no other figure moves): a whole cohort
# without a single re-detention is implausible, and a plausibility check says so.
ML_REDETAINED_2019 = 40
LATE_READMISSION = "late_readmission"  # their tag: numbered and screened apart
ML_MUNICIPALITIES = list(ML_OUTFLOW_2020)

# Nazorg-plus in the 2020 cohort: 93 gross intake, of whom 69 started a trajectory.
ML_GROSS_INTAKE = 93
ML_STARTED = 69
# Re-detention within 730 days of the first 2020 release (chosen for the demo, so the
# comparison is non-trivial): 21 of the 69 started, 97 of the 216 others.
ML_REDETAINED_STARTED = 21
ML_REDETAINED_REGULAR = 97

JUSTID_START = dt.date(2019, 1, 1)
JUSTID_END = dt.date(2022, 12, 31)
DPAN_YEARS = (2010, 2011, 2012, 2013)

GOOI_INSTITUTIONS = ["PI Utrecht", "PI Almere", "PI Zwolle", "PI Haarlem", "PI Vught"]
ML_INSTITUTIONS = ["PI Roermond", "PI Limburg Zuid", "PI Vught", "PI Sittard", "PI Ter Apel"]
TITLES = [
    "Voorlopige hechtenis",
    "Gevangenisstraf",
    "Vervangende hechtenis",
    "ISD-maatregel",
    "Overig",
]


@dataclass
class Episode:
    """One detention: admission to (optional) end. ``municipality`` is the canonical
    name at release; None means no fixed address (no municipality known at all)."""

    person: Person
    region: str
    system: str  # "DPAN" | "JustID"
    admission: dt.date
    end: dt.date | None
    end_reason: str | None  # "Ontslag" | "Schorsing" | "Overlijden" | None (still detained)
    municipality: str | None
    institution: str
    title: str
    transfer: tuple[dt.date, str] | None = None
    leave: dt.date | None = None
    tags: set[str] = field(default_factory=set)

    @property
    def is_release(self) -> bool:
        return self.end_reason == "Ontslag"


@dataclass
class Population:
    episodes: list[Episode]
    # Persons released in a Gooi year, with the municipality of their last release.
    gooi_released: dict[int, list[tuple[Person, str]]]
    # The Midden-Limburg 2020 cohort: released persons by nazorg-plus role.
    ml_started: list[Person]
    ml_registered_only: list[Person]
    ml_regular: list[Person]
    ml_released_municipality: dict[str, str]  # bsn -> municipality of last 2020 release
    # Persons nobody else uses, for exports that need people outside the detentions
    # (cases of persons never detained, forms that link to nothing). Slices are
    # reserved per writer: see SPARE_SLICES.
    spare: list[Person]


def ml_case_number(index: int) -> str:
    """Case numbers of the Midden-Limburg 2020 register: the i-th (0-based) person of
    ``ml_started`` has ML-2020-001.., then ``ml_registered_only``; other cases follow."""
    return f"ML-2020-{index + 1:03d}"


SPARE_SLICES = {
    "caseload_gooi": slice(0, 150),
    "caseload_ml": slice(150, 250),
    "screening": slice(250, 300),
}


def _date_in(
    rng: random.Random, year: int, first: dt.date | None = None, last: dt.date | None = None
) -> dt.date:
    start = first or dt.date(year, 1, 1)
    stop = last or dt.date(year, 12, 31)
    return start + dt.timedelta(days=rng.randrange((stop - start).days + 1))


def _episode(
    rng: random.Random,
    person: Person,
    region: str,
    system: str,
    end: dt.date | None,
    municipality: str | None,
    institutions: list[str],
    end_reason: str | None = "Ontslag",
    admission: dt.date | None = None,
) -> Episode:
    anchor = end or JUSTID_END
    admission = admission or anchor - dt.timedelta(
        days=rng.choice([3, 9, 20, 45, 60, 90, 120, 180, 270, 400])
    )
    institution = rng.choice(institutions)
    ep = Episode(
        person,
        region,
        system,
        admission,
        end,
        end_reason,
        municipality,
        institution,
        rng.choice(TITLES),
    )
    span = ((end or anchor) - admission).days
    if span > 14 and rng.random() < 0.2:
        moved = admission + dt.timedelta(days=rng.randrange(2, span - 1))
        ep.transfer = (moved, rng.choice([i for i in institutions if i != institution]))
    if system == "JustID" and span > 30 and rng.random() < 0.1:
        ep.leave = admission + dt.timedelta(days=rng.randrange(10, span - 5))
    return ep


def _gooi(
    rng: random.Random, pool: PersonPool
) -> tuple[list[Episode], dict[int, list[tuple[Person, str]]]]:
    episodes: list[Episode] = []
    released: dict[int, list[tuple[Person, str]]] = {}
    previous: list[Person] = []
    for year in DPAN_YEARS:
        placements = [m for m, n in GOOI_OUTFLOW[year].items() for _ in range(n)]
        # About a fifth of each year's released persons were released in an earlier year too.
        returning = rng.sample(previous, min(len(previous), len(placements) // 5))
        persons = returning + pool.take(len(placements) - len(returning))
        rng.shuffle(persons)
        released[year] = list(zip(persons, placements, strict=True))
        for person, municipality in released[year]:
            end = _date_in(rng, year, first=dt.date(year, 2, 1))
            if rng.random() < 0.08:
                # Released twice this year: counted once, at the last release.
                earlier = end - dt.timedelta(days=rng.randrange(20, 30))
                other = rng.choice([m for m in GOOI_OUTFLOW[year] if m != municipality])
                episodes.append(
                    _episode(
                        rng,
                        person,
                        GOOI,
                        "DPAN",
                        earlier,
                        other,
                        GOOI_INSTITUTIONS,
                        admission=earlier - dt.timedelta(days=rng.randrange(3, 10)),
                    )
                )
                episodes.append(
                    _episode(
                        rng,
                        person,
                        GOOI,
                        "DPAN",
                        end,
                        municipality,
                        GOOI_INSTITUTIONS,
                        admission=end - dt.timedelta(days=rng.randrange(3, 15)),
                    )
                )
            else:
                episodes.append(
                    _episode(rng, person, GOOI, "DPAN", end, municipality, GOOI_INSTITUTIONS)
                )
        for person in pool.take(GOOI_WITHOUT_MUNICIPALITY[year]):
            episodes.append(
                _episode(rng, person, GOOI, "DPAN", _date_in(rng, year), None, GOOI_INSTITUTIONS)
            )
        # Detentions that end without a release (not outflow) and persons released to
        # a municipality outside the region.
        for reason in ("Schorsing", "Schorsing", "Overlijden"):
            (person,) = pool.take(1)
            episodes.append(
                _episode(
                    rng,
                    person,
                    GOOI,
                    "DPAN",
                    _date_in(rng, year),
                    "Hilversum",
                    GOOI_INSTITUTIONS,
                    end_reason=reason,
                )
            )
        for municipality in ("Amsterdam", "Utrecht"):
            (person,) = pool.take(1)
            episodes.append(
                _episode(
                    rng, person, GOOI, "DPAN", _date_in(rng, year), municipality, GOOI_INSTITUTIONS
                )
            )
        previous.extend(persons)
    # Still detained when the last DPAN export was made.
    for person in pool.take(6):
        episodes.append(
            _episode(
                rng,
                person,
                GOOI,
                "DPAN",
                None,
                "Hilversum",
                GOOI_INSTITUTIONS,
                end_reason=None,
                admission=_date_in(rng, 2013, first=dt.date(2013, 9, 1)),
            )
        )
    return episodes, released


def _redetain(
    rng: random.Random, first: Episode, count: int, episodes: list[Episode], day: int | None = None
) -> None:
    """Add ``count`` new admissions after ``first``'s release: random ones within 730
    days, or the first one on exactly ``day`` (a boundary case, possibly outside)."""
    release = first.end
    assert release is not None
    moment = release
    for i in range(count):
        offset = day if (day is not None and i == 0) else rng.randrange(15, 700)
        admission = max(moment + dt.timedelta(days=1), release + dt.timedelta(days=offset))
        draw = rng
        if (admission - release).days > 730:
            if day is None or i > 0:
                break
            # A boundary case outside the window draws from its own generator, so adding
            # it leaves every other demo detention as it was.
            draw = random.Random(day)
        stay = draw.choice([5, 12, 30, 60, 120])
        end = admission + dt.timedelta(days=stay)
        still_detained = end > JUSTID_END
        episodes.append(
            _episode(
                draw,
                first.person,
                MIDDEN_LIMBURG,
                "JustID",
                None if still_detained else end,
                first.municipality,
                ML_INSTITUTIONS,
                end_reason=None if still_detained else "Ontslag",
                admission=admission,
            )
        )
        moment = end


def _limburg(rng: random.Random, pool: PersonPool) -> tuple[list[Episode], dict]:
    episodes: list[Episode] = []
    placements = [m for m, n in ML_OUTFLOW_2020.items() for _ in range(n)]
    persons = pool.take(len(placements))
    rng.shuffle(placements)
    municipality_of = {p.bsn: m for p, m in zip(persons, placements, strict=True)}
    started, registered, regular = (
        persons[:ML_STARTED],
        persons[ML_STARTED:ML_GROSS_INTAKE],
        persons[ML_GROSS_INTAKE:],
    )
    firsts: dict[str, Episode] = {}
    for person in persons:
        municipality = municipality_of[person.bsn]
        end = _date_in(rng, 2020, last=dt.date(2020, 10, 31) if rng.random() < 0.15 else None)
        if rng.random() < 0.06 and end.month < 11:
            # Released twice in 2020: the re-detention anchor is the first release, the
            # outflow place the last; the second detention is itself a re-detention.
            ep = _episode(
                rng,
                person,
                MIDDEN_LIMBURG,
                "JustID",
                end,
                rng.choice(ML_MUNICIPALITIES),
                ML_INSTITUTIONS,
            )
            second_in = end + dt.timedelta(days=rng.randrange(10, 30))
            second = _episode(
                rng,
                person,
                MIDDEN_LIMBURG,
                "JustID",
                second_in + dt.timedelta(days=rng.randrange(5, 20)),
                municipality,
                ML_INSTITUTIONS,
                admission=second_in,
            )
            episodes += [ep, second]
            ep.tags.add("released_twice_2020")
        else:
            ep = _episode(rng, person, MIDDEN_LIMBURG, "JustID", end, municipality, ML_INSTITUTIONS)
            episodes.append(ep)
        firsts[person.bsn] = ep
    # Re-detention within two years, chosen per group; the twice-released already have one.
    for group, target in ((started, ML_REDETAINED_STARTED), (regular, ML_REDETAINED_REGULAR)):
        already = [p for p in group if "released_twice_2020" in firsts[p.bsn].tags]
        others = [p for p in group if p not in already]
        chosen = rng.sample(others, target - len(already))
        # Boundary cases (regular group): the earliest released re-detained person is
        # re-admitted on day 730 (counts); the earliest released other person on day 731
        # (does not count).
        by_release = sorted(chosen, key=lambda p: firsts[p.bsn].end)
        for person in chosen:
            on_day_730 = group is regular and person is by_release[0]
            _redetain(
                rng,
                firsts[person.bsn],
                1 if on_day_730 else rng.choice([1, 1, 1, 2, 3]),
                episodes,
                day=730 if on_day_730 else None,
            )
            firsts[person.bsn].tags.add("readmitted_day_730" if on_day_730 else "redetained")
        if group is regular:
            left = sorted((p for p in others if p not in chosen), key=lambda p: firsts[p.bsn].end)
            _redetain(rng, firsts[left[0].bsn], 1, episodes, day=731)
            firsts[left[0].bsn].tags.add("readmitted_day_731")
    for person in pool.take(ML_WITHOUT_MUNICIPALITY_2020):
        episodes.append(
            _episode(
                rng, person, MIDDEN_LIMBURG, "JustID", _date_in(rng, 2020), None, ML_INSTITUTIONS
            )
        )
    # Background years: other persons, whose releases are not the published cohort.
    background_2019: list[Episode] = []
    for year, n in ML_BACKGROUND.items():
        for person in pool.take(n):
            first = dt.date(2019, 1, 20) if year == 2019 else None
            episodes.append(
                _episode(
                    rng,
                    person,
                    MIDDEN_LIMBURG,
                    "JustID",
                    _date_in(rng, year, first=first),
                    rng.choice(ML_MUNICIPALITIES),
                    ML_INSTITUTIONS,
                )
            )
            if year == 2019:
                background_2019.append(episodes[-1])
    # Admitted before the first JustID export (only the release is in JustID) and
    # still detained at the end of the data.
    for person in pool.take(8):
        episodes.append(
            _episode(
                rng,
                person,
                MIDDEN_LIMBURG,
                "JustID",
                _date_in(rng, 2019, last=dt.date(2019, 3, 31)),
                rng.choice(ML_MUNICIPALITIES),
                ML_INSTITUTIONS,
                admission=dt.date(2018, rng.randrange(6, 12), 15),
            )
        )
    for person in pool.take(10):
        episodes.append(
            _episode(
                rng,
                person,
                MIDDEN_LIMBURG,
                "JustID",
                None,
                rng.choice(ML_MUNICIPALITIES),
                ML_INSTITUTIONS,
                end_reason=None,
                admission=_date_in(rng, 2022, first=dt.date(2022, 8, 1)),
            )
        )
    episodes += _readmitted_2019(background_2019)
    roles = {
        "started": started,
        "registered": registered,
        "regular": regular,
        "municipality": municipality_of,
    }
    return episodes, roles


def _readmitted_2019(released: list[Episode]) -> list[Episode]:
    """New admissions of part of the 2019 background cohort, within 730 days of the
    release, still detained at the end of the data. They come last and draw from their
    own generator: every other demo detention, and the notification numbers and
    screening forms of the others, stay as they were."""
    rng = random.Random(2019)
    readmitted = []
    for first in sorted(rng.sample(released, ML_REDETAINED_2019), key=lambda e: e.person.bsn):
        admission = first.end + dt.timedelta(days=rng.randrange(20, 700))
        ep = _episode(
            rng,
            first.person,
            MIDDEN_LIMBURG,
            "JustID",
            None,
            first.municipality,
            ML_INSTITUTIONS,
            end_reason=None,
            admission=admission,
        )
        ep.tags.add(LATE_READMISSION)
        readmitted.append(ep)
    return readmitted


@cache
def build_population() -> Population:
    rng = random.Random(20140301)
    pool = PersonPool(seed=2013)
    gooi, released = _gooi(rng, pool)
    limburg, roles = _limburg(rng, pool)
    return Population(
        episodes=gooi + limburg,
        gooi_released=released,
        ml_started=roles["started"],
        ml_registered_only=roles["registered"],
        ml_regular=roles["regular"],
        ml_released_municipality=roles["municipality"],
        spare=pool.take(300),
    )
