"""Fixtures: a throw-away copy of the course (grading/, solutions/, course/) so that the tests
never touch the instructor's gradebook or submitted/ folder."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

GRADING = Path(__file__).resolve().parents[1]
REPO = GRADING.parent
sys.path.insert(0, str(GRADING))

STATE = {"submitted", "autograded", "feedback", "downloaded", "gradebook.db", ".grader",
         "grades.csv", "__pycache__", ".pytest_cache", "tests"}


def make_course_copy(dest: Path) -> Path:
    """dest/{grading,solutions,course}; returns the copied course root (dest/grading)."""
    shutil.copytree(GRADING, dest / "grading", ignore=lambda d, names: [n for n in names if n in STATE])
    for name in ("solutions", "course"):
        shutil.copytree(REPO / name, dest / name, ignore=shutil.ignore_patterns("runs", ".ipynb_checkpoints"))
    return dest / "grading"


@pytest.fixture
def course_copy(tmp_path) -> Path:
    return make_course_copy(tmp_path)


def grader(root: Path, *args: str, timeout=1800) -> subprocess.CompletedProcess:
    """`python -m grader ARGS` in a course root, as the Makefile runs it."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.pop("GRADER_COURSE_ROOT", None)
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=root, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
