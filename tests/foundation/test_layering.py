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
