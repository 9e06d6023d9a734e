"""Multi-group WLSMV for ordinal items: the fits of the invariance ladder of Wu & Estabrook (2016).

The estimation stage of lavaan's ``cfa(<syntax>, data, group = , ordered = , estimator = "WLSMV",
parameterization = "delta")`` for the models semTools writes with ``measEq.syntax(model,
ordered = , parameterization = "delta", ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016",
group.equal = )``. Every group has its own thresholds, polychorics and Gamma
(:func:`~semtrust.estimation.polychoric.polychoric`); DWLS minimises
sum_g (n_g - 1)/N r_g' W_g r_g over the groups' residual statistics, as lavaan's multi-group WLS.
In a group an item's latent response has an intercept nu, a scaling factor delta (1 / its SD)
and thresholds tau, so the model implies the thresholds delta (tau - nu - lambda'alpha) and the
correlations delta_i delta_j sigma_ij. The steps (``group_equal``) are

=============  ============================================================================
(none)         configural: everything per group; nu = 0, delta = 1, factor means 0 and
               variances 1 in every group
thresholds     thresholds equal; nu and delta free in the groups after the first
+ loadings     loadings equal; the factor variances free after the first group
+ intercepts   nu equal (0 in every group); the factor means free after the first group
=============  ============================================================================

The robust SEs, the scaled-shifted chi-square and the catML robust indices stack the groups as
lavaan does (weights n_g / N, Gamma_g N / n_g), so nested steps compare by
:func:`~semtrust.estimation.ordinal.scaled_difference_test` (Satorra 2000).

>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(5)
>>> factor = rng.normal(size=(1200, 1))
>>> latent = 0.7 * factor + np.sqrt(0.51) * rng.normal(size=(1200, 4))
>>> items = pd.DataFrame(np.digitize(latent, [-0.8, 0.0, 0.8]) + 1, columns=["q1", "q2", "q3", "q4"])
>>> items["sex"] = np.repeat(["f", "m"], 600)
>>> fit = fit_ordinal_groups(items, "trust =~ q1 + q2 + q3 + q4", "sex", ("thresholds",))
>>> fit.fit_measures["npar"], fit.fit_measures["df"]
(28, 8)
>>> bool(fit.fit_measures["cfi_scaled"] > 0.99)
True
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.linalg import block_diag

from semtrust.errors import EstimationError, InputError
from semtrust.estimation.compiled import CompiledModel
from semtrust.estimation.ordinal import ESTIMATORS, MISSING, GroupFit, halving_step, ordinal_fit_measures
from semtrust.estimation.polychoric import OrdinalStatistics, polychoric
from semtrust.model.partable import ParameterTable, Row, build_parameter_table
from semtrust.model.syntax import ModelSyntax, parse_model

__all__ = ["fit_ordinal_groups", "OrdinalGroupResults", "group_labels"]

EQUALITY_STEPS = ("thresholds", "loadings", "intercepts")
# (name, group.equal) of Wu & Estabrook's ladder
LADDER = (("configural", ()), ("thresholds", ("thresholds",)), ("loadings", ("thresholds", "loadings")),
          ("intercepts", ("thresholds", "loadings", "intercepts")))
IDENTIFICATION = "Wu.Estabrook.2016"


class OrdinalGroupResults:
    """A multi-group WLSMV fit: ``parameters`` (lavaan's ``parameterEstimates`` columns lhs, op,
    rhs, group, est, se; thresholds ``|``, scaling factors ``~*~``, intercepts and the residual
    variances the delta parameterization implies), ``fit_measures`` (lavaan's names with '.'
    written as '_'), the group ``labels`` and sizes ``n``.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(5)
    >>> latent = 0.7 * rng.normal(size=(600, 1)) + np.sqrt(0.51) * rng.normal(size=(600, 4))
    >>> items = pd.DataFrame(np.digitize(latent, [-0.8, 0.0, 0.8]) + 1, columns=["q1", "q2", "q3", "q4"])
    >>> items["sex"] = np.repeat(["f", "m"], 300)
    >>> fit = fit_ordinal_groups(items, "trust =~ q1 + q2 + q3 + q4", "sex")
    >>> fit.labels, fit.n, int(fit.fit_measures["df"])
    (['f', 'm'], {'f': 300, 'm': 300}, 4)
    """

    def __init__(self, labels, estimation: _Stacked, theta, vcov, parameters, fit_measures, group_equal):
        self.labels, self.theta, self.vcov = labels, theta, vcov
        self.parameters, self.group_equal = parameters, tuple(group_equal)
        self.fit_measures = pd.Series(fit_measures, dtype=object, name="fit_measures")
        self.n = {label: g.n for label, g in zip(labels, estimation.groups)}
        self._estimation = estimation   # the stacked D, W and Gamma, for difference tests
        self.estimator = estimation.estimator

    def estimates_by_key(self) -> dict:
        """Estimates by parameter key, to warm-start a neighbouring step of the ladder."""
        return {key: self.theta[k] for key, k in self._estimation.keys.items()}

    def standardized_regressions(self) -> pd.DataFrame:
        """The regressions (``~``) per group with lavaan's ``std.all``: est times the SD of the
        predictor over the SD of the outcome, the model-implied SDs of the factors and, for an
        item, of its latent response (1 / its scaling factor).

        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(5)
        >>> f = rng.normal(size=(800, 1)); g = 0.5 * f + np.sqrt(0.75) * rng.normal(size=(800, 1))
        >>> latent = np.hstack([f, f, f, g, g, g]) * 0.7 + np.sqrt(0.51) * rng.normal(size=(800, 6))
        >>> items = pd.DataFrame(np.digitize(latent, [-0.8, 0.0, 0.8]) + 1, columns=["x1", "x2", "x3", "y1", "y2", "y3"])
        >>> items["sex"] = np.repeat(["f", "m"], 400)
        >>> fit = fit_ordinal_groups(items, "F =~ x1 + x2 + x3\\nG =~ y1 + y2 + y3\\nG ~ F", "sex", ("thresholds", "loadings"))
        >>> fit.standardized_regressions().round(2)
          lhs op rhs group  std_all
        0   G  ~   F     f     0.56
        1   G  ~   F     m     0.57
        """
        records = []
        for label, group in zip(self.labels, self._estimation.groups):
            cm = group.compiled
            sd = cm.total_sd(self.theta)
            sd[: cm.p] = 1.0 / group.scales(self.theta)
            index = {v: i for i, v in enumerate(cm.names)}
            for r in cm.table.rows:
                if r.op == "~":
                    est = self.theta[r.free] if r.free >= 0 else r.value
                    records.append(dict(lhs=r.lhs, op="~", rhs=r.rhs, group=label,
                                        std_all=est * sd[index[r.rhs]] / sd[index[r.lhs]]))
        return pd.DataFrame(records, columns=["lhs", "op", "rhs", "group", "std_all"])


class _Group:
    """One group's statistics and its part of the model: the RAM model of the latent responses
    (with intercepts and factor means), and where its thresholds and scaling factors live."""

    def __init__(self, compiled: CompiledModel, statistics: OrdinalStatistics, threshold_index, scale_index,
                 estimator: str):
        self.compiled, self.statistics = compiled, statistics
        self.n = statistics.n
        self.sample = statistics.vector
        self.gamma = statistics.gamma
        self.weights = np.ones(len(self.sample)) if estimator == "ULSMV" else 1.0 / statistics.gamma_diagonal
        self.threshold_index = np.asarray(threshold_index, dtype=int)
        self.scale_index = np.asarray(scale_index, dtype=int)
        names = statistics.names
        self.item_of = np.array([names.index(v) for v, _ in statistics.threshold_names], dtype=int)
        self.n_th = len(self.item_of)
        self.rows = np.array([i for i, _ in statistics.pairs], dtype=int)
        self.cols = np.array([j for _, j in statistics.pairs], dtype=int)

    def scales(self, theta: np.ndarray) -> np.ndarray:
        return np.where(self.scale_index >= 0, theta[np.maximum(self.scale_index, 0)], 1.0)

    def implied(self, theta: np.ndarray) -> np.ndarray:
        sigma = self.compiled.implied(theta)[0]
        mu = self.compiled.implied_mean(theta)
        d, items, r, c = self.scales(theta), self.item_of, self.rows, self.cols
        return np.concatenate([d[items] * (theta[self.threshold_index] - mu[items]), d[r] * d[c] * sigma[r, c]])

    def implied_correlation(self, theta: np.ndarray) -> np.ndarray:
        """The latent responses' implied correlations (unit diagonal: the delta parameterization)."""
        d = self.scales(theta)
        corr = self.compiled.implied(theta)[0] * np.outer(d, d)
        np.fill_diagonal(corr, 1.0)
        return corr

    def delta(self, theta: np.ndarray) -> np.ndarray:
        cm = self.compiled
        sigma = cm.implied(theta)[0]
        mu = cm.implied_mean(theta)
        d, items, r, c, n_th = self.scales(theta), self.item_of, self.rows, self.cols, self.n_th
        out = np.zeros((len(self.sample), len(theta)))
        out[:n_th, cm.used] = -(d[items] * cm.mean_jacobian(theta)[:, items]).T
        np.add.at(out, (np.arange(n_th), self.threshold_index), d[items])
        out[n_th:, cm.used] = (d[r] * d[c] * cm.jacobian(theta)[:, r, c]).T
        free = self.scale_index >= 0
        th_rows = np.flatnonzero(free[items])
        np.add.at(out, (th_rows, self.scale_index[items[th_rows]]),
                  theta[self.threshold_index[th_rows]] - mu[items[th_rows]])
        for ends, other in ((r, c), (c, r)):
            pairs = np.flatnonzero(free[ends])
            np.add.at(out, (n_th + pairs, self.scale_index[ends[pairs]]),
                      d[other[pairs]] * sigma[r[pairs], c[pairs]])
        return out


class _Stacked:
    """The groups' statistics stacked: the DWLS discrepancy and its Gauss-Newton minimisation,
    and lavaan's stacked V = f_g W_g and Gamma_g / f_g (f_g = n_g / N) for the corrections."""

    def __init__(self, groups: list[_Group], keys: dict, estimator: str):
        self.groups, self.keys, self.estimator = groups, keys, estimator
        self.n = sum(g.n for g in groups)
        share = np.array([g.n for g in groups], dtype=float) / self.n
        self.sample = np.concatenate([g.sample for g in groups])
        # lavaan's objective weighs group g by (n_g - 1) / N; its information and tests by n_g / N
        self.fit_weights = np.concatenate([(g.n - 1) / self.n * g.weights for g in groups])
        self.weights = np.concatenate([f * g.weights for f, g in zip(share, groups)])
        self.gamma = block_diag(*(g.gamma / f for f, g in zip(share, groups)))
        self._information = None

    def implied(self, theta: np.ndarray) -> np.ndarray:
        return np.concatenate([g.implied(theta) for g in self.groups])

    def delta(self, theta: np.ndarray) -> np.ndarray:
        return np.vstack([g.delta(theta) for g in self.groups])

    def objective(self, theta: np.ndarray) -> float:
        residual = self.sample - self.implied(theta)
        return float(residual @ (self.fit_weights * residual))

    def run(self, theta: np.ndarray, *, tol: float = 1e-9, max_iter: int = 300) -> np.ndarray:
        """Gauss-Newton with step halving."""
        value = self.objective(theta)
        for _ in range(max_iter):
            delta = self.delta(theta)
            weighted = delta.T * self.fit_weights
            try:
                step = np.linalg.solve(weighted @ delta, weighted @ (self.sample - self.implied(theta)))
            except np.linalg.LinAlgError:
                raise EstimationError("the multi-group model is not identified (D'WD is singular)") from None
            moved = halving_step(self.objective, theta, step, value)
            if moved is None:
                return theta
            theta, value, change = moved
            if change < tol:
                return theta
        raise EstimationError(f"multi-group DWLS did not converge in {max_iter} iterations")

    def information(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(D, E^-1) with E = sum_g f_g D_g' W_g D_g, lavaan's expected information."""
        if self._information is not None and np.array_equal(self._information[0], theta):
            return self._information[1:]
        delta = self.delta(theta)
        info = (delta.T * self.weights) @ delta
        eigen = np.linalg.eigvalsh(info)
        if eigen.min() < 1e-10 * eigen.max():
            raise EstimationError("the multi-group model is not identified (D'WD is singular)")
        bread = np.linalg.inv(info)
        self._information = (theta.copy(), delta, bread)
        return delta, bread

    def vcov(self, theta: np.ndarray) -> np.ndarray:
        delta, bread = self.information(theta)
        n_eff = self.n - len(self.groups)
        if self.estimator == "DWLS":
            return bread / n_eff
        wd = delta * self.weights[:, None]
        return bread @ (wd.T @ self.gamma @ wd) @ bread / n_eff


def _numbering(keys: dict):
    def number(key) -> int:
        return keys.setdefault(key, len(keys))
    return number


def _group_rows(table: ParameterTable, fixed_loadings: dict, g: int, equal: tuple, number,
                equal_paths=frozenset()) -> list[Row]:
    """Group ``g``'s rows under Wu & Estabrook's identification by the factors (std.lv); the
    regressions in ``equal_paths`` (lhs, "~", rhs) and the labelled structural parameters share
    one parameter across the groups."""
    latent = set(table.latent)
    rows = []
    for r in table.rows:
        row = Row(r.lhs, r.op, r.rhs, user=r.user)
        key = (r.op, r.lhs, r.rhs)
        if r.op == "=~":
            if key in fixed_loadings:
                row.value = fixed_loadings[key]
            else:
                row.free = number(key if "loadings" in equal else (g,) + key)
        elif r.op == "~~" and r.lhs == r.rhs and r.lhs in latent:
            if g > 0 and "loadings" in equal:
                row.free = number((g,) + key)
            else:
                row.value = 1.0
        elif r.op == "~~" and r.lhs == r.rhs:
            row.value = 0.0   # delta: an item's residual variance is 1/delta^2 minus its common variance
        elif r.free >= 0 and r.label:   # lavaan: a label names one parameter in every group
            row.free = number(("label", r.label))
        elif r.free >= 0:
            row.free = number(key if (r.lhs, r.op, r.rhs) in equal_paths else (g,) + key)
        else:
            row.value = r.value
        rows.append(row)
    for v in table.observed:
        row = Row(v, "~1", "", user=False)
        if g > 0 and "thresholds" in equal and "intercepts" not in equal:
            row.free = number((g, "~1", v))
        rows.append(row)
    for v in table.latent:
        row = Row(v, "~1", "", user=False)
        if g > 0 and "intercepts" in equal:
            row.free = number((g, "~1", v))
        rows.append(row)
    return rows


def _check(spec: ModelSyntax, table: ParameterTable, group_equal) -> None:
    unknown = [e for e in group_equal if e not in EQUALITY_STEPS]
    if unknown:
        raise InputError(f"unknown equality type(s) {', '.join(unknown)} for ordinal invariance; use "
                         f"{', '.join(EQUALITY_STEPS)}")
    for needed, step in (("thresholds", "loadings"), ("loadings", "intercepts")):
        if step in group_equal and needed not in group_equal:
            raise InputError(f"Wu & Estabrook's ladder equates {needed} before {step}; add '{needed}'")
    predictors = {r.rhs for r in table.rows if r.op == "~"} | {r.lhs for r in table.rows if r.op == "=~"}
    bad = [v for v in table.observed if v in predictors]
    if bad or not table.latent:
        raise InputError(f"{spec.source}: the ordinal invariance ladder needs a measurement model of the "
                         f"ordinal items ({', '.join(bad) or 'no factor'} cannot be fitted); give the CFA")


def fit_ordinal_groups(data: pd.DataFrame, model: str | ModelSyntax, group: str, group_equal=(),
                       estimator: str = "WLSMV", missing: str = "listwise",
                       warm: OrdinalGroupResults | None = None, equal_paths=()) -> OrdinalGroupResults:
    """Fit ``model`` (a CFA of ordinal items, lavaan syntax) to the groups of column ``group``
    (in order of first appearance, as lavaan) with ``group_equal`` a prefix of ("thresholds",
    "loadings", "intercepts"): lavaan's fit of semTools' ``measEq.syntax(model, ordered = items,
    parameterization = "delta", ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016", group.equal =
    group_equal)``. ``warm`` starts from a neighbouring step's estimates. ``equal_paths``
    ((lhs, "~", rhs), ...) holds regressions equal across the groups (one shared label, as
    ``lhs ~ c(b, b)*rhs``).

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(5)
    >>> latent = 0.7 * rng.normal(size=(600, 1)) + np.sqrt(0.51) * rng.normal(size=(600, 4))
    >>> items = pd.DataFrame(np.digitize(latent, [-0.8, 0.0, 0.8]) + 1, columns=["q1", "q2", "q3", "q4"])
    >>> items["sex"] = np.repeat(["f", "m"], 300)
    >>> configural = fit_ordinal_groups(items, "trust =~ q1 + q2 + q3 + q4", "sex")
    >>> loadings = fit_ordinal_groups(items, "trust =~ q1 + q2 + q3 + q4", "sex", ("thresholds", "loadings"), warm=configural)
    >>> int(configural.fit_measures["df"]), int(loadings.fit_measures["df"]), round(float(loadings.fit_measures["cfi_scaled"]), 3)
    (4, 11, 1.0)
    """
    if estimator not in ESTIMATORS:
        raise InputError(f"estimator '{estimator}' is not available for ordinal items; use one of "
                         f"{', '.join(ESTIMATORS)}")
    if missing not in MISSING:
        raise InputError(f"missing-data treatment '{missing}' is not available for ordinal items; use "
                         f"{' or '.join(MISSING)}")
    spec = model if isinstance(model, ModelSyntax) else parse_model(model)
    table = build_parameter_table(spec, fixed_x=False)
    _check(spec, table, group_equal)
    observed = table.observed
    absent = [v for v in observed if v not in data.columns]
    if absent:
        raise InputError(f"the data have no column for {', '.join(absent)} (used in {spec.source})")
    labels = group_labels(data, group, spec.source)
    statistics = []
    for label in labels:
        frame = data.loc[data[group].astype(str) == label, observed]
        frame = frame.dropna(how="all" if missing == "pairwise" else "any")
        if len(frame) <= len(observed):
            raise InputError(f"group '{label}' of '{group}' has {len(frame)} usable rows for {len(observed)} "
                             "ordinal items; merge it with another group or drop it")
        statistics.append(polychoric(frame, pairwise=missing == "pairwise"))
    _check_categories(statistics, labels, group, observed)
    fixed_loadings = {("=~", s.lhs, s.rhs): s.fixed for s in spec.statements if s.op == "=~" and s.fixed is not None}
    keys: dict = {}
    number = _numbering(keys)
    equal = tuple(group_equal)
    layouts = []
    for g, stats_g in enumerate(statistics):
        rows = _group_rows(table, fixed_loadings, g, equal, number, frozenset(equal_paths))
        thresholds = [number(("|", v, t) if "thresholds" in equal else (g, "|", v, t))
                      for v, t in stats_g.threshold_names]
        scales = [number((g, "~*~", v)) if g > 0 and "thresholds" in equal else -1 for v in observed]
        layouts.append((rows, thresholds, scales))
    groups = []
    for (rows, thresholds, scales), stats_g in zip(layouts, statistics):
        compiled = CompiledModel(ParameterTable(rows, observed, table.latent, [], []), observed)
        compiled.n_free = len(keys)
        groups.append(_Group(compiled, stats_g, thresholds, scales, estimator))
    estimation = _Stacked(groups, keys, estimator)
    theta = estimation.run(_start(estimation, table, warm))
    vcov = estimation.vcov(theta)
    parameters = _parameters(estimation, labels, theta, vcov)
    return OrdinalGroupResults(labels, estimation, theta, vcov, parameters,
                               _fit_measures(estimation, theta), group_equal)


def group_labels(data: pd.DataFrame, group: str, where: str = "data") -> list[str]:
    """The groups of column ``group`` in order of first appearance (lavaan's order), as text.

    >>> group_labels(pd.DataFrame({"sex": ["m", "f", "m"]}), "sex", "data")
    ['m', 'f']
    """
    if group not in data.columns:
        raise InputError(f"{where}: no column '{group}' to form groups; name an existing column with --group")
    labels = list(dict.fromkeys(data[group].dropna().astype(str)))
    if len(labels) < 2:
        raise InputError(f"{where}: column '{group}' has {len(labels)} group(s); a comparison needs at least 2")
    return labels


def _check_categories(statistics: list[OrdinalStatistics], labels, group, observed) -> None:
    """The ladder needs every item's answer categories in every group, three or more."""
    first = statistics[0]
    for stats_g, label in zip(statistics, labels):
        for v in observed:
            if stats_g.levels[v] != first.levels[v]:
                raise InputError(f"item {v} has the answers {first.levels[v]} in group '{labels[0]}' but "
                                 f"{stats_g.levels[v]} in group '{label}' of '{group}'; merge the sparse "
                                 "categories so that every group uses the same ones")
            if len(stats_g.levels[v]) < 3:
                raise InputError(f"item {v} is binary; Wu & Estabrook's ladder here needs three or more "
                                 "answer categories per item")


def _start(estimation: _Stacked, table: ParameterTable, warm: OrdinalGroupResults | None) -> np.ndarray:
    """Loadings from each factor's first principal component of the polychorics (the first
    indicator's loading positive), the sample thresholds, scaling factors and free variances 1,
    intercepts, means and covariances 0; a warm fit's estimates where it has the parameter."""
    theta = np.zeros(len(estimation.keys))
    theta[[k for key, k in estimation.keys.items() if key[1] == "~*~"]] = 1.0
    for group in estimation.groups:
        corr = group.statistics.correlation
        for r in group.compiled.table.rows:
            if r.free < 0:
                continue
            if r.op == "~~" and r.lhs == r.rhs:
                theta[r.free] = 1.0
        for factor in table.latent:
            rows = [r for r in group.compiled.table.rows if r.op == "=~" and r.lhs == factor and r.free >= 0]
            items = [r.rhs for r in rows]
            if not items:
                continue
            values, vectors = np.linalg.eigh(corr.loc[items, items].to_numpy())
            loading = vectors[:, -1] * math.sqrt(values[-1])
            loading *= np.sign(loading[0]) or 1.0
            theta[[r.free for r in rows]] = np.clip(loading, -0.95, 0.95)
        theta[group.threshold_index] = group.statistics.vector[: group.n_th]
    if warm is not None:
        for key, value in warm.estimates_by_key().items():
            if key in estimation.keys:
                theta[estimation.keys[key]] = value
    return theta


def _parameters(estimation: _Stacked, labels, theta, vcov) -> pd.DataFrame:
    """lavaan's parameterEstimates rows per group (est, se): the model's rows (the items'
    residual variances 1/delta^2 minus their common variance, fixed), thresholds, scaling factors."""
    se = np.sqrt(np.clip(np.diag(vcov), 0, None))
    records = []
    for label, group in zip(labels, estimation.groups):
        cm = group.compiled
        common = np.diag(cm.implied(theta)[0])
        d = group.scales(theta)
        for r in cm.table.rows:
            if r.op == "~~" and r.lhs == r.rhs and r.lhs in cm.observed:
                i = cm.observed.index(r.lhs)
                est, error = 1.0 / d[i] ** 2 - common[i], 0.0
            else:
                est, error = (theta[r.free], se[r.free]) if r.free >= 0 else (r.value, 0.0)
            records.append(dict(lhs=r.lhs, op=r.op, rhs=r.rhs, group=label, est=est, se=error))
        for (v, t), k in zip(group.statistics.threshold_names, group.threshold_index):
            records.append(dict(lhs=v, op="|", rhs=t, group=label, est=theta[k], se=se[k]))
        for v, k in zip(cm.observed, group.scale_index):
            records.append(dict(lhs=v, op="~*~", rhs=v, group=label, est=theta[k] if k >= 0 else 1.0,
                                se=se[k] if k >= 0 else 0.0))
    return pd.DataFrame(records)


def _fit_measures(estimation: _Stacked, theta: np.ndarray) -> dict:
    """lavaan's fitMeasures of the stacked fit; the catML robust indices only where lavaan has
    them (thresholds free in every group, no scaling factor or intercept freed: the configural model)."""
    groups = estimation.groups
    threshold_params = np.concatenate([g.threshold_index for g in groups])
    configural = len(set(threshold_params)) == len(threshold_params) and \
        all((g.scale_index < 0).all() and not any(r.op == "~1" and r.free >= 0 for r in g.compiled.table.rows)
            for g in groups)
    parts, offset, correlation_rows = [], 0, []
    for g in groups:
        p = len(g.statistics.names)
        residual = g.sample[g.n_th:] - g.implied(theta)[g.n_th:]
        parts.append(GroupFit(n=g.n, sample=g.sample, weights=g.weights, gamma=g.gamma,
                              base=np.arange(g.n_th, len(g.sample)),
                              srmr=math.sqrt(float(residual @ residual) / (p * (p + 1) / 2))))
        correlation_rows.append(np.arange(offset + g.n_th, offset + len(g.sample)))
        offset += len(g.sample)
    catml = [(g.n, g.statistics.correlation.to_numpy(), g.implied_correlation(theta)) for g in groups] \
        if configural else None
    n_model = len({int(k) for g in groups for k in g.compiled.used})
    return ordinal_fit_measures(estimator=estimation.estimator, parts=parts, chisq=estimation.n * estimation.objective(theta),
                                npar=len(theta), information=lambda: estimation.information(theta),
                                weights=estimation.weights, gamma=estimation.gamma,
                                correlation_rows=np.concatenate(correlation_rows), n_model=n_model, catml=catml)
