"""What the sandboxed kernel can and cannot do, asserted from inside it.

Each test runs a small notebook through the grader's Execute preprocessor (the one autograde
uses), with the kernel in the bubblewrap sandbox, and checks what the cells saw.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from grader.execute import SandboxExecute
from grader.sandbox import _library_dirs, check, privileged

def run(cells, workdir: Path, timeout=10, **kw):
    """Execute code cells (str, or (str, True) for a graded test cell); return (nb, executor)."""
    nb = new_notebook(cells=[])
    for c in cells:
        src, is_test = (c, False) if isinstance(c, str) else c
        cell = new_code_cell(src)
        if is_test:
            cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True,
                                         "grade_id": f"t{len(nb.cells)}", "points": 1,
                                         "schema_version": 3}
        nb.cells.append(cell)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    ep = SandboxExecute(timeout=timeout, **kw)
    ep.preprocess(nb, {"metadata": {"path": str(workdir)}})
    return nb, ep


def stdout(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream" and o.name == "stdout")


def errors(cell) -> list[str]:
    return [o.ename for o in cell.outputs if o.output_type == "error"]


@pytest.fixture
def workdir(tmp_path):
    d = tmp_path / "grading" / "autograded" / "student" / "ch"
    d.mkdir(parents=True)
    (d / "data.csv").write_text("1,2,3\n")
    (d / "ch.ipynb").write_text("### BEGIN HIDDEN TESTS\nsecret\n### END HIDDEN TESTS\n")
    (tmp_path / "grading" / "gradebook.db").write_text("secret gradebook")
    (tmp_path / "solutions").mkdir()
    return d


def test_sandbox_works_here():
    report = check()
    assert report["ok"], f"the sandbox cannot start here: {report.get('error')}"
    assert report["as"] == 2 << 30


PROBE = r'''
import glob, json, os, resource, socket
def can_write(path):
    try:
        with open(path, "w") as f:
            f.write("x")
        return True
    except OSError:
        return False
def net():
    try:
        socket.create_connection(("1.1.1.1", 53), timeout=2)
        return True
    except OSError:
        return False
def find():
    import sys, importlib.util
    skip = {"/proc", "/sys", "/dev", "/usr", os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix),
            os.path.dirname(os.path.dirname(importlib.util.find_spec("autodiff").origin))}
    found = []
    for d, dirs, files in os.walk("/"):
        dirs[:] = [x for x in dirs if os.path.join(d, x) not in skip]
        found += [os.path.join(d, n) for n in dirs + files
                  if n in ("gradebook.db", "solutions", "autograded", "submitted", "grading")
                  or n.endswith(".ipynb")]
    return found
status = open("/proc/self/status").read()
print(json.dumps({
    "cwd": os.getcwd(), "files": sorted(os.listdir(".")), "root": sorted(os.listdir("/")),
    "uid": os.getuid(), "capeff": status.split("CapEff:")[1].split()[0],
    "no_new_privs": status.split("NoNewPrivs:")[1].split()[0],
    "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
    "found": find(),
    "write_cwd": can_write("x.txt"), "write_tmp": can_write("/tmp/probe.txt"),
    "write_usr": can_write("/usr/x"), "write_venv": can_write(os.path.join(os.__file__, "..", "x")),
    "write_runtime": can_write(os.path.join(os.path.dirname(glob.glob("/tmp/grader-kernel-*/run/kernel.json")[0]), "x")),
    "net": net(), "hostname": socket.gethostname(),
    "limits": {name: resource.getrlimit(getattr(resource, "RLIMIT_" + name))[0]
               for name in ("AS", "NPROC", "CPU", "FSIZE", "NOFILE")},
}))
'''


def test_what_the_kernel_sees_and_may_do(workdir):
    nb, _ = run([PROBE], workdir, timeout=60)
    assert not errors(nb.cells[0]), nb.cells[0].outputs
    seen = json.loads(stdout(nb.cells[0]))
    # its own copy of the assignment's files, without the notebook (which holds the hidden tests)
    assert seen["cwd"] == "/home/student/ch"
    assert seen["files"] == ["data.csv"]
    # nothing of the grader: no gradebook, no solutions, no notebooks, no other students
    assert seen["found"] == [], seen["found"]
    # the system's folders, plus the top of each read-only library folder (wherever the
    # checkout and its venv live: /work, /tmp, /check, ...), which holds only that path
    tops = {Path(d).parts[1] for d in _library_dirs()}
    assert set(seen["root"]) <= {"bin", "dev", "etc", "home", "lib", "lib32", "lib64", "libx32",
                                 "mnt", "opt", "proc", "sbin", "tmp", "usr"} | tops, seen["root"]
    # writes land in its private tmpfs only
    assert seen["write_cwd"] and seen["write_tmp"]
    assert not seen["write_usr"] and not seen["write_venv"]
    # no network, own PID namespace (only its own few processes), no capabilities
    assert seen["net"] is False
    assert max(seen["pids"]) < 50, seen["pids"]
    assert seen["capeff"] == "0000000000000000"
    assert seen["no_new_privs"] == "1"
    assert seen["limits"] == {"AS": 2 << 30, "NPROC": 128, "CPU": 600, "FSIZE": 256 << 20, "NOFILE": 1024}
    if privileged():
        # a per-kernel unprivileged uid, and the socket folder is closed once the kernel is up
        assert seen["uid"] >= 200_000
        assert seen["write_runtime"] is False
    else:                                   # documented: a user namespace maps to the grader's uid
        pytest.skip("not root: the kernel keeps the grader's uid and its socket folder stays writable")


def test_limits_are_enforced(workdir):
    nb, ep = run([
        "import numpy as np\nhog = [np.ones(50_000_000) for _ in range(100_000)]",
        "import os\nkids = 0\ntry:\n    while True:\n        if os.fork() == 0:\n            import time; time.sleep(60); os._exit(0)\n        kids += 1\nexcept OSError:\n    print('forks', kids)",
        "while True:\n    pass",
        "print('still alive')",
    ], workdir, timeout=15)
    assert errors(nb.cells[0]) == ["MemoryError"]
    assert 50 < int(stdout(nb.cells[1]).split()[1]) < 128
    assert "CellTimeoutError" in errors(nb.cells[2])
    assert stdout(nb.cells[3]) == "still alive\n"
    kinds = [e["kind"] for e in ep._events]
    assert kinds == ["memory-limit", "cell-timeout"]


def test_dead_kernel_keeps_what_ran(workdir):
    nb, ep = run(["print(1)", "import os\nos._exit(1)", "print(3)"], workdir)
    assert stdout(nb.cells[0]) == "1\n"
    assert errors(nb.cells[1]) == ["DeadKernelError"]
    assert errors(nb.cells[2]) == ["GraderSkipped"]
    assert [e["kind"] for e in ep._events] == ["kernel-died"]


def test_no_process_survives_the_kernel(workdir):
    run(["import subprocess\nsubprocess.Popen(['sleep', '1000'], start_new_session=True)\nprint('spawned')"],
        workdir)
    time.sleep(1)
    leftovers = [p for p in os.listdir("/proc") if p.isdigit()
                 and b"sleep\x001000" in Path(f"/proc/{p}/cmdline").read_bytes()]
    assert leftovers == []


def test_guard_resets_hooks_before_each_cell(workdir):
    nb, _ = run([
        "get_ipython().input_transformers_cleanup.append(lambda lines: ['print(\"HACKED\")\\n'])\n"
        "get_ipython().events.register('post_run_cell', lambda r: print('HOOKED'))\n"
        "import sys, builtins\nsys.settrace(lambda *a: None)\nbuiltins.abs = lambda x: 0\n"
        "import numpy\nnumpy.allclose = lambda *a, **k: True",
        "import sys, numpy\nprint(abs(-3), sys.gettrace(), numpy.allclose([1], [2]))",
    ], workdir)
    assert stdout(nb.cells[1]) == "3 None False\n"


def test_test_cells_see_no_shadowed_builtins(workdir):
    nb, _ = run([
        "type = lambda obj: float\nfloat = 'shadow'\nlen = 0",
        ("print(type(1.0) is float, len([1, 2]))", True),      # a graded test cell
        "print(len)",                                            # student code after it
    ], workdir)
    assert stdout(nb.cells[1]) == "True 2\n"
    assert "built-in function len" in stdout(nb.cells[2])


def test_outputs_are_capped(workdir):
    nb, ep = run(["print('y' * 3_000_000)\nraise ValueError('z' * 100_000)"], workdir)
    size = len(json.dumps(nb.cells[0].outputs))
    assert size < 20_000
    assert errors(nb.cells[0]) == ["ValueError"]          # errors always kept: they fail tests
    assert [e["kind"] for e in ep._events] == ["output-truncated"]
