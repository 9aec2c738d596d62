"""The lock is the whole dependency set: every requirement of pyproject.toml is pinned there, to a
version the requirement admits, and the environment the tests run in was installed from it."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from cx_pipeline_tests.conftest import REPO_ROOT

PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^ ;]+)(?: ; (.*))?$")


def locked() -> dict[str, list[tuple[str, str | None]]]:
    """Package -> [(version, environment marker)] (numpy, say, differs by Python version)."""
    pins: dict[str, list[tuple[str, str | None]]] = {}
    for line in (REPO_ROOT / "requirements.lock").read_text().splitlines():
        if match := PIN.match(line.strip()):
            name, version, marker = match.groups()
            pins.setdefault(canonicalize_name(name), []).append((version, marker))
    return pins


def requirements() -> list[Requirement]:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    listed = [*project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        listed += [r for r in extra if not r.startswith("cx-pipeline")]
    return [Requirement(r) for r in listed]


def test_every_requirement_is_pinned_to_a_version_it_admits() -> None:
    pins = locked()
    for requirement in requirements():
        versions = pins.get(canonicalize_name(requirement.name))
        assert versions, f"{requirement.name} is not in requirements.lock: run `make lock`"
        for version, _ in versions:
            assert requirement.specifier.contains(version, prereleases=True), (
                f"requirements.lock pins {requirement.name}=={version}, outside {requirement}: "
                "run `make lock`"
            )


def test_the_environment_was_installed_from_the_lock() -> None:
    differ = []
    for name, versions in locked().items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue  # a pin for another platform or Python version
        if installed not in {version for version, _ in versions}:
            differ.append(f"{name} {installed} (locked {versions[0][0]})")
    assert not differ, f"installed outside the lock: {differ}; run `make clean install`"
