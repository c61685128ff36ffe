"""Demo export of the screening forms (Informatieblad / D&R-plan extract), Midden-Limburg.

The Limburg report could only estimate from a one-off poll that "in about 60% of cases
an information sheet was delivered; only 10% refused consent". The demo makes that
exact for the 2020 release year (constants below), and fills the other JustID years
at a looser rate so that every year has a coverage figure.

What the forms look like: one CSV per form year (2020 in two half-year files), with the
quirks of real exports —

* 2019: consent written ``J``/``N``;
* 2020 first half: Windows-1252, with an ``Opmerkingen`` column (free text, never read);
* 2020 second half: UTF-8 with BOM and ``\\r\\n``; it repeats the forms of the last two
  weeks of the first half (an overlapping export: the same form counts once);
* 2021: dates as ``d-m-jjjj``, columns in another order, BSNs that lost their leading
  zero in a spreadsheet;
* 2022: answers in lower case, and one form without consent filled in (rejected:
  the field is required);
* ``Onbekend`` answers throughout; forms of persons who refused consent are empty;
* forms whose ``Datum insluiting`` was typed one to three days off: they link through
  the 14-day fallback (the person's admission at most 14 days before the form date);
* one person screened twice in one detention (the later form counts);
* forms that link to no detention: persons outside the detention exports (the spare
  persons reserved for screening) and one form filled in three weeks after admission
  with a mistyped admission date.

Gooi en Vechtstreek (DPAN, 2010–2013) has no forms: there the DPAN row is the screening.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from nazorg.demo.files import write_csv
from nazorg.demo.population import (
    JUSTID_END,
    JUSTID_START,
    ML_INSTITUTIONS,
    SPARE_SLICES,
    Episode,
    Population,
)

# --- The published figures the demo reproduces ------------------------------------------

# Midden-Limburg, release year 2020: detention EPISODES with a release in 2020 in a
# municipality of the region, counted from the population (285 persons; 35 of them were
# released twice in 2020 and one three times, so 322 episodes). One of them was
# admitted in 2018, before the screening export starts, and cannot have a form.
ML_2020_RELEASED_DETENTIONS = 322
# Of those, episodes with a (linked) screening form: 193 / 322 = 59.9 % ("about 60%").
ML_2020_WITH_FORM = 193
# Of those, forms saying "Nee" to consent: 19 / 193 = 9.8 % ("only 10% refused").
ML_2020_NO_CONSENT = 19
# Among the 193: forms whose Datum insluiting was typed off (linked via the fallback).
ML_2020_FALLBACK_FORMS = 5

# Midden-Limburg, admission year 2020 (kpi.needs_at_intake): the screened episodes
# admitted in 2020 in the region — those of the 193 admitted in 2020 plus the screened
# episodes admitted in 2020 and released later. Those who refused consent left every
# wish empty; the others answered as below, per life domain (Ja, Nee, Onbekend), the
# rest left empty. The shares of Ja among the answers follow the WODC Monitor Nazorg:
# about 14% without a valid ID, a quarter without an address, a third without income.
ML_2020_ADMISSION_FORMS = 160
ML_2020_ADMISSION_NO_CONSENT = 18  # so 142 forms carry answers
ML_2020_ADMISSION_NEEDS = {
    # domain: (Ja, Nee, Onbekend)          Ja / (Ja + Nee)
    "id": (18, 114, 6),  # 18 / 132 = 13.6 %
    "housing": (33, 98, 7),  # 33 / 131 = 25.2 %
    "work_income": (42, 86, 9),  # 42 / 128 = 32.8 %
    "debts": (45, 73, 19),  # 45 / 118 = 38.1 %
    "care": (36, 95, 7),  # 36 / 131 = 27.5 %
    "social_network": (22, 101, 13),  # 22 / 123 = 17.9 %
}

# Other JustID years: share of episodes with a form and of forms refusing consent.
OTHER_SCREENED_SHARE = 0.55
OTHER_NO_CONSENT_SHARE = 0.1
OTHER_FALLBACK_FORMS = 2
# Forms that link to no detention: persons outside the detention exports.
UNLINKED_SPARE_FORMS = 12

# Ja / Nee / Onbekend / empty weights for the forms outside the exact 2020 set.
ANSWER_WEIGHTS = {
    "id": (14, 80, 4, 2),
    "housing": (24, 70, 4, 2),
    "work_income": (31, 61, 6, 2),
    "debts": (36, 52, 10, 2),
    "care": (27, 66, 5, 2),
    "social_network": (17, 71, 9, 3),
}
LIFE_DOMAINS = tuple(ANSWER_WEIGHTS)

HEADER = [
    "BSN",
    "Inrichting",
    "Datum insluiting",
    "Datum formulier",
    "Toestemming gegevensuitwisseling",
    "Ondersteuningswens identiteitsbewijs",
    "Ondersteuningswens huisvesting",
    "Ondersteuningswens werk en inkomen",
    "Ondersteuningswens schulden",
    "Ondersteuningswens zorg",
    "Ondersteuningswens sociaal netwerk",
]
REMARKS = [
    "Cliënt wil hulp bij aanvraag ID-kaart",
    "Geen vaste woon- of verblijfplaats, logeert bij familie",
    "Schuldhulpverlening loopt al via gemeente",
    "Gesprek gevoerd met MMD'er, vervolg na overplaatsing",
    "Uitkering stopgezet tijdens detentie — nagaan",
]

LINK_WINDOW_DAYS = 14


@dataclass
class Form:
    """One screening form as the demo writes it."""

    bsn: str
    institution: str
    admission: dt.date  # as typed on the form
    form_date: dt.date
    consent: bool | None  # None: left empty (a rejected row)
    episode: Episode | None  # the detention it is meant for (None: none known)
    answers: dict[str, str] = field(default_factory=lambda: dict.fromkeys(LIFE_DOMAINS, ""))
    fallback: bool = False  # Datum insluiting typed off: links through the fallback
    superseded: bool = False  # an earlier form of an episode screened twice


def _form_date(rng: random.Random, ep: Episode, latest: int = 10) -> dt.date:
    stay = (ep.end - ep.admission).days if ep.end else latest
    day = ep.admission + dt.timedelta(days=rng.randrange(0, min(latest, stay) + 1))
    return min(day, JUSTID_END)


def _link(form: Form, admissions: dict[str, list[Episode]]) -> Episode | None:
    """The linking rule, written out independently of the pipeline, to place the quirks."""
    episodes = admissions.get(form.bsn, [])
    same = [e for e in episodes if e.admission == form.admission]
    if same:
        return same[0]
    window = [e for e in episodes if 0 <= (form.form_date - e.admission).days <= LINK_WINDOW_DAYS]
    return max(window, key=lambda e: e.admission) if window else None


def _mistype(rng: random.Random, form: Form, admissions: dict[str, list[Episode]]) -> bool:
    """Type the admission date one to three days off, if the fallback still finds it."""
    for shift in rng.sample([-3, -2, -1, 1, 2, 3], 6):
        typed = form.admission + dt.timedelta(days=shift)
        trial = Form(form.bsn, form.institution, typed, form.form_date, form.consent, None)
        if _link(trial, admissions) is form.episode and all(
            e.admission != typed for e in admissions[form.bsn]
        ):
            form.admission = typed
            return True
    return False


def _answer(rng: random.Random, domain: str) -> str:
    return rng.choices(["Ja", "Nee", "Onbekend", ""], weights=ANSWER_WEIGHTS[domain])[0]


def build_forms(population: Population, seed: int = 4) -> list[Form]:
    """Every demo form, in a fixed order (the rendering into files comes later)."""
    rng = random.Random(seed)
    admissions: dict[str, list[Episode]] = defaultdict(list)
    for ep in population.episodes:
        admissions[ep.person.bsn].append(ep)
    justid = [e for e in population.episodes if e.system == "JustID"]
    released_2020 = [e for e in justid if e.is_release and e.end.year == 2020 and e.municipality]
    assert len(released_2020) == ML_2020_RELEASED_DETENTIONS
    in_2020 = {id(e) for e in released_2020}
    candidates = [e for e in released_2020 if e.admission >= JUSTID_START]
    chosen = rng.sample(candidates, ML_2020_WITH_FORM)
    refusing = {id(e) for e in rng.sample(chosen, ML_2020_NO_CONSENT)}
    others = [e for e in justid if id(e) not in in_2020 and e.admission >= JUSTID_START]
    screened_others = [e for e in others if rng.random() < OTHER_SCREENED_SHARE]
    not_screened = [e for e in others if all(e is not s for s in screened_others)]

    forms: list[Form] = []
    for ep in chosen:
        consent = id(ep) not in refusing
        forms.append(
            Form(ep.person.bsn, ep.institution, ep.admission, _form_date(rng, ep), consent, ep)
        )
    for ep in screened_others:
        consent = rng.random() >= OTHER_NO_CONSENT_SHARE
        forms.append(
            Form(ep.person.bsn, ep.institution, ep.admission, _form_date(rng, ep), consent, ep)
        )

    # Datum insluiting typed a few days off: linked through the 14-day fallback.
    for group, wanted in (
        (forms[:ML_2020_WITH_FORM], ML_2020_FALLBACK_FORMS),
        (forms[ML_2020_WITH_FORM:], OTHER_FALLBACK_FORMS),
    ):
        done = 0
        for form in rng.sample(group, len(group)):
            if done == wanted:
                break
            if form.consent and _mistype(rng, form, admissions):
                form.fallback = True
                done += 1
        assert done == wanted

    # Screened twice in one detention (2020 admission, consenting, long enough): the
    # first form said Nee to consent and knew nothing yet; the later one counts.
    twice = next(
        f
        for f in forms[:ML_2020_WITH_FORM]
        if f.consent
        and f.admission == f.episode.admission
        and f.episode.admission.year == 2020
        and f.episode.end
        and (f.episode.end - f.episode.admission).days >= 20
    )
    twice.form_date = twice.episode.admission + dt.timedelta(days=12)
    first = Form(
        twice.bsn,
        twice.institution,
        twice.admission,
        twice.episode.admission + dt.timedelta(days=1),
        False,
        twice.episode,
    )
    first.answers = dict.fromkeys(LIFE_DOMAINS, "Onbekend")
    first.superseded = True
    forms.append(first)

    # Answers. The exact set: the latest form of each screened episode admitted in
    # 2020 in the region; the others are drawn.
    exact = [
        f
        for f in forms
        if f.episode is not None
        and f.episode.municipality is not None
        and f.episode.admission.year == 2020
        and not f.superseded
    ]
    exact_ids = {id(f) for f in exact}
    _check_constants(exact)
    consenting = sorted((f for f in exact if f.consent), key=lambda f: (f.episode.admission, f.bsn))
    for domain in LIFE_DOMAINS:
        ja, nee, onbekend = ML_2020_ADMISSION_NEEDS[domain]
        cells = ["Ja"] * ja + ["Nee"] * nee + ["Onbekend"] * onbekend
        cells += [""] * (len(consenting) - len(cells))
        rng.shuffle(cells)
        for form, cell in zip(consenting, cells, strict=True):
            form.answers[domain] = cell
    for form in forms:
        if id(form) in exact_ids or form.superseded or not form.consent:
            continue
        form.answers = {d: _answer(rng, d) for d in LIFE_DOMAINS}

    # A form filled in three weeks after admission, with the admission date mistyped:
    # no admission of that person within 14 days before the form date, so no link.
    late_ep = next(
        e
        for e in not_screened
        if e.is_release
        and e.end.year == 2021
        and e.municipality
        and (e.end - e.admission).days >= 30
    )
    late = Form(
        late_ep.person.bsn,
        late_ep.institution,
        late_ep.admission + dt.timedelta(days=2),
        late_ep.admission + dt.timedelta(days=21),
        True,
        None,
    )
    late.answers = {d: _answer(rng, d) for d in LIFE_DOMAINS}
    forms.append(late)

    # The edges of the 14-day fallback, each on a 2021 episode no form was written for,
    # with the admission date mistyped a day late: filled in exactly 14 days after the
    # admission (the last day the fallback links) and exactly 15 days after (too late).
    edges = [e for e in not_screened if e is not late_ep and _fits_edge_forms(e, admissions)]
    assert len(edges) >= len(EDGE_FORM_DAYS)
    for days, edge_ep in zip(EDGE_FORM_DAYS, edges, strict=False):
        edge = Form(
            edge_ep.person.bsn,
            edge_ep.institution,
            edge_ep.admission + dt.timedelta(days=1),
            edge_ep.admission + dt.timedelta(days=days),
            True,
            edge_ep if days <= LINK_WINDOW_DAYS else None,
            fallback=days <= LINK_WINDOW_DAYS,
        )
        edge.answers = dict.fromkeys(LIFE_DOMAINS, "Nee")
        forms.append(edge)

    # Persons outside the detention exports: their forms link to nothing.
    spare = population.spare[SPARE_SLICES["screening"]]
    for person in spare[:UNLINKED_SPARE_FORMS]:
        admission = JUSTID_START + dt.timedelta(days=rng.randrange(0, 4 * 365 - 20))
        form = Form(
            person.bsn,
            rng.choice(ML_INSTITUTIONS),
            admission,
            admission + dt.timedelta(days=rng.randrange(0, 11)),
            rng.random() >= OTHER_NO_CONSENT_SHARE,
            None,
        )
        if form.consent:
            form.answers = {d: _answer(rng, d) for d in LIFE_DOMAINS}
        forms.append(form)
    # A form without consent filled in: rejected (the field is required).
    person = spare[UNLINKED_SPARE_FORMS]
    missing = Form(person.bsn, "PI Roermond", dt.date(2022, 5, 9), dt.date(2022, 5, 12), None, None)
    missing.answers = {d: _answer(rng, d) for d in LIFE_DOMAINS}
    forms.append(missing)

    for form in forms:
        linked = _link(form, admissions)
        assert linked is form.episode, "a demo form does not link where it is meant to"
    return forms


#: Days between admission and form date of the two forms at the fallback's edge.
EDGE_FORM_DAYS = (LINK_WINDOW_DAYS, LINK_WINDOW_DAYS + 1)


def _fits_edge_forms(ep: Episode, admissions: dict[str, list[Episode]]) -> bool:
    """A 2021 JustID release that lasted over three weeks, of a person with no other
    admission within a month: the edge forms then link (or not) to it alone."""
    return (
        ep.is_release
        and ep.admission.year == 2021
        and ep.end.year == 2021
        and ep.municipality is not None
        and (ep.end - ep.admission).days >= 21
        and all(
            o is ep or abs((o.admission - ep.admission).days) > 30
            for o in admissions[ep.person.bsn]
        )
    )


def _check_constants(exact: list[Form]) -> None:
    assert len(exact) == ML_2020_ADMISSION_FORMS, (
        len(exact),
        sum(1 for f in exact if not f.consent),
    )
    refusing = sum(1 for f in exact if not f.consent)
    assert refusing == ML_2020_ADMISSION_NO_CONSENT, refusing
    for domain, (ja, nee, onbekend) in ML_2020_ADMISSION_NEEDS.items():
        assert ja + nee + onbekend <= len(exact) - refusing, domain


# --- Rendering -----------------------------------------------------------------------------


def _date(value: dt.date, style: str) -> str:
    if style == "short":
        return f"{value.day}-{value.month}-{value.year}"
    return value.strftime("%d-%m-%Y")


def _row(
    form: Form,
    *,
    date_style: str = "long",
    consent_style: str = "word",
    lower: bool = False,
    strip_zero: bool = False,
) -> dict[str, str]:
    if form.consent is None:
        consent = ""
    elif consent_style == "letter":
        consent = "J" if form.consent else "N"
    else:
        consent = "Ja" if form.consent else "Nee"
    answers = [form.answers[d] for d in LIFE_DOMAINS]
    if lower:
        answers = [a.lower() for a in answers]
    return dict(
        zip(
            HEADER,
            [
                form.bsn.lstrip("0") if strip_zero else form.bsn,
                form.institution,
                _date(form.admission, date_style),
                _date(form.form_date, date_style),
                consent,
                *answers,
            ],
            strict=True,
        )
    )


def write_screening(population: Population, raw_dir: Path, seed: int = 4) -> list[Path]:
    forms = sorted(build_forms(population, seed), key=lambda f: (f.form_date, f.bsn))
    rng = random.Random(seed + 1)
    folder = raw_dir / "screening"
    written: list[Path] = []

    def write(path: Path, rows: list[dict[str, str]], header: list[str], **kwargs) -> None:
        write_csv(path, header, [[r.get(h, "") for h in header] for r in rows], **kwargs)
        written.append(path)

    by_year: dict[int, list[Form]] = defaultdict(list)
    for form in forms:
        by_year[form.form_date.year].append(form)

    write(
        folder / "2019" / "informatiebladen_2019.csv",
        [_row(f, consent_style="letter") for f in by_year[2019]],
        HEADER,
    )
    first_half = [f for f in by_year[2020] if f.form_date.month <= 6]
    second_half = [f for f in by_year[2020] if f.form_date.month > 6]
    overlap = [f for f in first_half if f.form_date >= dt.date(2020, 6, 15)]
    remarked = []
    for form in first_half:
        row = _row(form)
        row["Opmerkingen"] = rng.choice(REMARKS) if rng.random() < 0.15 else ""
        remarked.append(row)
    write(
        folder / "2020" / "informatiebladen_2020-1.csv",
        remarked,
        [*HEADER[:5], "Opmerkingen", *HEADER[5:]],
        encoding="cp1252",
    )
    write(
        folder / "2020" / "informatiebladen_2020-2.csv",
        [_row(f) for f in overlap + second_half],
        HEADER,
        encoding="utf-8-sig",
        newline="\r\n",
    )
    shuffled = [HEADER[3], HEADER[0], HEADER[2], HEADER[1], HEADER[4], *reversed(HEADER[5:])]
    write(
        folder / "2021" / "informatiebladen_2021.csv",
        [_row(f, date_style="short", strip_zero=True) for f in by_year[2021]],
        shuffled,
    )
    write(
        folder / "2022" / "informatiebladen_2022.csv",
        [_row(f, lower=True) for f in by_year[2022]],
        HEADER,
    )
    assert sorted(by_year) == [2019, 2020, 2021, 2022]
    return written
