"""Report stage, the power-curve figure of a power analysis as SVG text (power.json → SVG).

Power against the sample size: one thin curve per path, indirect and defined effect (coloured
by kind), the weakest effect's curve in bold, and the target as a dashed line. Drawn by hand
like :mod:`semtrust.report.moderation_plots`; the axis titles and the legend come from the
report's language (``words``), the curves' tooltips are the effects' labels.

>>> rows = [{"effect": "y ~ x", "kind": "path", "n": n, "true": 0.3, "power": p}
...         for n, p in ((50, 0.4), (100, 0.7), (150, 0.86))]
>>> svg = power_curves_svg(rows, 0.8)
>>> svg.startswith("<svg") and svg.count("<polyline") == 2 and "target 0.80" in svg
True
"""
from __future__ import annotations

import math
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

__all__ = ["power_curves_svg"]

ZERO = 1e-8   # population values this small are zero: not a target, no part of the weakest curve
KIND_COLOURS = {"path": "#1f6fb4", "indirect": "#d9731a", "total indirect": "#7a4fa0", "defined": "#2a9d5c"}
DRAWING_ORDER = {"total indirect": 0, "indirect": 1, "defined": 2, "path": 3}   # the (fewer) paths on top
ENGLISH = {"n": "sample size n", "power": "power", "weakest": "weakest effect", "target": "target {target}",
           "path": "path", "indirect": "indirect", "total indirect": "total indirect", "defined": "defined"}


def power_curves_svg(summary, target: float, words: dict | None = None, width: int = 760, height: int = 440) -> str:
    """The figure of ``summary`` (power.json's rows: effect, kind, n, true, power; the model-fit
    rows are left out) with the ``target`` power; ``words`` as :data:`ENGLISH`.

    >>> rows = [{"effect": "m ~ x", "kind": "path", "n": n, "true": 0.4, "power": p} for n, p in ((100, 0.7), (200, 0.95))]
    >>> svg = power_curves_svg(rows, 0.8)
    >>> svg[:4], svg.count("<polyline")
    ('<svg', 2)
    """
    words = {**ENGLISH, **(words or {})}
    left, right, top, bottom = 58, 190, 20, 48
    plot_w, plot_h = width - left - right, height - top - bottom
    table = pd.DataFrame(list(summary) if not isinstance(summary, pd.DataFrame) else summary)
    table = table[table.kind.isin(list(KIND_COLOURS))]
    ns = sorted(table.n.unique())
    lo, hi = ns[0], ns[-1] if ns[-1] > ns[0] else ns[0] + 1

    def x(n):
        return left + (n - lo) / (hi - lo) * plot_w

    def y(p):
        return top + (1 - p) * plot_h

    out = [(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="Arial, \'Noto Sans CJK SC\', sans-serif" font-size="12">'),
           f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#999"/>']
    for p in np.linspace(0, 1, 6):
        out.append(f'<line x1="{left - 4}" y1="{y(p):.1f}" x2="{left + plot_w}" y2="{y(p):.1f}" stroke="#e5e5e5"/>')
        out.append(f'<text x="{left - 8}" y="{y(p) + 4:.1f}" text-anchor="end">{p:.1f}</text>')
    for n in ns:
        out.append(f'<line x1="{x(n):.1f}" y1="{top + plot_h}" x2="{x(n):.1f}" y2="{top + plot_h + 4}" stroke="#999"/>')
        out.append(f'<text x="{x(n):.1f}" y="{top + plot_h + 18}" text-anchor="middle">{n}</text>')
    out.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 8}" text-anchor="middle">{escape(words["n"])}</text>')
    out.append(f'<text transform="translate(16 {top + plot_h / 2:.1f}) rotate(-90)" '
               f'text-anchor="middle">{escape(words["power"])}</text>')
    out.append(f'<line x1="{left}" y1="{y(target):.1f}" x2="{left + plot_w}" y2="{y(target):.1f}" '
               'stroke="#c0392b" stroke-dasharray="6 4"/>')

    def polyline(points, colour, stroke_width, title):
        coords = " ".join(f"{x(n):.1f},{y(p):.1f}" for n, p in points if p is not None and math.isfinite(p))
        return (f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="{stroke_width}" '
                f'stroke-opacity="0.8"><title>{escape(title)}</title></polyline>')

    groups = sorted(table.groupby("effect", sort=False), key=lambda item: DRAWING_ORDER[item[1].kind.iloc[0]])
    for effect, group in groups:
        out.append(polyline(zip(group.n, group.power), KIND_COLOURS[group.kind.iloc[0]], 1.2, effect))
    targets = table[table.true.abs() > ZERO]
    if not targets.empty:
        weakest = targets.groupby("n").power.min()
        out.append(polyline(zip(weakest.index, weakest.to_numpy()), "#000000", 2.5, words["weakest"]))
    target_text = words["target"].format(target=f"{target:.2f}")
    legend = [(KIND_COLOURS[k], 1.2, words[k], "") for k in KIND_COLOURS if k in set(table.kind)]
    legend += [("#000000", 2.5, words["weakest"], ""), ("#c0392b", 1.2, target_text, ' stroke-dasharray="6 4"')]
    for k, (colour, stroke_width, text, dash) in enumerate(legend):
        ly = top + 12 + 20 * k
        out.append(f'<line x1="{left + plot_w + 14}" y1="{ly}" x2="{left + plot_w + 40}" y2="{ly}" '
                   f'stroke="{colour}" stroke-width="{stroke_width}"{dash}/>')
        out.append(f'<text x="{left + plot_w + 46}" y="{ly + 4}">{escape(text)}</text>')
    out.append("</svg>\n")
    return "\n".join(out)
