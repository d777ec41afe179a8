"""Configuration of rubric generation and the rubric-set version derived from it.

Everything that changes what a rubric looks like is part of the version: prompt versions,
the models in each role, the corpus version and the consensus parameters. Stored on every
rubric item (and on every later score), the version names exactly what produced it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from quarkmed_dagster.llm.types import stable_hash

Persona = Literal["basic", "professional", "insight"]
TieRule = Literal["include", "exclude", "aggregator_majority"]
UnsupportedPolicy = Literal["drop", "flag"]
# What a corpus change does to a query whose evidence fingerprint changed while its rubric
# configuration did not (see ``rubrics.reverify``).
RefreshPolicy = Literal["regenerate", "reverify"]

TIERS = ("Essential", "Important", "Highlight", "Pitfall")
SINGLE_TURN_TAGS = (
    "Information Quality",
    "Evidence Support",
    "Safety",
    "Readability",
    "Humanistic Care",
)
MULTI_TURN_TAGS = ("Intent Recognition", "Short-term Memory", "Risk Control", "Coreference")
POSITIVE_LEVELS = ("not_met", "partially_met", "fully_met")
PITFALL_LEVELS = ("no_error", "minor_error", "major_error")


class RubricModels(BaseModel):
    """Which model strings play each role (from models.yaml)."""

    generators: list[str]
    aggregators: list[str]
    verifiers: list[str]
    rubric_writer: str
    equivalence: str | None = Field(
        default=None, description="Optional model asked whether two near clusters are one point."
    )


class ConsensusParams(BaseModel):
    """The knobs of consensus, verification and the closed loop (all part of the version)."""

    personas: list[Persona] = Field(default_factory=lambda: ["basic", "professional", "insight"])
    samples: int = Field(default=1, ge=1, description="R samples per generator x persona.")
    similarity_threshold: float = Field(
        default=0.75, description="Cosine similarity (MiniLM) at which points share a cluster."
    )
    equivalence_band: float = Field(
        default=0.1,
        description="Clusters this far below the threshold go to the equivalence check.",
    )
    support_threshold: float = Field(
        default=0.5, description="Generator support ratio a cluster must exceed to be kept."
    )
    tie_rule: TieRule = Field(
        default="aggregator_majority",
        description="Ratio exactly at the threshold: include, exclude, or include iff more "
        "than half of the aggregators extracted the point.",
    )
    unsupported_policy: UnsupportedPolicy = "drop"
    min_agreement: float = Field(
        default=0.5, description="Mean generator support of essential clusters below this -> loop."
    )
    min_calibration_score: float | None = Field(
        default=None,
        description="Mean score of all scored candidates (previous run, current rubric) below "
        "this -> one calibration round (deeper retrieval + regeneration), then review as "
        "low_calibration if still below after re-scoring. None (default) = off. A loop "
        "policy, not part of the version (see LOOP_POLICY).",
    )
    refresh_policy: RefreshPolicy = Field(
        default="reverify",
        description="Evidence changed, configuration unchanged, a current usable rubric "
        "exists: 'reverify' re-checks that rubric's points against the new evidence in one "
        "batched call per verifier and carries it forward when all still hold (else "
        "regenerates); 'regenerate' always regenerates. A loop policy, not part of the "
        "version (see LOOP_POLICY).",
    )
    deeper_k: int = Field(default=16, description="Evidence depth of the regeneration round.")
    max_evidence_passages: int = 8
    max_evidence_chars: int = 1200
    min_items: int = 5
    max_items: int = 15
    min_essential: int = 2
    min_important: int = 1
    min_highlight: int = 1
    max_pitfall: int = 2
    max_weight: float = 10.0


# Knobs that decide when a later run revisits a rubric, not how a rubric is made: left out
# of the configuration hash, so turning the calibration trigger on (or moving it) does not
# regenerate every rubric; a calibration round records its trigger on the rubric set, a
# refresh its policy (rubric_sets.refresh_policy).
LOOP_POLICY = frozenset({"min_calibration_score", "refresh_policy"})


class RubricConfig(BaseModel):
    models: RubricModels
    params: ConsensusParams = Field(default_factory=ConsensusParams)

    def config_hash(self, prompt_versions: dict[str, str]) -> str:
        """Version of everything except the corpus (used to carry rubrics across corpora)."""
        return stable_hash(
            {
                "prompts": dict(sorted(prompt_versions.items())),
                "models": self.models.model_dump(),
                "params": self.params.model_dump(exclude=set(LOOP_POLICY)),
            }
        )

    def rubric_set_version(self, prompt_versions: dict[str, str], corpus_version: str) -> str:
        """rs-<hash of prompt versions + models + corpus version + consensus params>."""
        digest = stable_hash(
            {"config": self.config_hash(prompt_versions), "corpus_version": corpus_version}
        )
        return f"rs-{digest}"

    def uses_baseline(self) -> bool:
        names = [
            *self.models.generators,
            *self.models.aggregators,
            *self.models.verifiers,
            self.models.rubric_writer,
        ]
        return any(name.startswith("baseline/") for name in names)
