"""Paths and secrets from the environment (see warehouse.md "Running it")."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# A fixed development key: pseudonyms made with it are only stable, not secret.
DEVELOPMENT_PSEUDONYM_KEY = "nazorg-development-key-not-for-production"


class MissingPseudonymKey(RuntimeError):
    """NAZORG_ENV=production without NAZORG_PSEUDONYM_KEY."""


@dataclass(frozen=True)
class Settings:
    raw_dir: Path
    warehouse: Path
    reports_dir: Path
    pseudonym_key: str
    uses_development_key: bool

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        key = env.get("NAZORG_PSEUDONYM_KEY", "")
        if not key and env.get("NAZORG_ENV", "").lower() == "production":
            raise MissingPseudonymKey(
                "NAZORG_PSEUDONYM_KEY ontbreekt terwijl NAZORG_ENV=production: "
                "zonder sleutel worden geen pseudoniemen gemaakt."
            )
        return cls(
            raw_dir=Path(env.get("NAZORG_RAW_DIR", "raw")),
            warehouse=Path(env.get("NAZORG_WAREHOUSE", "warehouse/nazorg.duckdb")),
            reports_dir=Path(env.get("NAZORG_REPORTS_DIR", "warehouse/reports")),
            pseudonym_key=key or DEVELOPMENT_PSEUDONYM_KEY,
            uses_development_key=not key,
        )
