"""Finding and identifying the files of a source: discovery below its folder, links that
are refused, the SHA-256 that is a file's identity (remembered across runs), and the
region folder a file sits in.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from nazorg.ingest.shared import FileProblem


def sha256_of(path: Path) -> str:
    """SHA-256 of the file's bytes (the file's identity).

    A file whose inode, size, modification and status-change times are unchanged is not
    read again: within a run (a run fingerprints its inputs before it ingests them), and
    across runs through :func:`load_known_hashes`. The status-change time (ctime) moves
    with every write to the file and no tool can set it back, unlike the modification
    time that ``touch`` or ``cp -p`` set at will.
    """
    stat = path.stat()
    signature = _stat_signature(path, stat)
    if signature in _SHA_MEMO:
        return _SHA_MEMO[signature]
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    if len(_SHA_MEMO) > 100_000:
        _SHA_MEMO.clear()
        _SETTLED.clear()
    _SHA_MEMO[signature] = digest.hexdigest()
    # A file changed within the same clock tick as it was read could keep its times:
    # only a file that was already quiet for a while is remembered beyond this run.
    if max(stat.st_mtime_ns, stat.st_ctime_ns) < time.time_ns() - SETTLED_NS:
        _SETTLED.add(signature)
    return _SHA_MEMO[signature]


def _stat_signature(path: Path, stat: os.stat_result) -> tuple:
    return (str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


_SHA_MEMO: dict[tuple, str] = {}
_SETTLED: set[tuple] = set()
SETTLED_NS = 2_000_000_000
HASHES_VERSION = 1


def load_known_hashes(path: Path) -> None:
    """Take the hashes of an earlier run (:func:`save_known_hashes`) as known.

    A missing or unreadable file only means that every export is read once more.
    """
    try:
        data = json.loads(path.read_text())
        if data.get("version") != HASHES_VERSION:
            return
        for *signature, sha in data["files"]:
            _SHA_MEMO[tuple(signature)] = sha
            _SETTLED.add(tuple(signature))
    except (OSError, ValueError, KeyError, TypeError):
        return


def save_known_hashes(path: Path) -> None:
    """Remember for the next run the hash of every file known now, as it is now.

    A file that is gone, or changed since it was hashed, is left out; so is one that
    was changed just before it was hashed (see :func:`sha256_of`).
    """
    entries = []
    for signature in sorted(_SETTLED & _SHA_MEMO.keys()):
        file = Path(signature[0])
        try:
            current = _stat_signature(file, file.stat())
        except OSError:
            continue
        if current == signature:
            entries.append([*signature, _SHA_MEMO[signature]])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"version": HASHES_VERSION, "files": entries}))
    os.replace(tmp, path)


INPUT_SUFFIXES = frozenset({".csv", ".xlsx"})


def is_input_file(path: Path) -> bool:
    """A ``.csv``/``.xlsx`` export; not the ``~$name.xlsx`` lock file Excel leaves next to
    a workbook someone has open (it is no export, and would fail every night)."""
    return path.suffix.lower() in INPUT_SUFFIXES and not path.name.startswith("~$")


def discover(source_dir: Path) -> tuple[list[Path], list[Path]]:
    """Every ``*.csv``/``*.xlsx`` below the folder at any depth, sorted; and the rest.

    A link to a file is listed like a file, a broken one too (:func:`link_problem` says
    what is wrong with it, so that it is never skipped without a word). A link to a
    folder is not followed (it is listed with the rest, see :func:`ignored_reason`).
    """
    if not source_dir.is_dir():
        return [], []
    entries = sorted(source_dir.rglob("*"))
    files = [p for p in entries if p.is_file() or (p.is_symlink() and not p.exists())]
    wanted = [p for p in files if is_input_file(p)]
    ignored = [p for p in files if not is_input_file(p)]
    ignored += [p for p in entries if p.is_symlink() and p.is_dir()]
    return wanted, sorted(ignored)


def ignored_reason(path: Path) -> str:
    if path.is_symlink() and path.is_dir():
        return "(koppeling naar een map; niet gevolgd)"
    if path.name.startswith("~$"):
        return "(Excel-vergrendelbestand)"
    return "(geen .csv of .xlsx)"


def link_problem(path: Path, raw_dir: Path) -> str | None:
    """Why a file in raw/ is not read although its name says export: a link whose target
    does not exist, or lies outside the raw folder (the run reads what was put in raw/,
    never a file elsewhere that a link happens to point at). None for an ordinary file
    and for a link that stays inside the raw folder."""
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):  # missing target, or a loop of links
        return (
            "is een koppeling (snelkoppeling) naar een bestand dat niet bestaat; niet gelezen. "
            "Zet het bestand zelf in de map of herstel de koppeling"
        )
    if not target.is_relative_to(raw_dir.resolve()):
        return (
            "is een koppeling naar een bestand buiten de invoermap; niet gelezen (de pipeline "
            "leest alleen wat in de invoermap staat). Zet het bestand zelf in de map"
        )
    return None


def region_slug(region: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", region.lower()).strip("-")


@dataclass
class Candidate:
    """A file to load: not a duplicate, hashed, in a region folder where needed."""

    order: int  # position among all files of the source (path order)
    path: Path
    label: str
    sha: str
    region: str | None


def below_link(path: Path, raw_dir: Path) -> bool:
    """Whether a folder between raw/ and the file is a link (a source folder that is a
    link to elsewhere, ``raw/justid -> /mnt/…``)."""
    return any(parent.is_symlink() for parent in path.parents if parent.is_relative_to(raw_dir))


def sha256_or_error(path: Path) -> str | OSError:
    try:
        return sha256_of(path)
    except OSError as exc:
        return exc


def region_of(path: Path, source_dir: Path, regions: dict[str, str], label: str) -> str:
    parts = path.relative_to(source_dir).parts
    if len(parts) < 2:
        raise FileProblem(
            f"{label}: staat niet in een regiomap; zet het in bijvoorbeeld "
            f"{source_dir.name}/{next(iter(regions), 'gooi-en-vechtstreek')}/"
        )
    if parts[0] not in regions:
        raise FileProblem(
            f"{label}: onbekende regiomap '{parts[0]}' (bekend: {', '.join(sorted(regions))})"
        )
    return regions[parts[0]]
