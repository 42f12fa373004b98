"""The package's shape: its modules import one another without a cycle.

A cycle hidden in a function-level import (ofd needed office's page text,
office dispatched to ofd) still ties two modules into one; imports under
`if TYPE_CHECKING:` are for annotations only and are not counted.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "bulletin_miner"


def _module_name(path: Path) -> str:
    name = ".".join(("bulletin_miner", *path.relative_to(PACKAGE).with_suffix("").parts))
    return name.removesuffix(".__init__")


def _imports(tree: ast.Module, modules: set[str]) -> set[str]:
    """The package's modules an AST imports, at any depth."""
    typing_only = {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for b in node.body
        for n in ast.walk(b)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bulletin_miner"):
            submodules = {f"{node.module}.{alias.name}" for alias in node.names} & modules
            # `from bulletin_miner import vocab` imports vocab, not the package's API
            found |= submodules if len(submodules) == len(node.names) else {node.module, *submodules}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names} & modules
    return found


def import_graph() -> dict[str, set[str]]:
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    modules = set(paths)
    return {name: _imports(ast.parse(path.read_text(encoding="utf-8")), modules) - {name} for name, path in paths.items()}


def test_no_module_imports_one_that_imports_it_back():
    try:
        tuple(graphlib.TopologicalSorter(import_graph()).static_order())
    except graphlib.CycleError as err:
        pytest.fail(f"an import cycle: {' -> '.join(err.args[1])}")


def test_the_cycle_check_sees_a_cycle_in_a_function_level_import():
    tree = ast.parse("def read():\n    from bulletin_miner.ingest.office import pages_to_text\n")
    graph = {
        "bulletin_miner.ingest.ofd": _imports(tree, {"bulletin_miner.ingest.office"}),
        "bulletin_miner.ingest.office": {"bulletin_miner.ingest.ofd"},
    }
    with pytest.raises(graphlib.CycleError):
        tuple(graphlib.TopologicalSorter(graph).static_order())
