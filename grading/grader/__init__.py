"""Instructor tools for the course: release, check, autograde in a sandbox, feedback, grades.

Run from ``grading/`` (nbgrader's course root): ``python -m grader <command>``; the Makefile
wraps each command (``make release``, ``make autograde``, ...).
"""
