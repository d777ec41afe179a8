"""Structurally realistic synthetic QuarkMedBench-scale data for ``bench_scale.py``.

QuarkMedBench: 20,821 single-turn queries and 3,853 multi-turn sessions (6,215 turns beyond
each session's first, read here as 2-4 user turns per session), ~10 rubric items per query.

* ``seed_model_inputs``: what the model-calling stages read (queries with their turns, a
  passage corpus, top-8 evidence per query, fingerprints, a current corpus version).
* ``seed_scored_tables``: what scoring and the marts read (the inputs above, current rubric
  sets and items, 10 candidates' responses, 3 judges' verdicts and the panel's item verdicts),
  generated column-wise so the full scale (~2.5M item verdicts, ~7.4M judge verdicts) is
  written in seconds.

Everything is seeded; the same arguments give the same tables.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import polars as pl

from benchmarks.scale_models import CONDITIONS, FILLER, QUESTIONS, STATEMENTS, query_text
from quarkmed_dagster.llm.types import stable_hash
from quarkmed_dagster.warehouse import Warehouse

SINGLE_TURN, SESSIONS, EXTRA_TURNS = 20_821, 3_853, 6_215
FULL_QUERIES = SINGLE_TURN + SESSIONS
CATEGORIES = ("Clinical Care", "Wellness Health", "Professional Inquiry")
CATEGORY_SHARES = (0.5, 0.3, 0.2)
CORPUS = "cv-bench"
EVIDENCE_K = 8
TIERS = ("Essential", "Important", "Highlight", "Pitfall")
TAGS = ("Information Quality", "Evidence Support", "Readability", "Humanistic Care", "Safety")
JUDGES = ("openai/judge-1", "openai/judge-2", "openai/judge-3")
CANDIDATES = tuple(f"openai/cand-{k:02d}" for k in range(1, 11))
NOW = datetime(2026, 1, 1)
RATIONALE = "The response covers this point only in part."


@dataclass(frozen=True)
class Scale:
    single: int
    sessions: int

    @classmethod
    def of(cls, fraction: float) -> Scale:
        return cls(max(1, round(SINGLE_TURN * fraction)), max(1, round(SESSIONS * fraction)))

    @property
    def queries(self) -> int:
        return self.single + self.sessions

    def user_turns(self) -> list[int]:
        """User turns per session: 2, 3 or 4, summing to 6,215 extra turns at full scale."""
        fours = round(400 * self.sessions / SESSIONS)
        threes = round(1_562 * self.sessions / SESSIONS)
        out = [4] * fours + [3] * threes
        return (out + [2] * self.sessions)[: self.sessions]


def _insert(warehouse: Warehouse, table: str, frame: pl.DataFrame) -> None:
    with warehouse.writer() as con:
        con.register("rows_in", frame.to_arrow())
        cols = ", ".join(frame.columns)
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM rows_in")
        con.unregister("rows_in")


def _session(index: int, n_user: int, rng: np.random.Generator) -> list[dict[str, str]]:
    turns = [{"role": "user", "content": query_text(index)}]
    for _ in range(n_user - 1):
        turns.append({"role": "assistant", "content": " ".join(rng.choice(STATEMENTS, 5)) + "."})
        condition, question = rng.choice(CONDITIONS), rng.choice(QUESTIONS)
        turns.append(
            {"role": "user", "content": f"About {condition} again (case {index}): {question}"}
        )
    return turns


def query_frame(scale: Scale, seed: int = 0) -> pl.DataFrame:
    """queries rows: single-turn questions first, then sessions (full history in turns)."""
    rng = np.random.default_rng(seed)
    lengths = [1] * scale.single + scale.user_turns()
    rows = []
    for index, n_user in enumerate(lengths):
        turns = _session(index, n_user, rng)
        query_id = "q-" + stable_hash(turns)
        rows.append(
            {
                "query_id": query_id,
                "batch_id": "bench",
                "session_id": query_id,
                "turns": json.dumps(turns),
                "n_turns": len(turns),
                "is_multi_turn": n_user > 1,
                "final_user_turn": turns[-1]["content"],
                "language": "en",
                "source": "synthetic",
                "category": str(rng.choice(CATEGORIES, p=CATEGORY_SHARES)),
                "category_classifier": "synthetic",
                "difficulty": str(rng.choice(["easy", "medium", "hard"])),
                "ingested_at": NOW,
            }
        )
    return pl.DataFrame(rows)


def seed_model_inputs(warehouse: Warehouse, scale: Scale, seed: int = 0) -> pl.DataFrame:
    """Queries, a passage corpus (~2 passages per query) and top-8 evidence per query."""
    rng = np.random.default_rng(seed + 1)
    queries = query_frame(scale, seed)
    n_passages = max(64, 2 * queries.height)
    sentences = np.array([s + "." for s in STATEMENTS] + list(FILLER))
    passages = pl.DataFrame(
        {
            "passage_id": [f"p-{i:06d}" for i in range(n_passages)],
            "corpus_version": CORPUS,
            "doc_id": [f"d-{i // 6:05d}" for i in range(n_passages)],
            "ordinal": [i % 6 for i in range(n_passages)],
            "text": [" ".join(rng.choice(sentences, 14)) for _ in range(n_passages)],
        }
    ).with_columns(
        content_hash=pl.col("passage_id"),
        n_tokens=(pl.col("text").str.len_chars() // 4).cast(pl.Int32),
    )
    picks = [rng.choice(n_passages, EVIDENCE_K, replace=False) for _ in range(queries.height)]
    evidence = pl.DataFrame(
        {
            "query_id": np.repeat(queries["query_id"].to_numpy(), EVIDENCE_K),
            "corpus_version": CORPUS,
            "rank": np.tile(np.arange(1, EVIDENCE_K + 1), queries.height).astype(np.int32),
            "passage_id": [f"p-{i:06d}" for row in picks for i in row],
            "score": np.tile(1.0 / np.arange(1, EVIDENCE_K + 1), queries.height),
            "retriever": "bm25",
        }
    )
    fingerprints = queries.select(
        "query_id",
        corpus_version=pl.lit(CORPUS),
        fingerprint=pl.col("query_id").str.replace("q-", "fp-"),
        n_passages=pl.lit(EVIDENCE_K, dtype=pl.Int32),
    )
    corpus = pl.DataFrame(
        {"corpus_version": [CORPUS], "n_documents": [n_passages // 6 + 1],
         "n_passages": [n_passages], "backend": ["synthetic"], "is_current": [True],
         "built_at": [NOW]}
    )  # fmt: skip
    for table, frame in (
        ("queries", queries),
        ("passages", passages),
        ("query_evidence", evidence),
        ("evidence_fingerprints", fingerprints),
        ("corpus_versions", corpus),
    ):
        _insert(warehouse, table, frame)
    return queries


def _items(queries: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """8-12 items per query: >=2 Essential, >=1 Important, >=1 Highlight, <=2 Pitfall."""
    counts = rng.integers(8, 13, queries.height)
    query_ids = np.repeat(queries["query_id"].to_numpy(), counts)
    position = np.concatenate([np.arange(c) for c in counts])
    pattern = np.array([0, 0, 1, 2, 3, 0, 1, 2, 1, 3, 0, 2])  # tier index by position
    tiers = np.array(TIERS)[pattern[position]]
    tags = np.where(
        tiers == "Pitfall", "Safety", np.array(TAGS[:4])[rng.integers(0, 4, len(tiers))]
    )
    titles = np.array(STATEMENTS)[rng.integers(0, len(STATEMENTS), len(tiers))]
    frame = pl.DataFrame({"query_id": query_ids, "position": position, "tier": tiers,
                          "tag": tags, "title": titles})  # fmt: skip
    rsv = "rs-bench"
    return frame.with_columns(
        item_id=pl.concat_str(
            pl.lit("ri-"),
            pl.col("query_id").str.slice(2),
            pl.lit("-"),
            pl.col("position").cast(pl.String),
        ),
        title=pl.concat_str(pl.col("title"), pl.lit(" (item "), pl.col("position"), pl.lit(")")),
        rubric_set_version=pl.lit(rsv),
        corpus_version=pl.lit(CORPUS),
        weight=pl.lit(1.0),
        levels=pl.lit(json.dumps({"not_met": "a", "partially_met": "b", "fully_met": "c"})),
        support_count=pl.lit(2, dtype=pl.Int32),
        support_ratio=pl.lit(1.0),
        evidence_passage_ids=pl.lit('["p-000001"]'),
        verification=pl.lit("supported"),
        generated_by_baseline=pl.lit(False),
    ).with_columns(description=pl.col("title"))


def _votes(levels: np.ndarray, pitfall: np.ndarray) -> tuple[np.ndarray, ...]:
    """Panel majority over 3 judges (NaN = NULL): positive ties -> lower, Pitfall -> higher."""
    values = np.array([0.0, 0.5, 1.0])
    counts = np.stack([(levels == v).sum(axis=1) for v in values], axis=1)
    top = counts.max(axis=1)
    is_top = counts == top[:, None]
    lowest = is_top.argmax(axis=1)
    highest = 2 - is_top[:, ::-1].argmax(axis=1)
    n_votes = (~np.isnan(levels)).sum(axis=1)
    winner = values[np.where(pitfall, highest, lowest)]
    winner = np.where(n_votes == 0, np.nan, winner)
    agreement = np.where(n_votes == 0, np.nan, top / np.maximum(n_votes, 1))
    return winner, n_votes.astype(np.int32), agreement


def seed_scored_tables(warehouse: Warehouse, scale: Scale, seed: int = 0) -> dict[str, int]:
    """Everything scoring and the marts read, at the given scale; returns row counts."""
    rng = np.random.default_rng(seed + 2)
    queries = seed_model_inputs(warehouse, scale, seed)
    items = _items(queries, rng)
    sets = items.group_by("query_id").agg(n_items=pl.len().cast(pl.Int32)).with_columns(
        rubric_set_version=pl.lit("rs-bench"), config_hash=pl.lit("bench"),
        corpus_version=pl.lit(CORPUS), status=pl.lit("ok"), agreement=pl.lit(1.0),
        rounds=pl.lit(1, dtype=pl.Int32), repaired=pl.lit(False), is_current=pl.lit(True),
    )  # fmt: skip
    quality = np.linspace(0.4, 0.9, len(CANDIDATES))
    responses = queries.select("query_id").join(
        pl.DataFrame({"candidate_model": CANDIDATES, "quality": quality}), how="cross"
    )
    sentences = np.array([s + "." for s in STATEMENTS])
    responses = responses.with_columns(
        response_id=pl.concat_str(
            pl.col("query_id").str.slice(2), pl.lit("-"), pl.col("candidate_model").str.slice(-2)
        ),
        is_baseline=pl.lit(False),
        response_text=pl.Series(
            [" ".join(rng.choice(sentences, 12)) for _ in range(responses.height)]
        ),
        status=pl.lit("ok"),
    )
    pairs = responses.select("response_id", "query_id", "quality").join(
        items.select("item_id", "query_id", "tier"), on="query_id"
    )
    n = pairs.height
    pitfall = (pairs["tier"] == "Pitfall").to_numpy()
    q = pairs["quality"].to_numpy()
    base = np.where(rng.random(n) < q, 1.0, np.where(rng.random(n) < 0.3, 0.5, 0.0))
    base = np.where(pitfall, np.where(rng.random(n) < (1 - q) * 0.2, 1.0, 0.0), base)
    judged = np.repeat(base[:, None], len(JUDGES), axis=1)
    flip = rng.random(judged.shape) < 0.08
    judged = np.where(flip, 0.5, judged)
    judged = np.where(rng.random(judged.shape) < 0.002, np.nan, judged)
    level, n_votes, agreement = _votes(judged, pitfall)
    item_verdicts = pairs.select("response_id", "item_id").with_columns(
        level=pl.Series(level, nan_to_null=True),
        n_votes=pl.Series(n_votes),
        agreement=pl.Series(agreement, nan_to_null=True),
    )
    keys = pairs.select("response_id", "item_id", pitfall=pl.Series(pitfall))
    judge_frames = [
        keys.with_columns(
            judge_model=pl.lit(judge),
            mode=pl.lit("batched"),
            level=pl.Series(judged[:, j], nan_to_null=True),
        )
        for j, judge in enumerate(JUDGES)
    ]
    missing = pl.col("level").is_null()
    judge_verdicts = (
        pl.concat(judge_frames)
        .with_columns(
            pitfall_severity=pl.when(pl.col("pitfall") & ~missing).then(
                pl.col("level").replace_strict({0.0: "none", 0.5: "minor", 1.0: "major"})
            ),
            rationale=pl.when(missing).then(pl.lit("")).otherwise(pl.lit(RATIONALE)),
            status=pl.when(missing).then(pl.lit("unparseable")).otherwise(pl.lit("ok")),
        )
        .drop("pitfall")
    )
    tables = {
        "rubric_sets": sets,
        "rubric_items": items.drop("position"),
        "candidate_responses": responses.drop("quality"),
        "item_verdicts": item_verdicts,
        "judge_verdicts": judge_verdicts,
    }
    for table, frame in tables.items():
        _insert(warehouse, table, frame)
    return {"queries": queries.height} | {t: frame.height for t, frame in tables.items()}


def seed_file(path: str, fraction: float, seed: int = 0) -> dict[str, int]:
    """``seed_scored_tables`` into the warehouse file at ``path`` (picklable, for a child
    process: the generator's memory is then not counted in the parent's peak RSS)."""
    warehouse = Warehouse(path)
    warehouse.ensure_schema()
    return seed_scored_tables(warehouse, Scale.of(fraction), seed)
