"""`nbgrader export` plugin: one CSV row per submission (student, chapter, score, max_score)."""
import csv

from nbgrader.plugins import ExportPlugin


class ScoreCsvExport(ExportPlugin):
    """Rows sorted by student then chapter; scores as nbgrader computes them (late penalty
    included); students who did not submit a chapter get no row for it."""

    def export(self, gradebook):
        dest = self.to or "grades.csv"
        rows = []
        for assignment in gradebook.assignments:
            for submission in assignment.submissions:
                rows.append((submission.student.id, assignment.name,
                             _num(submission.score), _num(assignment.max_score)))
        rows.sort()
        with open(dest, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["student", "chapter", "score", "max_score"])
            writer.writerows(rows)
        self.log.info("wrote %d rows to %s", len(rows), dest)


def _num(x):
    x = float(x or 0)
    return int(x) if x.is_integer() else round(x, 2)
