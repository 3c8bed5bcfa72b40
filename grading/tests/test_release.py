"""course/ is exactly what solutions/ generates, leaks nothing, and every stub fails its tests."""
from __future__ import annotations

import json
from pathlib import Path

import nbformat

from conftest import REPO, grader
from grader.release import compare_trees, find_leaks, validate_stubs
from grader.samples import build

CH = "2-1_tensor_structure"


def test_release_reproduces_the_committed_course(course_copy):
    r = grader(course_copy, "release")
    assert r.returncode == 0, r.stdout[-2000:]
    assert compare_trees(course_copy.parent / "course", REPO / "course") == []


def test_check_release_fails_on_a_stale_course(course_copy):
    nb_path = course_copy.parent / "course" / CH / f"{CH}.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells[0].source += "\nedited by hand"
    nbformat.write(nb, nb_path)
    r = grader(course_copy, "check-release")
    assert r.returncode == 1
    assert f"course/{CH}/{CH}.ipynb differs" in r.stdout


def test_leaks_are_found(course_copy):
    course, solutions = course_copy.parent / "course", course_copy.parent / "solutions"
    assert find_leaks(course, solutions) == []
    nb_path = course / CH / f"{CH}.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("    return (x.clamp(0, 1) * 255).round().to(autodiff.uint8)"))
    nb.cells.append(nbformat.v4.new_markdown_cell("_check(autodiff.rand(4, 5) * 1.4 - 0.2)"))
    nbformat.write(nb, nb_path)
    (course / CH / "notes.txt").write_text("### BEGIN HIDDEN TESTS\n")
    problems = "\n".join(find_leaks(course, solutions))
    assert "clamp(0, 1) * 255" in problems
    assert "_check(autodiff.rand(4, 5)" in problems
    assert "notes.txt: nbgrader delimiter" in problems


def test_a_stub_that_passes_its_test_is_found(course_copy):
    course = course_copy.parent / "course"
    assert validate_stubs(course, [CH]) == []
    nb_path = course / CH / f"{CH}.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "ex1_answer":
            cell.source = "def to_uint8_image(x):\n    return (x.clamp(0, 1) * 255).round().to(autodiff.uint8)\n"
    nbformat.write(nb, nb_path)
    problems = validate_stubs(course, [CH])
    assert any("passes on the unanswered stub" in p for p in problems), problems


def test_committed_samples_are_current(course_copy):
    samples = Path(__file__).resolve().parents[1] / "samples"
    built = build(course_copy)
    on_disk = {(p.parts[-3], p.parts[-2]) for p in samples.glob("*/*/*.ipynb")}
    assert on_disk == set(built), "samples/ and `python -m grader make-samples` disagree"
    for (student, chapter), text in built.items():
        assert (samples / student / chapter / f"{chapter}.ipynb").read_text() == text, \
            f"samples/{student}/{chapter} is stale: run `python -m grader make-samples`"


def test_files_written_by_running_a_notebook_in_course_are_not_staleness(tmp_path, course_copy):
    import shutil
    course = course_copy.parent / "course"
    other = tmp_path / "other"
    shutil.copytree(course, other)
    (other / "2-3_dynamic_graph" / "runs" / "2-3_graph").mkdir(parents=True)
    (other / "2-3_dynamic_graph" / "runs" / "2-3_graph" / "events.out.tfevents").write_bytes(b"\0\1")
    (other / CH / ".ipynb_checkpoints").mkdir()
    assert compare_trees(course, other) == []
    (other / CH / "extra.txt").write_text("x")
    assert compare_trees(course, other) == [f"course/{CH}/extra.txt should not be there (not generated from solutions/)"]
