"""Run real nbgrader commands the way they must be run (see shared GRADING.md):
from the course root (nbgrader reads ./nbgrader_config.py only), with the venv's bin/ on PATH
(nbgrader starts `alembic` by name to create the gradebook)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .paths import course_root


def env(extra: dict | None = None) -> dict:
    e = dict(os.environ)
    bindir = str(Path(sys.executable).parent)
    e["PATH"] = bindir + os.pathsep + e.get("PATH", "")
    e.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    e.update(extra or {})
    return e


def nbgrader(*args: str, root: Path | None = None, capture: bool = False, timeout=None,
             extra_env: dict | None = None) -> subprocess.CompletedProcess:
    """`nbgrader ARGS` in the course root; returns the CompletedProcess (never raises on exit code)."""
    root = Path(root or course_root())
    if not (root / "nbgrader_config.py").is_file():
        raise FileNotFoundError(f"{root}/nbgrader_config.py is missing: not a course root")
    cmd = [sys.executable, "-m", "nbgrader", *args]
    return subprocess.run(cmd, cwd=root, env=env(extra_env), text=True, timeout=timeout,
                          stdout=subprocess.PIPE if capture else None,
                          stderr=subprocess.STDOUT if capture else None)
