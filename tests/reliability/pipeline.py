"""A small real pipeline for reliability tests: ingest -> evidence -> rubrics -> candidate
responses -> judging -> scores -> marts and report, through the project's own main-job code
(``run_pipeline`` on a persistent Dagster instance under the data home) with every model
role served by the local OpenAI-compatible server.

Configuration goes through the environment only, as for ``quarkmed run``: ``environment``
returns the variables for a data home, a models config (a ``models.yaml``-style profile
pointing the roles at the server) and a fake API key. Run as a module
(``python -m tests.reliability.pipeline [asset ...]``) it materializes the named assets (all
stages by default) in a separate process, so tests can kill it.
"""

from __future__ import annotations

import gzip
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml

from tests.reliability.world import ROLES

PROFILE = "reliability"
QUERIES = [
    [{"role": "user", "content": "How much ibuprofen can I take for a headache?"}],
    [{"role": "user", "content": "Is it safe to take ibuprofen if I have high blood pressure?"}],
    [{"role": "user", "content": "What are the early signs of type 2 diabetes?"}],
    [
        {"role": "user", "content": "I have had stomach pain for two days."},
        {"role": "assistant", "content": "I'm sorry. Where exactly is the pain?"},
        {"role": "user", "content": "Around my belly button. Can I take ibuprofen for it?"},
    ],
]
CORPUS_DOCS = 40  # MedQuAD records from the bundled sample corpus
IBUPROFEN_NOTE = (
    "Ibuprofen is a nonsteroidal anti-inflammatory drug (NSAID). Adults may take 200 to 400 mg "
    "every four to six hours with food. NSAIDs inhibit cyclooxygenase enzymes. Black stools or "
    "vomiting blood need urgent care. People with kidney disease, stomach ulcers or high blood "
    "pressure should ask a doctor before taking ibuprofen."
)


def write_sample_data(root: Path, project_sample: Path) -> Path:
    """A sample-data folder (``queries/`` and ``corpus/``) small enough for a fast run."""
    (root / "queries").mkdir(parents=True, exist_ok=True)
    (root / "corpus").mkdir(parents=True, exist_ok=True)
    rows = [{"id": f"r{i}", "turns": turns} for i, turns in enumerate(QUERIES)]
    (root / "queries" / "reliability_queries.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8"
    )
    with gzip.open(project_sample / "corpus" / "medquad_subset.jsonl.gz", "rt") as handle:
        lines = [line for line in handle.read().split("\n") if line.strip()][:CORPUS_DOCS]
    (root / "corpus" / "medquad_small.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    (root / "corpus" / "ibuprofen.txt").write_text(IBUPROFEN_NOTE, encoding="utf-8")
    return root


def write_models_config(path: Path, url: str, **deployment: object) -> Path:
    """A ``models.yaml``-style file whose profile serves every role from ``url``."""
    defaults = {
        "api_base": url,
        "json_mode": "json_object",
        "concurrency": 8,
        "timeout_s": 1.0,
        "max_attempts": 3,
        "backoff_base_s": 0.01,
        "backoff_max_s": 0.05,
        "input_cost_per_token": 0.0,
        "output_cost_per_token": 0.0,
        **deployment,
    }
    profile = {"defaults": defaults, "key_env": ["OPENAI_API_KEY"], "roles": ROLES}
    path.write_text(yaml.safe_dump({"profiles": {PROFILE: profile}}), encoding="utf-8")
    return path


def environment(data_home: Path, sample_dir: Path, models: Path, api_key: str) -> dict[str, str]:
    return {
        "QUARKMED_DATA_HOME": str(data_home),
        "QUARKMED_SAMPLE_DATA_DIR": str(sample_dir),
        "QUARKMED_MODELS_CONFIG": str(models),
        "QUARKMED_MODEL_PROFILE": PROFILE,
        "OPENAI_API_KEY": api_key,
    }


def stage_definitions():  # type: ignore[no-untyped-def]
    """The stages under test with their checks, resources bound from settings."""
    import dagster as dg

    from assets import evidence, judging, marts, queries, responses, rubrics, scoring
    from quarkmed_dagster.resources import build_resources

    return dg.Definitions(
        assets=[
            queries.queries,
            evidence.knowledge_corpus,
            evidence.query_evidence,
            rubrics.rubric_generation,
            responses.candidate_responses,
            judging.judge_panel,
            scoring.query_scores,
            marts.marts,
            marts.html_report,
        ],
        asset_checks=[
            queries.queries_suite,
            queries.queries_quarantine_rate,
            evidence.passages_suite,
            evidence.query_evidence_suite,
            rubrics.rubric_items_suite,
            rubrics.rubric_constraints,
            judging.judge_verdicts_complete,
            judging.judge_verdicts_suite,
            judging.item_verdicts_suite,
            scoring.query_scores_valid,
        ],
        resources=build_resources(),
    )


def run(only: Sequence[str] = ()):  # type: ignore[no-untyped-def]
    """The main job's code path over the stages, or over only the named unpartitioned assets
    (with the main job's recovery of interrupted runs and its run tags)."""
    import dagster as dg

    from quarkmed_dagster.ingest.batches import register_sample_batches
    from quarkmed_dagster.orchestration import (
        dagster_instance,
        main_job_tags,
        release_interrupted_runs,
        run_pipeline,
    )
    from quarkmed_dagster.settings import get_settings

    get_settings.cache_clear()
    settings = get_settings()
    defs = stage_definitions()
    chosen = [a for a in defs.assets or [] if {k.to_user_string() for k in a.keys} & set(only)]
    keys = {k for a in chosen for k in a.keys}
    checks = [c for c in defs.asset_checks or [] if {k.asset_key for k in c.check_keys} & keys]
    with dagster_instance(settings) as instance:
        if not only:
            return run_pipeline(defs, instance, lambda: register_sample_batches(settings))
        release_interrupted_runs(instance)
        return dg.materialize(
            [*chosen, *checks],
            instance=instance,
            resources=dict(defs.resources or {}),
            tags=main_job_tags(),
        )


def main(argv: Sequence[str]) -> int:
    outcome = run(argv)
    return 0 if outcome.success else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
