"""`make collect`: an LMS zip (Canvas-style names) and the sample class land in submitted/."""
from __future__ import annotations

import zipfile

from conftest import GRADING, grader

CH = "2-1_tensor_structure"


def test_lms_zip_is_collected(course_copy, tmp_path):
    archive = tmp_path / "submissions.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for i, student in enumerate(("alice", "bob")):
            src = GRADING / "samples" / student / CH / f"{CH}.ipynb"
            z.write(src, f"{student}_{1000 + i}_{5000 + i}_{CH}.ipynb")          # Canvas
        z.write(GRADING / "samples" / "carol" / CH / f"{CH}.ipynb", f"carol_late_1002_5002_{CH}.ipynb")
    r = grader(course_copy, "collect", "--zip", str(archive))
    assert r.returncode == 0, r.stdout[-3000:]
    for student in ("alice", "bob", "carol"):
        got = course_copy / "submitted" / student / CH / f"{CH}.ipynb"
        assert got.read_bytes() == (GRADING / "samples" / student / CH / f"{CH}.ipynb").read_bytes()


def test_zip_of_unknown_chapter_is_refused(course_copy, tmp_path):
    archive = tmp_path / "other.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("alice_1_2_9-9_nothing.ipynb", "{}")
    r = grader(course_copy, "collect", "--zip", str(archive))
    assert r.returncode == 1
    assert "cannot tell the chapter" in r.stdout


def test_samples_are_collected(course_copy):
    r = grader(course_copy, "collect", "--samples")
    assert r.returncode == 0, r.stdout
    subs = sorted(p.relative_to(course_copy / "submitted").as_posix()
                  for p in (course_copy / "submitted").glob("*/*/*.ipynb"))
    assert len(subs) == 22 and f"alice/{CH}/{CH}.ipynb" in subs
