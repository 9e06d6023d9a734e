"""Report stage, PLS-SEM: the importance–performance map (Ringle & Sarstedt 2016) as SVG text.

Each predecessor of the target is a point at its importance (unstandardized total effect on the
target) and performance (mean score on 0–100); dashed lines at the mean importance and mean
performance divide the map into the four quadrants the IPMA is read by (high importance with low
performance: the priority). Drawn on the moderation plots' canvas, so no plotting library is
needed; title and axis labels come in the report's language. The Word report shows the same
drawing as a PNG, the LaTeX report as the PDF written beside it (``ipma_<target>.pdf``).

>>> svg = ipma_svg([("QUAL", 0.31, 64.2), ("COMP", 0.14, 58.0)], "IPMA of CUSL", "Importance", "Performance")
>>> svg.startswith("<svg") and svg.count("<circle") == 2 and "QUAL" in svg
True
"""
from __future__ import annotations

from xml.sax.saxutils import escape

from semtrust.report.moderation_plots import HEIGHT, BOTTOM, LEFT, RIGHT, TOP, WIDTH, Canvas

__all__ = ["ipma_svg"]


def ipma_svg(points: list[tuple[str, float, float]], title: str, importance: str, performance: str) -> str:
    """The map of ``points`` (construct, importance, performance) with the quadrant lines.

    >>> svg = ipma_svg([("TRUST", 0.42, 61.5), ("VALUE", 0.18, 70.2)], "IPMA of PI", "Importance", "Performance")
    >>> svg[:4], svg.count("<circle"), "TRUST" in svg
    ('<svg', 2, True)
    """
    xs = [x for _, x, _ in points]
    ys = [y for _, _, y in points]
    low, high = min(0.0, min(xs)), max(xs)
    pad = 0.1 * ((high - low) or 1.0)
    canvas = Canvas((low - pad, high + pad), (min(ys) - 5, max(ys) + 5), title, importance, performance)
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    dashed = 'stroke="#888" stroke-dasharray="4 3"'
    canvas.parts.append(f'<line x1="{canvas.px(mean_x):.1f}" y1="{TOP}" x2="{canvas.px(mean_x):.1f}" '
                        f'y2="{HEIGHT - BOTTOM}" {dashed}/>')
    canvas.parts.append(f'<line x1="{LEFT}" y1="{canvas.py(mean_y):.1f}" x2="{WIDTH - RIGHT}" '
                        f'y2="{canvas.py(mean_y):.1f}" {dashed}/>')
    for name, x, y in points:
        canvas.parts.append(f'<circle cx="{canvas.px(x):.1f}" cy="{canvas.py(y):.1f}" r="4.5" fill="#1f3b73"/>'
                            f'<text x="{canvas.px(x) + 7:.1f}" y="{canvas.py(y) - 6:.1f}" font-size="11">'
                            f'{escape(name)}</text>')
    return canvas.svg(title)
