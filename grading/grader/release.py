"""`make release` and `make check-release`: the student versions in course/.

* release: ``nbgrader generate_assignment CHAPTER --force`` for every chapter of solutions/.
* check: regenerate into a temporary folder and compare with course/ byte for byte; look for
  solution and hidden-test text anywhere in course/; run every released notebook and require
  each graded test cell to fail, with NotImplementedError from the stub, and nothing else to
  fail (nbgrader's Validator with ``invert``, its verdict turned into an exit code).
"""
from __future__ import annotations

import filecmp
import fnmatch
import os
import re
import shutil
import tempfile
from pathlib import Path

import nbformat

from .nbgrader_cli import nbgrader
from .paths import chapters, course_root

BEGIN = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS)")
END = re.compile(r"### END (SOLUTION|HIDDEN TESTS)")
MIN_LEAK_LEN = 12          # shorter lines ("return x", ")") are too common to prove a leak


def release(only: list[str] | None = None, root: Path | None = None) -> int:
    root = Path(root or course_root())
    for ch in only or chapters():
        r = nbgrader("generate_assignment", ch, "--force", root=root)
        if r.returncode != 0:
            print(f"release: nbgrader generate_assignment {ch} failed")
            return r.returncode
    return 0


def _norm(line: str) -> str:
    """A line without its trailing comment and with single spaces: leaks are found even when
    whitespace or comments were changed."""
    return " ".join(re.sub(r"\s+#.*$", "", line).split())


def protected_lines(solutions: Path, kinds=("SOLUTION", "HIDDEN TESTS")) -> tuple[set[str], set[str]]:
    """Lines inside solution / hidden-test blocks (of the given kinds), and lines found
    outside all blocks."""
    inside, outside = set(), set()
    for nb_path in sorted(solutions.glob("*/*.ipynb")):
        nb = nbformat.read(nb_path, as_version=4)
        for cell in nb.cells:
            block = None
            for line in cell.source.splitlines():
                s = _norm(line)
                if m := BEGIN.search(line):
                    block = m.group(1)
                elif END.search(line):
                    block = None
                elif block is None:
                    outside.add(s)
                elif block in kinds:
                    inside.add(s)
    return {s for s in inside - outside if len(s) >= MIN_LEAK_LEN}, outside


def find_leaks(course: Path, solutions: Path) -> list[str]:
    secret, _ = protected_lines(solutions)
    problems = []
    for path in sorted(p for p in course.rglob("*") if p.is_file()
                       and not any(_ignored(part) for part in p.relative_to(course).parts)):
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        if path.suffix == ".ipynb":
            nb = nbformat.reads(text, as_version=4)
            lines = [ln for c in nb.cells for ln in c.source.splitlines()]
            lines += [ln for c in nb.cells if c.cell_type == "code"
                      for o in c.get("outputs", []) for ln in str(o).splitlines()]
        else:
            lines = text.splitlines()
        for ln in lines:
            s = _norm(ln)
            if BEGIN.search(ln) or END.search(ln):
                problems.append(f"{path}: nbgrader delimiter left in: {ln.strip()!r}")
            elif s in secret:
                problems.append(f"{path}: solution or hidden-test line leaked: {s!r}")
    return problems


# what nbgrader leaves out of a release (CourseDirectory.ignore in nbgrader_config.py), and so
# what may appear in course/ when a student runs a notebook there (make lab)
IGNORED = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".*", "runs", "checkpoint*"]


def _ignored(name: str) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in IGNORED)


def compare_trees(fresh: Path, course: Path) -> list[str]:
    problems = []

    def walk(rel: Path):
        a, b = fresh / rel, course / rel
        cmp = filecmp.dircmp(a, b, ignore=[])
        for name in cmp.left_only:
            problems.append(f"course/{rel / name} is missing")
        for name in cmp.right_only:
            if not _ignored(name):           # e.g. runs/ written by running a notebook in course/
                problems.append(f"course/{rel / name} should not be there (not generated from solutions/)")
        for name in cmp.common_files:
            if (a / name).read_bytes() != (b / name).read_bytes():
                problems.append(f"course/{rel / name} differs from what solutions/ generates")
        for name in cmp.common_dirs:
            if not _ignored(name):
                walk(rel / name)

    if not course.is_dir():
        return ["course/ does not exist"]
    walk(Path("."))
    return problems


def validate_stubs(course: Path, chapter_ids: list[str]) -> list[str]:
    """Every released notebook runs; each test cell fails with NotImplementedError; nothing else fails."""
    from nbgrader.utils import is_grade
    from nbgrader.validator import Validator

    class Capturing(Validator):
        def _preprocess(self, nb):
            self.executed = super()._preprocess(nb)
            return self.executed

    problems = []
    for ch in chapter_ids:
        path = course / ch / f"{ch}.ipynb"
        with tempfile.TemporaryDirectory(prefix="validate-") as tmp:   # runs write files: not in course/
            copy = Path(tmp) / ch
            shutil.copytree(course / ch, copy, ignore=shutil.ignore_patterns(*IGNORED))
            v = Capturing(invert=True)
            results = v.validate(str(copy / f"{ch}.ipynb"))
        for cell in results.get("passed", []):
            problems.append(f"{path}: a test cell passes on the unanswered stub:\n{cell['source'][:300]}")
        for cell in results.get("changed", []) + results.get("type_changed", []):
            problems.append(f"{path}: a graded cell does not match its checksum:\n{cell['source'][:300]}")
        for i, cell in enumerate(getattr(v, "executed", nbformat.v4.new_notebook()).cells):
            if cell.cell_type != "code":
                continue
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            if is_grade(cell):
                if not any(o.get("ename") == "NotImplementedError" for o in errors):
                    found = ", ".join(o.get("ename", "?") for o in errors) or "no error"
                    problems.append(f"{path}: test cell {cell.metadata.nbgrader.grade_id} should fail "
                                    f"with NotImplementedError from the stub, got {found}")
            elif errors:
                problems.append(f"{path}: cell {i} fails in the student version: "
                                f"{errors[0].get('ename')}: {errors[0].get('evalue')}")
    return problems


def check_release(root: Path | None = None) -> int:
    root = Path(root or course_root())
    solutions = (root / "../solutions").resolve()
    course = (root / "../course").resolve()
    ids = chapters(solutions)
    problems = []
    with tempfile.TemporaryDirectory(prefix="check-release-") as tmp:
        fresh = Path(tmp) / "course"
        for ch in ids:
            r = nbgrader("generate_assignment", ch, "--force",
                         f"--CourseDirectory.release_directory={fresh}",
                         f"--CourseDirectory.db_url=sqlite:///{tmp}/gradebook.db",
                         "--log-level=WARN", root=root, capture=True)
            if r.returncode != 0:
                problems.append(f"nbgrader generate_assignment {ch} failed:\n{r.stdout[-3000:]}")
        if not problems:
            stale = compare_trees(fresh, course)
            if stale:
                problems += stale + ["course/ is out of date: run `make release` and commit course/"]
    problems += find_leaks(course, solutions)
    if course.is_dir():
        present = [ch for ch in ids if (course / ch / f"{ch}.ipynb").is_file()]
        problems += validate_stubs(course, present)
    for p in problems:
        print("check-release:", p)
    print(f"check-release: {len(ids)} chapters, {len(problems)} problem(s)")
    return 1 if problems else 0


def execute_solutions(only: list[str] | None = None, root: Path | None = None) -> int:
    """Re-run the instructor notebooks in place so that their stored outputs are current
    (nbval compares against them). No timing metadata, so re-running changes only outputs."""
    from nbconvert.preprocessors import ExecutePreprocessor

    root = Path(root or course_root())
    solutions = (root / "../solutions").resolve()
    for ch in only or chapters(solutions):
        path = solutions / ch / f"{ch}.ipynb"
        nb = nbformat.read(path, as_version=4)
        ep = ExecutePreprocessor(timeout=120, kernel_name="autodiff", record_timing=False)
        ep.preprocess(nb, {"metadata": {"path": str(path.parent)}})
        for cell in nb.cells:
            cell.metadata.pop("execution", None)
        nbformat.write(nb, path)
        for junk in ("runs",):
            shutil.rmtree(path.parent / junk, ignore_errors=True)
        print(f"executed {path}")
    return 0
