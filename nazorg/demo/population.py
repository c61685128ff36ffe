"""The truth behind the demo exports: who was detained when, and released where.

Every source's demo export is rendered from this one population, so the exports agree
with each other the way real ones do (a case in the register belongs to a person who
was released; a screening form belongs to a detention). The published figures the demo
must reproduce (kpi-method.md) are constants here, next to the choices made to get
there; each writer module adds only the quirks of its export format.

Why one module of over 500 lines: a generator of synthetic demo data, outside the
nightly product (the product never imports it); the persons, detentions and screening
forms it draws depend on each other step by step.
"""

from __future__ import annotations

import datetime as dt
import math
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
ML_MUNICIPALITIES = list(ML_OUTFLOW_2020)

# Re-detention of the other JustID release years (not published; without it no one
# released in 2019 would ever be admitted again, 0 of 158 with a closed window). About
# a third of a release year is re-admitted within two years, as in the 2020 cohort
# (119 of 285) and WODC's two-year figures: 2020 cohort persons with an earlier release
# in 2019 (their 2020 detention is the 2019 re-detention, so the published 2020 outflow
# stays as it is), and background persons readmitted after their release. Drawn from
# a generator of their own and added after every other episode, so that the published
# figures and every other demo detention stay as they were.
ML_EARLIER_RELEASE_2019 = 45  # of the 285 persons released in 2020
ML_READMITTED = {2019: 12, 2021: 40, 2022: 18}  # background persons readmitted

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
    for year, n in ML_BACKGROUND.items():
        for person in pool.take(n):
            first = dt.date(2019, 1, 20) if year == 2019 else None
            ep = _episode(
                rng,
                person,
                MIDDEN_LIMBURG,
                "JustID",
                _date_in(rng, year, first=first),
                rng.choice(ML_MUNICIPALITIES),
                ML_INSTITUTIONS,
            )
            ep.tags.add(f"background_{year}")
            episodes.append(ep)
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
    roles = {
        "started": started,
        "registered": registered,
        "regular": regular,
        "municipality": municipality_of,
    }
    return episodes, roles


# --- What the Limburg report says in words (kpi-method.md, "Figures the report gives in
# words"). Applied to the population once it is drawn, each from a random stream of its
# own, so that every draw above (and every published figure it gives) stays as it was.

# The cohort follow-up (§2.3): 20 of the started trajectories drawn at random, 12 of them
# interviewed (the report's cases 1-12), 5 unreachable, 2 refusals, 1 who kept cancelling.
ML_FOLLOW_UP_SAMPLE = 20
ML_INTERVIEWED = 12
ML_NON_RESPONSE = ["Onbereikbaar"] * 5 + ["Weigering"] * 2 + ["Afgezegd"]

# "bijna de helft van de gedetineerden verlaat binnen 4 weken de PI" (§4.3): this share of
# the region's released episodes of 2020 stayed at most 28 days.
ML_2020_WITHIN_FOUR_WEEKS = 0.46
# "2x zit nog vast" (§5.2): the persons of the report's cases 5 and 9 are detained again at
# the end of 2022 (case 5 "zit eind 2022 opnieuw vast", case 9 "Nvt (zit nog vast)"); one of
# them has started 'faseren', with leave now and then.
ML_STILL_DETAINED_CASES = (5, 9)


def ml_follow_up_draw(started: int) -> list[tuple[int, int | str]]:
    """The follow-up sample: (index into ``ml_started``, the report's case 0-11 or a
    non-response status), in case-number order."""
    rng = random.Random(20201231)
    drawn = sorted(rng.sample(range(started), ML_FOLLOW_UP_SAMPLE))
    statuses: list[int | str] = [*range(ML_INTERVIEWED), *ML_NON_RESPONSE]
    rng.shuffle(statuses)
    return list(zip(drawn, statuses, strict=True))


def _within_four_weeks(episodes: list[Episode]) -> None:
    """Shorten stays of 2020 releases until ``ML_2020_WITHIN_FOUR_WEEKS`` of them lasted at
    most 28 days. Only the admission moves (later, to 20-28 days before the release, and
    within 2020), so the release, its place and year, re-detention windows and every figure
    by year of admission stay as they were; a transfer or leave before the new admission
    is dropped. Admissions from 25 May to 30 June neither move nor are moved to: their forms
    (dated up to three weeks later) could fall in the fortnight that the two 2020 screening
    files share, whose size the screening tests fix."""
    rng = random.Random(2023_0403)
    year = dt.date(2020, 1, 1)
    overlap = (dt.date(2020, 5, 25), dt.date(2020, 6, 30))

    def new_admission(ep: Episode, stay: int) -> dt.date:
        return ep.end - dt.timedelta(days=stay)

    def movable(ep: Episode) -> bool:
        outside = [
            not overlap[0] <= day <= overlap[1]
            for day in (ep.admission, new_admission(ep, 20), new_admission(ep, 28))
        ]
        return ep.admission >= year and new_admission(ep, 28) >= year and all(outside)

    released = [
        e
        for e in episodes
        if e.region == MIDDEN_LIMBURG and e.is_release and e.end.year == 2020 and e.municipality
    ]
    short = sum(1 for e in released if (e.end - e.admission).days <= 28)
    wanted = math.ceil(ML_2020_WITHIN_FOUR_WEEKS * len(released)) - short
    longer = [e for e in released if (e.end - e.admission).days > 28 and movable(e)]
    for ep in rng.sample(longer, max(wanted, 0)):
        ep.admission = new_admission(ep, rng.randint(20, 28))
        if ep.transfer and ep.transfer[0] <= ep.admission:
            ep.transfer = None
        if ep.leave and ep.leave <= ep.admission:
            ep.leave = None


def _still_detained(population: Population) -> None:
    """The last detention of the persons of ``ML_STILL_DETAINED_CASES`` is still open at
    the end of the data: a re-detention whose release is taken back."""
    cases = {case - 1 for case in ML_STILL_DETAINED_CASES}
    draw = ml_follow_up_draw(len(population.ml_started))
    persons = [population.ml_started[i] for i, status in draw if status in cases]
    for n, person in enumerate(persons):
        own = [e for e in population.episodes if e.person is person]
        last = max(own, key=lambda e: e.admission)
        assert len(own) > 1 and last.end is not None, (
            "a person of the report's cases 5 and 9 has no re-detention to keep open"
        )
        last.end, last.end_reason = None, None
        if n == 1 and last.admission < dt.date(2022, 12, 1):
            last.leave = dt.date(2022, 12, 16)  # faseren: leave now and then


def _redetentions_other_years(episodes: list[Episode], cohort_2020: list[Person]) -> list[Episode]:
    """Earlier 2019 releases of 2020-cohort persons, and readmissions of background
    persons (see ML_READMITTED); new episodes only."""
    rng = random.Random(20192022)
    added: list[Episode] = []
    firsts: dict[str, Episode] = {}
    for ep in episodes:
        if ep.region == MIDDEN_LIMBURG and ep.is_release and ep.end.year == 2020:
            known = firsts.get(ep.person.bsn)
            if known is None or ep.admission < known.admission:
                firsts[ep.person.bsn] = ep
    candidates = [p for p in cohort_2020 if p.bsn in firsts]
    taken = 0
    for person in rng.sample(candidates, len(candidates)):
        if taken == ML_EARLIER_RELEASE_2019:
            break
        later = firsts[person.bsn]
        release = later.admission - dt.timedelta(days=rng.randrange(20, 240))
        if not dt.date(2019, 1, 20) <= release <= dt.date(2019, 12, 31):
            continue
        admission = release - dt.timedelta(days=rng.choice([9, 20, 45, 60, 90]))
        added.append(
            _episode(
                rng,
                person,
                MIDDEN_LIMBURG,
                "JustID",
                release,
                later.municipality,
                ML_INSTITUTIONS,
                admission=max(admission, dt.date(2019, 1, 2)),
            )
        )
        taken += 1
    for year, n in ML_READMITTED.items():
        background = [e for e in episodes if f"background_{year}" in e.tags]
        for first in rng.sample(background, n):
            earliest = dt.date(2021, 1, 5) if year == 2019 else first.end + dt.timedelta(days=15)
            latest = min(first.end + dt.timedelta(days=700), JUSTID_END - dt.timedelta(days=3))
            if earliest > latest:
                continue
            admission = earliest + dt.timedelta(days=rng.randrange((latest - earliest).days + 1))
            end = admission + dt.timedelta(days=rng.choice([5, 12, 30, 60, 120]))
            open_ = end > JUSTID_END
            added.append(
                _episode(
                    rng,
                    first.person,
                    MIDDEN_LIMBURG,
                    "JustID",
                    None if open_ else end,
                    first.municipality,
                    ML_INSTITUTIONS,
                    end_reason=None if open_ else "Ontslag",
                    admission=admission,
                )
            )
    return added


@cache
def build_population() -> Population:
    rng = random.Random(20140301)
    pool = PersonPool(seed=2013)
    gooi, released = _gooi(rng, pool)
    limburg, roles = _limburg(rng, pool)
    cohort_2020 = roles["started"] + roles["registered"] + roles["regular"]
    limburg += _redetentions_other_years(limburg, cohort_2020)
    population = Population(
        episodes=gooi + limburg,
        gooi_released=released,
        ml_started=roles["started"],
        ml_registered_only=roles["registered"],
        ml_regular=roles["regular"],
        ml_released_municipality=roles["municipality"],
        spare=pool.take(300),
    )
    _within_four_weeks(population.episodes)
    _still_detained(population)
    return population
