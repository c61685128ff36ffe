"""Synthetic persons: BSNs that pass the 11-proef, names, birth dates.

BSNs come first from the official test range 999990000–999999999, which holds only
909 valid numbers; after that from a documented generated sequence that alternates
two streams:

* ``0xxxxxxxx``: valid numbers counting up from 010000000 — they have a leading zero,
  which Excel drops when a BSN is stored as a number (the pipeline pads it back);
* ``9999xxxxx`` is exhausted, so the second stream counts *down* from 899999999.

Numbers of the generated sequence are synthetic: they are never taken from, nor
checked against, any real registration.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass

TEST_RANGE = range(999_990_000, 1_000_000_000)


def elfproef(number: str) -> bool:
    if len(number) != 9 or not number.isdigit() or number == "000000000":
        return False
    weights = (9, 8, 7, 6, 5, 4, 3, 2, -1)
    return sum(int(d) * w for d, w in zip(number, weights, strict=True)) % 11 == 0


def test_range_bsns() -> list[str]:
    return [str(n) for n in TEST_RANGE if elfproef(str(n))]


def generated_bsns() -> Iterator[str]:
    """The documented sequence after the test range (see module docstring)."""
    up, down = 10_000_000, 899_999_999
    while True:
        while not elfproef(f"{up:09d}"):
            up += 1
        yield f"{up:09d}"
        up += 1
        while not elfproef(f"{down:09d}"):
            down -= 1
        yield f"{down:09d}"
        down -= 1


def all_bsns() -> Iterator[str]:
    yield from test_range_bsns()
    yield from generated_bsns()


FIRST_INITIALS = list("ABCDEFGHJKLMNPRSTW")
SURNAMES = [
    "Aalbers",
    "Bosveld",
    "Brinkhorst",
    "Dijkgraaf",
    "Everaars",
    "Frankema",
    "Gerritsma",
    "Haverkamp",
    "IJzerman",
    "Jonkergouw",
    "Kraaijeveld",
    "Lodewijks",
    "Meulenbelt",
    "Nieuwenkamp",
    "Oosterling",
    "Pronk",
    "Quaedvlieg",
    "Rademakers",
    "Schellekens",
    "Tijssens",
    "Uitdehaag",
    "Verhoeckx",
    "Wijnands",
    "Zwanenburg",
    "Öztürk",
    "Reënts",
    "Bruijnzeels",
    "Coumans",
    "Dohmen",
    "Eurlings",
    "Frissen",
    "Geurts",
    "Hendrikx",
    "Janssens",
    "Knoops",
    "Lenssen",
    "Mertens",
    "Nelissen",
    "Ortmans",
    "Pluijmen",
    "Ramakers",
    "Stassen",
    "Thijssen",
    "Vaessen",
    "Wolters",
    "Bakkenes",
    "Ceelen",
]


@dataclass(frozen=True)
class Person:
    """A synthetic person. Only ``bsn`` links exports; names exist to be dropped."""

    bsn: str
    surname: str
    initials: str
    birth_date: dt.date
    sex: str

    @property
    def full_name(self) -> str:
        return f"{self.initials} {self.surname}"


class PersonPool:
    """Hands out persons deterministically, in the order asked for."""

    def __init__(self, seed: int = 2013) -> None:
        self._bsns = all_bsns()
        self._rng = random.Random(seed)

    def take(self, n: int = 1) -> list[Person]:
        people = []
        for _ in range(n):
            rng = self._rng
            initials = ".".join(rng.sample(FIRST_INITIALS, rng.choice([1, 1, 2]))) + "."
            birth = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 52))
            people.append(
                Person(
                    bsn=next(self._bsns),
                    surname=rng.choice(SURNAMES),
                    initials=initials,
                    birth_date=birth,
                    sex=rng.choices(["M", "V", "X"], weights=[88, 11, 1])[0],
                )
            )
        return people
