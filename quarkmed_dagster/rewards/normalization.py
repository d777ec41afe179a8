"""Reference-Frozen Normalization (RFN).

Every reward dimension d is mapped to a common scale with statistics fitted ONCE on the
frozen reference policy's rollouts:

    z_d(x) = clip(location_out + scale_out * (x - m_d) / s_d, -clip, +clip)

where m_d is the reference median and s_d a robust scale of the reference values (IQR/1.349,
falling back to 1.4826 * MAD, then the standard deviation, then 1 for a constant dimension,
flagged ``degenerate``). A dimension with no reference value has no statistics (method
``empty``, location and scale None): its values stay missing, never normalised against
made-up ones. The statistics are a versioned JSON artifact with a content hash (required: an
artifact without it, or with a wrong one, is refused); a stored version is immutable:
refitting on another policy's rollouts never changes it, a new fit needs a new version name.
Because (m, s) are location/scale-equivariant, a raw signal rescaled as a*x + b (a > 0)
normalises to the same z.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

IQR_TO_SIGMA = 1.349
MAD_TO_SIGMA = 1.4826


class FrozenArtifactError(RuntimeError):
    """A version already frozen with different statistics."""


@dataclass(frozen=True)
class DimensionStats:
    """``location`` and ``scale`` are None for a dimension with no reference value
    (method ``empty``): it has nothing to be normalised against, so it stays missing."""

    location: float | None
    scale: float | None
    n: int
    method: str
    degenerate: bool


@dataclass(frozen=True)
class NormalizationStats:
    version: str
    reference: str
    matrix_version: str
    dimensions: dict[str, DimensionStats]
    location_out: float = 0.0
    scale_out: float = 1.0
    clip: float = 5.0
    fitted_at: str = ""

    def content(self) -> dict:
        body = asdict(self)
        body.pop("fitted_at")
        return body

    @property
    def content_hash(self) -> str:
        text = json.dumps(self.content(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def to_json(self) -> str:
        body = asdict(self)
        body["content_hash"] = self.content_hash
        return json.dumps(body, sort_keys=True, indent=2)

    @classmethod
    def from_json(cls, text: str) -> NormalizationStats:
        body = json.loads(text)
        stored_hash = body.pop("content_hash", None)
        dims = {k: DimensionStats(**v) for k, v in body.pop("dimensions").items()}
        stats = cls(dimensions=dims, **body)
        if stored_hash is None:  # an unchecked artifact is never used
            raise FrozenArtifactError(f"artifact {stats.version}: no content_hash")
        if stored_hash != stats.content_hash:
            raise FrozenArtifactError(f"artifact {stats.version}: content hash mismatch")
        return stats


def robust_location_scale(values: Iterable[float | None]) -> DimensionStats:
    """Median and a robust scale of the non-missing values (see module docstring)."""
    arr = np.array([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if arr.size == 0:
        return DimensionStats(None, None, 0, "empty", True)  # no data: missing, not (0, 1)
    location = float(np.median(arr))
    q75, q25 = np.percentile(arr, [75, 25])
    candidates = (
        ("iqr", float(q75 - q25) / IQR_TO_SIGMA),
        ("mad", MAD_TO_SIGMA * float(np.median(np.abs(arr - location)))),
        ("std", float(np.std(arr))),
    )
    tolerance = 1e-12 * max(1.0, abs(location))
    for method, scale in candidates:
        if scale > tolerance:
            return DimensionStats(location, scale, int(arr.size), method, False)
    return DimensionStats(location, 1.0, int(arr.size), "constant", True)


def fit_reference(
    samples: Mapping[str, Iterable[float | None]],
    version: str,
    reference: str,
    matrix_version: str,
    clip: float = 5.0,
) -> NormalizationStats:
    """Fit RFN statistics on the reference policy's raw reward values, per dimension."""
    dims = {name: robust_location_scale(values) for name, values in sorted(samples.items())}
    return NormalizationStats(
        version=version,
        reference=reference,
        matrix_version=matrix_version,
        dimensions=dims,
        clip=clip,
        fitted_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def check_fits(stats: NormalizationStats, matrix_version: str, names: Iterable[str]) -> None:
    """Refuse statistics fitted for another matrix (a dimension without statistics would
    silently normalise to missing)."""
    problems = []
    if stats.matrix_version != matrix_version:
        problems.append(f"they were fitted for {stats.matrix_version}")
    unknown = sorted(set(names) - set(stats.dimensions))
    if unknown:
        problems.append(f"they have no statistics for {unknown}")
    if problems:
        raise ValueError(
            f"stats {stats.version} do not fit alignment matrix {matrix_version}: "
            f"{'; '.join(problems)}; materialize reward_normalization with a new stats_version"
        )


def normalize_value(stats: NormalizationStats, name: str, value: float | None) -> float | None:
    """z of ``value``; None when the value is missing or the dimension has no statistics (not
    in the artifact, or fitted on no reference value: ``empty``)."""
    dim = stats.dimensions.get(name)
    if value is None or not math.isfinite(value) or dim is None:
        return None
    if dim.n == 0 or dim.location is None or dim.scale is None:
        return None
    z = stats.location_out + stats.scale_out * (value - dim.location) / dim.scale
    return float(min(max(z, -stats.clip), stats.clip))


def normalize(
    stats: NormalizationStats, raw: Mapping[str, float | None]
) -> dict[str, float | None]:
    return {name: normalize_value(stats, name, value) for name, value in raw.items()}


class FrozenStatsStore:
    """Versioned, write-once storage of RFN artifacts: ``<root>/<version>.json``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, version: str) -> Path:
        if not version or any(c in version for c in "/\\") or version.startswith("."):
            raise ValueError(f"invalid stats version {version!r}")
        return self.root / f"{version}.json"

    def exists(self, version: str) -> bool:
        return self.path(version).exists()

    def load(self, version: str) -> NormalizationStats:
        return NormalizationStats.from_json(self.path(version).read_text())

    def freeze(self, stats: NormalizationStats) -> NormalizationStats:
        """Store ``stats`` under its version; an existing version is never overwritten.

        Re-freezing identical content is a no-op returning the stored artifact; different
        content under a stored version raises FrozenArtifactError.
        """
        target = self.path(stats.version)
        if target.exists():
            stored = self.load(stats.version)
            if stored.content_hash != stats.content_hash:
                raise FrozenArtifactError(
                    f"stats version {stats.version} is frozen (hash {stored.content_hash}); "
                    "freeze new statistics under a new version"
                )
            return stored
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".json.tmp")
        tmp.write_text(stats.to_json())
        tmp.replace(target)
        return stats

    def load_or_freeze(
        self, version: str, fit: Callable[[], NormalizationStats]
    ) -> tuple[NormalizationStats, bool]:
        """The frozen artifact of ``version``; fit and freeze it only if absent.

        Returns (stats, newly_frozen).
        """
        if self.exists(version):
            return self.load(version), False
        return self.freeze(fit()), True
