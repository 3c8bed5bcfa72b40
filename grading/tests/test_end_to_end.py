"""The whole sample class through collect -> autograde -> grades -> feedback, in a copy of the
course, with every kernel in the sandbox. Asserts every score, that each hostile submission is
contained and named in the summary, that nothing it did reached the gradebook or other
students, and that feedback never shows hidden tests."""
from __future__ import annotations

import csv
import hashlib
import html
import json
import re
import time
from pathlib import Path

import nbformat
import pytest

from conftest import GRADING, grader, make_course_copy
from grader.release import _norm, protected_lines

pytestmark = pytest.mark.slow
CH1 = "2-1_tensor_structure"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = make_course_copy(tmp_path_factory.mktemp("course"))
    r = grader(root, "collect", "--samples")
    assert r.returncode == 0, r.stdout
    start = time.monotonic()
    r = grader(root, "autograde")
    seconds = time.monotonic() - start
    assert r.returncode == 0, r.stdout[-5000:]
    print(r.stdout)
    summary = json.loads((root / ".grader" / "summary.json").read_text())
    print(f"\nautograde of the sample class: {seconds:.1f} s wall, {len(summary['rows'])} submissions, "
          f"{summary['jobs']} in parallel")
    for row in summary["rows"]:
        print(f"  {row['student']:28} {row['chapter']:22} notebook {row.get('seconds')} s, "
              f"student process {row['seconds_student']} s")
    return {"root": root, "stdout": r.stdout, "summary": summary,
            "rows": {(x["student"], x["chapter"]): x for x in summary["rows"]}}


def hidden_lines(root: Path) -> set[str]:
    """Lines only the hidden tests have (not lines a correct answer may contain too)."""
    hidden, _ = protected_lines(root.parent / "solutions", kinds=("HIDDEN TESTS",))
    answers, _ = protected_lines(root.parent / "solutions", kinds=("SOLUTION",))
    return hidden - answers


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_grades_csv_is_the_expected_one(graded):
    root = graded["root"]
    r = grader(root, "grades")
    assert r.returncode == 0, r.stdout
    got = read_csv(root / "grades.csv")
    want = read_csv(GRADING / "samples" / "expected_grades.csv")
    assert list(got[0]) == ["student", "chapter", "score", "max_score"]
    assert got == want


def test_summary_names_every_failure_and_every_hostile_submission(graded):
    rows, out = graded["rows"], graded["stdout"]
    failed = {k for k, r in rows.items() if r["status"] == "failed"}
    assert failed == {("hostile-malformed", CH1)}
    assert "malformed notebook" in rows[("hostile-malformed", CH1)]["reason"]
    review = {
        "hostile-infinite-loop": "cell-timeout",
        "hostile-memory-bomb": "memory-limit",
        "hostile-fork-bomb": "process control",
        "hostile-os-exit": "kernel-died",
        "hostile-read-secrets": "grader files",
        "hostile-write-gradebook": "grader files",
        "hostile-input-transformer": "kernel internals",
        "hostile-always-equal": "lying objects",
        "hostile-shadow-names": "shadowing",
        "hostile-big-output": "output-truncated",
    }
    for student, why in review.items():
        assert why in rows[(student, CH1)]["review"], (student, rows[(student, CH1)]["review"])
        assert f"review: {student}/{CH1}" in out
    assert "failed: hostile-malformed" in out
    for student in ("alice", "bob", "carol"):
        for (s, _), r in rows.items():
            if s == student:
                assert r["status"] == "graded" and not r["review"], r
    assert re.search(r"graded 21, failed 1, flagged for review 10 \(of 22 submissions\)", out)


def outputs_text(nb_path: Path) -> str:
    nb = nbformat.read(nb_path, as_version=4)
    return "\n".join(json.dumps(o) for c in nb.cells if c.cell_type == "code" for o in c.outputs)


def test_hostile_code_found_and_changed_nothing(graded):
    root = graded["root"]
    autograded = root / "autograded"
    read = outputs_text(autograded / "hostile-read-secrets" / CH1 / f"{CH1}.ipynb")
    assert "files found: {}" in read, read[:2000]
    assert "network: [Errno 101] Network is unreachable" in read
    written = outputs_text(autograded / "hostile-write-gradebook" / CH1 / f"{CH1}.ipynb")
    assert "could not write" in written or "could not overwrite" in written
    assert "wrote " not in written.replace("could not write", "") and "overwrote" not in written
    hidden = hidden_lines(root)
    for nb_path in autograded.glob(f"hostile-*/{CH1}/{CH1}.ipynb"):
        text = outputs_text(nb_path)
        leaked = [ln for ln in hidden if ln in text]
        assert not leaked, (nb_path, leaked[:3])


def test_outputs_are_bounded(graded):
    big = graded["root"] / "autograded" / "hostile-big-output" / CH1 / f"{CH1}.ipynb"
    assert big.stat().st_size < 6_000_000


def test_feedback_shows_results_but_never_hidden_tests(graded):
    root = graded["root"]
    r = grader(root, "feedback")
    assert r.returncode == 0, r.stdout[-3000:]
    pages = sorted((root / "feedback").glob("*/*/*.html"))
    assert len(pages) == 21                                   # every graded submission
    hidden = hidden_lines(root)
    for page in pages:
        text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))
        assert "BEGIN HIDDEN TESTS" not in text, page
        lines = {_norm(ln) for ln in text.splitlines()}
        leaked = sorted(lines & hidden)
        assert not leaked, (page, leaked[:3])
        assert page.stat().st_size < 6_000_000
    bob = html.unescape((root / "feedback" / "bob" / CH1 / f"{CH1}.html").read_text())
    assert "AssertionError: the array itself must be standardised" in bob       # a test's message
    assert "RuntimeError: view size is not compatible" in bob                   # an error's message
    assert "Traceback (most recent call last)" not in re.sub(r"<[^>]+>", "", bob)


def _digest(paths):
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(paths)}


def test_regrading_hostile_students_leaves_the_others_untouched(graded):
    root = graded["root"]
    others = [p for p in (root / "autograded").glob("*/*/*.ipynb") if not p.parts[-3].startswith("hostile-")]
    before = _digest(others)
    grades_before = [row for row in read_csv(GRADING / "samples" / "expected_grades.csv")]
    for student in ("hostile-write-gradebook", "hostile-read-secrets", "hostile-input-transformer"):
        r = grader(root, "autograde", "--student", student)
        assert r.returncode == 0, r.stdout[-3000:]
    assert _digest(others) == before
    assert grader(root, "grades").returncode == 0
    assert read_csv(root / "grades.csv") == grades_before
