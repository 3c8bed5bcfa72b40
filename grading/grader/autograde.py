"""`make autograde`, `make feedback`, `make grades`.

autograde:
1. refuses to run without a working sandbox (``grader.sandbox.check``);
2. records every chapter in the gradebook (``nbgrader generate_assignment`` into a temporary
   release folder: course/ is not touched) so that test cells can be restored from it;
3. scans each submission (``grader.scan``) and checks that it is a readable notebook;
4. runs ``nbgrader autograde CHAPTER --student=ID --force`` in parallel, one process per
   student (all cores by default); each kernel runs in the sandbox (``grader.execute``);
5. prints a summary: graded, failed (with the reason), flagged for review (scan findings,
   kernels that died, cells that timed out, outputs that were cut), with scores and times.
   It is also written to ``.grader/summary.json``.
"""
from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

import nbformat

from .nbgrader_cli import nbgrader
from .paths import chapters, course_root
from .scan import scan_notebook, summarize


def state_dir(root: Path) -> Path:
    d = root / ".grader"
    d.mkdir(exist_ok=True)
    return d


def sync_gradebook(root: Path, ids: list[str]) -> None:
    """Record the chapters (their test cells) in the gradebook, unless already done for
    exactly these solution notebooks."""
    solutions = (root / "../solutions").resolve()
    stamp = state_dir(root) / "gradebook-sync.json"
    digest = {ch: hashlib.sha256((solutions / ch / f"{ch}.ipynb").read_bytes()).hexdigest() for ch in ids}
    done = json.loads(stamp.read_text()) if stamp.is_file() and (root / "gradebook.db").is_file() else {}
    todo = [ch for ch in ids if done.get(ch) != digest[ch]]
    with tempfile.TemporaryDirectory(prefix="grader-release-") as tmp:
        for ch in todo:
            r = nbgrader("generate_assignment", ch, "--force",
                         f"--CourseDirectory.release_directory={tmp}", "--log-level=WARN",
                         root=root, capture=True)
            if r.returncode != 0:
                raise RuntimeError(f"nbgrader generate_assignment {ch} failed:\n{r.stdout[-3000:]}")
            done[ch] = digest[ch]
            stamp.write_text(json.dumps(done, indent=1))


def submissions(root: Path, ids: list[str], chapter=None, student=None):
    found, ignored = [], []
    sub = root / "submitted"
    if not sub.is_dir():
        return found, ignored
    for s in sorted(p for p in sub.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if student and s.name != student:
            continue
        for c in sorted(p for p in s.iterdir() if p.is_dir()):
            if chapter and c.name != chapter:
                continue
            (found if c.name in ids else ignored).append((s.name, c.name))
    return found, ignored


def readable(path: Path) -> str | None:
    """None if the notebook can be read and validated, else why not."""
    if not path.is_file():
        return f"no {path.name} in the submission"
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except Exception as e:                               # noqa: BLE001 - any reason counts
        return f"malformed notebook ({type(e).__name__}: {str(e).splitlines()[0][:120]})"
    return None


def _grade_student(root: Path, student: str, chs: list[str], logs: Path, reports: Path) -> dict:
    start = time.monotonic()
    target = chs[0] if len(chs) == 1 else "*"
    r = nbgrader("autograde", target, f"--student={student}", "--force", root=root, capture=True,
                 extra_env={"GRADER_REPORT_DIR": str(reports)}, timeout=3600)
    (logs / f"{student}.log").write_text(r.stdout)
    return {"student": student, "seconds": round(time.monotonic() - start, 1),
            "returncode": r.returncode, "log": r.stdout}


def _failure_reason(log: str, chapter: str) -> str | None:
    """nbgrader's reason for failing one assignment of a student, from its log."""
    if f"error processing assignment '{chapter}'" not in log:
        return None
    errors = re.findall(r"^\s*([A-Za-z_.]+(?:Error|Exception)[^\n]*)$", log, re.M)
    return errors[-1][:200] if errors else "nbgrader failed (see the log)"


def _scores(root: Path) -> dict:
    from nbgrader.api import Gradebook
    out = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for a in gb.assignments:
            for s in a.submissions:
                out[(s.student.id, a.name)] = (float(s.score or 0), float(a.max_score or 0))
    return out


def autograde(chapter=None, student=None, jobs=None, root: Path | None = None) -> int:
    from .sandbox import check
    root = Path(root or course_root())
    sandbox = check()
    if not sandbox.get("ok"):
        print("autograde: the sandbox does not work here, so nothing is graded:\n  "
              + sandbox.get("error", "unknown error"))
        return 2
    ids = chapters((root / "../solutions").resolve())
    if chapter and chapter not in ids:
        print(f"autograde: unknown chapter {chapter!r}; chapters are {ids}")
        return 2
    subs, ignored = submissions(root, ids, chapter, student)
    for s, c in ignored:
        print(f"autograde: ignoring submitted/{s}/{c}: not a chapter")
    if not subs:
        print("autograde: nothing to grade in submitted/ (see `make collect`)")
        return 0
    t0 = time.monotonic()
    sync_gradebook(root, sorted({c for _, c in subs}))
    state = state_dir(root)
    logs, reports = state / "logs", state / "reports"
    for d in (logs,):
        d.mkdir(exist_ok=True)
    rows = {}
    for s, c in subs:
        nb_path = root / "submitted" / s / c / f"{c}.ipynb"
        release_nb = (root / "../course" / c / f"{c}.ipynb").resolve()
        problem = readable(nb_path)
        rows[(s, c)] = {"student": s, "chapter": c, "problem": problem,
                        "scan": [] if problem else scan_notebook(nb_path, release_nb),
                        "events": []}
        shutil.rmtree(reports / s / c, ignore_errors=True)
    by_student = {}
    for s, c in subs:
        by_student.setdefault(s, []).append(c)
    jobs = jobs or os.cpu_count() or 1
    print(f"autograde: {len(subs)} submission(s) of {len(by_student)} student(s), {jobs} in parallel")
    results = {}
    with cf.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(_grade_student, root, s, chs if not chapter else [chapter], logs, reports): s
                   for s, chs in by_student.items()}
        for fut in cf.as_completed(futures):
            res = fut.result()
            results[res["student"]] = res
            print(f"  {res['student']}: {res['seconds']} s")
    scores = _scores(root)
    for (s, c), row in rows.items():
        res = results[s]
        row["seconds_student"] = res["seconds"]
        for nb_report in sorted((reports / s / c).glob("*.json")) if (reports / s / c).is_dir() else []:
            rep = json.loads(nb_report.read_text())
            row["events"] += rep["events"]
            row["seconds"] = rep.get("seconds")
        reason = row["problem"] or _failure_reason(res["log"], c)
        graded = (root / "autograded" / s / c / f"{c}.ipynb").is_file() and reason is None
        row["status"] = "graded" if graded else "failed"
        row["reason"] = None if graded else (reason or "not graded (see the log)")
        row["score"], row["max_score"] = scores.get((s, c), (0.0, 0.0))
        review = []
        if row["scan"]:
            review.append("scan: " + summarize(row["scan"]))
        kinds = []
        for e in row["events"]:
            if e["kind"] not in kinds:
                kinds.append(e["kind"])
        if kinds:
            review.append("run: " + ", ".join(kinds))
        row["review"] = "; ".join(review)
    total = round(time.monotonic() - t0, 1)
    ordered = [rows[k] for k in sorted(rows)]
    (state / "summary.json").write_text(json.dumps({"seconds": total, "jobs": jobs, "rows": ordered},
                                                   indent=1, default=str))
    print_summary(ordered, total)
    return 0


def print_summary(rows: list[dict], seconds: float) -> None:
    w_s = max([len("student")] + [len(r["student"]) for r in rows])
    w_c = max([len("chapter")] + [len(r["chapter"]) for r in rows])
    print()
    print(f"{'student':<{w_s}}  {'chapter':<{w_c}}  {'score':>9}  {'status':<7}  notes")
    for r in rows:
        score = f"{_fmt(r['score'])}/{_fmt(r['max_score'])}"
        notes = r["reason"] if r["status"] == "failed" else ""
        if r["review"]:
            notes = (notes + "; " if notes else "") + "REVIEW " + r["review"]
        print(f"{r['student']:<{w_s}}  {r['chapter']:<{w_c}}  {score:>9}  {r['status']:<7}  {notes}")
    graded = sum(r["status"] == "graded" for r in rows)
    failed = [r for r in rows if r["status"] == "failed"]
    flagged = [r for r in rows if r["review"]]
    print(f"\ngraded {graded}, failed {len(failed)}, flagged for review {len(flagged)} "
          f"(of {len(rows)} submissions) in {seconds} s")
    for r in failed:
        print(f"  failed: {r['student']}/{r['chapter']}: {r['reason']}")
    for r in flagged:
        print(f"  review: {r['student']}/{r['chapter']}: {r['review']}")
        for f in r["scan"][:6]:
            print(f"      cell {f['cell']} line {f['line']}: {f['category']}: {f['code']}")
        for e in r["events"][:4]:
            print(f"      cell {e['cell']}: {e['kind']}: {e['message']}")


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.2f}"


def feedback(root: Path | None = None) -> int:
    root = Path(root or course_root())
    r = nbgrader("generate_feedback", "*", "--force", root=root)
    out = root / "feedback"
    if out.is_dir():
        n = len(list(out.glob("*/*/*.html")))
        print(f"feedback: {n} HTML file(s) in {out}/<student>/<chapter>/ (hand them out directly)")
    return r.returncode


def grades(root: Path | None = None, dest: str = "grades.csv") -> int:
    root = Path(root or course_root())
    r = nbgrader("export", f"--to={dest}", root=root)
    if r.returncode == 0:
        print(f"grades: {root / dest}")
    return r.returncode
