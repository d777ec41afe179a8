"""Labels of models whose figures are not a measurement (a profile's ``label``, e.g. tiny).

The leaderboard and the report mark the models of the active profile with its label, the
way offline baselines are marked "[baseline]": a tiny model's scores exercise the pipeline,
they say nothing about the model.
"""

from __future__ import annotations

from quarkmed_dagster.llm.config import OPTIONAL_ROLES, ROLES, Profile, load_profile
from quarkmed_dagster.settings import get_settings

NOTES = {
    "tiny": "a tiny model on CPU: its figures exercise the real-model path, they are not a "
    "measurement",
}


def model_labels(profile: Profile) -> dict[str, str]:
    """Every model of a labelled profile -> the label (empty for unlabelled profiles)."""
    if not profile.label:
        return {}
    return {m.model: profile.label for role in (*ROLES, *OPTIONAL_ROLES)
            for m in profile.models(role)}  # fmt: skip


def active_labels() -> dict[str, str]:
    settings = get_settings()
    try:
        return model_labels(load_profile(settings.models_config, settings.model_profile))
    except (KeyError, OSError, ValueError):
        return {}


def label_suffix(model: str, is_baseline: bool | None, labels: dict[str, str]) -> str:
    if is_baseline:
        return " [baseline]"
    label = labels.get(model)
    return f" [{label} model]" if label else ""


def label_notes(labels: dict[str, str]) -> list[str]:
    """One sentence per label in use, naming its models."""
    out = []
    for label in sorted(set(labels.values())):
        models = ", ".join(sorted(m for m, lab in labels.items() if lab == label))
        out.append(f"[{label} model] {models}: {NOTES.get(label, label)}.")
    return out
