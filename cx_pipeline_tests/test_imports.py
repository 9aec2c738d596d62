"""Imports run one way: each module imports only its own layer and those below it, so a shared
piece has a home below everything that uses it and no import waits on a circle."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "cx_pipeline"
# Lowest first. A module belongs to the longest name that prefixes it.
LAYERS = (
    ("contract",),
    ("settings", "sql", "contract_sql", "readers", "partitions", "ducklake", "catalog", "text"),
    ("migrations",),
    ("privacy.erasure", "privacy.masking", "privacy.contact_details"),
    ("adapters",),
    ("resources",),
    ("ingest.extracts", "ingest.loader", "ingest.reference"),
    ("quality",),
    ("ingest",),
    ("staging",),
    ("marts",),
    ("serving", "report"),
    ("privacy", "generate"),
    ("executors", "recovery", "run_summary", "docs"),
    ("jobs", "privacy.jobs", "alerts"),
    ("definitions",),
    ("cli",),
)


def layer(module: str) -> int:
    name = module.removeprefix("cx_pipeline").lstrip(".")
    matches = [
        (len(prefix), level)
        for level, prefixes in enumerate(LAYERS)
        for prefix in prefixes
        if name == prefix or name.startswith(prefix + ".")
    ]
    assert matches, f"{module} is in no layer: add it to LAYERS"
    return max(matches)[1]


def imports(path: Path) -> list[tuple[int, str]]:
    """Every cx_pipeline module `path` imports, at the top or inside a function."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("cx_pipeline"):
            if node.module == "cx_pipeline":
                found += [(node.lineno, f"cx_pipeline.{a.name}") for a in node.names]
            else:
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("cx_pipeline")]
    return found


def test_imports_run_one_way() -> None:
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        module = ".".join(relative.parts).removesuffix(".__init__")
        if module == "cx_pipeline":
            continue
        for line, imported in imports(path):
            if layer(imported) > layer(module):
                upward.append(f"{relative}.py:{line} imports {imported}")
    assert not upward, "imports that reach up a layer:\n" + "\n".join(upward)


def test_loading_the_code_location_imports_no_model_library() -> None:
    """Every step process, sensor tick and UI reload loads the definitions: the libraries a
    model needs (a second and more) are imported where a model is fitted."""
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, cx_pipeline.definitions; print(' '.join(sorted(sys.modules)))",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout.split()
    heavy = {"statsmodels", "scipy", "pandas", "sklearn", "great_expectations"}
    heavy |= {"vaderSentiment", "py3langid", "phonenumbers"}
    assert not heavy & set(loaded)
