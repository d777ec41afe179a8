"""Tiny inline-SVG plot builders (no plotting library): horizontal bars with optional
intervals, overlaid histograms, line charts."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

PALETTE = (
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
    "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39",
    "#7b4173", "#3182bd", "#e6550d",
)  # fmt: skip


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
        f'<svg class="plot" role="img" xmlns="http://www.w3.org/2000/svg" width="{width + 300}" '
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
            f"{escape(name[:48])}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _segments(values: Sequence[float | None]) -> list[list[tuple[int, float]]]:
    """Runs of consecutive present values (a missing value breaks the line)."""
    runs: list[list[tuple[int, float]]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            runs.append([])
        else:
            runs[-1].append((i, v))
    return [run for run in runs if run]


def line_chart(
    series: dict[str, Sequence[float | None]],
    x_labels: Sequence[str],
    title: str,
    y_label: str = "weight",
    width: int = 760,
    connect: bool = True,
) -> str:
    """One line per series over shared x positions, legend on the right; long x labels are
    slanted. A point with a single value is drawn as a dot. ``connect=False`` draws every
    value as a dot (series side by side, slightly dodged) and no line: for x positions with
    no order, such as models compared with each other."""
    longest = min(max((len(label) for label in x_labels), default=0), 48)
    left, right, top = 50, 210, 30
    # slant when centred labels would overlap or the first would run off the left edge
    slant = longest * 6 > 500 / max(len(x_labels), 1) or longest * 3 > left
    bottom = 30 + longest * 3 if slant else 40  # ~6 px a character, slanted by 30 degrees
    height = max(300, top + bottom + 14 * len(series) + 20)
    canvas = width + (60 if slant else 0)  # the last slanted label runs past the plot
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for vs in series.values() for v in vs if v is not None]
    y_max = max([*values, 1e-9]) * 1.05
    n = max(len(x_labels), 2)

    def x(i: int) -> float:
        if not connect:  # categories: the centre of each band, none on an axis
            return left + plot_w * (i + 0.5) / max(len(x_labels), 1)
        return left + plot_w * i / (n - 1)

    def y(v: float) -> float:
        return top + plot_h * (1 - v / y_max)

    parts = [
        f'<svg class="plot" role="img" xmlns="http://www.w3.org/2000/svg" width="{canvas}" '
        f'height="{height}" font-family="sans-serif" font-size="11" '
        f'aria-label="{escape(title)}">',
        f'<rect width="{canvas}" height="{height}" fill="white"/>',
        f'<text x="4" y="16" font-size="13" font-weight="bold">{escape(title)}</text>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        'stroke="#444"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#444"/>',
        f'<text x="12" y="{top + plot_h / 2}" transform="rotate(-90 12 {top + plot_h / 2})" '
        f'text-anchor="middle">{escape(y_label)}</text>',
    ]
    for t in range(5):
        v = y_max * t / 4
        parts.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v:.3g}</text>')
    for i, label in enumerate(x_labels):
        ly = top + plot_h + 16
        turn = f' transform="rotate(30 {x(i):.1f} {ly})"' if slant else ""
        anchor = "start" if slant else "middle"
        parts.append(
            f'<text x="{x(i):.1f}" y="{ly}" text-anchor="{anchor}"{turn}>'
            f"{escape(label[:48])}</text>"
        )
    dodge = min(3.0, plot_w / n / max(len(series), 1) / 2) if not connect else 0.0
    for s, (name, vs) in enumerate(series.items()):
        color = PALETTE[s % len(PALETTE)]
        shift = dodge * (s - (len(series) - 1) / 2)
        for run in _segments(vs):
            if len(run) == 1 or not connect:
                for i, v in run:
                    parts.append(
                        f'<circle class="point" cx="{x(i) + shift:.1f}" cy="{y(v):.1f}" r="3" '
                        f'fill="{color}"/>'
                    )
                continue
            points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in run)
            parts.append(
                f'<polyline class="line" fill="none" stroke="{color}" stroke-width="2" '
                f'points="{points}"/>'
            )
        ly = top + 6 + 14 * s
        parts.append(
            f'<line x1="{left + plot_w + 10}" y1="{ly}" x2="{left + plot_w + 28}" y2="{ly}" '
            f'stroke="{color}" stroke-width="2"/>'
            if connect
            else f'<circle cx="{left + plot_w + 19}" cy="{ly}" r="3" fill="{color}"/>'
        )
        parts.append(f'<text x="{left + plot_w + 32}" y="{ly + 4}">{escape(name[:30])}</text>')
    parts.append("</svg>")
    return "".join(parts)
