"""Where code lives: the schemas of model calls are shared, not owned by the baselines."""

from __future__ import annotations

import ast
from pathlib import Path

from quarkmed_dagster.settings import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "quarkmed_dagster"


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_real_model_stages_take_their_schemas_from_the_neutral_module():
    """Real-model stages (rubrics, judging, K-QA audit, ingest) build their requests from the
    neutral ``llm.payloads`` schemas, which the baselines import too; nothing outside the
    baselines package imports ``baselines.payloads`` (which baseline reads which schema)."""
    sources = [*PACKAGE.rglob("*.py"), *(PROJECT_ROOT / "assets").rglob("*.py")]
    offenders = sorted(
        str(path.relative_to(PROJECT_ROOT))
        for path in sources
        if not path.is_relative_to(PACKAGE / "baselines")
        and any(
            m.startswith("quarkmed_dagster.baselines.payloads") for m in _imported_modules(path)
        )
    )
    assert offenders == []
    baseline_users = [
        path.name
        for path in (PACKAGE / "baselines").glob("*.py")
        if "quarkmed_dagster.llm.payloads" in _imported_modules(path)
    ]
    assert len(baseline_users) >= 5  # the baselines read and write the same schemas


def _module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph() -> dict[str, set[str]]:
    """Package module -> the package modules it imports (lazy imports in functions too)."""
    paths = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for module, path in paths.items():
        targets = set()
        for name in _imported_modules(path):
            # ``from a.b import c``: the module a.b.c when c is one, else a.b.
            while name and name not in paths:
                name = name.rpartition(".")[0]
            if name and name != module and not module.startswith(f"{name}."):
                targets.add(name)
        graph[module] = targets
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_circle_finder_sees_a_circle():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_package_has_no_import_circle():
    """No two modules of the package import each other, directly or round a loop (imports
    inside functions count: they only hide the circle from the interpreter)."""
    assert _circles(_import_graph()) == []
