# Every workflow of the course. `make lab` to work, `make test` to check everything.
#
#   make venv      create .venv (Python >= 3.11) with requirements.txt and `pip install -e lib`
#   make lab       venv + the "autodiff" Jupyter kernel + JupyterLab on course/
#   make test      every check in $(TEST_TARGETS); non-zero exit on any failure
#   make test-lib  the library's pytest suite (parallel, pytest-xdist)
#   make test-repo repository checks (tests_repo/)
#   make bench     benchmarks (bench/run.py)
#   make clean     caches and build litter; `make distclean` also removes .venv
#
# Course and grading (nbgrader, run from grading/; see grading/README.md):
#   make release          regenerate course/ (student versions) from solutions/
#   make check-release    fail if course/ is stale, leaks solutions or hidden tests, or a stub passes
#   make test-notebooks   nbval: every solutions/ notebook re-run and its stored outputs compared
#   make collect ZIP=f    an LMS zip into grading/submitted/ (or SAMPLES=1: the sample class)
#   make autograde        grade grading/submitted/ in the sandbox [CHAPTER=.. STUDENT=.. JOBS=..]
#   make feedback         HTML feedback per student in grading/feedback/
#   make grades           grading/grades.csv: student, chapter, score, max_score
#   make test-grading     the grading tests (sandbox, scan, release, the sample class end to end)

PY ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.stamp
KERNEL := $(VENV)/share/jupyter/kernels/autodiff/kernel.json
# An editable install freezes whether lib/autodiff is a regular package (has __init__.py) or a
# namespace one: once frozen as a namespace, a later __init__.py is silently never run.
# The stamp records which it was; `make venv` reinstalls the library when that changes.
LIB_KIND := $(if $(wildcard lib/autodiff/__init__.py),package,namespace)
PYTEST_ARGS ?=
# Jupyter refuses to start as root without --allow-root (containers, CI machines).
LAB_ARGS ?= $(if $(filter 0,$(shell id -u)),--allow-root)

# `make test` runs these in order.
TEST_TARGETS := test-lib test-repo check-release test-notebooks test-grading

.DEFAULT_GOAL := help
.PHONY: help venv kernel lab test $(TEST_TARGETS) bench clean distclean \
	release collect autograde feedback grades

help:
	@sed -n '/^[^#]/q;s/^# \{0,1\}//p' $(firstword $(MAKEFILE_LIST))

venv: $(STAMP)
	@grep -qx '$(LIB_KIND)' $(STAMP) || { \
	  echo "lib/autodiff is now a $(LIB_KIND): reinstalling the library"; \
	  $(VPY) -m pip install --quiet --no-deps -e lib && echo '$(LIB_KIND)' > $(STAMP); }

# Rebuilt only when requirements.txt or lib/pyproject.toml change (or .venv is gone).
$(STAMP): requirements.txt lib/pyproject.toml
	@if [ ! -x $(VPY) ]; then \
	  $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
	    echo "error: $(PY) is Python $$($(PY) -c 'import platform; print(platform.python_version())'); 3.11 or newer is needed (make venv PY=python3.11)" >&2; \
	    exit 1; }; \
	  echo "creating $(VENV) with $$($(PY) --version)"; \
	  $(PY) -m venv $(VENV); \
	fi
	$(VPY) -m pip install --quiet --upgrade pip
	$(VPY) -m pip install --quiet -r requirements.txt
	$(VPY) -m pip install --quiet -e lib
	echo '$(LIB_KIND)' > $@

kernel: $(KERNEL)

$(KERNEL): $(STAMP)
	$(VPY) -m ipykernel install --sys-prefix --name autodiff --display-name "Python (autodiff)"
	@touch $@

lab: venv kernel
	$(VENV)/bin/jupyter lab course/ $(LAB_ARGS)

test: $(TEST_TARGETS)

test-lib: venv
	cd lib && OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 ../$(VPY) -m pytest tests -q -n auto $(PYTEST_ARGS)

test-repo: venv
	$(VPY) -m pytest tests_repo -q $(PYTEST_ARGS)

bench: venv
	$(VPY) bench/run.py

# nbgrader must run from its course root (grading/) with the venv's bin/ on PATH (it starts
# `alembic` by name); `python -m grader` does both and wraps the real nbgrader commands.
GRADER := cd grading && PATH="$(abspath $(VENV))/bin:$$PATH" ../$(VPY) -m grader

release: venv kernel
	$(GRADER) release

check-release: venv kernel
	$(GRADER) check-release

test-notebooks: venv kernel
	$(VPY) -m pytest --nbval solutions -n auto --dist loadfile -p no:cacheprovider -q \
	  --nbval-sanitize-with grading/nbval_sanitize.cfg $(PYTEST_ARGS)

collect: venv
	@test -n "$(ZIP)$(SAMPLES)" || { echo "usage: make collect ZIP=submissions.zip [CHAPTER=id]  or  make collect SAMPLES=1" >&2; exit 2; }
	$(GRADER) collect $(if $(SAMPLES),--samples,--zip "$(abspath $(ZIP))") $(if $(CHAPTER),--chapter $(CHAPTER))

autograde: venv kernel
	$(GRADER) autograde $(if $(CHAPTER),--chapter $(CHAPTER)) $(if $(STUDENT),--student $(STUDENT)) $(if $(JOBS),--jobs $(JOBS))

feedback: venv kernel
	$(GRADER) feedback

grades: venv
	$(GRADER) grades

test-grading: venv kernel
	cd grading && PATH="$(abspath $(VENV))/bin:$$PATH" ../$(VPY) -m pytest tests -q $(PYTEST_ARGS)

clean:
	find . -path ./$(VENV) -prune -o \( -name __pycache__ -o -name .pytest_cache -o -name .hypothesis \
	  -o -name .ipynb_checkpoints -o -name '*.egg-info' \) -type d -print0 | xargs -0 rm -rf
	rm -rf runs build dist lib/build

distclean: clean
	rm -rf $(VENV)
