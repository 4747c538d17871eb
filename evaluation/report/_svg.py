"""Small inline-SVG charts for the report: no plotting library, no JavaScript.

Each function returns one ``<svg>`` element as a string, sized in CSS pixels, with
text as text (searchable, crisp at any zoom) and the Okabe-Ito colour-blind palette.

>>> svg = log_bars(["normal", "rare"], {"train": [1000, 10]}, title="rows")
>>> svg.startswith("<svg") and "rare" in svg
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape

import numpy as np

PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
           "#000000"]
FONT = 'font-family="system-ui, sans-serif" font-size="12"'


def _svg(width: float, height: float, body: list[str], title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width:.0f}" '
            f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" {FONT}>'
            f"<title>{escape(title)}</title>" + "".join(body) + "</svg>")


def _text(x: float, y: float, s: str, anchor: str = "start", extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {extra}>'
            f"{escape(str(s))}</text>")


def _legend(names: Sequence[str], x: float, y: float, markers: Sequence[str] = ()) -> list[str]:
    out = []
    for i, name in enumerate(names):
        yy = y + 16 * i
        marker = markers[i] if markers else (
            f'<rect x="{x:.1f}" y="{yy - 9:.1f}" width="10" height="10" '
            f'fill="{PALETTE[i % len(PALETTE)]}"/>')
        out += [marker, _text(x + 16, yy, name)]
    return out


def log_bars(categories: Sequence[str], series: Mapping[str, Sequence[float]], *,
             title: str, width: int = 760) -> str:
    """Grouped horizontal bars on a log10 axis (e.g. rows per class, before and after)."""
    names = list(series)
    values = np.array([[max(float(v), 0.0) for v in series[n]] for n in names], dtype=float)
    top = max(float(values.max()) if values.size else 1.0, 1.0)
    decades = max(1, math.ceil(math.log10(top * 1.05)))
    label_w = 12 + 7 * max((len(c) for c in categories), default=4)
    legend_w = 24 + 7 * max((len(n) for n in names), default=4)
    plot_w = width - label_w - legend_w - 20
    bar_h, gap = 9, 8
    group_h = bar_h * len(names) + gap
    height = 30 + group_h * len(categories) + 30

    def x_of(v: float) -> float:
        return label_w + plot_w * (math.log10(v) / decades if v >= 1 else 0.0)

    body = []
    for d in range(decades + 1):
        x = label_w + plot_w * d / decades
        body += [f'<line x1="{x:.1f}" y1="24" x2="{x:.1f}" y2="{height - 28}" stroke="#ddd"/>',
                 _text(x, height - 12, f"{10 ** d:,}", "middle")]
    for i, cat in enumerate(categories):
        y0 = 28 + i * group_h
        body.append(_text(label_w - 6, y0 + group_h / 2, cat, "end"))
        for j in range(len(names)):
            v = values[j, i]
            w = max(x_of(v) - label_w, 0.0)
            body.append(f'<rect x="{label_w}" y="{y0 + j * bar_h:.1f}" width="{w:.1f}" '
                        f'height="{bar_h - 1}" fill="{PALETTE[j % len(PALETTE)]}">'
                        f"<title>{escape(f'{cat}, {names[j]}: {v:,.0f}')}</title></rect>")
    body += _legend(names, width - legend_w, 36)
    body.append(_text(label_w + plot_w / 2, 14, title, "middle", 'font-weight="600"'))
    return _svg(width, height, body, title)


def mean_bars(labels: Sequence[str], means: Sequence[float], sds: Sequence[float], *,
              title: str, width: int = 760, reference: float | None = None) -> str:
    """Horizontal bars of means on [0, 1] with ±1 sd whiskers and an optional reference."""
    label_w = 12 + 7 * max((len(s) for s in labels), default=4)
    plot_w = width - label_w - 70
    row_h = 20
    height = 30 + row_h * len(labels) + 30
    body = []
    for t in range(6):
        x = label_w + plot_w * t / 5
        body += [f'<line x1="{x:.1f}" y1="24" x2="{x:.1f}" y2="{height - 28}" stroke="#ddd"/>',
                 _text(x, height - 12, f"{t / 5:.1f}", "middle")]
    for i, (lab, m, s) in enumerate(zip(labels, means, sds, strict=True)):
        y = 28 + i * row_h
        colour = PALETTE[0] if lab == "none" else PALETTE[1]
        body += [_text(label_w - 6, y + 12, lab, "end"),
                 f'<rect x="{label_w}" y="{y + 2}" width="{plot_w * m:.1f}" height="{row_h - 6}"'
                 f' fill="{colour}"/>',
                 f'<line x1="{label_w + plot_w * max(m - s, 0):.1f}" y1="{y + 9}" '
                 f'x2="{label_w + plot_w * min(m + s, 1):.1f}" y2="{y + 9}" stroke="#000" '
                 f'stroke-width="1.5"/>',
                 _text(label_w + plot_w * min(m + s, 1) + 6, y + 13, f"{m:.3f}")]
    if reference is not None:
        x = label_w + plot_w * reference
        body.append(f'<line x1="{x:.1f}" y1="24" x2="{x:.1f}" y2="{height - 28}" '
                    f'stroke="{PALETTE[5]}" stroke-dasharray="4 3"/>')
    body.append(_text(label_w + plot_w / 2, 14, title, "middle", 'font-weight="600"'))
    return _svg(width, height, body, title)


def scatter(points: Sequence[tuple[str, float, float]], *, title: str,
            width: int = 270, height: int = 250) -> str:
    """Points ``(kind, x, y)``: ``real`` rows as filled blue dots, others as orange rings."""
    xs = np.array([p[1] for p in points], dtype=float)
    ys = np.array([p[2] for p in points], dtype=float)
    left, top, plot_w, plot_h = 24, 24, width - 34, height - 62
    body = [f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" '
            f'stroke="#bbb"/>']
    if len(points):
        pad_x, pad_y = 0.05 * (np.ptp(xs) or 1.0), 0.05 * (np.ptp(ys) or 1.0)
        x0, x1 = float(xs.min()) - pad_x, float(xs.max()) + pad_x
        y0, y1 = float(ys.min()) - pad_y, float(ys.max()) + pad_y
        # real rows last, so the few real rows of a rare class stay visible on top
        for kind, x, y in sorted(points, key=lambda p: p[0] == "real"):
            px = left + plot_w * (x - x0) / (x1 - x0)
            py = top + plot_h * (1 - (y - y0) / (y1 - y0))
            body.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.4" fill="{PALETTE[0]}" '
                        'stroke="#fff" stroke-width="0.7"/>' if kind == "real" else
                        f'<circle cx="{px:.1f}" cy="{py:.1f}" r="2.6" fill="none" '
                        f'stroke="{PALETTE[5]}" stroke-width="1" opacity="0.6"/>')
    ly = height - 14
    body += [f'<circle cx="{left + 5}" cy="{ly - 4}" r="3.4" fill="{PALETTE[0]}"/>',
             _text(left + 13, ly, "real (train)"),
             f'<circle cx="{left + 105}" cy="{ly - 4}" r="2.6" fill="none" '
             f'stroke="{PALETTE[5]}"/>', _text(left + 113, ly, "synthetic"),
             _text(left + plot_w / 2, ly - 16, "PC 1", "middle", 'fill="#666"'),
             _text(12, top + plot_h / 2, "PC 2", "middle",
                   f'fill="#666" transform="rotate(-90 12 {top + plot_h / 2:.0f})"'),
             _text(left + plot_w / 2, 15, title, "middle", 'font-weight="600"')]
    return _svg(width, height, body, title)


def heatmap(matrix: Sequence[Sequence[float]], labels: Sequence[str], *, title: str,
            cell: int = 26) -> str:
    """A confusion matrix: colour = share of the true class (row), text = count."""
    m = np.asarray(matrix, dtype=float)
    share = m / np.maximum(m.sum(axis=1, keepdims=True), 1)
    label_w = 12 + 7 * max((len(s) for s in labels), default=4)
    n = len(labels)
    top = 30 + label_w
    width, height = label_w + n * cell + 20, top + n * cell + 30
    body = []
    for j, lab in enumerate(labels):
        x = label_w + j * cell + cell / 2 + 4
        body.append(_text(x, top - 6, lab, "start", f'transform="rotate(-60 {x:.1f} {top - 6})"'))
    for i, lab in enumerate(labels):
        y = top + i * cell
        body.append(_text(label_w - 6, y + cell / 2 + 4, lab, "end"))
        for j in range(n):
            s = share[i, j]
            fill = f"rgb({int(255 - 255 * s)},{int(255 - 141 * s)},{int(255 - 77 * s)})"
            tip = escape(f"true {lab}, predicted {labels[j]}: {m[i, j]:.0f}")
            body.append(f'<rect x="{label_w + j * cell}" y="{y}" width="{cell}" height="{cell}" '
                        f'fill="{fill}" stroke="#eee"><title>{tip}</title></rect>')
            if m[i, j]:
                count = f"{m[i, j]:.0f}" if m[i, j] < 1000 else f"{m[i, j] / 1000:.0f}k"
                ink = "#fff" if s > 0.55 else "#222"
                body.append(_text(label_w + j * cell + cell / 2, y + cell / 2 + 4, count,
                                  "middle", f'font-size="10" fill="{ink}"'))
    body += [_text(label_w + n * cell / 2, height - 8, "predicted", "middle"),
             _text(label_w + n * cell / 2, 14, title, "middle", 'font-weight="600"')]
    return _svg(width, height, body, title)
