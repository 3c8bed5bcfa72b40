"""The pre-grade scan flags what a human should read, and only what the student wrote."""
from __future__ import annotations

import json
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from grader.scan import scan_notebook

RELEASE_CODE = "import numpy as np\nimport autodiff\nx = autodiff.tensor([1.0])"


def notebook(tmp_path: Path, *cells: str) -> tuple[Path, Path]:
    release = tmp_path / "release.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell(RELEASE_CODE)]), release)
    sub = tmp_path / "sub.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell(RELEASE_CODE)] + [new_code_cell(c) for c in cells]), sub)
    return sub, release


def categories(tmp_path, *cells):
    sub, release = notebook(tmp_path, *cells)
    return {f["category"] for f in scan_notebook(sub, release)}


def test_release_code_is_not_flagged(tmp_path):
    assert categories(tmp_path) == set()
    assert categories(tmp_path, "def f(x):\n    return x * 2\ny = f(x)\nprint(y.sum())") == set()


def test_each_kind_of_suspicious_code_is_flagged(tmp_path):
    cases = {
        "get_ipython().input_transformers_cleanup.append(lambda l: [])": "kernel internals",
        "get_ipython().events.register('pre_run_cell', f)": "kernel internals",
        "import sys\nsys.settrace(lambda *a: None)": "tracing / frames",
        "import inspect\ninspect.stack()": "tracing / frames",
        "import builtins\nbuiltins.abs = lambda v: 0": "builtins patching",
        "import sqlite3\nsqlite3.connect('../../gradebook.db')": "grader files",
        "open('../../solutions/a.ipynb')": "grader files",
        "import os\nos._exit(0)": "process control",
        "import subprocess\nsubprocess.run(['ls'])": "process control",
        "import os\nos.fork()": "process control",
        "import socket\nsocket.socket()": "network",
        "exec('print(1)')": "dynamic code",
        "class A:\n    def __eq__(self, o):\n        return True": "lying objects",
        "type = lambda o: float": "shadowing",
        "np = None": "shadowing",
        "np.allclose = lambda *a: True": "module patching",
    }
    for code, category in cases.items():
        assert category in categories(tmp_path, code), code


def test_malformed_notebook(tmp_path):
    bad = tmp_path / "bad.ipynb"
    bad.write_text('{"cells": [')
    (finding,) = scan_notebook(bad)
    assert finding["category"] == "malformed notebook"


def test_the_hostile_samples_are_flagged():
    samples = Path(__file__).resolve().parents[1] / "samples"
    course = Path(__file__).resolve().parents[2] / "course"
    release = course / "2-1_tensor_structure" / "2-1_tensor_structure.ipynb"
    want = {"hostile-input-transformer": "kernel internals", "hostile-os-exit": "process control",
            "hostile-fork-bomb": "process control", "hostile-read-secrets": "grader files",
            "hostile-write-gradebook": "grader files", "hostile-always-equal": "lying objects",
            "hostile-shadow-names": "shadowing"}
    for student, category in want.items():
        nb = samples / student / "2-1_tensor_structure" / "2-1_tensor_structure.ipynb"
        found = {f["category"] for f in scan_notebook(nb, release)}
        assert category in found, (student, found)
    for student in ("alice", "bob", "carol"):
        for nb in (samples / student).glob("*/*.ipynb"):
            rel = course / nb.parent.name / nb.name
            assert scan_notebook(nb, rel) == [], nb
