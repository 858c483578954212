"""Every rule id the code or the tests cite is defined in a ``domain/<context>/RULES.md``.

Each context's rooms (``domain/<c>/``, ``producers/<c>/``, ``projections/<c>/``, ``consumers/<c>/``,
``infra/api/<c>/``, ``infra/cli/<c>.py``, ``infra/cli/demo_<c>.py``, ``infra/bench/<c>.py``, any ``tests/**/<c>/``
folder and any test file named for the context) are checked with that context's id patterns against its own
``RULES.md``.  Every other Python file (the shared machinery, tests of several contexts) is checked for the ids
of the shape ``§n``, ``Cn`` and ``Qn`` against the ids of every ``RULES.md``.  A ``RULES.md`` defines one id per line:
``- **<ID>** <text>``.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Context:
    name: str
    patterns: tuple[str, ...]
    #: Its RULES.md is still to be written: only then is the context left out, and only by this name.
    rules_pending: bool = False

    @property
    def rules(self) -> Path:
        return ROOT / "domain" / self.name / "RULES.md"


#: Every context, with the shapes of the ids its rules use.  A new context adds one line.
CONTEXTS = (
    Context("eventsessions", (r"§[0-9.]+", r"\bC[0-9]+b?\b", r"\bQ[0-9]+\b", r"\bD[0-9]+\b")),
    Context("charging", (r"\bR-[0-9]+\b", r"\bD[0-9]+\b", r"\bCH-[0-9]+\b")),
    Context("classroom", (r"\bB\.[0-9]+(?:\.[0-9]+)*\b", r"\bCL-[0-9]+\b")),
    Context("music", (r"\bA\.[0-9]+(?:\.[0-9]+)*\b", r"\bMU-[0-9]+\b")),
)
#: What files outside every room are checked for (the issue's ``git grep "§\|\bC[0-9]\+\b\|\bQ[0-9]\+\b"``).
SHARED_PATTERNS = (r"§[0-9.]*", r"\bC[0-9]+b?\b", r"\bQ[0-9]+\b")
RULE_LINE = re.compile(r"^- \*\*(?P<id>[^*\s]+)\*\* \S")


def defined_ids(rules: Path) -> set[str]:
    """The ids a RULES.md defines; any list line that is not a well-formed rule is an error."""
    ids: list[str] = []
    for number, line in enumerate(rules.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.startswith("- "):
            continue
        match = RULE_LINE.match(line)
        assert match, f"{rules.relative_to(ROOT)}:{number}: a rule reads '- **<ID>** <text>': {line!r}"
        ids.append(match["id"])
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"{rules.relative_to(ROOT)} defines {duplicates} more than once"
    return set(ids)


def cited_ids(text: str, patterns: tuple[str, ...]) -> set[str]:
    """The ids ``text`` cites; a trailing full stop ends the sentence, not the id (``see §7.4.``)."""
    return {match.group(0).rstrip(".") for pattern in patterns for match in re.finditer(pattern, text)}


def python_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [ROOT / name for name in listed if (ROOT / name).exists()]


def room_of(path: Path) -> str | None:
    """The context whose room holds ``path`` (None for shared files)."""
    parts = path.relative_to(ROOT).parts
    for context in CONTEXTS:
        c = context.name
        if parts[0] in ("domain", "producers", "projections", "consumers") and len(parts) > 2 and parts[1] == c:
            return c
        if parts[:2] == ("infra", "api") and len(parts) > 3 and parts[2] == c:
            return c
        if parts[:2] in (("infra", "cli"), ("infra", "bench")) and parts[-1] in (f"{c}.py", f"demo_{c}.py"):
            return c
        if parts[0] == "tests" and (c in parts[1:-1] or c in parts[-1]):
            return c
    return None


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name


def undefined(paths: list[Path], patterns: tuple[str, ...], defined: set[str]) -> list[str]:
    found = []
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            found += [f"{_shown(path)}:{number}: {i}" for i in sorted(cited_ids(line, patterns) - defined)]
    return found


def test_every_context_directory_is_in_the_table():
    directories = {
        p.name for p in (ROOT / "domain").iterdir() if p.is_dir() and p.name not in ("shared", "__pycache__")
    }
    assert directories <= {c.name for c in CONTEXTS}


@pytest.mark.parametrize("context", CONTEXTS, ids=lambda c: c.name)
def test_a_context_cites_only_the_rule_ids_its_rules_define(context):
    if not context.rules.exists():
        assert context.rules_pending, f"{context.rules.relative_to(ROOT)} is missing"
        return  # left out by name: its rules are still to be written
    mine = [p for p in python_files() if room_of(p) == context.name]
    assert mine, f"no file found in the rooms of {context.name}"
    assert undefined(mine, context.patterns, defined_ids(context.rules)) == []


def test_shared_files_cite_only_rule_ids_some_rules_define():
    every = set().union(*(defined_ids(c.rules) for c in CONTEXTS if c.rules.exists()))
    shared = [p for p in python_files() if room_of(p) is None and p != Path(__file__).resolve()]
    assert undefined(shared, SHARED_PATTERNS, every) == []


def test_an_undefined_id_is_reported_with_its_place(tmp_path):
    cited = tmp_path / "probe.py"
    cited.write_text("x = 1\n# C1 holds (§3.1.), and so does C99 (Q15, §99.9); a bare § too.\n", encoding="utf-8")
    assert undefined([cited], CONTEXTS[0].patterns, defined_ids(CONTEXTS[0].rules)) == [
        "probe.py:2: C99",
        "probe.py:2: §99.9",
    ]
    assert undefined([cited], SHARED_PATTERNS, defined_ids(CONTEXTS[0].rules)) == [
        "probe.py:2: C99",
        "probe.py:2: §",
        "probe.py:2: §99.9",
    ]
