"""Structural stage, observed variables: Hayes's PROCESS conditional process models by OLS.

:func:`process` estimates PROCESS models 1, 2, 3, 4, 5, 6, 7, 8, 14, 15, 21, 58 and 59 on observed
columns (scale scores or single items) with PROCESS's names: ``x``, one or more parallel
mediators ``m`` (two to four serial ones in model 6), the moderators ``w`` and ``z``, the outcome ``y`` and covariates, which enter
every equation as PROCESS puts them by default. Each outcome equation is an OLS regression
(statsmodels) with the classical or a heteroskedasticity-consistent covariance (PROCESS's ``hc``
option, HC0 to HC4). From the coefficients come

- the conditional direct effect of X at the moderators' 16th, 50th and 84th percentiles (PROCESS 3
  and later) and at the mean and one SD either side (PROCESS 2), with t tests, and the
  Johnson–Neyman points where its significance changes;
- the change in R² (with its F test) of the highest-order interactions;
- the conditional indirect effects through each mediator (model 6: also through each chain of
  mediators) and the index of moderated mediation
  (for model 21 the indices of moderated moderated and conditional moderated mediation), with
  percentile bootstrap CIs.

The bootstrap (:mod:`semtrust.estimation.ols_bootstrap`) refits every equation of every resample
at once from case counts, seeded per resample, so the draws do not depend on the worker count.

>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(7)
>>> x, w = rng.normal(size=200), rng.normal(size=200)
>>> m = 0.5 * x + 0.3 * x * w + rng.normal(size=200)
>>> data = pd.DataFrame({"x": x, "w": w, "m": m, "y": 0.4 * m + rng.normal(size=200)})
>>> result = process(data, 7, x="x", m="m", w="w", y="y", bootstrap=500, seed=1)
>>> result.coefficients.query("outcome == 'm'")[["term", "b"]].round(3).to_dict("records")
[{'term': 'const', 'b': -0.197}, {'term': 'x', 'b': 0.515}, {'term': 'w', 'b': -0.123}, {'term': 'x:w', 'b': 0.275}]
>>> index = result.index_of_moderated_mediation.iloc[0]
>>> bool(index.boot_llci > 0)
True
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import product

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.regression.linear_model import OLS

from semtrust.errors import EstimationError, InputError
from semtrust.estimation.bootstrap import interval
from semtrust.estimation.ols_bootstrap import ols_draws

__all__ = ["process", "process_syntax", "ProcessResult", "parse_regressions", "probe_values", "johnson_neyman"]


@dataclass(frozen=True)
class ModelTemplate:
    """Which moderators act on which path of a PROCESS model (PROCESS 3 and later numbering)."""

    a: tuple[str, ...] = ()        # X -> M
    b: tuple[str, ...] = ()        # M -> Y
    direct: tuple[str, ...] = ()   # X -> Y
    mediation: bool = True
    three_way: bool = False        # model 3: X*W*Z
    serial: bool = False           # model 6: each mediator also predicts the later ones

    @property
    def moderators(self) -> tuple[str, ...]:
        used = set(self.a) | set(self.b) | set(self.direct)
        return tuple(role for role in ("w", "z") if role in used)


MODELS = {
    1: ModelTemplate(direct=("w",), mediation=False),
    2: ModelTemplate(direct=("w", "z"), mediation=False),
    3: ModelTemplate(direct=("w", "z"), mediation=False, three_way=True),
    4: ModelTemplate(),
    5: ModelTemplate(direct=("w",)),
    6: ModelTemplate(serial=True),
    7: ModelTemplate(a=("w",)),
    8: ModelTemplate(a=("w",), direct=("w",)),
    14: ModelTemplate(b=("w",)),
    15: ModelTemplate(b=("w",), direct=("w",)),
    21: ModelTemplate(a=("w",), b=("z",)),
    58: ModelTemplate(a=("w",), b=("w",)),
    59: ModelTemplate(a=("w",), b=("w",), direct=("w",)),
}
HC_TYPES = ("HC0", "HC1", "HC2", "HC3", "HC4")
PROBES = ("percentiles", "moments")   # PROCESS 3 and later, PROCESS 2


def term_name(factors: tuple[str, ...]) -> str:
    """A product term as ``x:w`` (a main effect is its variable's name)."""
    return ":".join(factors)


@dataclass
class Equation:
    """One OLS outcome model: its outcome, its terms (tuples of variable names) and its fit."""

    outcome: str
    terms: list[tuple[str, ...]]
    design: np.ndarray
    response: np.ndarray
    coef: np.ndarray = field(init=False)
    vcov: np.ndarray = field(init=False)
    r2: float = field(init=False)
    mse: float = field(init=False)
    f_test: tuple = field(init=False)   # F, df1, df2, p of the whole equation
    df_resid: int = field(init=False)
    draws: np.ndarray | None = None

    @property
    def names(self) -> list[str]:
        return ["const"] + [term_name(t) for t in self.terms]

    def fit(self, hc: str | None) -> None:
        fitted = OLS(self.response, self.design).fit()
        self.coef, self.r2, self.df_resid = fitted.params, fitted.rsquared, int(fitted.df_resid)
        self.vcov = ols_vcov(fitted, self.design, hc)
        self.mse = fitted.mse_resid
        self.f_test = (fitted.fvalue, int(fitted.df_model), self.df_resid, fitted.f_pvalue)

    def weights(self, focal: str, values: dict[str, float]) -> np.ndarray:
        """Derivative of the equation's prediction with respect to ``focal`` at moderator values,
        as weights on the coefficients (so the slope is ``coef @ weights``)."""
        out = np.zeros(len(self.terms) + 1)
        for position, factors in enumerate(self.terms, start=1):
            if focal in factors:
                out[position] = math.prod(values[f] for f in factors if f != focal)
        return out

    def coefficient(self, factors: tuple[str, ...]) -> np.ndarray:
        """The coefficient of a term, ``[estimate, draw 1, draw 2, ...]`` (zeros when absent)."""
        values = np.concatenate([self.coef[None, :], self.draws]) if self.draws is not None else self.coef[None, :]
        if factors not in self.terms:
            return np.zeros(len(values))
        return values[:, self.terms.index(factors) + 1]


def ols_vcov(fitted, design: np.ndarray, hc: str | None) -> np.ndarray:
    """The coefficients' covariance: classical, or HC0-HC3 from statsmodels and HC4 (Cribari-Neto
    2004: each squared residual inflated by (1 - h)^-min(4, n h / p)) computed here."""
    if hc is None:
        return np.asarray(fitted.cov_params())
    if hc != "HC4":
        return np.asarray(getattr(fitted, f"cov_{hc}"))
    n, p = design.shape
    bread = np.linalg.inv(design.T @ design)
    leverage = np.einsum("ij,jk,ik->i", design, bread, design)
    scaled = fitted.resid ** 2 / (1 - leverage) ** np.minimum(4.0, n * leverage / p)
    return bread @ (design.T * scaled) @ design @ bread


def _numeric_columns(data: pd.DataFrame, roles: dict[str, str]) -> pd.DataFrame:
    columns = list(dict.fromkeys(roles.values()))
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise InputError(f"column {missing[0]!r} is not in the data; the columns are "
                         f"{', '.join(map(str, data.columns[:12]))}{' ...' if len(data.columns) > 12 else ''}")
    frame = data[columns].copy()
    for column in columns:
        converted = pd.to_numeric(frame[column], errors="coerce")
        if converted.notna().sum() < frame[column].notna().sum():
            raise InputError(f"column {column!r} has non-numeric values; PROCESS models need numeric "
                             "columns (code a categorical moderator with compare_groups)")
        frame[column] = converted.astype(float)
    return frame.dropna()


def _check_roles(model: int, template: ModelTemplate, m, w, z) -> None:
    if model not in MODELS:
        raise InputError(f"PROCESS model {model} is not available; choose one of "
                         f"{', '.join(map(str, MODELS))}")
    if template.mediation and not m:
        raise InputError(f"model {model} needs a mediator: give m (--m)")
    if template.serial and not 2 <= len(m) <= 4:
        raise InputError(f"model {model} (serial mediation) takes two to four mediators in causal order (--m M1 M2)")
    if not template.mediation and m:
        raise InputError(f"model {model} has no mediator; drop m (--m)")
    for role, value in (("w", w), ("z", z)):
        if (role in template.moderators) != (value is not None):
            need = "needs" if role in template.moderators else "has no"
            raise InputError(f"model {model} {need} a moderator {role.upper()}: "
                             f"{'give' if need == 'needs' else 'drop'} {role} (--{role})")


def probe_values(values: np.ndarray, rule: str) -> np.ndarray:
    """The values a moderator is probed at: its two values when it is dichotomous, otherwise the
    16th, 50th and 84th percentiles (PROCESS's definition: sorted values interpolated at position
    p(n + 1)) or the mean and one SD (n - 1 denominator) either side.

    >>> probe_values(np.arange(1.0, 11.0), "percentiles").round(2).tolist()
    [1.76, 5.5, 9.24]
    >>> probe_values(np.array([0.0, 1.0, 1.0]), "moments").tolist()
    [0.0, 1.0]
    """
    distinct = np.unique(values)
    if len(distinct) == 2:
        return distinct
    if rule == "percentiles":
        return np.percentile(values, [16, 50, 84], method="weibull")
    mean, sd = values.mean(), values.std(ddof=1)
    return np.array([mean - sd, mean, mean + sd])


def _t_row(estimate: float, se: float, df: int, level: float) -> dict:
    t = estimate / se if se > 0 else math.nan
    crit = stats.t.ppf(0.5 + level / 2, df)
    return dict(effect=estimate, se=se, t=t, p=2 * stats.t.sf(abs(t), df),
                llci=estimate - crit * se, ulci=estimate + crit * se)


def _boot_row(draws: np.ndarray, estimate: float, level: float) -> dict:
    """Estimate, bootstrap SE and percentile CI (NaN without a bootstrap)."""
    finite = draws[np.isfinite(draws)]
    if len(finite) < 2:
        return dict(effect=estimate, boot_se=math.nan, boot_llci=math.nan, boot_ulci=math.nan)
    lower, upper = interval(finite, estimate, "percentile", level)
    return dict(effect=estimate, boot_se=float(finite.std(ddof=1)), boot_llci=lower, boot_ulci=upper)


def johnson_neyman(slope: np.ndarray, vcov: np.ndarray, df: int, level: float,
                   bounds: tuple[float, float]) -> list[float]:
    """Moderator values inside ``bounds`` where the effect ``slope[0] + slope[1] * v`` (covariance
    ``vcov``) is exactly significant at ``level``: the roots of t(v)^2 = t_crit^2, a quadratic in v.

    >>> points = johnson_neyman(np.array([0.2, 0.3]), np.diag([0.01, 0.01]), 100, 0.95, (-5.0, 5.0))
    >>> [round(point, 4) for point in points]
    [-2.3644, -0.0053]
    """
    crit2 = stats.t.ppf(0.5 + level / 2, df) ** 2
    quadratic = [slope[1] ** 2 - crit2 * vcov[1, 1], 2 * (slope[0] * slope[1] - crit2 * vcov[0, 1]),
                 slope[0] ** 2 - crit2 * vcov[0, 0]]
    roots = np.roots(quadratic) if abs(quadratic[0]) > 1e-14 else np.roots(quadratic[1:])
    real = sorted(float(r.real) for r in roots if abs(r.imag) < 1e-12 and bounds[0] <= r.real <= bounds[1])
    return real


@dataclass
class ProcessResult:
    """A fitted PROCESS model: tables as DataFrames, :meth:`to_dict` for results.json.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3); x, w = rng.normal(size=(2, 150))
    >>> data = pd.DataFrame({"x": x, "w": w, "y": 0.4 * x + 0.5 * x * w + rng.normal(size=150)})
    >>> fit = process(data, 1, x="x", w="w", y="y")
    >>> fit.coefficients[["outcome", "term", "b", "se", "p"]].round(3)
      outcome   term      b     se      p
    0       y  const  0.019  0.080  0.812
    1       y      x  0.581  0.075  0.000
    2       y      w  0.092  0.083  0.272
    3       y    x:w  0.466  0.089  0.000
    """

    model: int | None          # None for a model given as lavaan regressions
    variables: dict
    n: int
    options: dict
    coefficients: pd.DataFrame
    model_summary: pd.DataFrame
    interactions: pd.DataFrame
    direct_effects: pd.DataFrame
    indirect_effects: pd.DataFrame
    index_of_moderated_mediation: pd.DataFrame
    jn: pd.DataFrame
    conditional_interactions: pd.DataFrame   # model 3: the X*W interaction at values of Z
    bootstrap_failed: int = 0
    equations: dict = field(default_factory=dict, repr=False)
    linear_effect: LinearEffect | None = field(default=None, repr=False)   # for the J-N plot
    paths: Paths | None = field(default=None, repr=False)

    def to_dict(self) -> dict:
        """The ``moderation`` block of results.json (NaN becomes null).

        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(3); x, w = rng.normal(size=(2, 150))
        >>> data = pd.DataFrame({"x": x, "w": w, "y": 0.4 * x + 0.5 * x * w + rng.normal(size=150)})
        >>> fit = process(data, 1, x="x", w="w", y="y")
        >>> sorted(fit.to_dict())
        ['bootstrap_failed', 'coefficients', 'conditional_interactions', 'direct_effects', 'index_of_moderated_mediation', 'indirect_effects', 'interactions', 'johnson_neyman', 'johnson_neyman_table', 'model', 'model_summary', 'n', 'options', 'plots', 'variables']
        """
        def records(frame: pd.DataFrame) -> list[dict]:
            clean = frame.astype(object).where(frame.notna(), None)
            return [{k: (float(v) if isinstance(v, (np.floating, float)) else
                         int(v) if isinstance(v, np.integer) else v) for k, v in row.items()}
                    for row in clean.to_dict("records")]
        return {"model": self.model, "variables": self.variables, "n": self.n, "options": self.options,
                "bootstrap_failed": self.bootstrap_failed,
                "coefficients": records(self.coefficients), "model_summary": records(self.model_summary),
                "interactions": records(self.interactions), "direct_effects": records(self.direct_effects),
                "indirect_effects": records(self.indirect_effects),
                "index_of_moderated_mediation": records(self.index_of_moderated_mediation),
                "johnson_neyman": records(self.jn), "johnson_neyman_table": records(self.johnson_neyman_table()),
                "conditional_interactions": records(self.conditional_interactions), "plots": self.plot_data()}

    def plot_data(self, steps: int = 61) -> dict:
        """What the simple-slopes and Johnson–Neyman plots draw (results.json's ``plots``), so the
        reports draw them from results.json alone: ``simple_slopes`` (the predicted outcome at the
        focal predictor's minimum and maximum for each probed moderator value, other predictors at
        their means) and ``johnson_neyman`` (the probed effect with its CI at ``steps`` values
        across the moderator's range, and the J–N points); each None when the model has none.

        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(3); x, w = rng.normal(size=(2, 150))
        >>> data = pd.DataFrame({"x": x, "w": w, "y": 0.4 * x + 0.5 * x * w + rng.normal(size=150)})
        >>> fit = process(data, 1, x="x", w="w", y="y")
        >>> plots = fit.plot_data(steps=5)
        >>> sorted(plots), [round(v, 3) for v in plots["johnson_neyman"]["points"]]
        (['johnson_neyman', 'simple_slopes'], [-2.137, -0.793])
        """
        return {"simple_slopes": self._simple_slopes(), "johnson_neyman": self._jn_curve(steps)}

    def _probed_equation(self):
        """(equation, focal predictor, moderator) of the path the simple slopes show: the direct
        path when it is moderated, else the moderated first-stage (X -> M) or second-stage (M -> Y) path."""
        paths = self.paths
        if paths.direct:
            return self.equations[paths.y], paths.x, paths.direct[0]
        for mediator in paths.mediators:
            if paths.a[mediator]:
                return self.equations[mediator], paths.x, paths.a[mediator][0]
            if paths.b[mediator]:
                return self.equations[paths.y], mediator, paths.b[mediator][0]
        return None

    def _simple_slopes(self) -> dict | None:
        probed = self._probed_equation()
        if probed is None:
            return None
        equation, focal, moderator = probed
        columns = {t[0]: equation.design[:, i + 1] for i, t in enumerate(equation.terms) if len(t) == 1}
        means = {name: float(col.mean()) for name, col in columns.items()}
        ends = [float(columns[focal].min()), float(columns[focal].max())]
        levels = probe_values(columns[moderator], "percentiles")
        percentiles = [16, 50, 84] if len(levels) == 3 else [None] * len(levels)
        lines = []
        for level, percentile in zip(levels, percentiles):
            predicted = []
            for end in ends:
                at = {**means, moderator: float(level), focal: end}
                predicted.append(float(equation.coef[0] + sum(b * math.prod(at[f] for f in t)
                                                              for b, t in zip(equation.coef[1:], equation.terms))))
            lines.append({"value": float(level), "percentile": percentile, "predicted": predicted})
        return {"focal": focal, "moderator": moderator, "outcome": equation.outcome, "focal_range": ends,
                "lines": lines}

    def _jn_curve(self, steps: int) -> dict | None:
        effect = self.linear_effect
        if effect is None or len(np.unique(effect.observed)) <= 2:
            return None
        level = self.options["conf"] / 100
        curve = []
        for value in np.linspace(effect.observed.min(), effect.observed.max(), steps):
            row = effect.at(float(value), level)
            curve.append({"value": float(value), **{k: float(row[k]) for k in ("effect", "llci", "ulci")}})
        return {"label": effect.label, "moderator": effect.moderator, "conf": self.options["conf"],
                "curve": curve, "points": [float(v) for v in self.jn.value]}

    def johnson_neyman_table(self, steps: int = 21) -> pd.DataFrame:
        """PROCESS's J–N table: the probed effect at ``steps`` evenly spaced values across the
        moderator's observed range, the J–N points inserted (empty when there is no J–N analysis).

        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(3); x, w = rng.normal(size=(2, 150))
        >>> data = pd.DataFrame({"x": x, "w": w, "y": 0.4 * x + 0.5 * x * w + rng.normal(size=150)})
        >>> fit = process(data, 1, x="x", w="w", y="y")
        >>> fit.johnson_neyman_table(steps=5).round(3)
           value  effect     se      t      p   llci   ulci
        0 -2.241  -0.464  0.219 -2.121  0.036 -0.896 -0.032
        1 -2.137  -0.415  0.210 -1.976  0.050 -0.830 -0.000
        2 -1.107   0.065  0.129  0.503  0.616 -0.189  0.319
        3 -0.793   0.211  0.107  1.976  0.050  0.000  0.423
        4  0.027   0.593  0.074  7.968  0.000  0.446  0.740
        5  1.161   1.122  0.122  9.174  0.000  0.880  1.364
        6  2.296   1.651  0.212  7.803  0.000  1.232  2.069
        """
        effect = self.linear_effect
        if effect is None or not len(self.jn):
            return pd.DataFrame(columns=["value", "effect", "se", "t", "p", "llci", "ulci"])
        grid = np.linspace(effect.observed.min(), effect.observed.max(), steps)
        values = np.sort(np.concatenate([grid, self.jn.value.to_numpy(float)]))
        level = self.options["conf"] / 100
        return pd.DataFrame([{"value": v, **effect.at(v, level)} for v in values])

    def save(self, out_dir, lang: str = "en") -> dict:
        """Write results.json and the reports (HTML, LaTeX, Word, tables.xlsx, the plots) in
        ``lang`` into ``out_dir`` through the atomic output folder (:mod:`semtrust.process_run`);
        returns ``{file name: path}``.

        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(3); x, w = rng.normal(size=(2, 150))
        >>> data = pd.DataFrame({"x": x, "w": w, "y": 0.4 * x + 0.5 * x * w + rng.normal(size=150)})
        >>> fit = process(data, 1, x="x", w="w", y="y")
        >>> import tempfile
        >>> written = fit.save(tempfile.mkdtemp())
        >>> sorted(written)
        ['johnson_neyman.pdf', 'johnson_neyman.svg', 'report.docx', 'report.html', 'report.tex', 'results.json', 'simple_slopes.pdf', 'simple_slopes.svg', 'tables.xlsx']
        """
        from semtrust.process_run import save_process

        return save_process(self, out_dir, lang=lang)

    def summary(self) -> str:
        """A PROCESS-like text summary.

        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(3); x, w = rng.normal(size=(2, 150))
        >>> data = pd.DataFrame({"x": x, "w": w, "y": 0.4 * x + 0.5 * x * w + rng.normal(size=150)})
        >>> fit = process(data, 1, x="x", w="w", y="y")
        >>> print(fit.summary())  # doctest: +ELLIPSIS
        ************************************************************************
        Model  : 1
        Y      : y
        X      : x
        W      : w
        Sample size: 150
        ************************************************************************
        ...
        Johnson-Neyman point(s) of significance:
        ...
        """
        from semtrust.report.moderation_text import summary_text

        return summary_text(self)


def _template_terms(template: ModelTemplate, names: dict) -> dict[str, list[tuple[str, ...]]]:
    """Each equation's terms for a PROCESS model, covariates last (PROCESS's order)."""
    x, y, mediators, covariates = names["x"], names["y"], names["m"], names["covariates"]
    moderator = {role: names[role] for role in template.moderators}
    a_mods = [moderator[r] for r in template.a]
    specs = {mediator: [(x,)] + [(earlier,) for earlier in mediators[:i] if template.serial]
                       + [(v,) for v in a_mods] + [(x, v) for v in a_mods] for i, mediator in enumerate(mediators)}
    y_mods = [moderator[r] for r in template.moderators if r in template.b or r in template.direct]
    terms = [(x,)] + [(mm,) for mm in mediators] + [(v,) for v in y_mods]
    terms += [(x, moderator[r]) for r in template.direct]
    if template.three_way:
        terms += [(moderator["w"], moderator["z"]), (x, moderator["w"], moderator["z"])]
    specs[y] = terms + [(mm, moderator[r]) for mm in mediators for r in template.b]
    return {outcome: list(dict.fromkeys(t + [(c,) for c in covariates])) for outcome, t in specs.items()}


def _check_options(hc: str | None, bootstrap: int, conf: float) -> str | None:
    if hc is not None and hc.upper() not in HC_TYPES:
        raise InputError(f"unknown hc {hc!r}; use one of {', '.join(HC_TYPES)}")
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, (int, np.integer)) or bootstrap < 0:
        raise InputError(f"bootstrap {bootstrap!r}: give 0 (no bootstrap) or a positive number of resamples")
    if not 50 < conf < 100:
        raise InputError(f"conf must be a percentage between 50 and 100, not {conf}")
    return hc.upper() if hc else None


def process(data: pd.DataFrame, model: int, x: str, y: str, m=None, w: str | None = None,
            z: str | None = None, covariates=(), *, center: bool = False, hc: str | None = None,
            bootstrap: int = 5000, seed: int = 20240101, conf: float = 95,
            workers: int = 1) -> ProcessResult:
    """Estimate PROCESS model ``model`` (1, 2, 3, 4, 5, 6, 7, 8, 14, 15, 21, 58 or 59).

    ``m`` is a column name or a list of parallel mediators (model 6: two to four serial mediators,
    in causal order); ``center`` mean-centres the variables
    that form products (PROCESS ``center=1``); ``hc`` is None (classical) or "HC0"-"HC4";
    ``bootstrap`` resamples for the indirect effects (0 skips them), spread over ``workers``
    processes (the draws do not depend on it; one process refits 5,000 resamples in about 0.2 s,
    so more pay off only for very many resamples); ``conf`` in percent.
    Rows with a missing value in any model variable are dropped (listwise, as PROCESS does).

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> x, w = rng.normal(size=150), rng.normal(size=150)
    >>> data = pd.DataFrame({"x": x, "w": w, "y": 0.4 * x + 0.5 * x * w + rng.normal(size=150)})
    >>> fit = process(data, 1, x="x", w="w", y="y")
    >>> fit.interactions[["term", "r2_change", "p"]].round(4).to_dict("records")
    [{'term': 'x:w', 'r2_change': 0.1127, 'p': 0.0}]
    >>> fit.jn.value.round(3).tolist()
    [-2.137, -0.793]
    """
    template = MODELS.get(model)
    mediators = [m] if isinstance(m, str) else list(m or [])
    _check_roles(model, template or ModelTemplate(), mediators, w, z)
    hc = _check_options(hc, bootstrap, conf)
    covariates = list(covariates)
    roles = {"x": x, "y": y, **{f"m{i + 1}": v for i, v in enumerate(mediators)},
             **({"w": w} if w else {}), **({"z": z} if z else {}),
             **{f"cov{i + 1}": c for i, c in enumerate(covariates)}}
    if len(set(roles.values())) < len(roles):
        raise InputError("a column is given for two roles; x, m, w, z, y and covariates must differ")
    names = {"x": x, "y": y, "m": mediators, "w": w, "z": z, "covariates": covariates}
    return _estimate(_numeric_columns(data, roles), _template_terms(template, names), x, y, mediators,
                     model=model, variables={k: v for k, v in names.items() if v},
                     options=dict(center=center, hc=hc, bootstrap=bootstrap, seed=seed, conf=conf), workers=workers)


def parse_regressions(syntax: str) -> dict[str, list[tuple[str, ...]]]:
    """Regression lines in lavaan syntax (``y ~ x + w + x:w``; ``#`` comments, ``;`` or new lines
    between them) as each outcome's terms.

    >>> parse_regressions("m ~ x + w + x:w  # first stage\\ny ~ m + x")
    {'m': [('x',), ('w',), ('x', 'w')], 'y': [('m',), ('x',)]}
    """
    specs: dict[str, list[tuple[str, ...]]] = {}
    for number, raw in enumerate(syntax.replace(";", "\n").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        lhs, op, rhs = line.partition("~")
        if not op or "~" in rhs or "*" in rhs or "=" in line:
            raise InputError(f"model line {number} {line!r}: write regressions as 'y ~ x + w + x:w' "
                             "(no labels, fixed values or other operators)")
        terms = [tuple(f.strip() for f in term.split(":")) for term in rhs.split("+")]
        if not lhs.strip() or any(not f for term in terms for f in term):
            raise InputError(f"model line {number} {line!r}: an outcome or a term is empty")
        specs.setdefault(lhs.strip(), [])
        specs[lhs.strip()] += [t for t in terms if t not in specs[lhs.strip()]]
    return specs


def process_syntax(data: pd.DataFrame, syntax: str, x: str, *, center: bool = False, hc: str | None = None,
                   bootstrap: int = 5000, seed: int = 20240101, conf: float = 95,
                   workers: int = 1) -> ProcessResult:
    """A conditional process model written as lavaan regressions with product terms (``x:w``),
    each equation estimated by OLS: the outcome Y is the one variable never used as a predictor,
    the other outcomes are parallel mediators of the focal predictor ``x``. Moderators are read
    off the products (with X in a mediator's equation: the first stage; with a mediator or X in
    Y's: the second stage or the direct path) and probed, bootstrapped and indexed as in
    :func:`process`; any other predictor is a covariate.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(8)
    >>> data = pd.DataFrame(rng.normal(size=(300, 4)), columns=["x", "w", "v", "c"])
    >>> data["m"] = 0.5 * data.x + 0.3 * data.x * data.w + rng.normal(size=300)
    >>> data["y"] = 0.4 * data.m + 0.2 * data.m * data.v + rng.normal(size=300)
    >>> fit = process_syntax(data, "m ~ x + w + x:w + c\\ny ~ m + x + v + m:v + c", x="x", bootstrap=1000, seed=1)
    >>> sorted(set(fit.indirect_effects.columns) & {"w", "v"}), len(fit.indirect_effects)
    (['v', 'w'], 18)
    """
    hc = _check_options(hc, bootstrap, conf)
    specs = parse_regressions(syntax)
    outcomes = list(specs)
    used = {f for terms in specs.values() for t in terms for f in t}
    final = [o for o in outcomes if o not in used]
    if len(final) != 1:
        raise InputError(f"the model needs exactly one final outcome (a variable that predicts nothing); "
                         f"found {', '.join(final) or 'none'}")
    y, mediators = final[0], [o for o in outcomes if o != final[0]]
    for mediator in mediators:
        if (x,) not in specs[mediator] or (mediator,) not in specs[y]:
            raise InputError(f"{mediator} must be regressed on {x} and predict {y} (parallel mediators only)")
        if any(f in mediators for t in specs[mediator] for f in t):
            raise InputError(f"a mediator predicts {mediator}; serial mediation is not supported")
    columns = list(dict.fromkeys([x, y, *mediators, *sorted(used - {x, *mediators})]))
    moderators = tuple(dict.fromkeys(f for terms in specs.values() for t in terms if len(t) > 1 for f in t
                                     if f not in (x, *mediators)))
    return _estimate(_numeric_columns(data, {c: c for c in columns}), specs, x, y, mediators, model=None,
                     variables={"x": x, "y": y, "m": mediators, "moderators": list(moderators), "syntax": syntax},
                     options=dict(center=center, hc=hc, bootstrap=bootstrap, seed=seed, conf=conf), workers=workers)


def _estimate(frame: pd.DataFrame, specs: dict[str, list[tuple[str, ...]]], x: str, y: str, mediators: list[str],
              *, model: int | None, variables: dict, options: dict, workers: int) -> ProcessResult:
    """Centre, fit every equation, bootstrap (with mediators) and probe: the part every way of
    writing a model shares."""
    if options["center"]:   # every variable that forms a product, as PROCESS's center=1
        for column in sorted({f for terms in specs.values() for t in terms if len(t) > 1 for f in t}):
            frame[column] -= frame[column].mean()
    n = len(frame)
    columns = {c: frame[c].to_numpy() for c in frame.columns}
    equations = {outcome: Equation(outcome, terms, np.column_stack(
                     [np.ones(n)] + [math.prod(columns[f] for f in t) for t in terms]), columns[outcome])
                 for outcome, terms in specs.items()}
    width = max(e.design.shape[1] for e in equations.values())
    if n <= width + 1:
        raise InputError(f"only {n} complete rows for {width} coefficients; give more data or fewer covariates")
    for eq in equations.values():
        if np.linalg.matrix_rank(eq.design) < eq.design.shape[1]:
            raise EstimationError(f"the {eq.outcome} equation is singular: a predictor is constant or "
                                  "a combination of others; drop the redundant covariate")
        eq.fit(options["hc"])
    bootstrap = options["bootstrap"] if mediators else 0
    failed = 0
    if bootstrap:
        draws, mask = ols_draws([(e.design, e.response) for e in equations.values()], bootstrap,
                                options["seed"], workers)
        for eq, coefficients in zip(equations.values(), draws):
            eq.draws = coefficients
        failed = int(mask.sum())
    if failed > bootstrap / 2:
        raise EstimationError(f"{failed} of {bootstrap} bootstrap resamples had a singular design; "
                              "a covariate or moderator is nearly constant")
    paths = derive_paths(equations, x, y, mediators)
    level = options["conf"] / 100
    tables = _effects(equations, paths, {v: columns[v] for v in paths.moderators}, level)
    return ProcessResult(
        model=model, variables=variables, n=n, options={**options, "bootstrap": bootstrap, "ci": "percentile"},
        coefficients=_coefficient_table(equations, level), model_summary=_summary_table(equations),
        interactions=_interaction_table(equations), bootstrap_failed=failed, equations=equations,
        paths=paths, **tables)


@dataclass
class Paths:
    """Which variables moderate which path, read off the equations' product terms."""

    x: str
    y: str
    mediators: list[str]
    a: dict[str, tuple[str, ...]]        # mediator -> moderators of X -> M
    b: dict[str, tuple[str, ...]]        # mediator -> moderators of M -> Y
    direct: tuple[str, ...]              # moderators of X -> Y
    three_way: tuple[str, str] | None    # (W, Z) when Y's equation has X:W:Z

    @property
    def moderators(self) -> tuple[str, ...]:
        on_indirect = [v for m in self.mediators for v in (*self.a[m], *self.b[m])]
        return tuple(dict.fromkeys([*self.direct, *on_indirect]))


def _moderators_of(eq: Equation, focal: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(f for t in eq.terms if focal in t and len(t) > 1 for f in t if f != focal))


def derive_paths(equations: dict[str, Equation], x: str, y: str, mediators: list[str]) -> Paths:
    """The moderators of each path of X (through the mediators) to Y."""
    outcome = equations[y]
    three = next((tuple(f for f in t if f != x) for t in outcome.terms if x in t and len(t) == 3), None)
    return Paths(x, y, list(mediators), {m: _moderators_of(equations[m], x) for m in mediators},
                 {m: _moderators_of(outcome, m) for m in mediators}, _moderators_of(outcome, x), three)


def _coefficient_table(equations: dict[str, Equation], level: float) -> pd.DataFrame:
    rows = []
    for key, eq in equations.items():
        for name, b, var in zip(eq.names, eq.coef, np.diag(eq.vcov)):
            row = _t_row(b, math.sqrt(var), eq.df_resid, level)
            rows.append({"outcome": key, "term": name, "b": row.pop("effect"), **row})
    return pd.DataFrame(rows)


def _summary_table(equations: dict[str, Equation]) -> pd.DataFrame:
    rows = []
    for key, eq in equations.items():
        f, df1, df2, p = eq.f_test
        rows.append(dict(outcome=key, r2=eq.r2, mse=eq.mse, F=f, df1=df1, df2=df2, p=p))
    return pd.DataFrame(rows)


def _interaction_table(equations: dict[str, Equation]) -> pd.DataFrame:
    """PROCESS's tests of the highest-order unconditional interactions: R² change when the product
    is dropped, with the Wald F under the chosen covariance (the classical F without ``hc``)."""
    rows = []
    for key, eq in equations.items():
        products = [t for t in eq.terms if len(t) > 1]
        if not products:
            continue
        top = max(len(t) for t in products)
        highest = [t for t in products if len(t) == top]
        tests = [[t] for t in highest] + ([highest] if len(highest) > 1 else [])
        total = np.sum((eq.response - eq.response.mean()) ** 2)
        for dropped in tests:
            idx = [eq.terms.index(t) + 1 for t in dropped]
            keep = [i for i in range(eq.design.shape[1]) if i not in idx]
            reduced = np.linalg.lstsq(eq.design[:, keep], eq.response, rcond=None)[0]
            r2_reduced = 1 - np.sum((eq.response - eq.design[:, keep] @ reduced) ** 2) / total
            est = eq.coef[idx]
            f = float(est @ np.linalg.solve(eq.vcov[np.ix_(idx, idx)], est)) / len(idx)
            rows.append(dict(outcome=key, term="both" if len(dropped) > 1 else term_name(dropped[0]),
                             r2_change=eq.r2 - r2_reduced, F=f, df1=len(idx), df2=eq.df_resid,
                             p=stats.f.sf(f, len(idx), eq.df_resid)))
    return pd.DataFrame(rows, columns=["outcome", "term", "r2_change", "F", "df1", "df2", "p"])


def _grid(moderators: list[str], values: dict[str, np.ndarray], rule: str) -> list[dict[str, float]]:
    levels = [probe_values(values[v], rule) for v in moderators]
    return [dict(zip(moderators, combo)) for combo in product(*levels)]


def _effects(equations: dict[str, Equation], paths: Paths, values: dict[str, np.ndarray],
             level: float) -> dict[str, pd.DataFrame]:
    x, outcome = paths.x, equations[paths.y]
    zero = {v: 0.0 for v in paths.moderators}
    direct_rows = []
    for rule in PROBES if paths.direct else [None]:
        for at in _grid(list(paths.direct), values, rule) if rule else [{}]:
            g = outcome.weights(x, {**zero, **at})
            row = _t_row(float(outcome.coef @ g), math.sqrt(g @ outcome.vcov @ g), outcome.df_resid, level)
            direct_rows.append({"probe": rule, **at, **row})
    indirect_rows, index_rows, unmoderated = [], [], []
    for mediator in paths.mediators:
        first = equations[mediator]
        mods = list(dict.fromkeys(paths.a[mediator] + paths.b[mediator]))
        for rule in PROBES if mods else [None]:
            for at in _grid(mods, values, rule) if rule else [{}]:
                a = _with_draws(first, first.weights(x, {**zero, **at}))
                b = _with_draws(outcome, outcome.weights(mediator, {**zero, **at}))
                effect = a * b
                indirect_rows.append({"mediator": mediator, "probe": rule, **at, **_boot_row(effect[1:], effect[0], level)})
                if not mods:
                    unmoderated.append(effect)
        index_rows += _indices(first, outcome, paths, mediator, values, level)
    for chain in _serial_chains(equations, paths.mediators):   # model 6: X -> M1 -> M2 (-> ...) -> Y
        effect = _with_draws(equations[chain[0]], equations[chain[0]].weights(x, {}))
        for earlier, later in zip(chain, chain[1:]):
            effect = effect * _with_draws(equations[later], equations[later].weights(earlier, {}))
        effect = effect * _with_draws(outcome, outcome.weights(chain[-1], {}))
        indirect_rows.append({"mediator": " -> ".join(chain), "probe": None,
                              **_boot_row(effect[1:], effect[0], level)})
        unmoderated.append(effect)
    if len(unmoderated) > 1:   # several unmoderated indirect effects (models 4 and 6): PROCESS's TOTAL row
        total = np.sum(unmoderated, axis=0)
        indirect_rows.append({"mediator": "TOTAL", "probe": None, **_boot_row(total[1:], total[0], level)})
    linear = _linear_effect(outcome, paths, values)
    return dict(direct_effects=pd.DataFrame(direct_rows), indirect_effects=pd.DataFrame(indirect_rows),
                index_of_moderated_mediation=pd.DataFrame(
                    index_rows, columns=["mediator", "index", "moderator", "other_moderator", "probe", "other_value",
                                         "effect", "boot_se", "boot_llci", "boot_ulci"]),
                jn=_jn_table(linear, level), linear_effect=linear,
                conditional_interactions=pd.DataFrame(
                    [{"probe": rule, linear.moderator: value, "interaction": linear.label, **linear.at(value, level)}
                     for rule in PROBES for value in probe_values(linear.observed, rule)] if paths.three_way else []))


def _serial_chains(equations: dict[str, Equation], mediators: list[str]) -> list[tuple[str, ...]]:
    """The chains of two or more mediators each predicting the next (serial mediation, model 6), in
    PROCESS's order: by first mediator, then shorter chains first.

    >>> eq = lambda *terms: Equation("", [(t,) for t in terms], np.zeros((1, 1)), np.zeros(1))
    >>> _serial_chains({"m1": eq("x"), "m2": eq("x", "m1"), "m3": eq("x", "m1", "m2")}, ["m1", "m2", "m3"])
    [('m1', 'm2'), ('m1', 'm2', 'm3'), ('m1', 'm3'), ('m2', 'm3')]
    """
    def extend(chain: tuple[str, ...]) -> list[tuple[str, ...]]:
        later = [m for m in mediators[mediators.index(chain[-1]) + 1:] if (chain[-1],) in equations[m].terms]
        return [c for m in later for c in [chain + (m,)] + extend(chain + (m,))]
    return [c for m in mediators for c in extend((m,))]


def _with_draws(eq: Equation, weights: np.ndarray) -> np.ndarray:
    """``[estimate, draws...]`` of the linear combination ``coef @ weights``."""
    if eq.draws is None:
        return np.array([eq.coef @ weights])
    return np.concatenate([[eq.coef @ weights], eq.draws @ weights])


def _indices(first: Equation, outcome: Equation, paths: Paths, mediator: str, values: dict,
             level: float) -> list[dict]:
    """Index of moderated mediation when the indirect effect is linear in one moderator (models
    7, 8, 14, 15); for a(W) b(Z) (model 21) the index of moderated moderated mediation (a3 b2)
    and the indices of conditional moderated mediation by each moderator at the other's values.
    With W on both stages (models 58, 59) the indirect effect is quadratic in W and has no index,
    as in PROCESS."""
    if first.draws is None:
        return []
    rows, x = [], paths.x
    on_a, on_b = paths.a[mediator], paths.b[mediator]
    a0, b0 = first.coefficient((x,)), outcome.coefficient((mediator,))
    if len(on_a) + len(on_b) == 1:
        mod = (on_a + on_b)[0]
        index = first.coefficient((x, mod)) * b0 if on_a else a0 * outcome.coefficient((mediator, mod))
        rows.append(dict(mediator=mediator, index="moderated mediation", moderator=mod,
                         **_boot_row(index[1:], index[0], level)))
    elif len(on_a) == 1 and len(on_b) == 1 and on_a != on_b:
        (w,), (z,) = on_a, on_b
        a_w, b_z = first.coefficient((x, w)), outcome.coefficient((mediator, z))
        both = a_w * b_z
        rows.append(dict(mediator=mediator, index="moderated moderated mediation", moderator=f"{w}, {z}",
                         **_boot_row(both[1:], both[0], level)))
        for rule in PROBES:
            for focal, other, slope, base, other_slope in ((w, z, a_w, b0, b_z), (z, w, b_z, a0, a_w)):
                for value in probe_values(values[other], rule):
                    index = slope * (base + other_slope * value)
                    rows.append(dict(mediator=mediator, index="conditional moderated mediation",
                                     moderator=focal, other_moderator=other, other_value=value, probe=rule,
                                     **_boot_row(index[1:], index[0], level)))
    return rows


@dataclass
class LinearEffect:
    """An effect that is linear in one moderator, ``slope[0] + slope[1] * moderator``, with the
    covariance of the two coefficients: what the Johnson–Neyman technique and plot need."""

    label: str
    moderator: str
    slope: np.ndarray
    vcov: np.ndarray
    df: int
    observed: np.ndarray

    def at(self, value: float, level: float) -> dict:
        g = np.array([1.0, value])
        return _t_row(float(self.slope @ g), math.sqrt(g @ self.vcov @ g), self.df, level)


def _linear_effect(outcome: Equation, paths: Paths, values: dict) -> LinearEffect | None:
    """The direct effect of X along its single moderator (models 1, 5, 8, 15, 59) or, with X:W:Z
    (model 3), the X:W interaction along Z, as PROCESS probes them with the Johnson–Neyman
    technique."""
    x = paths.x
    if paths.three_way:
        w, along = paths.three_way
        label, combination = f"{x}:{w}", [(x, w), (x, w, along)]
    elif len(paths.direct) == 1:
        along = paths.direct[0]
        label, combination = f"{x} → {outcome.outcome}", [(x,), (x, along)]
    else:
        return None
    idx = [next(i for i, t in enumerate(outcome.terms, start=1) if sorted(t) == sorted(c)) for c in combination]
    return LinearEffect(label, along, outcome.coef[idx], outcome.vcov[np.ix_(idx, idx)], outcome.df_resid,
                        values[along])


def _jn_table(effect: LinearEffect | None, level: float) -> pd.DataFrame:
    """The Johnson–Neyman points inside the moderator's observed range (none for a dichotomous one)."""
    columns = ["moderator", "value", "percent_below", "effect", "se", "t", "p", "llci", "ulci"]
    if effect is None or len(np.unique(effect.observed)) <= 2:
        return pd.DataFrame(columns=columns)
    bounds = (effect.observed.min(), effect.observed.max())
    rows = [dict(moderator=effect.moderator, value=point, percent_below=100 * np.mean(effect.observed < point),
                 **effect.at(point, level))
            for point in johnson_neyman(effect.slope, effect.vcov, effect.df, level, bounds)]
    return pd.DataFrame(rows, columns=columns)
