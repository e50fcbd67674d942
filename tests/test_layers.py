"""The package's layers: every module imports only from its own layer or a lower one, and no
modules import each other in a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Lowest first: inputs -> model -> results -> reporting -> CLI, with helpers below them all.
LAYERS = (
    "optimizer.common",
    "optimizer.inputs",
    "models",
    "optimizer.results",
    "optimizer.sweep",
    "optimizer.reporting",
    "optimizer.cli",
    "optimizer",  # the public API (optimizer/__init__.py) and the entry points
)
MAX_LINES = 700  # "much above 600 lines" needs a reason: none here has one


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for folder in ("optimizer", "models")
        for path in sorted((ROOT / folder).rglob("*.py"))
    }


def layer(module: str) -> int:
    """The position of ``module``'s layer (the longest layer name it starts with)."""
    matches = [
        i for i, name in enumerate(LAYERS) if module == name or module.startswith(name + ".")
    ]
    return max(matches, key=lambda i: len(LAYERS[i]))


def imports(path: Path, module: str, top_level_only: bool) -> set[str]:
    """The project modules ``path`` imports (``from x import y`` counts ``x.y`` when that is a
    module); imports under ``if TYPE_CHECKING:`` are left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    known = modules()
    found: set[str] = set()

    def visit(node: ast.AST, nested: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            inner = nested or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import | ast.ImportFrom) and not (inner and top_level_only):
                for name in _targets(child, package):
                    if name in known:
                        found.add(name)
            visit(child, inner)

    visit(tree, False)
    return found - {module}


def _targets(node: ast.Import | ast.ImportFrom, package: str) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        parent = package.split(".")[: len(package.split(".")) - node.level + 1]
        base = ".".join([*parent, base] if base else parent)
    return [base] + [f"{base}.{alias.name}" for alias in node.names]


def test_every_module_imports_only_its_own_layer_or_lower():
    wrong = []
    for module, path in modules().items():
        for target in imports(path, module, top_level_only=False):
            if layer(target) > layer(module) and target != "optimizer":
                wrong.append(f"{module} ({LAYERS[layer(module)]}) imports {target}")
    assert wrong == []


def test_no_import_cycles():
    graph = {m: imports(p, m, top_level_only=True) for m, p in modules().items()}
    cycles = []
    state: dict[str, int] = {}

    def walk(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*trail[trail.index(nxt) :], nxt]))
            elif nxt not in state:
                walk(nxt, [*trail, nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            walk(module, [module])
    assert cycles == []


def test_no_module_imports_a_private_name_of_another():
    wrong = []
    for module, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                private = [a.name for a in node.names if a.name.startswith("_")]
                if private and node.module.split(".")[0] in ("optimizer", "models"):
                    wrong.append(f"{module}: from {node.module} import {', '.join(private)}")
    assert wrong == []


@pytest.mark.parametrize("module", sorted(modules()))
def test_modules_stay_small(module):
    lines = modules()[module].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{module} has {lines} lines"


def test_a_moved_module_still_imports_with_a_warning():
    import importlib
    import sys

    sys.modules.pop("optimizer.compare", None)
    with pytest.warns(DeprecationWarning, match="optimizer.compare has moved"):
        old = importlib.import_module("optimizer.compare")
    from optimizer.results.compare import compare

    assert old.compare is compare


def test_the_public_api_loads_each_name_when_first_used():
    import optimizer

    assert set(optimizer.__all__) == set(optimizer._EXPORTS)
    for name in optimizer.__all__:
        assert getattr(optimizer, name).__name__ == name
    with pytest.raises(AttributeError):
        _ = optimizer.no_such_name
