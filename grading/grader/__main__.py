"""python -m grader COMMAND (run from grading/; the Makefile does)."""
from __future__ import annotations

import argparse
import json
import sys


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m grader", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("release", help="generate course/ from solutions/")
    r.add_argument("chapters", nargs="*")
    sub.add_parser("check-release", help="fail if course/ is stale, leaks, or a stub passes a test")
    e = sub.add_parser("execute-solutions", help="re-run solutions/ notebooks to refresh their outputs")
    e.add_argument("chapters", nargs="*")
    c = sub.add_parser("collect", help="place submissions in submitted/ (an LMS zip, or the samples)")
    c.add_argument("--zip", help="an LMS download: one file per student")
    c.add_argument("--chapter", help="the chapter of the zip (default: from the file names)")
    c.add_argument("--samples", action="store_true", help="copy the committed sample submissions")
    a = sub.add_parser("autograde", help="grade submitted/ in the sandbox, one process per student")
    a.add_argument("--chapter", default=None)
    a.add_argument("--student", default=None)
    a.add_argument("--jobs", type=int, default=None, help="parallel students (default: all cores)")
    sub.add_parser("feedback", help="HTML feedback per student, hidden tests removed")
    sub.add_parser("grades", help="export grades.csv: student, chapter, score, max_score")
    sub.add_parser("make-samples", help="regenerate samples/ from course/ and solutions/")
    sub.add_parser("sandbox-check", help="what the sandbox can do on this machine")
    s = sub.add_parser("scan", help="the pre-grade scan of some notebooks")
    s.add_argument("notebooks", nargs="+")
    args = p.parse_args(argv)

    if args.cmd == "release":
        from .release import release
        return release(args.chapters or None)
    if args.cmd == "check-release":
        from .release import check_release
        return check_release()
    if args.cmd == "execute-solutions":
        from .release import execute_solutions
        return execute_solutions(args.chapters or None)
    if args.cmd == "collect":
        from .collect import collect_samples, collect_zip
        if args.samples:
            return collect_samples()
        if not args.zip:
            p.error("collect needs --zip PATH or --samples")
        return collect_zip(args.zip, args.chapter)
    if args.cmd == "autograde":
        from .autograde import autograde
        return autograde(chapter=args.chapter, student=args.student, jobs=args.jobs)
    if args.cmd == "feedback":
        from .autograde import feedback
        return feedback()
    if args.cmd == "grades":
        from .autograde import grades
        return grades()
    if args.cmd == "make-samples":
        from .samples import write
        return write()
    if args.cmd == "sandbox-check":
        from .sandbox import check
        report = check()
        print(json.dumps(report, indent=1))
        return 0 if report.get("ok") else 1
    if args.cmd == "scan":
        from pathlib import Path

        from .scan import scan_notebook
        for nb in args.notebooks:
            for f in scan_notebook(Path(nb)):
                print(f"{nb}: cell {f['cell']} line {f['line']}: {f['category']}: {f['detail']}: {f['code']}")
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
