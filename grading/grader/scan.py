"""The pre-grade scan: code a human should look at before trusting a score.

Only code the student wrote is scanned: lines that are not in the released notebook. Nothing
here changes a score; the findings are listed in the autograde summary under "review".
"""
from __future__ import annotations

import ast
import builtins
import json
import re
from pathlib import Path

# (category, regular expression) on each student-written line
PATTERNS = [
    ("kernel internals", r"\bget_ipython\b|\binput_transformers|\bast_transformers\b|"
                         r"\bevents\.register\b|\bset_custom_exc\b|\bshowtraceback\b|\brun_cell\b|"
                         r"\bInteractiveShell\b|\bregister_magic|\bipykernel\b|\.kernel\b"),
    ("tracing / frames", r"\bsys\.(settrace|setprofile|_getframe|modules)\b|\bthreading\.(settrace|setprofile)\b|"
                         r"\binspect\b|\bf_back\b|\bf_locals\b|\bf_globals\b|\bgc\.get_(objects|referrers)\b|"
                         r"\bctypes\b|\btraceback\b"),
    ("builtins patching", r"\b__builtins__\b|\bbuiltins\b"),
    ("process control", r"\bos\._exit\b|\bsys\.exit\b|\bos\.(kill|killpg|fork|forkpty|system|popen|exec\w*|spawn\w*)\b|"
                        r"\bsubprocess\b|\bmultiprocessing\b|\bsignal\.|\bpty\b"),
    ("grader files", r"\bsqlite3\b|gradebook|\bnbgrader\b|\bsolutions\b|\.ipynb\b|/proc/|\.\./"),
    ("network", r"\bsocket\b|\burllib\b|\brequests\b|\bhttp\.client\b|\bhttpx\b"),
    ("dynamic code", r"\bexec\s*\(|\beval\s*\(|\bcompile\s*\(|\b__import__\b|\bimportlib\b"),
]

# dunder methods that let an object lie in comparisons or conversions
LYING_DUNDERS = {"__eq__", "__ne__", "__bool__", "__float__", "__int__", "__index__", "__len__",
                 "__instancecheck__", "__subclasscheck__", "__class__", "__getattr__",
                 "__getattribute__", "__hash__", "__lt__", "__le__", "__gt__", "__ge__", "__abs__",
                 "__round__", "__array__", "__array_ufunc__", "__array_function__"}
GUARDED_NAMES = set(dir(builtins)) | {"np", "numpy", "math", "autodiff", "gradcheck"}
MODULE_NAMES = {"np", "numpy", "math", "autodiff", "sys", "os", "builtins"}


def _release_lines(release_nb: Path | None) -> set[str]:
    if release_nb is None or not release_nb.is_file():
        return set()
    nb = json.loads(release_nb.read_text())
    return {ln.strip() for c in nb.get("cells", [])
            for ln in "".join(c.get("source", "")).splitlines()}


def _ast_findings(tree: ast.AST) -> list[tuple[int, str, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in LYING_DUNDERS:
            found.append((node.lineno, "lying objects", f"defines {node.name}"))
        elif isinstance(node, ast.ClassDef) and node.keywords:
            found.append((node.lineno, "lying objects", f"class {node.name} with a metaclass / keywords"))
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                for sub in ast.walk(t):
                    if isinstance(sub, ast.Name) and sub.id in GUARDED_NAMES:
                        found.append((node.lineno, "shadowing", f"assigns to {sub.id}"))
                    elif (isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name)
                          and sub.value.id in MODULE_NAMES):
                        found.append((node.lineno, "module patching", f"assigns to {sub.value.id}.{sub.attr}"))
                    elif isinstance(sub, ast.Attribute) and sub.attr in LYING_DUNDERS:
                        found.append((node.lineno, "lying objects", f"assigns to .{sub.attr}"))
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in GUARDED_NAMES:
            found.append((node.lineno, "shadowing", f"defines {node.name}"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("setattr", "delattr"):
            found.append((node.lineno, "module patching", f"calls {node.func.id}"))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if (alias.asname or alias.name) in GUARDED_NAMES - MODULE_NAMES - {"gradcheck"}:
                    found.append((node.lineno, "shadowing", f"imports over {alias.asname or alias.name}"))
    return found


def scan_notebook(path: Path, release_nb: Path | None = None) -> list[dict]:
    """Findings in one submitted notebook: [{cell, line, category, detail, code}]."""
    try:
        nb = json.loads(Path(path).read_text())
        cells = nb["cells"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as e:
        return [{"cell": None, "line": None, "category": "malformed notebook",
                 "detail": f"{type(e).__name__}: {e}"[:200], "code": ""}]
    known = _release_lines(release_nb)
    findings = []
    for i, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else str(src)
        lines = src.splitlines()
        new = {n for n, ln in enumerate(lines, 1) if ln.strip() and ln.strip() not in known}
        if not new:
            continue
        for n in sorted(new):
            code = lines[n - 1].strip()
            for category, pattern in PATTERNS:
                if re.search(pattern, code):
                    findings.append({"cell": i, "line": n, "category": category,
                                     "detail": re.search(pattern, code).group(0), "code": code[:160]})
        try:
            # IPython magics and shell escapes are not Python: blank them for the parser
            tree = ast.parse("\n".join("" if ln.lstrip().startswith(("%", "!")) else ln for ln in lines))
        except SyntaxError:
            continue
        for n, category, detail in _ast_findings(tree):
            if n in new:
                findings.append({"cell": i, "line": n, "category": category, "detail": detail,
                                 "code": lines[n - 1].strip()[:160]})
    findings.sort(key=lambda f: (f["cell"], f["line"], f["category"]))
    unique, seen = [], set()
    for f in findings:
        key = (f["cell"], f["line"], f["category"])
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique


def summarize(findings: list[dict], limit: int = 4) -> str:
    cats = []
    for f in findings:
        if f["category"] not in cats:
            cats.append(f["category"])
    return ", ".join(cats[:limit]) + (" ..." if len(cats) > limit else "")
