"""Rule classifier against the category labels the public data carries (no timing).

There is no category ground truth in QuarkMedBench's sense; the closest labels are:

- HealthBench ``example_tags``: ``physician_agreed_category:health-professional`` (the asker
  is a health professional -> Professional Inquiry), ``...:not-health-professional`` (-> not
  Professional Inquiry), ``...:emergent`` / ``...:conditionally-emergent`` (-> Clinical Care);
- K-QA: every question is a real patient's question with an ICD-10 diagnosis -> Clinical Care.

Queries are read with the real ingest loaders (final user turn + earlier turns). Prints the
correct counts per set and label, and the category and difficulty distributions. Reads the
bundled sample (data/sample/queries) and, if present, the fuller files in ../shared/data.

    .venv/bin/python benchmarks/bench_classifier.py
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from quarkmed_dagster.ingest.classify import QueryText, RuleClassifier
from quarkmed_dagster.ingest.loaders import LOADERS
from quarkmed_dagster.ingest.records import RawQuery

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
SETS = [
    ("bundled HealthBench", ROOT / "data/sample/queries/healthbench_sample.jsonl", "healthbench"),
    ("bundled K-QA", ROOT / "data/sample/queries/kqa_sample.jsonl", "kqa"),
    (
        "HealthBench 500",
        SHARED / "healthbench/healthbench_oss_eval_sample500.jsonl.gz",
        "healthbench",
    ),
    ("K-QA with answers", SHARED / "kqa/questions_w_answers.jsonl", "kqa"),
    ("K-QA questions", SHARED / "kqa/questions.jsonl", "kqa"),
]
PI = "Professional Inquiry"


def expected(tags: list[str], loader: str) -> tuple[str, str] | None:
    """(label name, required category or 'not PI') for a query with a usable label."""
    if loader == "kqa":
        return "patient question", "Clinical Care"
    found = {t.removeprefix("physician_agreed_category:") for t in tags}
    if "health-professional" in found:
        return "health professional", PI
    if "not-health-professional" in found:
        return "not health professional", "not PI"
    if found & {"emergent", "conditionally-emergent"}:
        return "emergent", "Clinical Care"
    return None


def queries(path: Path, loader: str) -> list[tuple[QueryText, list[str]]]:
    out = []
    for item in LOADERS[loader](path):
        if isinstance(item, RawQuery):
            dialogue = [t for t in item.turns if t.get("role") != "system"]
            out.append((QueryText(dialogue[-1]["content"], tuple(dialogue[:-1])), item.tags))
    return out


def main() -> None:
    rules = RuleClassifier()
    for name, path, loader in SETS:
        if not path.exists():
            print(f"{name}: {path} not found, skipped")
            continue
        rows = queries(path, loader)
        labels = rules.classify_batch([q for q, _ in rows])
        correct, total = Counter(), Counter()
        for (_, tags), label in zip(rows, labels, strict=True):
            gold = expected(tags, loader)
            if gold is None:
                continue
            kind, category = gold
            total[kind] += 1
            hit = label.category != PI if category == "not PI" else label.category == category
            correct[kind] += hit
        per_kind = ", ".join(f"{k} {correct[k]}/{total[k]}" for k in sorted(total))
        print(
            f"{name} ({len(rows)} queries): {sum(correct.values())}/{sum(total.values())}"
            f" correct ({per_kind})"
        )
        print(f"  categories {dict(Counter(lab.category for lab in labels).most_common())}")
        print(f"  difficulty {dict(Counter(lab.difficulty for lab in labels).most_common())}")


if __name__ == "__main__":
    main()
