"""`make collect`: put submissions where nbgrader expects them,
``submitted/<student>/<chapter>/<chapter>.ipynb``.

* ``--zip FILE``: an LMS download, one file per student, named ``<student>_<anything>_<notebook>``
  (Canvas: ``jdoe_12345_67890_2-1_tensor_structure.ipynb``; Moodle-like ``jdoe_2-1_...ipynb``
  works too). The zip is placed in ``downloaded/<chapter>/archive/`` and collected by
  ``nbgrader zip_collect``.
* ``--samples``: copy the committed sample submissions (``samples/``) in, to try the pipeline.

Placing files by hand in ``submitted/`` works just as well.
"""
from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

from .nbgrader_cli import nbgrader
from .paths import chapters, course_root

# student id, optional Canvas fields ("late", numeric ids), then the original file name
FILENAME = r"^(?:.*/)?(?P<student_id>[A-Za-z0-9.-]+)_(?:late_)?(?:\d+_)*(?P<file_id>[^/]+\.ipynb)$"


def collect_samples(root: Path | None = None) -> int:
    root = Path(root or course_root())
    samples = root / "samples"
    dest = root / "submitted"
    n = 0
    for student in sorted(p for p in samples.iterdir() if p.is_dir()):
        for chapter in sorted(p for p in student.iterdir() if p.is_dir()):
            target = dest / student.name / chapter.name
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(chapter, target)
            n += 1
    print(f"collect: copied {n} sample submissions into {dest}")
    return 0


def collect_zip(zip_path: str, chapter: str | None = None, root: Path | None = None) -> int:
    root = Path(root or course_root())
    zip_path = Path(zip_path).resolve()
    known = chapters()
    with zipfile.ZipFile(zip_path) as z:
        names = [n for n in z.namelist() if n.endswith(".ipynb")]
    if chapter is None:
        found = {m.group("file_id")[:-len(".ipynb")] for n in names if (m := re.match(FILENAME, n))}
        found &= set(known)
        if len(found) != 1:
            print(f"collect: cannot tell the chapter of {zip_path.name} (found {sorted(found) or 'none'}); "
                  f"pass CHAPTER=one of {known}")
            return 1
        chapter = found.pop()
    if chapter not in known:
        print(f"collect: unknown chapter {chapter!r}; chapters are {known}")
        return 1
    archive = root / "downloaded" / chapter / "archive"
    archive.mkdir(parents=True, exist_ok=True)
    shutil.copy(zip_path, archive / zip_path.name)
    r = nbgrader("zip_collect", chapter, "--force", root=root)      # regexp: nbgrader_config.py
    return r.returncode
