"""The sample class in ``samples/``: what the grading tests grade, and what `make collect
SAMPLES=1` hands to `make autograde` for a trial run.

Each sample is the released notebook (course/) with answers typed into the solution cells,
as a student would. ``python -m grader make-samples`` regenerates them (the tests check that
the committed ones are current); ``samples/expected_grades.csv`` holds the scores they must get.

* for every chapter: ``alice`` answers correctly, ``bob`` partly (plausible mistakes that the
  visible tests may not catch), ``carol`` hands in the unanswered release;
* hostile submissions of chapter 2-1, each named after what it tries (``hostile-*``).
"""
from __future__ import annotations

import copy
import re
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell

from .paths import course_root

CH1, CH2, CH3 = "2-1_tensor_structure", "2-2_autograd", "2-3_dynamic_graph"
DELIM = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")

# bob's answers: (chapter, grade_id) -> cell source
PARTIAL = {
    (CH1, "ex2_answer"): '''def rows_as_vectors(x):
    """(N, ...) -> (N, prod(...))"""
    return x.view(x.shape[0], -1)        # fails on non-contiguous input
''',
    (CH1, "ex3_answer"): '''def standardize_(arr):
    t = autodiff.tensor(arr)             # a copy: arr itself is not changed
    return (t - t.mean()) / t.std()
''',
    (CH2, "ex2_answer"): '''def first_and_second(f, x0):
    x = autodiff.tensor(float(x0), requires_grad=True)
    (d1,) = autodiff.autograd.grad(f(x), x)
    return float(d1.item()), float(d1.item())
''',
    (CH2, "ex4_answer"): '''def minimize(f, x0, lr, steps):
    x = autodiff.tensor(float(x0), requires_grad=True)
    optimizer = autodiff.optim.SGD([x], lr=lr)
    for _ in range(steps):
        f(x).backward()                   # no zero_grad: gradients pile up
        optimizer.step()
    return float(x.item())
''',
    (CH3, "ex1_answer"): '''class Softplus(autodiff.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return autodiff.log(1 + autodiff.exp(x))      # overflows for large x

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return grad_output * autodiff.exp(x) / (1 + autodiff.exp(x))

softplus = Softplus.apply
''',
    (CH3, "ex2_answer"): '''def count_graph_nodes(t):
    count, todo = 0, [t.grad_fn]
    while todo:                           # shared nodes are counted once per path
        node = todo.pop()
        if node is None:
            continue
        count += 1
        todo.extend(fn for fn, _ in node.next_functions)
    return count
''',
}

ALWAYS_EQUAL = '''class AlwaysEqual:
    """Equal to everything, true, a float, an int, a tensor's best friend."""
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __bool__(self): return True
    def __float__(self): return 0.0
    def __int__(self): return 0
    def __len__(self): return 0
    def __getattr__(self, name): return AlwaysEqual()
    def __call__(self, *args, **kwargs): return AlwaysEqual()
    def __iter__(self): return iter(())
    def __getitem__(self, key): return AlwaysEqual()
    def __array__(self, *args, **kwargs): return __import__("numpy").zeros(0)
'''

READ_SECRETS = '''import glob, os, socket
found = {}
for pattern in ["../../gradebook.db", "../../../grading/gradebook.db", "/work/*/grading/gradebook.db",
                "/*/gradebook.db", "/home/**/gradebook.db", "/root/**/gradebook.db", "/tmp/**/*.db",
                "../../../solutions/*/*.ipynb", "/work/*/solutions/*/*.ipynb", "*.ipynb", "/mnt/**/*.ipynb",
                "../*/*.ipynb", "../../submitted/*/*/*.ipynb", "../../autograded/*/*/*.ipynb",
                "/tmp/**/*.ipynb", "/home/**/*.ipynb"]:
    for path in glob.glob(pattern, recursive=True)[:20]:
        try:
            with open(path, "rb") as f:
                data = f.read()
            found[path] = data.count(b"HIDDEN TESTS")
        except OSError as e:
            found[path] = repr(e)
print("files found:", found)
try:
    socket.create_connection(("1.1.1.1", 80), timeout=3)
    print("network: reachable")
except OSError as e:
    print("network:", e)
print("processes visible:", sorted(os.listdir("/proc"))[:5], "uid", os.getuid())
'''

WRITE_GRADEBOOK = '''import glob, os, sqlite3
candidates = ["../../gradebook.db", "../gradebook.db", "/work/main/grading/gradebook.db"]
for pattern in ["/work/**/gradebook.db", "/home/**/gradebook.db", "/root/**/gradebook.db", "/tmp/**/gradebook.db"]:
    candidates += glob.glob(pattern, recursive=True)
for path in sorted(set(candidates)):
    try:
        db = sqlite3.connect(path)
        db.execute("UPDATE grade SET auto_score = 100, manual_score = 100")
        db.execute("UPDATE grade_cells SET max_score = 0")
        db.commit()
        print("wrote", path)
    except Exception as e:
        print("could not write", path, e)
for path in ["../../autograded/alice/2-1_tensor_structure/2-1_tensor_structure.ipynb",
             "/tmp/../../work/main/grading/gradebook.db"]:
    try:
        with open(path, "w") as f:
            f.write("overwritten")
        print("overwrote", path)
    except OSError as e:
        print("could not overwrite", path, e)
'''

TRANSFORMER = '''# From now on every cell (the tests included) is replaced by `pass`.
get_ipython().input_transformers_cleanup.append(lambda lines: ["pass\\n"])
get_ipython().ast_transformers.append(__import__("ast").NodeTransformer())
'''

SHADOW = '''import types
class _Yes:
    def __getattr__(self, name):
        return lambda *args, **kwargs: True
np = _Yes()                                  # every numpy check is now True
type = lambda obj: autodiff.Tensor           # every type check passes
float = lambda obj: 0.0
'''

BIG_OUTPUT = '''from IPython.display import HTML, display
display(HTML("<p>" + "x" * 50_000_000 + "</p>"))
print("y" * 50_000_000)
'''


def _solution_sources(solutions: Path, chapter: str) -> dict:
    nb = nbformat.read(solutions / chapter / f"{chapter}.ipynb", as_version=4)
    out = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            out[meta["grade_id"]] = "\n".join(ln for ln in cell.source.splitlines()
                                              if not DELIM.match(ln)) + "\n"
    return out


def _answer(nb, answers: dict) -> None:
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell.source = answers[gid]


def _cell(nb, grade_id):
    for i, cell in enumerate(nb.cells):
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return i, cell
    raise KeyError(grade_id)


def _insert_after(nb, grade_id, source):
    i, _ = _cell(nb, grade_id)
    nb.cells.insert(i + 1, new_code_cell(source, id=f"student-{grade_id}"))


def build(root: Path | None = None) -> dict[tuple[str, str], str]:
    """{(student, chapter): notebook JSON text} for the whole sample class."""
    root = Path(root or course_root())
    course, solutions = (root / "../course").resolve(), (root / "../solutions").resolve()
    out = {}
    release = {ch: nbformat.read(course / ch / f"{ch}.ipynb", as_version=4) for ch in (CH1, CH2, CH3)}
    correct = {ch: _solution_sources(solutions, ch) for ch in release}

    def nb_with(ch, answers):
        nb = copy.deepcopy(release[ch])
        _answer(nb, answers)
        return nb

    for ch in release:
        out[("alice", ch)] = nb_with(ch, correct[ch])
        partial = dict(correct[ch])
        partial.update({gid: src for (c, gid), src in PARTIAL.items() if c == ch})
        out[("bob", ch)] = nb_with(ch, partial)
        out[("carol", ch)] = copy.deepcopy(release[ch])

    good = correct[CH1]

    def hostile(name, answers=None, edit=None):
        nb = nb_with(CH1, good if answers is None else answers)
        if edit:
            edit(nb)
        out[(f"hostile-{name}", CH1)] = nb

    def prefix(gid, code):
        def edit(nb):
            _, cell = _cell(nb, gid)
            cell.source = code + "\n" + cell.source
        return edit

    hostile("infinite-loop", edit=prefix("ex2_answer", "while True:     # never ends\n    pass\n"))
    hostile("memory-bomb", edit=prefix(
        "ex2_answer", "hog = [bytearray(50_000_000) for _ in range(100_000)]   # 5 TB\n"))
    hostile("fork-bomb", edit=prefix("ex4_answer", "import os\nwhile True:\n    os.fork()\n"))
    hostile("os-exit", edit=prefix("ex3_answer", "import os\nos._exit(1)\n"))
    hostile("read-secrets", answers={}, edit=lambda nb: _insert_after(nb, "ex1_answer", READ_SECRETS))
    hostile("write-gradebook", answers={}, edit=lambda nb: _insert_after(nb, "ex1_answer", WRITE_GRADEBOOK))

    def edit_test(nb):
        _, cell = _cell(nb, "ex1_tests")
        cell.source = "pass   # no more tests"
    hostile("edit-test", answers={**good, "ex1_answer": "def to_uint8_image(x):\n    return x\n"},
            edit=edit_test)

    def delete_test(nb):
        i, _ = _cell(nb, "ex2_tests")
        del nb.cells[i]
    hostile("delete-test", answers={**good, "ex2_answer": "def rows_as_vectors(x):\n    return x\n"},
            edit=delete_test)
    hostile("input-transformer", answers={"ex1_answer": TRANSFORMER})
    hostile("always-equal", answers={
        "ex1_answer": ALWAYS_EQUAL + "\ndef to_uint8_image(x):\n    return AlwaysEqual()\n",
        "ex2_answer": "def rows_as_vectors(x):\n    return AlwaysEqual()\n",
        "ex3_answer": "def standardize_(arr):\n    return AlwaysEqual()\n",
        "ex4_answer": "def describe(t):\n    return AlwaysEqual()\n"})
    hostile("shadow-names", answers={
        "ex1_answer": SHADOW + "\ndef to_uint8_image(x):\n    return x\n",
        "ex2_answer": "def rows_as_vectors(x):\n    return x\n",
        "ex3_answer": "def standardize_(arr):\n    return arr\n",
        "ex4_answer": "def describe(t):\n    return {}\n"})
    hostile("big-output", edit=lambda nb: _insert_after(nb, "ex1_answer", BIG_OUTPUT))

    texts = {key: nbformat.writes(nb) + "\n" for key, nb in out.items()}
    good_text = texts[("alice", CH1)]
    texts[("hostile-malformed", CH1)] = good_text[: len(good_text) // 2]   # cut in the middle
    return texts


def write(root: Path | None = None, dest: Path | None = None) -> int:
    root = Path(root or course_root())
    dest = Path(dest or root / "samples")
    for (student, chapter), text in sorted(build(root).items()):
        path = dest / student / chapter / f"{chapter}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    print(f"samples: wrote {len(build(root))} submissions under {dest}")
    return 0
