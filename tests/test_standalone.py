"""The repository stands alone: a user's clone has nothing beside it.

Nothing that runs (code, tests, Makefile, CI) or that a user reads first (README) may
read or name a path outside the repository; `.ci/run` proves it by running the tests
in a fresh clone in an empty temporary folder, and this test catches the mistake
earlier, on a developer's machine where a folder beside the checkout may exist.
"""

import re
import subprocess

from tests.conftest import REPO

# A relative path that climbs out of the repository (`../x`, `..\\x`), or a file path
# built from the repository's parent.
OUTSIDE = re.compile(r"(?<![\w.])\.\.[/\\]|REPO\.parent|\.parent\.parent\.parent")
CHECKED = (".py", ".toml", ".yaml", ".yml", ".cfg", ".sh")
# The README a user reads first; the documents under docs/ link to each other with ../
CHECKED_NAMES = {"Makefile", "README.md", ".ci/run"}


def _tracked_files():
    listed = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    return [
        REPO / name
        for name in listed
        if name.endswith(CHECKED) or name in CHECKED_NAMES or name.endswith("/Makefile")
    ]


def test_nothing_names_a_path_outside_the_repository():
    offending = []
    for path in _tracked_files():
        if path == REPO / "tests" / "test_standalone.py" or not path.exists():
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if OUTSIDE.search(line):
                offending.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert offending == []


def test_the_pattern_catches_what_it_is_for():
    assert OUTSIDE.search('EXAMPLES = REPO.parent / "shared" / "examples"')
    assert OUTSIDE.search("see ../shared/spec/warehouse.md")
    assert not OUTSIDE.search("a range 1..10, or a path ./raw/x.csv")


def test_ci_runs_the_readme_test_command_in_a_clone_with_nothing_beside_it():
    readme = (REPO / "README.md").read_text()
    ci = (REPO / ".ci" / "run").read_text()
    command = re.search(r"^make test\b", readme, re.MULTILINE)
    assert command, "the README's test command is `make test`"
    assert "git clone" in ci and "mktemp -d" in ci and re.search(r"^\s*make test\s*$", ci, re.M)
