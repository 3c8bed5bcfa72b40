"""requirements.txt and environment.yml describe one environment: their pins must be identical."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^=\s;#]+)$")

# What the course needs; each must be pinned exactly (issue #2).
REQUIRED = {
    "numpy", "jupyterlab", "ipykernel", "nbgrader", "nbval", "pytest", "pytest-xdist",
    "hypothesis", "tensorboard", "pandas", "matplotlib", "tqdm", "pillow", "scikit-learn",
    "palmerpenguins", "faker", "statsmodels", "scipy", "ipywidgets",
}


def normalize(name: str) -> str:
    """PEP 503 name normalisation: Scikit_Learn and scikit-learn are one package."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_pins(lines: list[str], source: str) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = PIN.match(line)
        if m is None:
            raise AssertionError(f"{source}: not an exact pin (name==version): {line!r}")
        name = normalize(m.group(1))
        if name in pins:
            raise AssertionError(f"{source}: {name} is pinned twice")
        pins[name] = m.group(2)
    return pins


def requirements_pins() -> dict[str, str]:
    text = (ROOT / "requirements.txt").read_text()
    return parse_pins(text.splitlines(), "requirements.txt")


def environment() -> dict:
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def environment_pip_lines() -> list[str]:
    pip_sections = [d["pip"] for d in environment()["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pip_sections) == 1, "environment.yml needs exactly one pip: section"
    return [str(x) for x in pip_sections[0]]


def environment_pins() -> dict[str, str]:
    lines = [x for x in environment_pip_lines() if not x.startswith("-e ")]
    return parse_pins(lines, "environment.yml")


def test_requirements_and_environment_pin_the_same_versions():
    req, env = requirements_pins(), environment_pins()
    only_req = {k: v for k, v in req.items() if env.get(k) != v}
    only_env = {k: v for k, v in env.items() if req.get(k) != v}
    assert req == env, f"requirements.txt only: {only_req}; environment.yml only: {only_env}"


def test_every_needed_package_is_pinned():
    missing = REQUIRED - set(requirements_pins())
    assert not missing, f"not pinned in requirements.txt: {sorted(missing)}"


def test_torch_is_not_a_course_requirement():
    # torch is only for the CI parity tests; .ci/run installs it.
    assert "torch" not in requirements_pins()


def test_environment_installs_python_311_and_the_library():
    env = environment()
    assert env["name"] == "autodiff-course"
    plain = [d for d in env["dependencies"] if isinstance(d, str)]
    assert "python=3.11" in plain and "pip" in plain
    assert "-e ./lib" in environment_pip_lines()


def test_pinned_numpy_satisfies_the_library_floor():
    """numpy is the library's only hard dependency; >= 2 for torch-like (NEP 50) scalar rules."""
    project = tomllib.loads((ROOT / "lib" / "pyproject.toml").read_text())["project"]
    assert project["dependencies"] == ["numpy>=2.0"]
    major, minor = (int(p) for p in requirements_pins()["numpy"].split(".")[:2])
    assert (major, minor) >= (2, 0)


@pytest.mark.parametrize(
    "line",
    ["numpy>=2.0", "numpy", "numpy==2.0 ==2.1"],
)
def test_loose_pins_are_rejected(line):
    with pytest.raises(AssertionError, match="not an exact pin"):
        parse_pins([line], "x")
