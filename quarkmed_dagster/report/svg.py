"""Tiny inline-SVG plot builders: horizontal bars with optional intervals, histograms."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

PALETTE = ["#3b6ea5", "#d9822b", "#5a9e5a", "#b84a4a", "#7b5ea7", "#8c6d46", "#4aa3a3"]


def bar_chart(
    rows: Sequence[tuple[str, float | None, float | None, float | None]],
    title: str,
    xmax: float | None = None,
    fmt: str = "{:.3f}",
) -> str:
    """Horizontal bars; each row is (label, value, interval low, interval high)."""
    label_w, bar_w, row_h = 380, 340, 22
    height = 30 + row_h * max(len(rows), 1) + 10
    values = [v for _, v, _, hi in rows for v in (v, hi) if v is not None]
    top = xmax if xmax is not None else (max(values) if values else 1.0) or 1.0
    parts = [
        f'<svg class="plot" role="img" xmlns="http://www.w3.org/2000/svg" '
        f'width="{label_w + bar_w + 90}" '
        f'height="{height}" aria-label="{escape(title)}">',
        f'<text x="4" y="16" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    for i, (label, value, lo, hi) in enumerate(rows):
        y = 28 + i * row_h
        parts.append(f'<text x="4" y="{y + 14}" font-size="11">{escape(label[:64])}</text>')
        if value is None:
            parts.append(
                f'<text x="{label_w}" y="{y + 14}" font-size="11" fill="#888">missing</text>'
            )
            continue
        w = max(0.0, min(1.0, value / top)) * bar_w
        color = PALETTE[i % len(PALETTE)]
        parts.append(
            f'<rect class="bar" x="{label_w}" y="{y + 3}" width="{w:.1f}" '
            f'height="{row_h - 8}" fill="{color}"/>'
        )
        if lo is not None and hi is not None:
            x1 = label_w + max(0.0, min(1.0, lo / top)) * bar_w
            x2 = label_w + max(0.0, min(1.0, hi / top)) * bar_w
            mid = y + row_h / 2
            parts.append(
                f'<path class="interval" d="M{x1:.1f},{mid:.1f} H{x2:.1f} M{x1:.1f},{mid - 5:.1f} '
                f'V{mid + 5:.1f} M{x2:.1f},{mid - 5:.1f} V{mid + 5:.1f}" '
                'stroke="#222" fill="none"/>'
            )
        parts.append(
            f'<text x="{label_w + bar_w + 6}" y="{y + 14}" font-size="11">'
            f"{escape(fmt.format(value))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def histogram(
    series: dict[str, Sequence[float]], title: str, lo: float = 0.0, hi: float = 1.0, bins: int = 10
) -> str:
    """Overlaid step histograms, one per series (e.g. per model)."""
    width, height, pad = 520, 220, 36
    counts: dict[str, list[int]] = {}
    for name, values in series.items():
        c = [0] * bins
        for v in values:
            k = min(bins - 1, max(0, int((v - lo) / (hi - lo) * bins)))
            c[k] += 1
        counts[name] = c
    peak = max((max(c) for c in counts.values() if c), default=1) or 1
    parts = [
        f'<svg class="plot" role="img" xmlns="http://www.w3.org/2000/svg" width="{width + 200}" '
        f'height="{height + 30}" aria-label="{escape(title)}">',
        f'<text x="4" y="16" font-size="13" font-weight="bold">{escape(title)}</text>',
        f'<line x1="{pad}" y1="{height}" x2="{width}" y2="{height}" stroke="#444"/>',
        f'<text x="{pad}" y="{height + 14}" font-size="10">{lo:g}</text>',
        f'<text x="{width - 10}" y="{height + 14}" font-size="10">{hi:g}</text>',
    ]
    step = (width - pad) / bins
    for j, (name, c) in enumerate(counts.items()):
        color = PALETTE[j % len(PALETTE)]
        d = f"M{pad},{height}"
        for k, n in enumerate(c):
            y = height - (n / peak) * (height - 30)
            d += f" V{y:.1f} H{pad + (k + 1) * step:.1f}"
        d += f" V{height}"
        parts.append(
            f'<path class="hist" d="{d}" fill="{color}" fill-opacity="0.25" stroke="{color}"/>'
        )
        parts.append(
            f'<text x="{width + 8}" y="{40 + 16 * j}" font-size="11" fill="{color}">'
            f"{escape(name[:30])}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
