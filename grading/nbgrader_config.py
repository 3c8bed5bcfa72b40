"""nbgrader configuration of the course. Run every nbgrader command from this folder
(nbgrader reads ./nbgrader_config.py only): the Makefile targets and `python -m grader` do."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))   # the `grader` package

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import (  # noqa: E402
    AssignLatePenalties, CheckCellMetadata, GetGrades, IgnorePattern, LimitOutput, SaveAutoGrades)

from grader.collect import FILENAME  # noqa: E402
from grader.execute import SandboxExecute  # noqa: E402
from grader.feedback import HideTestSource  # noqa: E402

c = get_config()  # noqa: F821

c.CourseDirectory.course_id = "autodiff-course"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.source_directory = "../solutions"
c.CourseDirectory.release_directory = "../course"
# TensorBoard runs and checkpoints written while the solutions are executed are not released.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".*",
                            "runs", "checkpoint*"]

# Student versions: solution blocks become this stub, and hidden tests are removed.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# Autograde: deleted test cells come back; every kernel runs in the sandbox (grader/sandbox.py).
c.OverwriteCells.add_missing_cells = True
c.Autograde.autograde_preprocessors = [
    SandboxExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades,
    AssignLatePenalties, CheckCellMetadata]
c.Execute.timeout = 30                       # seconds per cell, then the kernel is interrupted
c.SandboxExecute.notebook_timeout = 300      # seconds per notebook, then the kernel is killed
c.SandboxExecute.max_cell_output = 1_000_000
c.SandboxExecute.max_notebook_output = 5_000_000
c.SandboxKernelManager.memory_limit = 2 << 30
c.SandboxKernelManager.process_limit = 128   # processes and threads of one kernel
c.SandboxKernelManager.cpu_limit = 300       # CPU seconds of one kernel
c.LimitOutput.max_lines = 1000

# Feedback: each test's result and message, never the hidden tests' source.
c.GenerateFeedback.preprocessors = [GetGrades, HideTestSource, CSSHTMLHeaderPreprocessor]
c.HTMLExporter.sanitize_html = True

# `nbgrader zip_collect` (make collect ZIP=...): LMS file names <student>_[late_][<ids>_]<notebook>
c.FileNameCollectorPlugin.named_regexp = FILENAME

# `nbgrader export` (make grades): one row per submission: student, chapter, score, max_score.
c.ExportApp.plugin_class = "grader.export.ScoreCsvExport"
