"""The layout is the architecture: which package may import which.

Product core (``pipeline``, ``rings``, ``rules``, ``stats``, ``schemas``): no Faust, no
aiokafka, no developer tooling. ``topology``: the product core and Faust, no
developer tooling. Nothing imports ``cli`` but the entry point.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "stream"
CORE = ("stream.pipeline", "stream.rings", "stream.rules", "stream.stats")
FRAMEWORKS = ("faust", "mode", "aiokafka", "kafka")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, at any depth (lazy imports included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


MODULES = {module_name(p): imports_of(p) for p in PACKAGE.rglob("*.py")}


def within(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def offenders(importers: tuple[str, ...], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{module} imports {target}"
        for module, targets in MODULES.items()
        if within(module, importers)
        for target in targets
        if within(target, forbidden)
    )


def test_the_product_core_imports_no_framework_and_no_tooling() -> None:
    assert offenders(CORE, (*FRAMEWORKS, "stream.devtools", "stream.topology", "stream.cli")) == []


def test_the_topology_imports_no_tooling() -> None:
    assert offenders(("stream.topology",), ("stream.devtools", "stream.cli")) == []


def test_only_the_entry_point_imports_the_cli() -> None:
    found = sorted(
        f"{module} imports {target}"
        for module, targets in MODULES.items()
        if not within(module, ("stream.cli", "stream.__main__"))
        for target in targets
        if within(target, ("stream.cli",))
    )
    assert found == []


@pytest.mark.parametrize("module", ["stream.pipeline.processor", "stream.pipeline.detector"])
def test_importing_the_pipeline_loads_no_framework(module: str) -> None:
    """The same at run time: what importing the pipeline really loads."""
    probe = (
        f"import sys, {module}\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        f"{FRAMEWORKS!r} or m.startswith(('stream.devtools', 'stream.topology', 'stream.cli')))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == ""


def test_every_package_says_what_it_holds() -> None:
    for init in PACKAGE.rglob("__init__.py"):
        tree = ast.parse(init.read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), f"{init.relative_to(ROOT)} has no docstring"
