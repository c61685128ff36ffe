"""Paths and secrets from the environment (see warehouse.md "Running it")."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# A fixed development key: pseudonyms made with it are only stable, not secret.
DEVELOPMENT_PSEUDONYM_KEY = "nazorg-development-key-not-for-production"

#: The values of NAZORG_ENV (trimmed, any case) under which the development key may be
#: used; unset or empty counts as development too. Every other value is a real
#: environment: ``production``, `` Production `` from an env file, ``prod``, ``acceptatie``.
DEVELOPMENT_ENVIRONMENTS = frozenset({"", "development", "test"})
#: The shortest key a real environment accepts, not counting spaces around it. A short
#: key would not stop anyone from trying all ~10^8 valid BSNs against a pseudonym.
MIN_KEY_LENGTH = 32


class MissingPseudonymKey(RuntimeError):
    """A real environment (NAZORG_ENV other than development/test) without a usable key."""


def is_development(environment: str | None) -> bool:
    return (environment or "").strip().lower() in DEVELOPMENT_ENVIRONMENTS


def checked_key(key: str | None, environment: str | None) -> tuple[str, bool]:
    """(the key to use, whether it is the development key) under NAZORG_ENV.

    A key of nothing but spaces is no key. Under development/test (or no NAZORG_ENV)
    a missing key means the development key (the caller warns); under any other value
    the run stops before it reads a file unless the key has at least MIN_KEY_LENGTH
    characters besides spaces around it.
    """
    given = key if key and key.strip() else None
    if is_development(environment):
        return (given, False) if given else (DEVELOPMENT_PSEUDONYM_KEY, True)
    shown = (environment or "").strip()
    if given is None:
        raise MissingPseudonymKey(
            f"NAZORG_PSEUDONYM_KEY ontbreekt (of bevat alleen spaties) terwijl NAZORG_ENV={shown}: "
            "zonder geheime sleutel worden geen pseudoniemen gemaakt. De run stopt voordat er "
            "een bestand gelezen is en publiceert niets. Zet een sleutel van minstens "
            f"{MIN_KEY_LENGTH} tekens in het omgevingsbestand (modus 0600)."
        )
    if len(given.strip()) < MIN_KEY_LENGTH:
        raise MissingPseudonymKey(
            f"NAZORG_PSEUDONYM_KEY is te kort ({len(given.strip())} tekens) voor NAZORG_ENV={shown}: "
            f"een geheime sleutel heeft minstens {MIN_KEY_LENGTH} tekens, anders is een "
            "pseudoniem terug te rekenen door alle BSN's te proberen. De run stopt voordat er "
            "een bestand gelezen is en publiceert niets."
        )
    return given, False


@dataclass(frozen=True)
class Settings:
    raw_dir: Path
    warehouse: Path
    reports_dir: Path
    pseudonym_key: str
    uses_development_key: bool

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, key: str | None = None) -> Settings:
        """The settings of the environment; ``key`` (a resource's configured key) takes
        the place of NAZORG_PSEUDONYM_KEY and is held to the same rule."""
        env = dict(os.environ if env is None else env)
        pseudonym_key, development = checked_key(
            key or env.get("NAZORG_PSEUDONYM_KEY"), env.get("NAZORG_ENV")
        )
        return cls(
            raw_dir=Path(env.get("NAZORG_RAW_DIR", "raw")),
            warehouse=Path(env.get("NAZORG_WAREHOUSE", "warehouse/nazorg.duckdb")),
            reports_dir=Path(env.get("NAZORG_REPORTS_DIR", "warehouse/reports")),
            pseudonym_key=pseudonym_key,
            uses_development_key=development,
        )
