"""Model configuration: profiles of roles -> litellm model strings, and deployment limits.

``models.yaml`` holds ``defaults`` (deployment limits and retry policy), and ``profiles``:
each profile maps every role (generators, aggregators, verifiers, rubric_writer, judges,
candidates, classifier) to a list of models (a model string, or ``{model, params}``), and
may override per-deployment settings under ``deployments`` (keyed by model string).
Optional roles (``equivalence``: the model asked whether two near consensus clusters state
the same point) may be left out or empty, which turns them off.
API keys are never in the file: litellm reads the provider's variable (``OPENAI_API_KEY``,
``ANTHROPIC_API_KEY``, ...) itself; a profile lists those variable *names* under
``key_env`` for documentation and the pre-flight check.

Values may name environment variables, ``${NAME}`` or ``${NAME:-default}`` (expanded in
the file's text before YAML parsing, so ``4096`` stays a number): the ``local`` and
``tiny-local`` profiles take their ``api_base``, model names, context window and JSON mode
from the environment that way, and work with any OpenAI-compatible server unedited.
A profile's ``label`` (e.g. ``tiny``) marks every figure its models produce.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

ROLES = (
    "generators",
    "aggregators",
    "verifiers",
    "rubric_writer",
    "judges",
    "candidates",
    "classifier",
)
OPTIONAL_ROLES = ("equivalence",)
BASELINE_PREFIX = "baseline/"


def is_baseline(model: str) -> bool:
    return model.startswith(BASELINE_PREFIX)


@dataclass(frozen=True)
class Deployment:
    """Limits and transport settings of one model endpoint."""

    model: str
    concurrency: int = 8
    rpm: float | None = None
    timeout_s: float = 120.0
    max_attempts: int = 4
    backoff_base_s: float = 1.0
    backoff_max_s: float = 30.0
    api_base: str | None = None
    json_mode: str = "auto"  # auto | json_schema | json_object | none
    # Prices for models litellm's cost map does not know (self-hosted: 0.0).
    input_cost_per_token: float | None = None
    output_cost_per_token: float | None = None
    params: dict[str, Any] = field(default_factory=dict)
    # Tokens the server holds per request (prompt + completion); None = not guarded.
    context_window: int | None = None
    # Prompt-size estimate: characters per token, deliberately low (over-counts tokens).
    chars_per_token: float = 3.0
    # Completion bound per role (``max_tokens``); a request's own value wins.
    max_tokens: dict[str, int] = field(default_factory=dict)
    # A local server that takes no key: litellm gets a placeholder when none is set.
    no_api_key: bool = False

    @property
    def key(self) -> str:
        """Identity of the endpoint for semaphores and rate limits."""
        return f"{self.model}@{self.api_base or ''}"


@dataclass(frozen=True)
class RoleModel:
    role: str
    model: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def is_baseline(self) -> bool:
        return is_baseline(self.model)


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    roles: dict[str, tuple[RoleModel, ...]]
    deployments: dict[str, Deployment]
    defaults: Deployment
    key_env: tuple[str, ...] = ()
    # "tiny": figures come from a tiny model that exercises the path, not a measurement.
    label: str | None = None

    def models(self, role: str) -> tuple[RoleModel, ...]:
        if role not in (*ROLES, *OPTIONAL_ROLES):
            known = ", ".join((*ROLES, *OPTIONAL_ROLES))
            raise KeyError(f"unknown role {role!r}; roles are {known}")
        return self.roles.get(role, ())

    def deployment(self, model: str) -> Deployment:
        found = self.deployments.get(model)
        if found is not None:
            return found
        return replace(self.defaults, model=model)

    def split(self, n: int) -> Profile:
        """Each deployment's concurrency and rpm divided over n worker processes."""

        def part(d: Deployment) -> Deployment:
            rpm = d.rpm / n if d.rpm else d.rpm
            return replace(d, concurrency=max(1, -(-d.concurrency // n)), rpm=rpm)

        return replace(
            self,
            defaults=part(self.defaults),
            deployments={m: part(d) for m, d in self.deployments.items()},
        )

    def with_deployment(self, model: str, **overrides: Any) -> Profile:
        """A copy with one deployment changed (tests, benchmarks)."""
        updated = replace(self.deployment(model), **overrides)
        return replace(self, deployments={**self.deployments, model: updated})


_DEPLOYMENT_FIELDS = set(Deployment.__dataclass_fields__) - {"model"}


def _deployment(model: str, base: Deployment, spec: dict[str, Any] | None) -> Deployment:
    spec = dict(spec or {})
    if "api_key" in spec:
        raise ValueError("API keys never go in models.yaml; litellm reads them from env")
    unknown = set(spec) - _DEPLOYMENT_FIELDS
    if unknown:
        raise ValueError(f"unknown deployment setting(s) for {model}: {sorted(unknown)}")
    return replace(base, model=model, **spec)


def _role_models(role: str, entries: list[Any]) -> tuple[RoleModel, ...]:
    out = []
    for entry in entries or []:
        if isinstance(entry, str):
            out.append(RoleModel(role, entry))
        else:
            out.append(RoleModel(role, entry["model"], dict(entry.get("params") or {})))
    return tuple(out)


def parse_profile(raw: dict[str, Any], name: str) -> Profile:
    profiles = raw.get("profiles") or {}
    if name not in profiles:
        raise KeyError(f"profile {name!r} not in models config; have {sorted(profiles)}")
    spec = profiles[name] or {}
    defaults = _deployment("*", Deployment(model="*"), raw.get("defaults"))
    defaults = _deployment("*", defaults, spec.get("defaults"))
    unknown_roles = set(spec.get("roles") or {}) - {*ROLES, *OPTIONAL_ROLES}
    if unknown_roles:
        raise ValueError(f"profile {name}: unknown roles {sorted(unknown_roles)}")
    roles = {role: _role_models(role, models) for role, models in (spec.get("roles") or {}).items()}
    deployments = {
        model: _deployment(model, defaults, dep)
        for model, dep in (spec.get("deployments") or {}).items()
    }
    return Profile(
        name=name,
        description=str(spec.get("description", "")).strip(),
        roles=roles,
        deployments=deployments,
        defaults=defaults,
        key_env=tuple(spec.get("key_env") or ()),
        label=spec.get("label") or None,
    )


_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def expand_env(text: str, env: Mapping[str, str]) -> str:
    """``${NAME}`` / ``${NAME:-default}`` replaced by the variable (or the default; an unset
    variable without one becomes empty, i.e. YAML null)."""

    def value(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        found = env.get(name)
        return found if found not in (None, "") else (default or "")

    return _ENV_REF.sub(value, text)


def read_config(path: Path | str, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    if env is None:
        from quarkmed_dagster.settings import config_environment

        env = config_environment()
    text = expand_env(Path(path).read_text(encoding="utf-8"), env)
    return yaml.safe_load(text) or {}


def load_profile(path: Path | str, name: str, env: Mapping[str, str] | None = None) -> Profile:
    return parse_profile(read_config(path, env), name)


def profile_names(path: Path | str) -> list[str]:
    return sorted(read_config(path).get("profiles") or {})
