"""Report stage, figures of a PROCESS model as SVG text: the simple-slopes plot (predicted outcome
against the focal predictor at the moderator's 16th, 50th and 84th percentiles, other predictors
at their means) and the Johnson–Neyman plot (the conditional effect along the moderator with
its confidence band, the region of significance shaded and the J–N points marked). Written by
hand like :mod:`semtrust.diagram`, so no plotting library is needed; titles and axis labels come
in the report's language.

>>> import numpy as np, pandas as pd
>>> from semtrust.structural.moderation import process
>>> rng = np.random.default_rng(2)
>>> x, w = rng.normal(size=120), rng.normal(size=120)
>>> data = pd.DataFrame({"x": x, "w": w, "y": 0.5 * x * w + rng.normal(size=120)})
>>> fit = process(data, 1, x="x", w="w", y="y")
>>> svg = simple_slopes_svg(fit)
>>> svg.startswith("<svg") and svg.count("<polyline") == 3 and "Simple slopes" in svg
True
>>> "Johnson" in johnson_neyman_svg(fit, language="en")
True
"""
from __future__ import annotations

import math
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

from semtrust.report.diagram import FONT_FAMILY
from semtrust.structural.moderation import ProcessResult, probe_values

WIDTH, HEIGHT = 600.0, 380.0
LEFT, RIGHT, TOP, BOTTOM = 64.0, 185.0, 44.0, 52.0   # plot margins; the legend sits on the right
DASHES = ("", "7 4", "2 3")
TEXT = {
    "en": {"slopes": "Simple slopes of {focal} on {outcome} at values of {moderator}",
           "jn": "Johnson–Neyman plot: conditional effect of {label} along {moderator}",
           "effect": "Conditional effect", "band": "{conf}% CI", "region": "significant (p < {alpha})",
           "percentiles": ("16th", "50th", "84th")},
    "zh": {"slopes": "{moderator} 不同取值下 {focal} 对 {outcome} 的简单斜率",
           "jn": "Johnson–Neyman 图：{label} 随 {moderator} 变化的条件效应",
           "effect": "条件效应", "band": "{conf}% 置信区间", "region": "显著（p < {alpha}）",
           "percentiles": ("第16百分位", "第50百分位", "第84百分位")},
}


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


def _probed_equation(result: ProcessResult):
    """(equation, focal predictor, moderator) of the path the simple slopes show: the direct path
    when it is moderated, else the moderated first-stage (X -> M) or second-stage (M -> Y) path."""
    paths = result.paths
    if paths.direct:
        return result.equations[paths.y], paths.x, paths.direct[0]
    for mediator in paths.mediators:
        if paths.a[mediator]:
            return result.equations[mediator], paths.x, paths.a[mediator][0]
        if paths.b[mediator]:
            return result.equations[paths.y], mediator, paths.b[mediator][0]
    return None


def simple_slopes_svg(result: ProcessResult, language: str = "en") -> str | None:
    """The simple-slopes plot, or None for a model without a moderator (model 4)."""
    probed = _probed_equation(result)
    if probed is None:
        return None
    equation, focal, moderator = probed
    text = TEXT[language]
    columns = {t[0]: equation.design[:, i + 1] for i, t in enumerate(equation.terms) if len(t) == 1}
    means = {name: float(col.mean()) for name, col in columns.items()}
    span = np.linspace(columns[focal].min(), columns[focal].max(), 2)
    levels = probe_values(columns[moderator], "percentiles")
    names = text["percentiles"] if len(levels) == 3 else [_fmt(v) for v in levels]
    lines = []
    for level in levels:
        at = {**means, moderator: float(level)}
        predicted = [equation.coef[0] + sum(b * math.prod({**at, focal: s}[f] for f in t)
                                            for b, t in zip(equation.coef[1:], equation.terms)) for s in span]
        lines.append(predicted)
    flat = [p for line in lines for p in line]
    canvas = Canvas((span[0], span[1]), (min(flat), max(flat)),
                     text["slopes"].format(focal=focal, outcome=equation.outcome, moderator=moderator),
                     focal, equation.outcome)
    for line, dash, name, level in zip(lines, DASHES, names, levels):
        style = 'stroke="#1f3b73" stroke-width="2" fill="none"' + (f' stroke-dasharray="{dash}"' if dash else "")
        canvas.parts.append(f'<polyline points="{canvas.points(span, line)}" {style}/>')
        canvas.legend(f"{moderator} = {_fmt(level)} ({name})" if len(levels) == 3 else f"{moderator} = {name}", style)
    return canvas.svg(text["slopes"].format(focal=focal, outcome=equation.outcome, moderator=moderator))


def johnson_neyman_svg(result: ProcessResult, language: str = "en", steps: int = 120) -> str | None:
    """The Johnson–Neyman plot, or None when no effect is linear in a continuous moderator."""
    effect = result.linear_effect
    if effect is None or len(np.unique(effect.observed)) <= 2:
        return None
    text, level = TEXT[language], result.options["conf"] / 100
    grid = np.linspace(effect.observed.min(), effect.observed.max(), steps)
    rows = [effect.at(value, level) for value in grid]
    est, low, high = (np.array([r[k] for r in rows]) for k in ("effect", "llci", "ulci"))
    title = text["jn"].format(label=effect.label, moderator=effect.moderator)
    canvas = Canvas((grid[0], grid[-1]), (min(low.min(), 0.0), max(high.max(), 0.0)), title,
                     effect.moderator, text["effect"])
    significant = (low > 0) | (high < 0)
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
    for point in result.jn.value:
        x = canvas.px(point)
        canvas.parts.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{HEIGHT - BOTTOM}" stroke="#b22222" '
                            f'stroke-dasharray="5 3"/><text x="{x + 3:.1f}" y="{TOP + 12}" font-size="11" '
                            f'fill="#b22222">{_fmt(point)}</text>')
    canvas.legend(text["effect"], solid)
    canvas.legend(text["band"].format(conf=_fmt(result.options["conf"])),
                  'stroke="#1f3b73" stroke-opacity="0.3" stroke-width="8"')
    canvas.legend(text["region"].format(alpha=_fmt(1 - level)), 'stroke="#e3ecf7" stroke-width="8"')
    return canvas.svg(title)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) index of each run of True values."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(int), [0]])))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2])]


def write_plots(result: ProcessResult, out: Path, language: str = "en") -> list[Path]:
    """Write simple_slopes.svg and johnson_neyman.svg (those the model has) into ``out``."""
    written = []
    for name, svg in (("simple_slopes.svg", simple_slopes_svg(result, language)),
                      ("johnson_neyman.svg", johnson_neyman_svg(result, language))):
        if svg is not None:
            (out / name).write_text(svg + "\n", encoding="utf-8")
            written.append(out / name)
    return written
