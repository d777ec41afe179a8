"""Tiny inline-SVG plot builders (no plotting library): horizontal bars with optional
intervals and a rounded value axis, empirical distribution functions (one step line per
series on shared axes: readable with many models, unlike overlaid histograms), line charts.
Colours: a model's from the report's ``ModelColours``, else neutral."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from quarkmed_dagster.report.scales import NEUTRAL, PALETTE, nice_ticks, tick_text

CHAR_PX = 6.2  # width of a character at font size 11


def _svg_open(width: float, height: float, title: str) -> str:
    return (
        f'<svg class="plot" role="img" xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" '
        f'height="{height:.0f}" font-family="sans-serif" font-size="11" '
        f'aria-label="{escape(title)}"><text x="4" y="16" font-size="13" font-weight="bold">'
        f"{escape(title)}</text>"
    )


def bar_chart(
    rows: Sequence[tuple[str, float | None, float | None, float | None]],
    title: str,
    xmax: float | None = None,
    fmt: str = "{:.3f}",
    colours: Sequence[str] | None = None,
) -> str:
    """Horizontal bars; each row is (label, value, interval low, interval high); a row
    without an interval (e.g. a single query) has none drawn. ``colours``: one per row
    (a model's colour), else neutral. The value axis has rounded ticks."""
    longest = max((len(label) for label, *_ in rows), default=10)
    label_w = min(max(120.0, CHAR_PX * min(longest, 96) + 10), 600.0)
    bar_w, row_h, axis_h = 340, 22, 26
    values = [v for _, v, _, hi in rows for v in (v, hi) if v is not None]
    ticks = nice_ticks(0.0, xmax if xmax is not None else max(values, default=1.0) or 1.0)
    top = ticks[-1]
    bottom = 28 + row_h * max(len(rows), 1)
    parts = [_svg_open(label_w + bar_w + 90, bottom + axis_h, title)]

    def x(v: float) -> float:
        return label_w + max(0.0, min(1.0, v / top)) * bar_w

    for t in ticks:
        parts.append(
            f'<line class="tick" x1="{x(t):.1f}" y1="26" x2="{x(t):.1f}" y2="{bottom}" '
            f'stroke="#e4e4e4"/><text x="{x(t):.1f}" y="{bottom + 14}" text-anchor="middle" '
            f'font-size="10">{tick_text(t, ticks)}</text>'
        )
    for i, (label, value, lo, hi) in enumerate(rows):
        y = 28 + i * row_h
        shown = label if len(label) <= 96 else label[:95] + "…"
        parts.append(f'<text x="4" y="{y + 14}">{escape(shown)}</text>')
        if value is None:
            parts.append(f'<text x="{label_w}" y="{y + 14}" fill="#888">missing</text>')
            continue
        color = colours[i] if colours else NEUTRAL
        parts.append(
            f'<rect class="bar" x="{label_w}" y="{y + 3}" width="{x(value) - label_w:.1f}" '
            f'height="{row_h - 8}" fill="{color}"/>'
        )
        if lo is not None and hi is not None:
            x1, x2, mid = x(lo), x(hi), y + row_h / 2
            parts.append(
                f'<path class="interval" d="M{x1:.1f},{mid:.1f} H{x2:.1f} M{x1:.1f},{mid - 5:.1f} '
                f'V{mid + 5:.1f} M{x2:.1f},{mid - 5:.1f} V{mid + 5:.1f}" '
                'stroke="#222" fill="none"/>'
            )
        parts.append(
            f'<text x="{label_w + bar_w + 6}" y="{y + 14}">{escape(fmt.format(value))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def ecdf_chart(
    series: dict[str, Sequence[float]],
    title: str,
    colours: Sequence[str] | None = None,
    x_label: str = "score",
    lo: float | None = None,
    hi: float | None = None,
) -> str:
    """Empirical cumulative distribution per series (share of values <= x), as step lines
    on one pair of rounded axes, legend with each series' n; ``colours``: one per series."""
    width, height, left, top, plot_w, plot_h = 820, 260, 46, 28, 470, 190
    present = [v for vs in series.values() for v in vs]
    xs = nice_ticks(min(present, default=0.0) if lo is None else lo,
                    max(present, default=1.0) if hi is None else hi)  # fmt: skip
    ys = [0.0, 0.25, 0.5, 0.75, 1.0]

    def px(v: float) -> float:
        return left + (v - xs[0]) / (xs[-1] - xs[0]) * plot_w

    def py(share: float) -> float:
        return top + (1 - share) * plot_h

    parts = [_svg_open(width, height + 10, title)]
    for t in xs:
        parts.append(
            f'<line class="tick" x1="{px(t):.1f}" y1="{top}" x2="{px(t):.1f}" '
            f'y2="{top + plot_h}" stroke="#e4e4e4"/><text x="{px(t):.1f}" '
            f'y="{top + plot_h + 14}" text-anchor="middle" font-size="10">'
            f"{tick_text(t, xs)}</text>"
        )
    for t in ys:
        parts.append(
            f'<line x1="{left}" y1="{py(t):.1f}" x2="{left + plot_w}" y2="{py(t):.1f}" '
            f'stroke="#e4e4e4"/><text x="{left - 4}" y="{py(t) + 4:.1f}" text-anchor="end" '
            f'font-size="10">{tick_text(t, ys)}</text>'
        )
    parts.append(
        f'<text x="{left + plot_w / 2}" y="{top + plot_h + 30}" text-anchor="middle">'
        f"{escape(x_label)}</text>"
        f'<text x="12" y="{top + plot_h / 2}" transform="rotate(-90 12 {top + plot_h / 2})" '
        'text-anchor="middle">share of responses ≤ x</text>'
    )
    for j, (name, values) in enumerate(series.items()):
        color = colours[j] if colours else PALETTE[j % len(PALETTE)]
        ordered = sorted(values)
        if ordered:
            d = f"M{px(xs[0]):.1f},{py(0):.1f}"
            for k, v in enumerate(ordered):
                d += f" H{px(v):.1f} V{py((k + 1) / len(ordered)):.1f}"
            d += f" H{px(xs[-1]):.1f}"
            parts.append(
                f'<path class="ecdf" d="{d}" fill="none" stroke="{color}" stroke-width="2"/>'
            )
        ly = top + 8 + 16 * j
        parts.append(
            f'<line x1="{left + plot_w + 14}" y1="{ly}" x2="{left + plot_w + 32}" y2="{ly}" '
            f'stroke="{color}" stroke-width="3"/><text x="{left + plot_w + 36}" y="{ly + 4}">'
            f"{escape(name[:44])} (n={len(ordered)})</text>"
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
    y_ticks = nice_ticks(0.0, max([*values, 1e-9]) * 1.05, target=4)
    y_max = y_ticks[-1]
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
    for v in y_ticks:
        parts.append(
            f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">'
            f"{tick_text(v, y_ticks)}</text>"
        )
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
