"""Report stage, figures of a PROCESS model as SVG text: the simple-slopes plot (predicted outcome
against the focal predictor at the moderator's 16th, 50th and 84th percentiles, other predictors
at their means) and the Johnson–Neyman plot (the conditional effect along the moderator with
its confidence band, the region of significance shaded and the J–N points marked). Drawn from
results.json alone (a PROCESS analysis's ``plots``, :meth:`ProcessResult.plot_data
<semtrust.structural.moderation.ProcessResult.plot_data>`), by hand like :mod:`semtrust.report.diagram`,
so no plotting library is needed; titles, legends and axis labels come from the report
language's message catalogue. :func:`figure_pdf` converts a figure for the LaTeX report.

>>> import numpy as np, pandas as pd
>>> from semtrust.structural.moderation import process
>>> rng = np.random.default_rng(2)
>>> x, w = rng.normal(size=120), rng.normal(size=120)
>>> data = pd.DataFrame({"x": x, "w": w, "y": 0.5 * x * w + rng.normal(size=120)})
>>> plots = process(data, 1, x="x", w="w", y="y").to_dict()["plots"]
>>> svg = simple_slopes_svg(plots)
>>> svg.startswith("<svg") and svg.count("<polyline") == 3 and "Simple slopes" in svg
True
>>> "条件效应" in johnson_neyman_svg(plots, language="zh")
True
"""
from __future__ import annotations

import math
import re
from xml.sax.saxutils import escape

from semtrust.report.catalogue import Messages
from semtrust.report.diagram import FONT_FAMILY, cairo_fonts

__all__ = ["simple_slopes_svg", "johnson_neyman_svg"]

WIDTH, HEIGHT = 600.0, 380.0
LEFT, RIGHT, TOP, BOTTOM = 64.0, 185.0, 44.0, 52.0   # plot margins; the legend sits on the right
DASHES = ("", "7 4", "2 3")
PLOT_KINDS = ("simple_slopes", "johnson_neyman")


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]."""
    span = high - low or 1.0
    step = 10 ** math.floor(math.log10(span / count))
    step *= next(f for f in (1, 2, 2.5, 5, 10) if span / (step * f) <= count)
    first = math.ceil(low / step) * step
    return [round(first + i * step, 10) for i in range(int((high - first) / step + 1e-9) + 1)]


def _fmt(value: float) -> str:
    return f"{value:.3g}".replace("-", "−")


class Canvas:
    """Maps data coordinates onto the plot area and collects SVG elements."""

    def __init__(self, xs: tuple[float, float], ys: tuple[float, float], title: str, xlabel: str, ylabel: str):
        pad = 0.05 * ((ys[1] - ys[0]) or 1.0)
        self.xs, self.ys = xs, (ys[0] - pad, ys[1] + pad)
        self.parts = [(f'<text x="{WIDTH / 2:.1f}" y="24" text-anchor="middle" font-size="14" '
                       f'font-weight="bold">{escape(title)}</text>')]
        right, bottom = WIDTH - RIGHT, HEIGHT - BOTTOM
        for value in _ticks(*self.xs):
            x = self.px(value)
            self.parts.append(f'<line x1="{x:.1f}" y1="{bottom}" x2="{x:.1f}" y2="{bottom + 4}" stroke="#444"/>'
                              f'<text x="{x:.1f}" y="{bottom + 17}" text-anchor="middle" font-size="11">{_fmt(value)}</text>')
        for value in _ticks(*self.ys):
            y = self.py(value)
            self.parts.append(f'<line x1="{LEFT - 4}" y1="{y:.1f}" x2="{LEFT}" y2="{y:.1f}" stroke="#444"/>'
                              f'<text x="{LEFT - 7}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{_fmt(value)}</text>')
        self.parts.append(f'<text x="{(LEFT + right) / 2:.1f}" y="{HEIGHT - 12}" text-anchor="middle" '
                          f'font-size="12">{escape(xlabel)}</text>')
        self.parts.append(f'<text transform="translate(16 {(TOP + bottom) / 2:.1f}) rotate(-90)" '
                          f'text-anchor="middle" font-size="12">{escape(ylabel)}</text>')
        self.legend_rows = 0

    def px(self, value: float) -> float:
        return LEFT + (value - self.xs[0]) / (self.xs[1] - self.xs[0]) * (WIDTH - RIGHT - LEFT)

    def py(self, value: float) -> float:
        return HEIGHT - BOTTOM - (value - self.ys[0]) / (self.ys[1] - self.ys[0]) * (HEIGHT - BOTTOM - TOP)

    def points(self, xs, ys) -> str:
        return " ".join(f"{self.px(a):.1f},{self.py(b):.1f}" for a, b in zip(xs, ys))

    def legend(self, label: str, style: str) -> None:
        y = TOP + 10 + 20 * self.legend_rows
        x = WIDTH - RIGHT + 12
        self.parts.append(f'<line x1="{x}" y1="{y}" x2="{x + 24}" y2="{y}" {style}/>'
                          f'<text x="{x + 30}" y="{y + 4}" font-size="11">{escape(label)}</text>')
        self.legend_rows += 1

    def svg(self, description: str) -> str:
        frame = (f'<rect x="{LEFT}" y="{TOP}" width="{WIDTH - RIGHT - LEFT}" height="{HEIGHT - BOTTOM - TOP}" '
                 'fill="none" stroke="#444"/>')   # last, so shading never covers it
        body = "\n".join(self.parts + [frame])
        return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH:.0f} {HEIGHT:.0f}" '
                f'width="{WIDTH:.0f}" height="{HEIGHT:.0f}" role="img" font-family={_quote(FONT_FAMILY)}>'
                f'<title>{escape(description)}</title>\n{body}\n</svg>')


def _quote(text: str) -> str:
    return "'" + text.replace("'", "&apos;") + "'"


def plot_title(plots: dict, kind: str, language: str = "en") -> str:
    """The title of plot ``kind`` (simple_slopes or johnson_neyman) in ``language``."""
    m, spec = Messages(language), plots[kind]
    if kind == "simple_slopes":
        return m("moderation_plots.slopes", focal=spec["focal"], outcome=spec["outcome"], moderator=spec["moderator"])
    return m("moderation_plots.jn", label=spec["label"], moderator=spec["moderator"])


def simple_slopes_svg(plots: dict, language: str = "en") -> str | None:
    """The simple-slopes plot, or None for a model without a moderator (model 4).

    >>> import numpy as np, pandas as pd, semtrust as st
    >>> rng = np.random.default_rng(3); x, w = rng.normal(size=(2, 150))
    >>> data = pd.DataFrame({"x": x, "w": w, "y": 0.4 * x + 0.5 * x * w + rng.normal(size=150)})
    >>> fit = st.process(data, 1, x="x", w="w", y="y")
    >>> svg = simple_slopes_svg(fit.plot_data())
    >>> svg[:4], "</svg>" in svg
    ('<svg', True)
    """
    spec = plots.get("simple_slopes")
    if spec is None:
        return None
    m = Messages(language)
    focal, moderator, span = spec["focal"], spec["moderator"], spec["focal_range"]
    flat = [p for line in spec["lines"] for p in line["predicted"]]
    title = plot_title(plots, "simple_slopes", language)
    canvas = Canvas((span[0], span[1]), (min(flat), max(flat)), title, focal, spec["outcome"])
    for line, dash in zip(spec["lines"], DASHES):
        style = 'stroke="#1f3b73" stroke-width="2" fill="none"' + (f' stroke-dasharray="{dash}"' if dash else "")
        canvas.parts.append(f'<polyline points="{canvas.points(span, line["predicted"])}" {style}/>')
        name = f"{moderator} = {_fmt(line['value'])}"
        if line["percentile"] is not None:
            name += f" ({m('moderation_plots.percentile', p=line['percentile'])})"
        elif line.get("sd") is not None:    # a latent moderator: one SD below, at and above its mean
            name += f" ({m.raw('moderation_plots.sd_labels')[line['sd'] + 1]})"
        canvas.legend(name, style)
    return canvas.svg(title)


def johnson_neyman_svg(plots: dict, language: str = "en") -> str | None:
    """The Johnson–Neyman plot, or None when no effect is linear in a continuous moderator.

    >>> import numpy as np, pandas as pd, semtrust as st
    >>> rng = np.random.default_rng(3); x, w = rng.normal(size=(2, 150))
    >>> data = pd.DataFrame({"x": x, "w": w, "y": 0.4 * x + 0.5 * x * w + rng.normal(size=150)})
    >>> fit = st.process(data, 1, x="x", w="w", y="y")
    >>> svg = johnson_neyman_svg(fit.plot_data())
    >>> svg[:4], johnson_neyman_svg({"simple_slopes": None, "johnson_neyman": None})
    ('<svg', None)
    """
    spec = plots.get("johnson_neyman")
    if spec is None:
        return None
    m = Messages(language)
    grid = [row["value"] for row in spec["curve"]]
    est, low, high = ([row[k] for row in spec["curve"]] for k in ("effect", "llci", "ulci"))
    title = plot_title(plots, "johnson_neyman", language)
    canvas = Canvas((grid[0], grid[-1]), (min(min(low), 0.0), max(max(high), 0.0)), title,
                     spec["moderator"], m("moderation_plots.effect"))
    significant = [lo > 0 or hi < 0 for lo, hi in zip(low, high)]
    for start, stop in _runs(significant):
        x0, x1 = canvas.px(grid[start]), canvas.px(grid[stop])
        canvas.parts.append(f'<rect x="{x0:.1f}" y="{TOP}" width="{max(x1 - x0, 1.0):.1f}" '
                            f'height="{HEIGHT - BOTTOM - TOP}" fill="#e3ecf7"/>')
    band = canvas.points(grid, high) + " " + canvas.points(grid[::-1], low[::-1])
    canvas.parts.append(f'<polygon points="{band}" fill="#1f3b73" fill-opacity="0.15" stroke="none"/>')
    canvas.parts.append(f'<line x1="{LEFT}" y1="{canvas.py(0):.1f}" x2="{WIDTH - RIGHT}" y2="{canvas.py(0):.1f}" '
                        'stroke="#888" stroke-dasharray="3 3"/>')
    solid = 'stroke="#1f3b73" stroke-width="2" fill="none"'
    canvas.parts.append(f'<polyline points="{canvas.points(grid, est)}" {solid}/>')
    for point in spec["points"]:
        x = canvas.px(point)
        canvas.parts.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{HEIGHT - BOTTOM}" stroke="#b22222" '
                            f'stroke-dasharray="5 3"/><text x="{x + 3:.1f}" y="{TOP + 12}" font-size="11" '
                            f'fill="#b22222">{_fmt(point)}</text>')
    canvas.legend(m("moderation_plots.effect"), solid)
    canvas.legend(m("moderation_plots.band", conf=_fmt(spec["conf"])),
                  'stroke="#1f3b73" stroke-opacity="0.3" stroke-width="8"')
    canvas.legend(m("moderation_plots.region", alpha=_fmt(1 - spec["conf"] / 100)), 'stroke="#e3ecf7" stroke-width="8"')
    return canvas.svg(title)


def _runs(mask: list[bool]) -> list[tuple[int, int]]:
    """(first, last) index of each run of True values.

    >>> _runs([False, True, True, False, True])
    [(1, 2), (4, 4)]
    """
    runs, start = [], None
    for i, flag in enumerate(list(mask) + [False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            runs.append((start, i - 1))
            start = None
    return runs


def plot_svgs(plots: dict, language: str = "en") -> dict[str, str]:
    """``{kind: svg}`` of the plots a PROCESS analysis has (simple_slopes, johnson_neyman)."""
    drawn = {"simple_slopes": simple_slopes_svg(plots, language), "johnson_neyman": johnson_neyman_svg(plots, language)}
    return {kind: svg for kind, svg in drawn.items() if svg is not None}


def figure_pdf(svg: str) -> bytes | None:
    """A figure as PDF for the LaTeX report's ``\\includegraphics`` (cairosvg); None where the
    Cairo library is missing. Byte-identical for the same figure (no creation date)."""
    try:
        import cairosvg
    except (ImportError, OSError):      # cairosvg imports but needs the system's libcairo
        return None
    pdf = cairosvg.svg2pdf(bytestring=cairo_fonts(svg).encode("utf-8"))   # Chinese labels need a CJK font
    return re.sub(rb"/CreationDate \(D:[^)]*\)", b"/CreationDate (D:20000101000000Z)", pdf)
