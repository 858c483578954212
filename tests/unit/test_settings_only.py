"""Nothing outside the settings object reads the environment: child processes get theirs from
``Settings.child_env``, everything else from ``Settings``."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READS_ENVIRONMENT = re.compile(r"\bos\.environ\b|\bos\.getenv\b|\bgetenv\(|from os import .*\benviron\b")
THE_SETTINGS = "infra/settings.py"


def readers() -> set[str]:
    listed = subprocess.run(["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True)
    return {
        name
        for name in listed.stdout.split()
        if name != "tests/unit/test_settings_only.py"  # its own pattern
        and (ROOT / name).exists()
        and READS_ENVIRONMENT.search((ROOT / name).read_text(encoding="utf-8"))
    }


def test_only_the_settings_read_the_environment():
    assert readers() - {THE_SETTINGS} == set(), "only infra/settings.py reads os.environ"


def test_a_child_process_gets_the_settings_under_their_variable_names():
    from infra.settings import Settings

    env = Settings(SESSIONSTREAM_TOPIC_PREFIX="t.", SESSIONSTREAM_LOG_JSON=True).child_env(
        DATABASE_URL="postgresql://x/y"
    )
    assert (env["SESSIONSTREAM_TOPIC_PREFIX"], env["SESSIONSTREAM_LOG_JSON"], env["DATABASE_URL"]) == (
        "t.",
        "true",
        "postgresql://x/y",
    )
    assert Settings.model_validate(env).topic_prefix == "t."
