"""Estimation stage: maximum-likelihood SEM with lavaan's defaults (ML, MLR, FIML).

semopy parses and fits ML models, but lavaan's conventions (``fixed.x``, ``auto.cov.y``,
unbounded variances, N rather than N-1, defined parameters) decide whether a number
agrees with what reviewers check. This module builds lavaan's parameter table from
:mod:`semtrust.syntax`, writes it into the reticular action model

    Sigma = F (I - A)^-1 S (I - A)^-T F'

and fits it by Fisher scoring with analytic derivatives. The same compiled model is what
the bootstrap refits, so every estimate in a report comes from one engine.

>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(1)
>>> f = rng.normal(size=500)
>>> data = pd.DataFrame({f"x{i}": f + rng.normal(size=500) for i in (1, 2, 3)})
>>> fit = SEM("F =~ x1 + x2 + x3").fit(data)
>>> fit.fit_measures.df
0
>>> round(float(fit.parameters.query("op == '=~'").est.iloc[1]), 2)
0.96
"""
from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd

from semtrust.errors import DataError, EstimationError, InputError
from semtrust.estimation.base import FittedModel, Resampler
from semtrust.estimation.compiled import CompiledModel, fisher_scoring, start_values
from semtrust.estimation.constraints import ConstraintSet, constrained_scoring, projected_inverse
from semtrust.estimation.fit_measures import (
    FitMeasures,
    baseline_model,
    covariate_loglik,
    fit_measures,
    robust_fit_measures,
    robust_indices,
    srmr,
    unrestricted_loglik,
)
from semtrust.estimation.esem import RotationConstraints, efa_blocks, rotated_syntax, rotated_theta, unrotated_syntax
from semtrust.estimation.missing import em_estimates, loglik, missing_patterns
from semtrust.estimation.robust import (
    CaseLikelihood,
    covariate_moments,
    fiml_corrected,
    fiml_part,
    h1_information,
    h1_trace,
    independence_loglik,
    model_scores,
    numerical_hessian,
    scaling_factor,
)
from semtrust.model.expressions import Expression
from semtrust.model.partable import (
    PARAMETER_COLUMNS,
    ParameterTable,
    Row,
    build_parameter_table,
    independence_model,
    independence_table,
    with_means,
)
from semtrust.model.syntax import ModelSyntax, parse_model

__all__ = ["SEM", "SEMResults", "delta_method"]

Z975 = 1.959963984540054   # scipy.stats.norm.ppf(0.975), written out: importing the engine loads no scipy.stats
ESTIMATORS = ("ML", "MLR")
MISSING = ("listwise", "fiml")


class SEM:
    """A structural equation model from lavaan syntax (the model, before data).

    ``SEM(syntax).fit(data)`` returns a :class:`SEMResults`; ``fit(cov=..., n=...)``
    fits summary data the way lavaan's ``sample.cov`` does.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(300, 1))
    >>> data = pd.DataFrame(f @ [[1, 0.8, 0.9, 0.5]] + rng.normal(size=(300, 4)), columns=["x1", "x2", "x3", "y"])
    >>> fit = SEM("F =~ x1 + x2 + x3\\ny ~ F").fit(data)
    >>> fit.fit_measures[["chisq", "df", "cfi", "rmsea"]].astype(float).round(3).to_dict()
    {'chisq': 4.825, 'df': 2.0, 'cfi': 0.985, 'rmsea': 0.069}
    """

    def __init__(self, syntax: str | ModelSyntax, source: str = "<model>", meanstructure: bool = False):
        self.spec = syntax if isinstance(syntax, ModelSyntax) else parse_model(syntax, source)
        self.blocks = efa_blocks(self.spec)   # exploratory (rotated) blocks: efa("b")*F1 + efa("b")*F2 =~ ...
        self.table = build_parameter_table(rotated_syntax(self.spec) if self.blocks else self.spec)
        self.source = self.spec.source
        # lavaan's meanstructure: on request, or whenever the model writes an intercept (~ 1)
        self.meanstructure = meanstructure or self.table.meanstructure

    @classmethod
    def independence(cls, observed: list[str], covariates: list[str], source: str,
                     meanstructure: bool = False) -> "SEM":
        """lavaan's baseline model of ``observed`` (covariate moments fixed under fixed.x).

        >>> SEM.independence(["x1", "x2", "x3"], [], "<model>").observed
        ['x1', 'x2', 'x3']
        """
        model = cls(independence_model(observed), f"{source} (baseline)", meanstructure=meanstructure)
        model.table = independence_table(observed, covariates)
        return model

    @property
    def observed(self) -> list[str]:
        """The observed variables of the model, in lavaan's order.

        >>> SEM("F =~ x1 + x2 + x3\\ny ~ F").observed
        ['x1', 'x2', 'x3', 'y']
        """
        return self.table.observed

    def fit(self, data: pd.DataFrame | None = None, *, cov: pd.DataFrame | None = None,
            n: int | None = None, estimator: str = "ML", missing: str = "listwise") -> "SEMResults":
        """Fit by maximum likelihood. ``estimator="MLR"`` adds robust (sandwich) standard errors
        and the scaled chi-square; ``missing="fiml"`` uses every case's observed values (with a
        mean structure) instead of the complete cases.

        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(1)
        >>> f = rng.normal(size=(300, 1))
        >>> data = pd.DataFrame(f @ [[1, 0.8, 0.9, 0.5]] + rng.normal(size=(300, 4)), columns=["x1", "x2", "x3", "y"])
        >>> fit = SEM("F =~ x1 + x2 + x3 + y").fit(data, estimator="MLR")
        >>> fit.parameters.loc[fit.parameters.op == "=~", ["rhs", "est", "se", "std_all"]].round(3)
          rhs    est     se  std_all
        0  x1  1.000  0.000    0.744
        1  x2  0.701  0.103    0.596
        2  x3  0.806  0.105    0.600
        3   y  0.490  0.081    0.444
        >>> cov_fit = SEM("F =~ x1 + x2 + x3").fit(cov=data[["x1", "x2", "x3"]].cov(), n=300)
        >>> int(cov_fit.fit_measures["npar"]), cov_fit.n
        (6, 300)
        """
        if estimator not in ESTIMATORS:
            raise InputError(f"estimator '{estimator}' is not available; use one of {', '.join(ESTIMATORS)}")
        if missing not in MISSING:
            raise InputError(f"missing-data treatment '{missing}' is not available; use one of {', '.join(MISSING)}")
        if self.blocks and (estimator, missing, self.meanstructure) != ("ML", "listwise", False):
            raise InputError(f"{self.source}: efa() blocks are fitted by ML with complete data and no mean "
                             "structure (estimator ML, missing listwise)")
        if data is not None:
            absent = [v for v in self.observed if v not in data.columns]
            if absent:
                raise InputError(f"the data have no column for {', '.join(absent)} "
                                 f"(used in {self.source}); rename the columns or fix the model")
            if missing == "fiml":
                return self._fit_fiml(data[self.observed].astype(float), estimator)
            values = data[self.observed].astype(float).dropna().to_numpy()
            n = len(values)
            if n <= len(self.observed):
                raise DataError(f"only {n} complete rows for the {len(self.observed)} variables of {self.source} "
                                "(the sample covariance matrix would be singular); the model needs more "
                                "complete responses than variables")
            centered = values - values.mean(axis=0)
            cov = pd.DataFrame(centered.T @ centered / n, index=self.observed, columns=self.observed)
        elif cov is None or n is None:
            raise ValueError("fit() needs data, or cov and n")
        elif estimator != "ML" or missing != "listwise":
            raise InputError("summary data (a covariance matrix) allow only estimator ML with complete data; "
                             "MLR and FIML need the raw responses")
        elif self.meanstructure:
            raise InputError(f"{self.source}: intercepts and means (~ 1) need the raw responses, "
                             "not a covariance matrix")
        else:
            values = None
        cov = cov.loc[self.observed, self.observed]
        sample = cov.to_numpy(dtype=float)
        _check_nonsingular(sample, self.observed)
        sample_mean = values.mean(axis=0) if self.meanstructure else None
        table = with_means(self.table) if self.meanstructure else self.table
        for r in table.rows:
            if r.fixed_x:
                r.value = float(cov.loc[r.lhs, r.rhs] if r.op == "~~" else sample_mean[self.observed.index(r.lhs)])
        compiled = CompiledModel(table, self.observed)
        if self.blocks:   # fitted identified by echelon patterns, then rotated (lavaan's geomin)
            unrotated = SEM(unrotated_syntax(self.spec), self.source).fit(cov=cov, n=n)
            theta = rotated_theta(unrotated.compiled, unrotated.theta, compiled, self.blocks)
            return SEMResults(self, compiled, theta, sample, int(n), unrotated.iterations, data=values,
                              rotation=RotationConstraints(compiled, self.blocks))
        logdet_s = np.linalg.slogdet(sample)[1]
        theta, iterations, active = self._named(
            estimate, compiled, lambda t: compiled.objective(t, sample, logdet_s, sample_mean),
            lambda t: compiled.gradient(t, sample, sample_mean), compiled.information,
            lambda scaled: _mean_starts(compiled, start_values(table, compiled, cov, scaled=scaled), sample_mean))
        cases = None
        if estimator == "MLR":
            cases = CaseData(missing_patterns(values), n, values.mean(axis=0), sample, complete=True)
        return SEMResults(self, compiled, theta, sample, int(n), iterations, data=values,
                          estimator=estimator, cases=cases, sample_mean=sample_mean, active=active)

    def _named(self, optimise, *args):
        """An optimiser's failure names the model it was fitting."""
        try:
            return optimise(*args)
        except EstimationError as error:
            message = str(error)
            raise EstimationError(message if message.startswith(self.source) else f"{self.source}: {message}") from None

    def _fit_fiml(self, frame: pd.DataFrame, estimator: str) -> "SEMResults":
        values = frame.to_numpy()
        values = values[~np.isnan(values).all(axis=1)]
        # lavaan (fixed.x): the model is conditional on the covariates, so a case without them is deleted
        covariates = [self.observed.index(v) for v in self.table.covariates]
        no_covariates = np.isnan(values[:, covariates]).any(axis=1)
        values = values[~no_covariates]
        if len(values) <= len(self.observed):
            raise DataError(f"only {len(values)} cases answered any of the {len(self.observed)} variables of "
                            f"{self.source}; the model needs more cases than variables")
        fit = self.fit_cases(incomplete_cases(values, self.observed), estimator)
        if no_covariates.any():
            fit.warnings.append(f"{no_covariates.sum()} cases were deleted because they lack a value of an exogenous "
                                f"covariate ({', '.join(self.table.covariates)}), as lavaan does with fixed.x")
        return fit

    def fit_cases(self, cases: CaseData, estimator: str = "ML") -> "SEMResults":
        """FIML: casewise maximum likelihood over the missing-data patterns, with a mean
        structure, started from the ML fit to the EM moments.

        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(1)
        >>> f = rng.normal(size=(300, 1))
        >>> data = pd.DataFrame(f @ [[1, 0.8, 0.9, 0.5]] + rng.normal(size=(300, 4)), columns=["x1", "x2", "x3", "y"])
        >>> data.iloc[::10, 0] = np.nan
        >>> fit = SEM("F =~ x1 + x2 + x3").fit(data, missing="fiml")    # fit_cases, via fit()
        >>> fit.missing, fit.n, fit.parameters.query("op == '~1'")[["lhs", "est"]].round(3).values.tolist()
        ('fiml', 300, [['x1', -0.161], ['x2', -0.072], ['x3', -0.14], ['F', 0.0]])
        """
        cov = pd.DataFrame(cases.cov, index=self.observed, columns=self.observed)
        table = with_means(self.table)
        for r in table.rows:
            if r.fixed_x:   # the EM moments of complete covariates are their sample moments
                i = self.observed.index(r.lhs)
                r.value = float(cases.cov[i, self.observed.index(r.rhs)] if r.op == "~~" else cases.mean[i])
        compiled = CompiledModel(table, self.observed)
        likelihood = CaseLikelihood(compiled, cases.patterns, cases.n)
        theta, iterations, active = self._named(
            partial(estimate, retry=False), compiled, likelihood.objective, likelihood.gradient,
            likelihood.information,
            lambda scaled: _mean_starts(compiled, start_values(table, compiled, cov, scaled=scaled), cases.mean))
        return SEMResults(self, compiled, theta, cases.cov, cases.n, iterations, data=None, estimator=estimator,
                          cases=cases, likelihood=likelihood, active=active)


def _mean_starts(compiled: CompiledModel, start: np.ndarray, mean: np.ndarray | None) -> np.ndarray:
    """Starts for the mean structure: a free latent mean reproduces the mean of an indicator
    whose intercept is fixed (the marker), and a free intercept the rest of its variable's
    (sample or EM) mean."""
    if mean is None:
        return start
    table = compiled.table
    rows = [r for r in table.rows if r.op == "~1" and r.free >= 0 and r.start is None]
    fixed_intercepts = {r.lhs: r.value for r in table.rows if r.op == "~1" and r.free < 0}
    for r in rows:
        if r.lhs in table.latent:
            markers = [m for m in table.rows if m.op == "=~" and m.lhs == r.lhs and m.rhs in fixed_intercepts
                       and m.rhs in table.observed]
            if markers:
                loading = start[markers[0].free] if markers[0].free >= 0 else markers[0].value
                marker_mean = mean[table.observed.index(markers[0].rhs)] - fixed_intercepts[markers[0].rhs]
                start[r.free] = marker_mean / loading if loading else 0.0
    for r in rows:
        if r.lhs in table.observed:
            start[r.free] = 0.0
    without_intercepts = compiled.implied_mean(start)
    for r in rows:
        if r.lhs in table.observed:
            i = table.observed.index(r.lhs)
            start[r.free] = mean[i] - without_intercepts[i]
    return start


def estimate(compiled: CompiledModel, objective, gradient, information, starts, *,
             retry: bool = True) -> tuple[np.ndarray, int, list[int]]:
    """Minimise a discrepancy from ``starts(scaled=False)``, trying the second start set
    ``starts(scaled=True)`` before giving up (when ``retry``); under the table's constraints by
    :func:`constrained_scoring`. Returns (theta, iterations, active inequality constraints)."""
    table = compiled.table
    constraints = ConstraintSet(table) if table.constraints else None

    def run(start):
        if constraints is not None:
            return constrained_scoring(objective, gradient, information, start, constraints)
        return (*fisher_scoring(objective, gradient, information, start), [])

    try:
        return run(starts(False))
    except EstimationError:
        if not retry:
            raise
        return run(starts(True))   # every loading as its SD ratio


def _check_nonsingular(sample: np.ndarray, names: list[str] | None = None) -> None:
    """Refuse a singular covariance matrix naming the items: a constant one, or the items of
    the (near-)exact linear combination; a matrix that is only badly scaled (one column in
    different units, e.g. income in yuan beside 1-7 answers) is told to rescale instead."""
    names = names or [f"variable {k + 1}" for k in range(len(sample))]
    variances = np.diag(sample)
    constant = [n for n, v in zip(names, variances) if not v > 0]
    if constant:
        raise DataError(f"the item{'s' if len(constant) > 1 else ''} {', '.join(constant[:8])} "
                         f"{'are' if len(constant) > 1 else 'is'} constant (no variance); drop or fix "
                         f"{'them' if len(constant) > 1 else 'it'}")
    sd = np.sqrt(variances)
    values, vectors = np.linalg.eigh(sample / np.outer(sd, sd))   # the correlations: free of units
    if values[0] <= 1e-10:
        weights = np.abs(vectors[:, 0])
        involved = [names[k] for k in np.argsort(-weights) if weights[k] > 0.1][:8]
        raise DataError(f"the sample covariance matrix is singular: the items {', '.join(involved)} are "
                         "linearly dependent (one is a combination of "
                         "the others, e.g. a total score or a duplicated column); drop or merge one of them")
    if sd.max() / sd.min() > 1e6:
        big, small = names[int(np.argmax(sd))], names[int(np.argmin(sd))]
        raise DataError(f"the SD of {big} is {sd.max() / sd.min():.0e} times that of {small}; "
                         "rescale it (e.g. divide by 1000) so the variables have comparable units")


@dataclass
class CaseData:
    """The raw cases behind a fit, for FIML and the robust corrections: their missing-data
    patterns, and the saturated model's means and covariances (sample or EM)."""

    patterns: list
    n: int
    mean: np.ndarray
    cov: np.ndarray
    complete: bool
    _h1: dict = field(default_factory=dict, repr=False)
    fiml_cache: dict = field(default_factory=dict, repr=False)   # robust.FimlPart's data-only pieces
    baselines: dict = field(default_factory=dict, repr=False)    # independence fits to these cases

    def h1_information(self, meanstructure: bool) -> tuple[np.ndarray, np.ndarray]:
        """(A1, B1) of the saturated model, computed once for a model and its baseline."""
        if meanstructure not in self._h1:
            self._h1[meanstructure] = h1_information(self.patterns, self.n, self.mean, self.cov,
                                                     meanstructure, self.complete)
        return self._h1[meanstructure]

    def h1_trace(self, meanstructure: bool, covariates: list[int]) -> float:
        """The saturated model's tr(A1^-1 B1) for the scaling factor, computed once for a model
        and its baseline; under fixed.x without the covariates' own moments, as lavaan."""
        key = (meanstructure, tuple(covariates))
        if key not in self._h1:
            A1, B1 = self.h1_information(meanstructure)
            keep = ~covariate_moments(len(self.mean), covariates, meanstructure)
            self._h1[key] = h1_trace(A1[np.ix_(keep, keep)], B1[np.ix_(keep, keep)])
        return self._h1[key]


_RECENT_CASES: OrderedDict = OrderedDict()
_RECENT_LOCK = threading.Lock()
_RECENT_LIMIT = 2     # each holds a few p* x p* matrices (15 MB apiece at 51 items)


def incomplete_cases(values: np.ndarray, observed: list[str]) -> CaseData:
    """The FIML :class:`CaseData` of ``values`` (rows with something observed; NaN = missing):
    its patterns and EM moments, and the saturated information computed on demand. Models
    fitted to the same columns of the same data (a run's measurement, structural, competing
    and method-factor models) share one, so the EM estimates and the h1 matrices are computed
    once; the values themselves are the key.

    >>> values = np.array([[1.0, 2.0], [2.0, np.nan], [3.0, 3.5], [4.0, 5.0], [2.5, 2.0]])
    >>> incomplete_cases(values, ["a", "b"]) is incomplete_cases(values.copy(), ["a", "b"])
    True
    """
    values = np.ascontiguousarray(values, dtype=float)
    key = (tuple(observed), values.shape, hashlib.sha256(values.tobytes()).hexdigest())
    with _RECENT_LOCK:
        cases = _RECENT_CASES.pop(key, None)
    if cases is None:
        patterns = missing_patterns(values)
        mean, cov = em_estimates(patterns, ", ".join(observed))
        _check_nonsingular(cov, observed)
        cases = CaseData(patterns, len(values), mean, cov, complete=False)
    with _RECENT_LOCK:   # threaded schedulers may fit models concurrently
        _RECENT_CASES[key] = cases
        while len(_RECENT_CASES) > _RECENT_LIMIT:
            _RECENT_CASES.popitem(last=False)
    return cases


def estimate_rows(rows: list[Row], compiled: CompiledModel, theta: np.ndarray, vcov: np.ndarray) -> pd.DataFrame:
    """est, se and std.all (lavaan's conventions) for every row of a parameter table."""
    index = {v: i for i, v in enumerate(compiled.names)}
    A, S = compiled.matrices(theta)
    E = compiled.effects(A)
    total_var = ((E @ S) * E).sum(axis=1)
    sd = np.sqrt(np.clip(total_var, 0, None))
    se_free = np.sqrt(np.clip(np.diag(vcov), 0, None))
    records = []
    for r in rows:
        est = theta[r.free] if r.free >= 0 else r.value
        se = se_free[r.free] if r.free >= 0 else 0.0
        i = index[r.lhs]
        j = index.get(r.rhs, i)
        if r.op == "=~":
            std = est * sd[i] / sd[j]
        elif r.op == "~":
            std = est * sd[j] / sd[i]
        elif r.op == "~1":
            std = est / sd[i]
        elif i == j:
            std = est / total_var[i]
        else:
            # lavaan: covariances are scaled by the variance parameters of both sides,
            # so residual covariances become residual correlations
            std = est / math.sqrt(S[i, i] * S[j, j]) if S[i, i] * S[j, j] > 0 else math.nan
        records.append(dict(lhs=r.lhs, op=r.op, rhs=r.rhs, label=r.label, est=est, se=se,
                            std_all=std, free=r.free))
    return pd.DataFrame(records)


def add_inference(frame: pd.DataFrame) -> pd.DataFrame:
    """z, two-sided p and the Wald 95% CI; fixed parameters (se 0) get no z or p."""
    from scipy import stats

    has_se = frame.se > 0
    frame["z"] = np.where(has_se, frame.est / frame.se.where(has_se, 1.0), np.nan)
    frame["pvalue"] = np.where(has_se, 2 * stats.norm.sf(np.abs(frame.z)), np.nan)
    frame["ci_lower"] = frame.est - Z975 * frame.se
    frame["ci_upper"] = frame.est + Z975 * frame.se
    return frame


class SEMResults(FittedModel):
    """Fitted model: the tidy parameter table, fit measures and implied moments.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(300, 1))
    >>> data = pd.DataFrame(f @ [[1, 0.8, 0.9, 0.5]] + rng.normal(size=(300, 4)), columns=["x1", "x2", "x3", "y"])
    >>> fit = SEM("F =~ x1 + x2 + x3\\ny ~ F").fit(data)
    >>> fit.parameters.query("op == '~'")[["lhs", "rhs", "est", "se", "z", "pvalue", "std_all"]].round(3)
      lhs rhs   est     se      z  pvalue  std_all
    3   y   F  0.49  0.082  5.943     0.0    0.444
    """

    def __init__(self, model: SEM, compiled: CompiledModel, theta: np.ndarray,
                 sample_cov: np.ndarray, n: int, iterations: int, data: np.ndarray | None = None,
                 estimator: str = "ML", cases: CaseData | None = None, likelihood=None,
                 sample_mean: np.ndarray | None = None, active: list[int] = (),
                 rotation: RotationConstraints | None = None):
        self.model = model
        self.data = data  # complete cases, columns in compiled.observed order (None for summary data / FIML)
        self.compiled = compiled
        self.theta = theta
        self.sample_cov = sample_cov   # the EM covariance matrix under FIML
        self.n = n
        self.iterations = iterations
        self.estimator = estimator
        self.missing = "listwise" if likelihood is None else "fiml"
        self.cases = cases
        self.likelihood = likelihood
        self.sample_mean = sample_mean   # complete data with a mean structure
        self.warnings: list[str] = []
        # the table's constraints, or an exploratory block's rotation conditions (lavaan's bordered SEs)
        self.rotation = rotation
        self.constraints = rotation or (ConstraintSet(compiled.table) if compiled.table.constraints else None)
        # the Jacobian of the equality and active inequality constraints (lavaan's con.jac)
        self.constraint_jacobian = (self.constraints.jacobian(theta, list(active)) if self.constraints
                                    else np.zeros((0, len(theta))))
        info = compiled.information(theta) if likelihood is None else likelihood.information(theta)
        if self.constraints:
            from scipy.linalg import null_space
            free_directions = null_space(self.constraint_jacobian)
        else:
            free_directions = np.eye(len(theta))
        reduced = free_directions.T @ info @ free_directions
        # judged on the information's correlation form, so that a variable measured in thousands
        # (variances of 1e6) does not look like a non-identified model
        scale = np.sqrt(np.clip(np.diag(reduced), 0, None))
        if scale.min() <= 0 or np.linalg.eigvalsh(reduced / np.outer(scale, scale)).min() < 1e-10:
            raise EstimationError(f"{model.source}: the model is not identified (the information "
                                  "matrix is singular); fix a loading or a variance per factor")
        self.vcov = (np.linalg.inv(info) if self.constraints is None
                     else projected_inverse(info, self.constraint_jacobian)) / n
        if estimator == "MLR" or likelihood is not None:
            self.vcov = self._observed_vcov()
        self.implied_cov, E, S = compiled.implied(theta)
        self.total_cov = E @ S @ E.T
        self.parameters = self._parameter_table()
        self.fit_measures = self._fit_measures().to_series()
        self._check_solution()

    @property
    def source(self) -> str:
        """Where the model came from (a file, an instrument), for messages.

        >>> import numpy as np, pandas as pd
        >>> cov = pd.DataFrame(np.eye(3) + 0.5, index=["x1", "x2", "x3"], columns=["x1", "x2", "x3"])
        >>> SEM("F =~ x1 + x2 + x3", "model.lav").fit(cov=cov, n=100).source
        'model.lav'
        """
        return self.model.source

    @property
    def partable(self) -> ParameterTable:
        """lavaan's parameter table of the fitted model.

        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(1)
        >>> f = rng.normal(size=(300, 1))
        >>> data = pd.DataFrame(f @ [[1, 0.8, 0.9, 0.5]] + rng.normal(size=(300, 4)), columns=["x1", "x2", "x3", "y"])
        >>> table = SEM("F =~ x1 + x2 + x3").fit(data).partable
        >>> [(r.lhs, r.op, r.rhs, r.free) for r in table.rows][:3]
        [('F', '=~', 'x1', -1), ('F', '=~', 'x2', 0), ('F', '=~', 'x3', 1)]
        """
        return self.model.table

    @property
    def variables(self) -> list[str]:
        """The model's variables, observed then latent (the order of :meth:`total_sd`).

        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(1)
        >>> f = rng.normal(size=(300, 1))
        >>> data = pd.DataFrame(f @ [[1, 0.8, 0.9, 0.5]] + rng.normal(size=(300, 4)), columns=["x1", "x2", "x3", "y"])
        >>> SEM("F =~ x1 + x2 + x3\\ny ~ F").fit(data).variables
        ['x1', 'x2', 'x3', 'y', 'F']
        """
        return self.compiled.names

    def total_sd(self, theta: np.ndarray) -> np.ndarray:
        """Model-implied SDs of :attr:`variables` at ``theta``.

        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(1)
        >>> f = rng.normal(size=(300, 1))
        >>> data = pd.DataFrame(f @ [[1, 0.8, 0.9, 0.5]] + rng.normal(size=(300, 4)), columns=["x1", "x2", "x3", "y"])
        >>> fit = SEM("F =~ x1 + x2 + x3").fit(data)
        >>> fit.total_sd(fit.theta).round(3)
        array([1.395, 1.222, 1.395, 1.013])
        """
        return self.compiled.total_sd(theta)

    def resampler(self) -> "MLResampler":
        """A picklable refitter over the analysed cases (raw data, complete cases).

        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(1)
        >>> f = rng.normal(size=(300, 1))
        >>> data = pd.DataFrame(f @ [[1, 0.8, 0.9, 0.5]] + rng.normal(size=(300, 4)), columns=["x1", "x2", "x3", "y"])
        >>> fit = SEM("F =~ x1 + x2 + x3").fit(data)
        >>> theta = fit.resampler().refit(np.arange(300))
        >>> bool(np.allclose(theta, fit.theta, atol=1e-6))
        True
        """
        if self.rotation is not None:
            raise EstimationError(f"{self.source}: the bootstrap of a model with efa() blocks is not available")
        if self.data is None:
            raise EstimationError("the bootstrap needs raw data; summary (covariance) input and FIML allow "
                                  "Monte Carlo CIs only")
        # BFGS starts from the inverse expected Hessian of the ML discrepancy (not from an MLR sandwich)
        metric_inv = np.linalg.inv(self.compiled.information(self.theta)) / 2.0
        return MLResampler(self.compiled, self.data, self.theta, metric_inv, self.sample_mean is not None)

    # -- parameter table -------------------------------------------------
    def _parameter_table(self) -> pd.DataFrame:
        frame = estimate_rows(self.compiled.table.rows, self.compiled, self.theta, self.vcov)
        return add_inference(pd.concat([frame, self._defined(frame)], ignore_index=True))[PARAMETER_COLUMNS]

    def _defined(self, frame: pd.DataFrame) -> pd.DataFrame:
        return defined_parameters(self.model.table.definitions, frame, self.theta, self.vcov, self.model.source)

    # -- fit measures ----------------------------------------------------
    def _observed_vcov(self) -> np.ndarray:
        """lavaan's standard errors under FIML (inverse observed information) and MLR (the
        Huber-White sandwich around it); keeps the observed information and the casewise
        scores for the scaled test."""
        if self.likelihood is not None:
            gradient = self.likelihood.gradient
        else:
            gradient = lambda t: self.compiled.gradient(t, self.sample_cov, self.sample_mean)  # noqa: E731
        self._observed_information = numerical_hessian(lambda t: gradient(t) / 2, self.theta)
        try:
            inverse = projected_inverse(self._observed_information, self.constraint_jacobian)
        except np.linalg.LinAlgError:
            raise EstimationError(f"{self.model.source}: the observed information matrix is singular; "
                                  "the model is not identified at the estimates") from None
        self._observed_inverse = inverse
        if self.estimator != "MLR":
            return inverse / self.n
        scores = model_scores(self.compiled, self.theta, self.cases.patterns, self.n, self.cases.mean)
        self._first_order = scores.T @ scores / self.n
        return inverse @ self._first_order @ inverse / self.n

    def _fit_measures(self) -> FitMeasures:
        n, p = self.n, self.compiled.p
        sample = self.sample_cov
        covariates = [self.compiled.observed.index(v) for v in self.model.table.covariates]
        n_equal = len(self.constraints.equalities) if self.constraints else 0
        npar = self.compiled.n_free - n_equal   # lavaan: each equality constraint removes a parameter
        if self.likelihood is None:
            f_ml = self.compiled.objective(self.theta, sample, np.linalg.slogdet(sample)[1], self.sample_mean)
            q = len(covariates)
            moments = p * (p + 1) // 2 - q * (q + 1) // 2 + (p - q if self.sample_mean is not None else 0)
            df = moments - npar
            chisq, unrestricted = n * f_ml, unrestricted_loglik(sample, n, covariates)
            base_chisq, base_df = baseline_model(sample, n, covariates)
            if self.sample_mean is None:
                fit_srmr = srmr(sample, self.implied_cov)
            else:
                fit_srmr = srmr(sample, self.implied_cov, self.sample_mean, self.compiled.implied_mean(self.theta))
        else:
            # lavaan (fixed.x): conditional on the covariates, whose own likelihood is left out
            x_loglik = covariate_loglik(self.cases.cov, n, covariates)
            unrestricted = loglik(self.cases.patterns, self.cases.mean, self.cases.cov) - x_loglik
            chisq = 2 * (unrestricted - self.likelihood.loglik(self.theta) + x_loglik)
            q = len(covariates)
            df = p * (p + 3) // 2 - q * (q + 3) // 2 - npar
            base_chisq = 2 * (unrestricted - independence_loglik(self.cases.patterns))
            base_df = p * (p - 1) // 2 - q * (q - 1) // 2
            fit_srmr = srmr(sample, self.implied_cov, self.cases.mean, self.compiled.implied_mean(self.theta))
        baseline = None
        if self.estimator == "MLR" or self.likelihood is not None:
            baseline = self._baseline_fit()
            if self.estimator == "MLR" or covariates:
                base_chisq = chisq if baseline is self else baseline.fit_measures.chisq
        measures = fit_measures(chisq=chisq, df=df, npar=npar, n=n,
                                baseline_chisq=base_chisq, baseline_df=base_df,
                                unrestricted_logl=unrestricted, srmr=fit_srmr)
        if self.estimator == "MLR":
            measures = robust_fit_measures(measures, self.scaling_factor(df),
                                           baseline.scaling_factor(base_df))
        if self.likelihood is not None:   # lavaan's missing-data corrected robust indices
            scaled = self.estimator == "MLR"
            measures = robust_indices(measures, *self.fiml_corrected(df, scaled),
                                      *baseline.fiml_corrected(base_df, scaled))
        return measures

    def fiml_corrected(self, df: int, scaled: bool) -> tuple[float, float]:
        """The FIML-corrected statistic and scaling factor of this FIML fit (robust indices).

        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(1)
        >>> f = rng.normal(size=(300, 1))
        >>> data = pd.DataFrame(f @ [[1, 0.8, 0.9, 0.5]] + rng.normal(size=(300, 4)), columns=["x1", "x2", "x3", "y"])
        >>> data.iloc[::5, 1] = np.nan
        >>> fit = SEM("F =~ x1 + x2 + x3\\ny ~ F").fit(data, missing="fiml", estimator="MLR")
        >>> [round(float(v), 3) for v in fit.fiml_corrected(int(fit.fit_measures["df"]), scaled=True)]
        [2.089, 1.217]
        """
        part = fiml_part(self.compiled, self.theta, self.n, self.cases.mean, self.cases.cov,
                         self.cases.h1_information(True), cache=self.cases.fiml_cache)
        return fiml_corrected([part], df, scaled=scaled,
                              inverse=lambda info: projected_inverse(info, self.constraint_jacobian),
                              covariates=[self.compiled.observed.index(v) for v in self.model.table.covariates])

    def _is_independence_model(self) -> bool:
        return all(r.op == "~1" or (r.op == "~~" and (r.lhs == r.rhs or r.fixed_x)) for r in self.compiled.table.rows)

    def _baseline_fit(self) -> "SEMResults":
        """lavaan's independence model, fitted as this model was (estimator, missing data)."""
        if self._is_independence_model():
            return self
        independence = SEM.independence(self.compiled.observed, self.model.table.covariates, self.model.source,
                                        self.model.meanstructure)
        if self.likelihood is None:
            return independence.fit(pd.DataFrame(self.data, columns=self.compiled.observed), estimator=self.estimator)
        # the same data's independence fit serves every model fitted to it (FIML refits)
        key = (tuple(self.compiled.observed), tuple(self.model.table.covariates), self.model.meanstructure,
               self.estimator)
        if key not in self.cases.baselines:
            self.cases.baselines[key] = independence.fit_cases(self.cases, self.estimator)
        return self.cases.baselines[key]

    def scaling_factor(self, df: int) -> float:
        """Yuan-Bentler (Mplus) scaling factor of this model's chi-square (MLR fits).

        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(1)
        >>> f = rng.normal(size=(300, 1))
        >>> data = pd.DataFrame(f @ [[1, 0.8, 0.9, 0.5]] + rng.normal(size=(300, 4)), columns=["x1", "x2", "x3", "y"])
        >>> fit = SEM("F =~ x1 + x2 + x3\\ny ~ F").fit(data, estimator="MLR")
        >>> round(float(fit.scaling_factor(int(fit.fit_measures["df"]))), 3), round(float(fit.fit_measures["chisq_scaling_factor"]), 3)
        (1.057, 1.057)
        """
        covariates = [self.compiled.observed.index(v) for v in self.model.table.covariates]
        trace_h1 = self.cases.h1_trace(self.compiled.has_means, covariates)
        return scaling_factor(trace_h1, self._observed_inverse, self._first_order, df)

    def _check_solution(self) -> None:
        params = self.parameters
        variances = params[(params.op == "~~") & (params.lhs == params.rhs)]
        for row in variances.itertuples():
            if row.est < 0:
                self.warnings.append(f"Heywood case: the variance of {row.lhs} is negative "
                                     f"({row.est:.3f}); the solution is improper")
        loadings = params[params.op.isin(["=~", "~"])]
        for row in loadings.itertuples():
            if abs(row.std_all) > 1:
                self.warnings.append(f"standardized estimate {row.lhs} {row.op} {row.rhs} = "
                                     f"{row.std_all:.3f} exceeds 1 in absolute value")
        if self.fit_measures.df < 0:
            raise EstimationError(f"{self.model.source}: the model has {self.fit_measures.df} "
                                  "degrees of freedom and is not identified")

    def correlation(self, names: list[str]) -> pd.DataFrame:
        """Model-implied correlations among any variables (latent or observed).

        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(1)
        >>> f = rng.normal(size=(300, 1))
        >>> data = pd.DataFrame(f @ [[1, 0.8, 0.9, 0.5]] + rng.normal(size=(300, 4)), columns=["x1", "x2", "x3", "y"])
        >>> SEM("F =~ x1 + x2 + x3\\ny ~ F").fit(data).correlation(["F", "y", "x1"]).round(3)
                F      y     x1
        F   1.000  0.444  0.744
        y   0.444  1.000  0.330
        x1  0.744  0.330  1.000
        """
        index = [self.compiled.names.index(v) for v in names]
        cov = self.total_cov[np.ix_(index, index)]
        sd = np.sqrt(np.diag(cov))
        return pd.DataFrame(cov / np.outer(sd, sd), index=names, columns=names)

    def r_squared(self) -> dict[str, float]:
        """R² of every endogenous variable (1 - residual variance / total variance).

        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(1)
        >>> f = rng.normal(size=(300, 1))
        >>> data = pd.DataFrame(f @ [[1, 0.8, 0.9, 0.5]] + rng.normal(size=(300, 4)), columns=["x1", "x2", "x3", "y"])
        >>> {k: round(v, 3) for k, v in SEM("F =~ x1 + x2 + x3\\ny ~ F").fit(data).r_squared().items()}
        {'x1': 0.553, 'x2': 0.355, 'x3': 0.36, 'y': 0.197}
        """
        A, S = self.compiled.matrices(self.theta)
        names = self.compiled.names
        result = {}
        for i, v in enumerate(names):
            if np.any(A[i] != 0):
                result[v] = float(1 - S[i, i] / self.total_cov[i, i])
        return result


class MLResampler(Resampler):
    """Warm-started ML refits: a resample changes only the sample covariance, so BFGS from the
    full-sample estimates, with the full-sample information as its metric, takes a dozen
    gradient steps (:meth:`CompiledModel.refit`); Fisher scoring is the fallback. A model with a
    mean structure refits the resample's means too, and one with constraints (==, <, >) is
    refitted under them by :func:`constrained_scoring`."""

    def __init__(self, compiled: CompiledModel, data: np.ndarray, theta: np.ndarray, metric_inv: np.ndarray,
                 meanstructure: bool = False):
        self.compiled, self.data, self.theta, self.metric_inv = compiled, data, theta, metric_inv
        self.n = len(data)
        self.start_moments = compiled.moments(theta)
        self._last: tuple = (None, None)   # the last refit's estimate and its moments
        self.meanstructure = meanstructure
        self.constraints = ConstraintSet(compiled.table) if compiled.table.constraints else None

    def refit(self, rows: np.ndarray) -> np.ndarray | None:
        sample = self.data[rows]
        mean = sample.mean(axis=0)
        centered = sample - mean
        cov = centered.T @ centered / len(sample)
        mean = mean if self.meanstructure else None
        at = None
        try:
            if self.constraints is not None:
                logdet = np.linalg.slogdet(cov)[1]
                estimate = constrained_scoring(lambda t: self.compiled.objective(t, cov, logdet, mean),
                                               lambda t: self.compiled.gradient(t, cov, mean), self.compiled.information,
                                               self.theta, self.constraints)[0]
            else:
                estimate, ok, at = self.compiled.refit(cov, self.theta, self.metric_inv,
                                                       start_moments=self.start_moments, sample_mean=mean)
                if not ok:
                    estimate, _ = self.compiled.estimate(cov, self.theta, sample_mean=mean)
                    at = None
        except (EstimationError, np.linalg.LinAlgError, ValueError):
            return None
        self._last = (estimate, at)
        return estimate

    def total_sd(self, theta: np.ndarray) -> np.ndarray:
        # the refit's last gradient computed (I - A)^-1 at its estimate already
        estimate, at = self._last
        return self.compiled.total_sd(theta, at=at if theta is estimate else None)


def _label_values(theta: np.ndarray, column: str, frame: pd.DataFrame) -> dict:
    labelled = frame[frame.label != ""]
    if column == "est":
        return {lab: (theta[f] if f >= 0 else e) for lab, f, e in
                zip(labelled.label, labelled.free, labelled.est)}
    return dict(zip(labelled.label, labelled[column]))


def defined_parameters(definitions: list, frame: pd.DataFrame, theta: np.ndarray, vcov: np.ndarray | None,
                       source: str) -> pd.DataFrame:
    """Defined parameters (``:=``) with delta-method SEs, as lavaan computes them, from the rows
    of :func:`estimate_rows` (``frame``, whose ``free`` column indexes ``theta``) of any estimator;
    without ``vcov`` only their values."""
    records = []
    defined_values: dict[str, float] = {}
    defined_std: dict[str, float] = {}
    expressions = []
    for d in definitions:
        expr = Expression(d.expression, f"{source}, line {d.line}")
        known = set(frame.label[frame.label != ""]) | set(defined_values)
        unknown = expr.names - known
        if unknown:
            raise InputError(f"{source}, line {d.line}: '{d.name}' uses "
                             f"{', '.join(sorted(unknown))}, which no parameter is labelled")
        expressions.append((d, expr))

        def value_at(theta, _expr=expr, _d=d):
            values = _label_values(theta, "est", frame)
            for prev_d, prev_expr in expressions:
                if prev_d is _d:
                    break
                values[prev_d.name] = prev_expr(values)
            return _expr(values)

        est, se = delta_method(value_at, theta, vcov) if vcov is not None else (value_at(theta), math.nan)
        defined_values[d.name] = est
        std_values = {**_label_values(theta, "std_all", frame), **defined_std}
        defined_std[d.name] = expr(std_values)
        records.append(dict(lhs=d.name, op=":=", rhs="".join(d.expression.split()), label=d.name, est=est,
                            se=se, std_all=defined_std[d.name], free=-1))
    return pd.DataFrame(records)


def delta_method(function, theta: np.ndarray, vcov: np.ndarray) -> tuple[float, float]:
    """Value and delta-method SE of ``function(theta)``, with a central-difference gradient
    (lavaan differentiates defined parameters numerically too).

    >>> import numpy as np
    >>> value, se = delta_method(lambda t: t[0] * t[1], np.array([0.5, 0.4]), np.diag([0.01, 0.04]))
    >>> round(float(value), 3), round(float(se), 4)
    (0.2, 0.1077)
    """
    grad = np.zeros(len(theta))
    for k in range(len(theta)):
        h = 1e-6 * max(1.0, abs(theta[k]))
        up, down = theta.copy(), theta.copy()
        up[k] += h
        down[k] -= h
        grad[k] = (function(up) - function(down)) / (2 * h)
    return function(theta), math.sqrt(max(grad @ vcov @ grad, 0.0))

