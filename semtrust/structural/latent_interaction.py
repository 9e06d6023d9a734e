"""Structural stage, latent moderation: a latent interaction by double-mean-centred product
indicators (Lin, Wen, Marsh & Lin 2010), probed with simple slopes.

:func:`product_indicators` builds the indicators of the product factor as semTools' ``indProd``
does with its defaults (``meanC``, ``doubleMC``): each indicator is mean-centred, the pairs are
multiplied and each product is mean-centred again. Pairs are matched by position (``match``, the
default: the first indicator of X with the first of W, ...) or all pairs are formed; with all
pairs, products that share an indicator get a residual covariance, as Lin et al. recommend.
:func:`latent_interaction` fits ``Y ~ X + W + X:W`` with the ML engine and returns the simple
slopes of X at values of W with their SEs from the parameters' covariance, as semTools'
``probe2WayMC`` (z tests).

>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(4)
>>> x, w = rng.normal(size=(2, 500))
>>> y = 0.4 * x + 0.2 * w + 0.3 * x * w + rng.normal(scale=0.8, size=500)
>>> items = {f"{v}{i}": f + rng.normal(scale=0.6, size=500) for v, f in (("x", x), ("w", w), ("y", y))
...          for i in (1, 2, 3)}
>>> result = latent_interaction(pd.DataFrame(items), x=("X", ["x1", "x2", "x3"]),
...                             w=("W", ["w1", "w2", "w3"]), y=("Y", ["y1", "y2", "y3"]))
>>> result.products
['x1.w1', 'x2.w2', 'x3.w3']
>>> result.simple_slopes[["W", "est", "se", "z", "pvalue"]].round(2).to_dict("list")
{'W': [-1.04, 0.0, 1.04], 'est': [0.16, 0.37, 0.58], 'se': [0.07, 0.05, 0.06], 'z': [2.12, 7.94, 9.53], 'pvalue': [0.03, 0.0, 0.0]}
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import product

import numpy as np
import pandas as pd
from scipy import stats

from semtrust.errors import InputError
from semtrust.estimation.base import FittedModel
from semtrust.estimation.ml import SEM
from semtrust.model.partable import parameter_key

__all__ = ["latent_interaction", "LatentInteraction", "product_indicators"]


def product_indicators(data: pd.DataFrame, first: list[str], second: list[str], *,
                       match: bool = True) -> pd.DataFrame:
    """The double-mean-centred products of ``first`` and ``second`` (named ``a.b`` as semTools
    names them), matched by position or all pairs.

    >>> frame = pd.DataFrame({"x1": [1.0, 2, 3, 4], "w1": [2.0, 1, 3, 4]})
    >>> product_indicators(frame, ["x1"], ["w1"])["x1.w1"].tolist()
    [-0.25, -0.25, -0.75, 1.25]
    """
    if match and len(first) != len(second):
        raise InputError(f"matched product indicators need as many indicators of each factor "
                         f"({len(first)} vs {len(second)}); drop items or use match=False")
    centred = data[list(first) + list(second)].astype(float)
    centred -= centred.mean()
    pairs = list(zip(first, second)) if match else list(product(first, second))
    products = {f"{a}.{b}": centred[a] * centred[b] for a, b in pairs}
    return pd.DataFrame({name: values - values.mean() for name, values in products.items()})


@dataclass
class LatentInteraction:
    """The fitted model, its syntax, the structural paths, the simple slopes and, with a mediator,
    the conditional indirect effects and the index of moderated mediation.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(4)
    >>> xi, wi = rng.normal(size=(2, 400))
    >>> eta = 0.4 * xi + 0.2 * wi + 0.3 * xi * wi + rng.normal(scale=0.7, size=400)
    >>> data = pd.DataFrame({**{f"x{i}": xi + rng.normal(scale=0.5, size=400) for i in (1, 2)},
    ...                      **{f"w{i}": wi + rng.normal(scale=0.5, size=400) for i in (1, 2)}, "y": eta})
    >>> result = latent_interaction(data, ("X", ["x1", "x2"]), ("W", ["w1", "w2"]), "y")
    >>> result.products, result.paths[["lhs", "rhs", "est"]].round(3).values.tolist()
    (['x1.w1', 'x2.w2'], [['y', 'X', 0.387], ['y', 'W', 0.173], ['y', 'X:W', 0.364]])
    """

    syntax: str
    products: list[str]
    fit: FittedModel
    paths: pd.DataFrame
    simple_slopes: pd.DataFrame
    indirect_effects: pd.DataFrame | None = None
    index_of_moderated_mediation: dict | None = None
    matched: bool = True
    plots: dict | None = None      # what the simple-slopes (and, for a direct path, J-N) plots draw

    def to_dict(self) -> dict:
        out = {"syntax": self.syntax, "products": self.products, "pairs": "matched" if self.matched else "all",
               "fit": {k: float(self.fit.fit_measures[k]) for k in ("chisq", "df", "pvalue", "cfi", "rmsea", "srmr")},
               "paths": self.paths.to_dict("records"), "simple_slopes": self.simple_slopes.to_dict("records")}
        if self.indirect_effects is not None:
            out.update(indirect_effects=self.indirect_effects.to_dict("records"),
                       index_of_moderated_mediation=self.index_of_moderated_mediation)
        if self.plots is not None:
            out["plots"] = self.plots
        return out


def _shared_indicator_covariances(pairs: list[tuple[str, str]]) -> list[str]:
    return [f"{a1}.{b1} ~~ {a2}.{b2}" for (a1, b1), (a2, b2) in
            ((p, q) for i, p in enumerate(pairs) for q in pairs[i + 1:]) if a1 == a2 or b1 == b2]


def _delta(estimate: float, gradient: np.ndarray, vcov: np.ndarray) -> dict:
    """Estimate, delta-method SE, z, two-sided p and 95% Wald CI (lavaan's ``:=`` rows)."""
    se = float(np.sqrt(gradient @ vcov @ gradient))
    half = float(stats.norm.ppf(0.975)) * se
    return {"est": estimate, "se": se, "z": estimate / se, "pvalue": float(2 * stats.norm.sf(abs(estimate / se))),
            "ci_lower": estimate - half, "ci_upper": estimate + half}


def latent_interaction(data: pd.DataFrame, x: tuple[str, list[str]], w: tuple[str, list[str]],
                       y: tuple[str, list[str]] | str, *, m: tuple[str, list[str]] | None = None,
                       stage: str = "first", match: bool = True, values=None) -> LatentInteraction:
    """Fit the latent interaction of ``x`` and ``w`` (each ``(name, items)``) on ``y`` (a factor
    ``(name, items)`` or an observed column) and probe the slope of X at ``values`` of W (default:
    0 and one estimated SD of W either side).

    With a mediator ``m`` (``(name, items)``), W moderates the ``stage`` of the indirect effect:
    the ``first``, as PROCESS model 7 with latent variables (``M ~ X + W + X:W``, ``Y ~ M + X``; the
    simple slopes are those of X on M), or the ``second``, as model 14 (``M ~ X``,
    ``Y ~ M + W + M:W + X``; the products are M's and W's items and the simple slopes those of M on
    Y). The result adds the conditional indirect effects (``(a1 + a3 w) b`` or ``a (b1 + b3 w)``)
    at the same values of W and the index of moderated mediation (``a3 b`` or ``a b3``), with
    delta-method SEs as lavaan's ``:=`` gives them. The product factor is reported as ``X:W`` (or
    ``M:W``). Rows with a missing answer in any indicator are dropped.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(4)
    >>> xi, wi = rng.normal(size=(2, 400))
    >>> eta = 0.4 * xi + 0.2 * wi + 0.3 * xi * wi + rng.normal(scale=0.7, size=400)
    >>> data = pd.DataFrame({**{f"x{i}": xi + rng.normal(scale=0.5, size=400) for i in (1, 2)},
    ...                      **{f"w{i}": wi + rng.normal(scale=0.5, size=400) for i in (1, 2)}, "y": eta})
    >>> latent_interaction(data, ("X", ["x1", "x2"]), ("W", ["w1", "w2"]), "y").simple_slopes.round(3)
           W    est     se       z  pvalue  ci_lower  ci_upper
    0 -1.001  0.023  0.067   0.343   0.732    -0.109     0.155
    1  0.000  0.387  0.043   8.985   0.000     0.303     0.472
    2  1.001  0.752  0.059  12.783   0.000     0.636     0.867
    """
    (x_name, x_items), (w_name, w_items) = x, w
    y_name, y_items = (y, []) if isinstance(y, str) else y
    m_name, m_items = m or (None, [])
    if stage not in ("first", "second"):
        raise InputError(f"stage {stage!r}: the moderated stage is first or second")
    items = list(dict.fromkeys(x_items + w_items + m_items + (y_items or [y_name])))
    missing = [c for c in items if c not in data.columns]
    if missing:
        raise InputError(f"column {missing[0]!r} is not in the data")
    complete = data[items].astype(float).dropna()
    second = m_name is not None and stage == "second"
    focal, focal_items = (m_name, m_items) if second else (x_name, x_items)
    products = product_indicators(complete, focal_items, w_items, match=match)
    interaction = f"{focal}:{w_name}"
    factor = f"{focal}_x_{w_name}"   # a factor name the syntax accepts; reported as X:W
    measured = [(x_name, x_items), (w_name, w_items), (factor, list(products.columns)), (m_name, m_items),
                (y_name, y_items)]
    lines = [f"{name} =~ {' + '.join(indicators)}" for name, indicators in measured if indicators]
    moderated = y_name if second or not m_name else m_name
    if second:
        lines += [f"{m_name} ~ {x_name}", f"{y_name} ~ {m_name} + {w_name} + {factor} + {x_name}"]
    else:
        lines.append(f"{moderated} ~ {x_name} + {w_name} + {factor}")
        lines += [f"{y_name} ~ {m_name} + {x_name}"] if m_name else []
    pairs = [tuple(name.split(".", 1)) for name in products.columns]
    lines += _shared_indicator_covariances(pairs) if not match else []
    syntax = "\n".join(lines)
    fit = SEM(syntax, "latent interaction").fit(pd.concat([complete, products], axis=1))
    params = fit.parameters
    paths = params[params.op == "~"].replace({factor: interaction}).reset_index(drop=True)
    free = {(r.op, r.lhs, r.rhs): r.free for r in fit.partable.rows if r.free >= 0}
    # the moderated slope (its two coefficients), then the other stage of the indirect effect
    keys = [(moderated, focal), (moderated, factor)]
    keys += [(m_name, x_name)] if second else [(y_name, m_name)] if m_name else []
    index = [free[parameter_key(lhs, "~", rhs)] for lhs, rhs in keys]
    theta, vcov = fit.theta[index], fit.vcov[np.ix_(index, index)]

    def variance(name: str) -> float:
        return float(params[(params.op == "~~") & (params.lhs == name) & (params.rhs == name)].est.iloc[0])

    if values is None:
        values = [-np.sqrt(variance(w_name)), 0.0, np.sqrt(variance(w_name))]
    a1, a3 = theta[0], theta[1]
    slopes = [{w_name: float(v), **_delta(float(a1 + a3 * v), np.array([1.0, v, 0.0][:len(theta)]), vcov)}
              for v in values]
    # an endogenous focal M's variance is the one its regression on X implies
    variances = {w_name: variance(w_name),
                 focal: theta[2] ** 2 * variance(x_name) + variance(m_name) if second else variance(x_name)}
    structural = {r.rhs: float(r.est) for r in paths.itertuples() if r.lhs == moderated}
    result = LatentInteraction(syntax.replace(factor, interaction), list(products.columns), fit, paths,
                               pd.DataFrame(slopes), matched=match,
                               plots=_plot_data(focal, w_name, moderated, interaction, structural, variances,
                                                vcov[:2, :2], direct=m_name is None))
    if m_name:
        other = theta[2]     # b of the first-stage model, a of the second-stage model
        result.indirect_effects = pd.DataFrame(
            [{w_name: float(v), **_delta(float((a1 + a3 * v) * other), np.array([other, v * other, a1 + a3 * v]),
                                         vcov)} for v in values])
        result.index_of_moderated_mediation = _delta(float(a3 * other), np.array([0.0, other, a3]), vcov)
    return result


def _plot_data(x: str, w: str, outcome: str, interaction: str, coef: dict, variances: dict, vcov: np.ndarray,
               *, direct: bool, steps: int = 61) -> dict:
    """The plots of a latent interaction in the format of
    :meth:`ProcessResult.plot_data <semtrust.structural.moderation.ProcessResult.plot_data>`: the
    predicted (mean-centred) outcome across X's mean ± 2 SD at W one SD below, at and above its mean;
    for a moderated direct path also the slope of X along W's mean ± 2 SD with its Wald CI and the
    Johnson–Neyman points (z tests, as probe2WayMC)."""
    from semtrust.structural.moderation import johnson_neyman

    x_sd, w_sd = np.sqrt(variances[x]), np.sqrt(variances[w])
    ends = [-2 * x_sd, 2 * x_sd]
    b_x, b_w, b_xw = coef[x], coef[w], coef[interaction]
    lines = [{"value": float(k * w_sd), "percentile": None, "sd": k,
              "predicted": [float(b_x * e + b_w * k * w_sd + b_xw * e * k * w_sd) for e in ends]} for k in (-1, 0, 1)]
    plots = {"simple_slopes": {"focal": x, "moderator": w, "outcome": outcome, "focal_range": [float(e) for e in ends],
                               "lines": lines}, "johnson_neyman": None}
    if direct:
        crit = stats.norm.ppf(0.975)
        slope = np.array([b_x, b_xw])
        curve = []
        for value in np.linspace(-2 * w_sd, 2 * w_sd, steps):
            g = np.array([1.0, value])
            est, se = float(slope @ g), float(np.sqrt(g @ vcov @ g))
            curve.append({"value": float(value), "effect": est, "llci": est - crit * se, "ulci": est + crit * se})
        points = johnson_neyman(slope, vcov, np.inf, 0.95, (-2 * w_sd, 2 * w_sd))
        plots["johnson_neyman"] = {"label": f"{x} → {outcome}", "moderator": w, "conf": 95, "curve": curve,
                                   "points": points}
    return plots
