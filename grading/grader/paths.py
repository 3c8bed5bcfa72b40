"""Where things are: the course root (grading/) and its neighbours."""
from __future__ import annotations

import os
from pathlib import Path

GRADING = Path(__file__).resolve().parents[1]      # nbgrader's course root
REPO = GRADING.parent
SOLUTIONS = REPO / "solutions"
COURSE = REPO / "course"
SAMPLES = GRADING / "samples"


def course_root() -> Path:
    """The course root nbgrader commands run in: grading/, or a copy of it (tests use one)."""
    return Path(os.environ.get("GRADER_COURSE_ROOT", GRADING)).resolve()


def chapters(source: Path | None = None) -> list[str]:
    """Chapter ids: the folders of solutions/ holding a notebook of the same name."""
    source = source or (course_root() / "../solutions").resolve()
    return sorted(p.name for p in source.iterdir()
                  if p.is_dir() and (p / f"{p.name}.ipynb").is_file())
