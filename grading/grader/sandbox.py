"""Start each student's kernel inside a bubblewrap sandbox.

The kernel of a submission runs where it cannot hurt the grading:

* its own mount namespace whose root holds only the system (``/usr``, read-only), the Python
  installation and the venv (read-only), the library (read-only), a private ``/tmp`` and a home
  folder (``tmpfs`` of bounded size) with a copy of the assignment's non-notebook files; the
  gradebook, ``solutions/``, ``grading/``, other students' files and the notebook itself (which
  holds the hidden tests) are simply not there;
* no network (a new, empty network namespace), its own PID, IPC and UTS namespaces: it sees
  only its own processes, and when the kernel ends every process it started ends with it;
* run as an unprivileged user (a per-kernel uid when the grader runs as root), with no
  capabilities and ``no_new_privs``; resource limits on address space, process count, CPU
  time, file size and open files (``prlimit``);
* the kernel talks to the grader over Unix sockets (``transport = "ipc"``) in a private
  folder: the only host folder the sandbox can write to, and only until the kernel is up
  (when the grader runs as root; see :meth:`SandboxKernelManager.lock_runtime_dir`).

``python -m grader sandbox-check`` prints what this machine supports.
"""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Integer, Unicode

INSIDE = Path(__file__).with_name("inside") / "kernel.py"   # bound into the sandbox
HOME = "/home/student"                                          # the kernel's home (tmpfs)
SUBMISSION = "/mnt/submission"                                  # read-only copy of the files
GRADER_DIR = "/opt/grader"

# uids handed to sandboxed kernels when the grader runs as root: one per kernel, so that the
# process-count limit (counted per uid) is per kernel.
UID_BASE = 200_000


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create the namespaces it needs here."""


def bwrap_path() -> str:
    path = shutil.which("bwrap")
    if not path:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed: `apt-get install bubblewrap` (Debian/Ubuntu). "
            "Submissions are never run outside the sandbox.")
    return path


def privileged() -> bool:
    """Root can give each kernel its own unprivileged uid; other users get a user namespace."""
    return os.geteuid() == 0


def _library_dirs() -> list[str]:
    """Read-only folders the kernel needs: Python itself, the venv, the autodiff library."""
    dirs = [sys.base_prefix, sys.prefix]
    spec = importlib.util.find_spec("autodiff")
    if spec is not None and spec.origin:
        dirs.append(str(Path(spec.origin).resolve().parents[1]))
    out = []
    for d in dirs:
        d = str(Path(d).resolve())
        if d.startswith("/usr/") or d == "/usr":
            continue
        if not any(d == o or d.startswith(o + "/") for o in out):
            out.append(d)
    return out


class Limits:
    """Resource limits of one kernel (the defaults are set in nbgrader_config.py)."""

    def __init__(self, memory=2 << 30, nproc=128, cpu=600, fsize=256 << 20, nofile=1024,
                 tmpfs=512 << 20):
        self.memory, self.nproc, self.cpu = memory, nproc, cpu
        self.fsize, self.nofile, self.tmpfs = fsize, nofile, tmpfs

    def prlimit_args(self) -> list[str]:
        return ["prlimit", f"--as={self.memory}", f"--nproc={self.nproc}", f"--cpu={self.cpu}",
                f"--fsize={self.fsize}", f"--nofile={self.nofile}", "--core=0", "--"]


def bwrap_command(argv: list[str], *, files_dir: str, runtime_dir: str, limits: Limits,
                  uid: int | None) -> list[str]:
    """The full command line: bwrap [namespaces, mounts, env] [setpriv] prlimit argv."""
    cmd = [bwrap_path(), "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
           "--unshare-cgroup-try", "--die-with-parent", "--new-session"]
    if uid is None:                       # not root: an unprivileged user namespace
        cmd += ["--unshare-user", "--disable-userns", "--cap-drop", "ALL"]
    made = {"/tmp"}

    def parents(path: str):
        parts = Path(path).parts[1:-1]
        for i in range(1, len(parts) + 1):
            p = "/" + "/".join(parts[:i])
            if p not in made and p not in ("/usr",):
                made.add(p)
                cmd.extend(["--perms", "0755", "--dir", p])

    # /tmp first: the venv or the library may live under /tmp (a CI checkout), bound on top.
    cmd += ["--proc", "/proc", "--dev", "/dev",
            "--perms", "1777", "--size", str(limits.tmpfs), "--tmpfs", "/tmp"]
    cmd += ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        p = "/" + name
        if os.path.islink(p):
            cmd += ["--symlink", os.readlink(p), p]
        elif os.path.isdir(p):
            cmd += ["--ro-bind", p, p]
    for f in ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/localtime", "/etc/fonts"):
        if os.path.exists(f):
            parents(f)
            cmd += ["--ro-bind", f, f]
    for d in _library_dirs():
        parents(d)
        cmd += ["--ro-bind", d, d]
    parents(HOME)
    cmd += ["--perms", "1777", "--size", str(limits.tmpfs), "--tmpfs", HOME]
    parents(SUBMISSION)
    cmd += ["--ro-bind", files_dir, SUBMISSION]
    parents(GRADER_DIR + "/kernel.py")
    cmd += ["--ro-bind", str(INSIDE), f"{GRADER_DIR}/kernel.py"]
    parents(runtime_dir + "/x")
    cmd += ["--bind", runtime_dir, runtime_dir]
    env = {"HOME": HOME, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "MPLBACKEND": "agg",
           "MPLCONFIGDIR": "/tmp/matplotlib", "PYTHONDONTWRITEBYTECODE": "1",
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    cmd += ["--clearenv"]
    for k, v in env.items():
        cmd += ["--setenv", k, v]
    cmd += ["--chdir", HOME]
    if uid is not None:
        cmd += ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"]
    cmd += limits.prlimit_args()
    cmd += argv
    return cmd


def stage_files(src: str, dest: str) -> None:
    """Copy the assignment's files except notebooks (the notebook holds the hidden tests)."""
    for root, dirs, files in os.walk(src):
        rel = os.path.relpath(root, src)
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        os.makedirs(os.path.join(dest, rel), exist_ok=True)
        for f in files:
            if f.endswith(".ipynb") or f.startswith("."):
                continue
            shutil.copy2(os.path.join(root, f), os.path.join(dest, rel, f))


class SandboxKernelManager(AsyncKernelManager):
    """An AsyncKernelManager whose kernel runs in the bubblewrap sandbox over IPC sockets."""

    memory_limit = Integer(2 << 30, config=True, help="address-space limit of a kernel (bytes)")
    process_limit = Integer(128, config=True, help="processes + threads of a kernel")
    cpu_limit = Integer(600, config=True, help="CPU seconds of a kernel")
    file_size_limit = Integer(256 << 20, config=True, help="largest file a kernel may write")
    tmpfs_size = Integer(512 << 20, config=True, help="size of the kernel's /tmp and home")
    python = Unicode(os.path.abspath(sys.executable), config=True, help="the Python that runs the kernel")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._private = tempfile.mkdtemp(prefix="grader-kernel-")
        os.chmod(self._private, 0o755)
        self._runtime = os.path.join(self._private, "run")
        self._files = os.path.join(self._private, "files")
        os.makedirs(self._runtime)
        os.makedirs(self._files)
        self.uid = (UID_BASE + os.getpid()) if privileged() else None
        self.transport = "ipc"
        self.connection_file = os.path.join(self._runtime, "kernel.json")
        self.ip = os.path.join(self._runtime, "kernel-ipc")
        if self.uid is not None:
            os.chown(self._runtime, self.uid, self.uid)

    # ipykernel's interrupt by signal would reach bwrap, not the kernel: ask by message instead.
    @property
    def kernel_spec(self):
        spec = super().kernel_spec
        if spec is not None:
            spec.interrupt_mode = "message"
        return spec

    def write_connection_file(self, **kwargs):
        super().write_connection_file(**kwargs)
        if self.uid is not None:
            os.chown(self.connection_file, self.uid, self.uid)

    def format_kernel_cmd(self, extra_arguments=None):
        workdir = os.path.basename(os.path.normpath(self.cwd or "work"))
        if self.cwd:
            stage_files(self.cwd, self._files)
        argv = [self.python, f"{GRADER_DIR}/kernel.py", "-f", self.connection_file,
                "--workdir", f"{HOME}/{workdir}", "--src", SUBMISSION]
        limits = Limits(self.memory_limit, self.process_limit, self.cpu_limit,
                        self.file_size_limit, tmpfs=self.tmpfs_size)
        return bwrap_command(argv, files_dir=self._files, runtime_dir=self._runtime,
                             limits=limits, uid=self.uid)

    async def _async_pre_start_kernel(self, **kw):
        self.cwd = kw.get("cwd")
        # The kernel's own stdout/stderr (not the cells' output, which comes over the sockets)
        # go to a log file: a fork bomb's children, for example, complain there.
        kw["stdout"] = subprocess.DEVNULL
        kw["stderr"] = open(self.log_file, "ab")
        return await super()._async_pre_start_kernel(**kw)

    @property
    def log_file(self) -> str:
        return os.path.join(self._private, "kernel.log")

    def log_tail(self, n=2000) -> str:
        try:
            with open(self.log_file, "rb") as f:
                f.seek(max(0, os.path.getsize(self.log_file) - n))
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def lock_runtime_dir(self) -> None:
        """Once the sockets exist, take the kernel's write access to its only host folder."""
        if self.uid is not None and os.path.isdir(self._runtime):
            os.chown(self._runtime, 0, 0)
            os.chmod(self._runtime, 0o755)

    async def cleanup_resources(self, restart=False):
        await super().cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(self._private, ignore_errors=True)


def check() -> dict:
    """Probe the sandbox on this machine: does a sandboxed Python start, and what does it see?"""
    report = {"bwrap": None, "privileged": privileged(), "ok": False}
    try:
        report["bwrap"] = bwrap_path()
    except SandboxUnavailable as e:
        report["error"] = str(e)
        return report
    private = tempfile.mkdtemp(prefix="grader-check-")
    try:
        os.chmod(private, 0o755)
        run, files = os.path.join(private, "run"), os.path.join(private, "files")
        os.makedirs(run)
        os.makedirs(files)
        probe = ("import json, os, resource; print(json.dumps({'uid': os.getuid(), "
                 "'root': sorted(os.listdir('/')), 'as': resource.getrlimit(resource.RLIMIT_AS)[0]}))")
        uid = (UID_BASE + os.getpid()) if privileged() else None
        cmd = bwrap_command([os.path.abspath(sys.executable), "-c", probe], files_dir=files,
                            runtime_dir=run, limits=Limits(), uid=uid)
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            report["error"] = r.stderr.strip()[-2000:]
            return report
        report.update(json.loads(r.stdout))
        report["ok"] = True
        return report
    finally:
        shutil.rmtree(private, ignore_errors=True)
