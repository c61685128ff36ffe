"""The score of `make mutation`, from the results mutmut leaves in ``mutants/``.

``python -m nazorg.mutation_score PATTERN...`` counts the mutants whose names match one
of the patterns (those the run was given: mutmut generates mutants for every function of
a file it mutates, and ingestion is only in scope for its column typing), prints the
score and, for every mutant that survived, its name and the changed line(s), which is
what docs/testing.md explains one by one. ``--markdown`` prints the survivors as table
rows for that file.

Killed and timed out count as caught (a mutant that makes a test hang is found); a
mutant that no test reaches counts as survived.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import fnmatch
import json
import re
from collections import Counter
from pathlib import Path

MUTANTS = Path("mutants")

# mutmut's exit codes (mutmut.stats.status_by_exit_code), as this report groups them.
CAUGHT = {1: "killed", 3: "killed", -24: "timeout", 24: "timeout", 36: "timeout", 152: "timeout"}
CAUGHT |= {255: "timeout", -9: "segfault", -11: "segfault", 37: "type check"}
SURVIVED = {0: "survived", 5: "no tests", 33: "no tests"}


def results(patterns: list[str]) -> dict[str, int | None]:
    """Exit code (None: not run yet) of every mutant in scope, by name."""
    found: dict[str, int | None] = {}
    for meta in sorted(MUTANTS.rglob("*.py.meta")):
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        found |= {
            name: code
            for name, code in codes.items()
            if any(fnmatch.fnmatchcase(name, p) for p in patterns)
        }
    return found


def _functions(path: Path) -> dict[str, list[str]]:
    """Source lines of every top-level function and method of a mutated file."""
    text = path.read_text()
    lines = text.splitlines()
    out: dict[str, list[str]] = {}
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            out[node.name] = lines[node.lineno - 1 : node.end_lineno]
    return out


def changed_lines(name: str, cache: dict[Path, dict[str, list[str]]]) -> str:
    """The lines a mutant changes, as ``-old`` / ``+new``."""
    module, _, function = name.rpartition(".")
    path = MUTANTS / (module.replace(".", "/") + ".py")
    if path not in cache:
        cache[path] = _functions(path)
    functions = cache[path]
    original = re.sub(r"__mutmut_\d+$", "__mutmut_orig", function)
    old, new = functions.get(original, []), functions.get(function, [])
    diff = difflib.unified_diff(old[1:], new[1:], lineterm="", n=0)  # not the def line
    return "\n".join(
        line.strip() if len(line) < 2 else line[0] + line[1:].strip()
        for line in diff
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("patterns", nargs="+")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    codes = results(args.patterns)
    statuses = Counter(
        CAUGHT.get(code) or SURVIVED.get(code) or ("not run" if code is None else "suspicious")
        for code in codes.values()
    )
    caught = sum(1 for c in codes.values() if c in CAUGHT)
    tested = sum(1 for c in codes.values() if c in CAUGHT or c in SURVIVED)
    survivors = sorted(n for n, c in codes.items() if c in SURVIVED)
    cache: dict[Path, dict[str, list[str]]] = {}
    for name in survivors:
        change = changed_lines(name, cache).replace("\n", " / ")
        if args.markdown:
            print(f"| `{name.removeprefix('nazorg.')}` | `{change}` | |")
        else:
            print(f"{name}: {change}")
    print()
    print(", ".join(f"{status} {n}" for status, n in sorted(statuses.items())))
    per_module = Counter(n.split(".")[1] for n in codes)
    print("mutants per module: " + ", ".join(f"{m} {n}" for m, n in sorted(per_module.items())))
    if tested:
        print(f"score: {caught} of {tested} caught = {100 * caught / tested:.1f} %")


if __name__ == "__main__":
    main()
