"""WLSMV for Likert items: lavaan's ``cfa(..., ordered = , estimator = "WLSMV")``.

The estimation stage for ordinal indicators (continuous variables may join them). The sample
statistics are the thresholds and polychoric correlations of
:mod:`semtrust.estimation.polychoric`; the model is the engine's RAM model in the delta
parameterization (latent responses with unit variance: an ordinal item's residual variance is 1
minus its common variance, not a free parameter; theta on request), plus a threshold parameter
per sample threshold (the ``|`` syntax labels or fixes them). DWLS minimises
sum_k w_k (s_k - sigma_k(theta))^2 with w = 1 / diag(Gamma) by Gauss-Newton, with lavaan's
n - 1 in the statistics and SEs. lavaan's WLSMV then reports

* robust SEs, the sandwich (D'WD)^-1 D'W Gamma W D (D'WD)^-1 / (n - 1);
* the mean-and-variance adjusted (scaled-shifted) chi-square: a = sqrt(df / tr((U Gamma)^2)),
  T = a T_DWLS + df - a tr(U Gamma), U = W - W D (D'WD)^-1 D'W;
* the scaled CFI/TLI/RMSEA from the scaled statistics, and the robust ones of Savalei (2021)
  from the ML discrepancy of the polychoric matrix at the DWLS estimates ("catML").

The fit is a :class:`~semtrust.estimation.base.FittedModel`: effects, defined parameters and
the bootstrap (DWLS refits, which lavaan does not offer for WLSMV) read it like an ML fit.
Nested fits compare by :func:`scaled_difference_test`; the reliabilities semTools and psych
report for ordinal items are in :mod:`semtrust.assessment.ordinal_reliability`.

>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(3)
>>> factor = rng.normal(size=(800, 1))
>>> latent = 0.7 * factor + np.sqrt(1 - 0.49) * rng.normal(size=(800, 4))
>>> items = pd.DataFrame(np.digitize(latent, [-1.2, -0.4, 0.4, 1.2]) + 1,
...                      columns=["q1", "q2", "q3", "q4"])
>>> fit = fit_ordinal(items, "trust =~ q1 + q2 + q3 + q4")
>>> int(fit.fit_measures["df"])
2
>>> [round(x, 1) for x in fit.parameters.query("op == '=~'").std_all]
[0.7, 0.7, 0.7, 0.7]
>>> fit.parameters.query("op == '|' and lhs == 'q1'").rhs.tolist()
['t1', 't2', 't3', 't4']
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import stats
from scipy.linalg import block_diag

from semtrust.errors import EstimationError, InputError
from semtrust.estimation.base import FittedModel, Resampler
from semtrust.estimation.compiled import CompiledModel, bfgs_update, start_values
from semtrust.estimation.fit_measures import fit_measures, robust_fit_measures
from semtrust.estimation.ml import add_inference, defined_parameters, estimate_rows
from semtrust.estimation.polychoric import OrdinalStatistics, ResampledStatistics, polychoric
from semtrust.model.partable import PARAMETER_COLUMNS, ParameterTable, Row, build_parameter_table
from semtrust.model.syntax import ModelSyntax, parse_model

__all__ = ["fit_ordinal", "OrdinalResults", "scaled_difference_test", "standardized_solution", "likert_note"]

ESTIMATORS = ("WLSMV", "ULSMV", "DWLS")
PARAMETERIZATIONS = ("delta", "theta")
MISSING = ("listwise", "pairwise")
FEW_CATEGORIES = 5  # at most this many answer categories: ML's continuity assumption fails
# a bootstrap refit stops when no parameter moves by more than this: far below any SE, and each
# Gauss-Newton step saved is a Jacobian saved
REFIT_TOLERANCE = 1e-7


def likert_note(frame: pd.DataFrame, estimator: str) -> list[str]:
    """The one-line recommendation a continuous (ML/MLR) run on coarse Likert items gets: with
    five or fewer categories, treating answers as continuous biases loadings and the
    chi-square (Rhemtulla, Brosseau-Liard & Savalei 2012), so WLSMV is the reviewers' choice.

    >>> items = pd.DataFrame({"q1": [1, 2, 3, 4, 5, 2], "q2": [1, 3, 2, 5, 4, 4]})
    >>> likert_note(items, "ML")[0][:58]
    '2 of the 2 items have at most 5 answer categories (Likert)'
    >>> likert_note(items, "WLSMV")
    []
    """
    if estimator in ESTIMATORS:
        return []
    coarse = [c for c in frame.columns
              if pd.api.types.is_numeric_dtype(frame[c]) and frame[c].nunique() <= FEW_CATEGORIES
              and bool((frame[c].dropna() % 1 == 0).all())]
    if not coarse:
        return []
    note = (f"{len(coarse)} of the {frame.shape[1]} items have at most {FEW_CATEGORIES} answer categories (Likert); "
            f"{estimator} treats them as continuous, which biases loadings and the chi-square with so few "
            "categories (Rhemtulla, Brosseau-Liard & Savalei 2012): WLSMV is recommended, rerun with "
            "--estimator WLSMV --ordered all")
    return [note]


class OrdinalResults(FittedModel):
    """A WLSMV (or ULSMV/DWLS) fit behind the estimators' common interface: ``parameters``
    (lavaan's ``parameterEstimates`` with ``std.all``, threshold rows ``|`` included),
    ``fit_measures`` (lavaan's ``fitMeasures`` names with '.' written as '_'), ``partable`` and
    ``theta`` (the model's free parameters first, then the free thresholds), the sample
    statistics in ``statistics``. Under the delta parameterization the latent responses have
    unit variance (every item's ``std.all`` SD is 1); under theta their residual variance is 1.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> latent = 0.7 * rng.normal(size=(500, 1)) + np.sqrt(0.51) * rng.normal(size=(500, 4))
    >>> items = pd.DataFrame(np.digitize(latent, [-1.2, -0.4, 0.4, 1.2]) + 1, columns=["q1", "q2", "q3", "q4"])
    >>> fit = fit_ordinal(items, "trust =~ q1 + q2 + q3 + q4")
    >>> fit.estimator, fit.parameters.query("op == '|'").shape[0], round(float(fit.fit_measures["chisq_scaled"]), 3)
    ('WLSMV', 16, 1.644)
    """

    def __init__(self, *, estimator: str, statistics: OrdinalStatistics, compiled: CompiledModel,
                 thresholds: ThresholdParameters, theta: np.ndarray, vcov: np.ndarray, parameters: pd.DataFrame,
                 fit_measures: dict, iterations: int, source: str, frame: pd.DataFrame, parameterization: str,
                 missing: str, estimation: _Estimation, solution: _Solution):
        self.estimator = estimator
        self.missing = missing
        self.parameterization = parameterization
        self.statistics = statistics
        self.compiled = compiled
        self.threshold_parameters = thresholds
        self.theta = theta
        self.vcov = vcov
        self.parameters = parameters
        self.fit_measures = pd.Series(fit_measures, dtype=object, name="fit_measures")   # counts stay integers
        self.iterations = iterations
        self.source = source
        self.n = statistics.n
        self.frame = frame  # the analysed (complete) answers, for the bootstrap
        self._estimation = estimation  # D, W and Gamma at the estimates, for difference tests
        self._solution = solution      # the parameter table at any theta, for standardized SEs
        self.warnings: list[str] = [
            f"Heywood case: the residual variance of {r.lhs} is negative ({r.est:.3f}); the solution is improper"
            for r in parameters[(parameters.op == "~~") & (parameters.lhs == parameters.rhs)].itertuples()
            if r.est < 0]

    @property
    def partable(self) -> ParameterTable:
        """The model's parameter table (free parameters first; thresholds are in :attr:`thresholds`).

        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(3); latent = 0.7 * rng.normal(size=(500, 1)) + np.sqrt(0.51) * rng.normal(size=(500, 4))
        >>> items = pd.DataFrame(np.digitize(latent, [-1.2, -0.4, 0.4, 1.2]) + 1, columns=["q1", "q2", "q3", "q4"])
        >>> fit = fit_ordinal(items, "trust =~ q1 + q2 + q3 + q4")
        >>> [(r.lhs, r.op, r.rhs, r.free) for r in fit.partable.rows][:2]
        [('trust', '=~', 'q1', -1), ('trust', '=~', 'q2', 0)]
        """
        return self.compiled.table

    @property
    def variables(self) -> list[str]:
        """The model's variables (latent responses, then factors): the order of :meth:`total_sd`.

        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(3); latent = 0.7 * rng.normal(size=(500, 1)) + np.sqrt(0.51) * rng.normal(size=(500, 4))
        >>> items = pd.DataFrame(np.digitize(latent, [-1.2, -0.4, 0.4, 1.2]) + 1, columns=["q1", "q2", "q3", "q4"])
        >>> fit = fit_ordinal(items, "trust =~ q1 + q2 + q3 + q4")
        >>> fit.variables
        ['q1', 'q2', 'q3', 'q4', 'trust']
        """
        return self.compiled.names

    @property
    def thresholds(self) -> dict[str, np.ndarray]:
        """Model thresholds per item (equal to the sample ones unless constrained).

        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(3); latent = 0.7 * rng.normal(size=(500, 1)) + np.sqrt(0.51) * rng.normal(size=(500, 4))
        >>> items = pd.DataFrame(np.digitize(latent, [-1.2, -0.4, 0.4, 1.2]) + 1, columns=["q1", "q2", "q3", "q4"])
        >>> fit = fit_ordinal(items, "trust =~ q1 + q2 + q3 + q4")
        >>> fit.thresholds["q1"].round(3).tolist()
        [-1.165, -0.44, 0.342, 1.117]
        """
        tau = self.threshold_parameters.values(self.theta)
        names = self.threshold_parameters.names
        return {v: tau[[k for k, (item, t) in enumerate(names) if item == v and t != "~1"]]
                for v in self.statistics.names if v not in self.statistics.means}

    def total_sd(self, theta: np.ndarray) -> np.ndarray:
        return _ordinal_total_sd(self.compiled, theta, self.parameterization, self.statistics.numeric)

    def r_squared(self) -> dict[str, float]:
        """R² of the items' latent responses and of the regressed factors.

        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(3); latent = 0.7 * rng.normal(size=(500, 1)) + np.sqrt(0.51) * rng.normal(size=(500, 4))
        >>> items = pd.DataFrame(np.digitize(latent, [-1.2, -0.4, 0.4, 1.2]) + 1, columns=["q1", "q2", "q3", "q4"])
        >>> fit = fit_ordinal(items, "trust =~ q1 + q2 + q3 + q4")
        >>> {k: round(v, 3) for k, v in fit.r_squared().items()}
        {'q1': 0.534, 'q2': 0.475, 'q3': 0.535, 'q4': 0.52}
        """
        A, S = self.compiled.matrices(self.theta[: self.compiled.n_free])
        total = self.total_sd(self.theta) ** 2
        return {v: float(1 - S[i, i] / total[i]) for i, v in enumerate(self.compiled.names) if np.any(A[i] != 0)}

    def resampler(self) -> OrdinalResampler:
        return OrdinalResampler(self.frame, self._estimation, self.theta, self.parameterization,
                                self.missing == "pairwise", self.statistics.numeric)

    def implied_correlation(self) -> pd.DataFrame:
        """The model-implied polychoric correlations of the observed variables.

        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(3); latent = 0.7 * rng.normal(size=(500, 1)) + np.sqrt(0.51) * rng.normal(size=(500, 4))
        >>> items = pd.DataFrame(np.digitize(latent, [-1.2, -0.4, 0.4, 1.2]) + 1, columns=["q1", "q2", "q3", "q4"])
        >>> fit = fit_ordinal(items, "trust =~ q1 + q2 + q3 + q4")
        >>> fit.implied_correlation().round(3)
               q1     q2     q3     q4
        q1  1.000  0.504  0.535  0.527
        q2  0.504  1.000  0.504  0.497
        q3  0.535  0.504  1.000  0.527
        q4  0.527  0.497  0.527  1.000
        """
        sigma, _, _ = self.compiled.implied(self.theta[: self.compiled.n_free])
        sd = np.sqrt(np.diag(sigma))
        names = self.compiled.observed
        return pd.DataFrame(sigma / np.outer(sd, sd), index=names, columns=names)


def _ordinal_total_sd(compiled: CompiledModel, theta: np.ndarray, parameterization: str,
                     numeric: list[str]) -> np.ndarray:
    """Model-implied SDs: the factors' and continuous variables' from the model; the items'
    latent responses have SD 1 under the delta parameterization (whatever theta), under theta
    the model's."""
    sd = compiled.total_sd(theta[: compiled.n_free])
    if parameterization == "delta":
        sd[[i for i, v in enumerate(compiled.observed) if v not in numeric]] = 1.0
    return sd


class OrdinalResampler(Resampler):
    """DWLS refits to resamples of the answers (the bootstrap lavaan refuses for WLSMV), warm
    started at the full-sample estimates, with the diagonal weights of each resample's own
    polychorics. Ordinal answers take the statistics from the resample's category counts
    (:class:`~semtrust.estimation.polychoric.ResampledStatistics`: no casewise scores, no full
    Gamma); with continuous variables they are recomputed from the resampled rows. A resample in which an answer category is empty has other thresholds, so it
    cannot be fitted (None)."""

    def __init__(self, frame: pd.DataFrame, estimation: _Estimation, theta: np.ndarray, parameterization: str,
                 pairwise: bool, numeric: list[str]):
        self.frame, self.theta = frame, theta
        self.parameterization, self.pairwise, self.numeric = parameterization, pairwise, numeric
        self.compiled = estimation.compiled
        self.estimation = estimation.for_refits(theta)
        self.n = len(frame)
        self.categories = frame.drop(columns=numeric).nunique()
        self.tables = None if numeric else ResampledStatistics(frame, estimation.sample[estimation.n_th:])

    def refit(self, rows: np.ndarray) -> np.ndarray | None:
        try:
            if self.tables is not None:
                statistics = self.tables(rows)
                if statistics is None:
                    return None
                estimation = self.estimation.resampled(*statistics)
            else:
                sample = self.frame.iloc[rows]
                if not sample.drop(columns=self.numeric).nunique().equals(self.categories):
                    return None
                statistics = polychoric(sample, numeric=self.numeric, pairwise=self.pairwise, full_gamma=False)
                estimation = self.estimation.resampled(statistics.vector, statistics.gamma_diagonal)
            return estimation.refit(self.theta)
        except (EstimationError, np.linalg.LinAlgError):
            return None

    def correlation(self, rows: np.ndarray) -> np.ndarray:
        """The polychoric (polyserial, Pearson) matrix of the resample ``rows``, in the model's
        order of observed variables (the HTMT draws of the measurement bootstrap)."""
        rho = self.tables.correlations(rows) if self.tables is not None else None
        if rho is None:   # continuous variables, or a category empty in the resample
            statistics = polychoric(self.frame.iloc[rows], numeric=self.numeric, pairwise=self.pairwise,
                                    full_gamma=False)
            observed = self.compiled.observed
            return statistics.correlation.loc[observed, observed].to_numpy()
        matrix = np.eye(len(self.compiled.observed))
        matrix[self.tables.rows, self.tables.cols] = matrix[self.tables.cols, self.tables.rows] = rho
        return matrix

    def total_sd(self, theta: np.ndarray) -> np.ndarray:
        return _ordinal_total_sd(self.compiled, theta, self.parameterization, self.numeric)


def fit_ordinal(data: pd.DataFrame, model: str | ModelSyntax, ordered=None, estimator: str = "WLSMV",
                source: str = "<model>", parameterization: str = "delta", missing: str = "listwise") -> OrdinalResults:
    """Fit ``model`` (lavaan syntax) to ordinal items as lavaan's ``cfa(model, data,
    ordered = , estimator = , parameterization = , missing = )`` does: with the cases complete on
    the model's items, or with ``missing="pairwise"`` every case that answered any of them.

    ``ordered`` None or True means every observed variable of the model (lavaan's
    ``ordered = TRUE``); a list names the ordinal ones, the others being continuous (their
    means, variances and polyserial correlations join the statistics, as in lavaan; observed
    predictors are modelled jointly, lavaan's ``conditional.x = FALSE, fixed.x = FALSE``).
    ``parameterization="theta"``
    fixes the latent responses' residual variances to 1 instead of their total variances (the
    same fit, other unstandardized estimates).

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> latent = 0.7 * rng.normal(size=(500, 1)) + np.sqrt(0.51) * rng.normal(size=(500, 4))
    >>> items = pd.DataFrame(np.digitize(latent, [-1.2, -0.4, 0.4, 1.2]) + 1, columns=["q1", "q2", "q3", "q4"])
    >>> fit = fit_ordinal(items, "trust =~ q1 + q2 + q3 + q4")
    >>> fit.parameters.query("op == '=~'")[["rhs", "est", "se", "std_all"]].round(3)
      rhs    est     se  std_all
    0  q1  1.000  0.000    0.731
    1  q2  0.943  0.060    0.689
    2  q3  1.001  0.062    0.731
    3  q4  0.987  0.060    0.721
    """
    if estimator not in ESTIMATORS:
        raise InputError(f"estimator '{estimator}' is not available for ordinal items; use one of "
                         f"{', '.join(ESTIMATORS)}")
    if parameterization not in PARAMETERIZATIONS:
        raise InputError(f"parameterization '{parameterization}' is not available; use delta or theta")
    if missing not in MISSING:
        raise InputError(f"missing-data treatment '{missing}' is not available for ordinal items; use "
                         f"{' or '.join(MISSING)}")
    spec = model if isinstance(model, ModelSyntax) else parse_model(model, source)
    source = spec.source
    threshold_statements = [s for s in spec.statements if s.op == "|"]
    spec = replace(spec, statements=[s for s in spec.statements if s.op != "|"])
    # observed predictors are modelled jointly with the items: free variances and covariances
    # (lavaan's conditional.x = FALSE, fixed.x = FALSE)
    table = build_parameter_table(spec, fixed_x=False)
    observed = table.observed
    numeric = _check_model(table, spec, observed, ordered, data)
    frame = data[observed].dropna(how="all" if missing == "pairwise" else "any")
    if len(frame) <= len(observed):
        raise InputError(f"only {len(frame)} usable rows for {len(observed)} ordinal items")
    statistics = polychoric(frame, numeric=numeric, pairwise=missing == "pairwise")
    rows = _ordinal_rows(table, parameterization, numeric)
    compiled = CompiledModel(ParameterTable(rows, observed, table.latent, [], table.definitions), observed)
    thresholds = ThresholdParameters(statistics, threshold_statements, rows, compiled.n_free, source)
    estimation = _Estimation(compiled, statistics, thresholds, estimator, parameterization)
    theta, iterations = estimation.run(estimation.start_values())
    vcov = estimation.vcov(theta)
    solution = _Solution(compiled, thresholds, numeric, parameterization, source)
    compiled, parameters = solution.at(theta, vcov)
    return OrdinalResults(estimator=estimator, statistics=statistics, compiled=compiled, thresholds=thresholds,
                          theta=theta, vcov=vcov, parameters=parameters, fit_measures=estimation.fit_measures(theta),
                          iterations=iterations, source=source, frame=frame, parameterization=parameterization,
                          missing=missing, estimation=estimation, solution=solution)


class _Solution:
    """The reported solution at a parameter vector: under delta the items' residual variances
    (1 minus their common variance there) written into a recompiled model, and the parameter
    table with std.all; at the estimates for the fit, at nearby vectors for standardized SEs."""

    def __init__(self, fitting: CompiledModel, thresholds: ThresholdParameters, numeric: list[str],
                 parameterization: str, source: str):
        self.fitting, self.thresholds, self.numeric = fitting, thresholds, numeric
        self.parameterization, self.source = parameterization, source

    def at(self, theta: np.ndarray, vcov: np.ndarray | None) -> tuple[CompiledModel, pd.DataFrame]:
        """The model and the parameter table at ``theta`` (SEs from ``vcov``; none without it)."""
        table, observed = self.fitting.table, self.fitting.observed
        rows = [replace(r) for r in table.rows]
        if self.parameterization == "delta":
            common = np.diag(self.fitting.implied(theta[: self.fitting.n_free])[0])
            for r in rows:
                if r.op == "~~" and r.lhs == r.rhs and r.lhs in observed and r.lhs not in self.numeric:
                    r.value = 1.0 - common[observed.index(r.lhs)]
        compiled = CompiledModel(ParameterTable(rows, observed, table.latent, [], table.definitions), observed)
        return compiled, _parameter_table(rows, compiled, self.thresholds, theta, vcov, self.source)


def _check_model(table: ParameterTable, spec: ModelSyntax, observed: list[str], ordered, data) -> list[str]:
    """Refuse what the ordinal estimators cannot fit; return the continuous variables."""
    absent = [v for v in observed if v not in data.columns]
    if absent:
        raise InputError(f"the data have no column for {', '.join(absent)} (used in {spec.source}); "
                         "rename the columns or fix the model")
    continuous = [] if ordered in (None, True) else [v for v in observed if v not in set(ordered)]
    if len(continuous) == len(observed):
        raise InputError(f"{spec.source}: none of the model's variables is declared ordered; fit continuous "
                         "variables by ML, or name the ordinal items in 'ordered'")
    predictors = {r.rhs for r in table.rows if r.op == "~"} | {r.lhs for r in table.rows if r.op == "=~"}
    bad = [v for v in observed if v in predictors and v not in continuous]
    if bad:
        raise InputError(f"{spec.source}: the ordinal items {', '.join(bad)} predict or measure other "
                         "variables, which the ordinal parameterizations here do not support; a continuous "
                         "predictor is left out of 'ordered'")
    return continuous


def _exogenous_observed(rows: list[Row], observed: list[str]) -> list[str]:
    """Observed variables that predict and are neither regressed nor measured."""
    regressed = {r.lhs for r in rows if r.op == "~"} | {r.rhs for r in rows if r.op == "=~"}
    return [v for v in observed if v not in regressed and any(r.op == "~" and r.rhs == v for r in rows)]


def _ordinal_rows(table: ParameterTable, parameterization: str, numeric: list[str]) -> list[Row]:
    """The table with the ordinal items' residual variances fixed (delta: 0 while fitting, so the
    implied diagonal is the common variance, and 1 minus it after; theta: 1), free covariances
    among the exogenous observed predictors (as lavaan adds under fixed.x = FALSE), and the free
    parameters renumbered (shared labels keep one number)."""
    rows = [replace(r) for r in table.rows]
    exogenous = _exogenous_observed(rows, table.observed)
    # lavaan lists the predictors' (co)variances last, row by row of their covariance matrix
    moments = {frozenset((r.lhs, r.rhs)): r for r in rows
               if r.op == "~~" and not r.user and r.lhs in exogenous and r.rhs in exogenous}
    rows = [r for r in rows if not any(r is m for m in moments.values())]
    next_free = max((r.free for r in table.rows), default=-1) + 1
    for i, a in enumerate(exogenous):
        for b in exogenous[i:]:
            row = moments.get(frozenset((a, b)))
            if row is None and not any(r.op == "~~" and {r.lhs, r.rhs} == {a, b} for r in rows):
                row = Row(a, "~~", b, free=next_free, user=False)
                next_free += 1
            if row is not None:
                rows.append(row)
    if numeric:
        # a mean structure: continuous variables' intercepts free, the latent responses' and the
        # factors' fixed at 0 (a predictor's mean moves the factors' means, and so the thresholds)
        rows += [Row(v, "~1", "", free=next_free + numeric.index(v), user=False) if v in numeric
                 else Row(v, "~1", "", user=False) for v in table.observed]
        rows += [Row(v, "~1", "", user=False) for v in table.latent]
    numbers: dict = {}
    for r in rows:
        if r.op == "~~" and r.lhs == r.rhs and r.lhs in table.observed and r.lhs not in numeric:
            r.free, r.value = -1, 0.0 if parameterization == "delta" else 1.0
        elif r.free >= 0:
            r.free = numbers.setdefault(r.free, len(numbers))
    return rows


class ThresholdParameters:
    """Where each sample threshold's model counterpart lives: a free parameter (numbered after
    the model's, one each unless a label is shared) or a value fixed in the syntax
    (``x1 | 0*t1``). A continuous variable's slot (its minus mean) comes from the model's mean
    structure instead (``mean_slot``)."""

    def __init__(self, statistics: OrdinalStatistics, statements: list, rows: list[Row], n_model: int,
                 source: str):
        self.names = statistics.threshold_names
        self.sample = statistics.vector[: len(self.names)]
        position = {name: k for k, name in enumerate(self.names)}
        labels = {r.label: r.free for r in rows if r.label and r.free >= 0}
        written: dict[int, object] = {}
        for s in statements:
            k = position.get((s.lhs, s.rhs))
            if k is None:
                count = len(statistics.thresholds.get(s.lhs, []))
                raise InputError(f"{source}, line {s.line}: '{s.lhs} | {s.rhs}' names no threshold; "
                                 + (f"{s.lhs} has {count} (t1..t{count})" if count else f"{s.lhs} is not an ordinal item"))
            written[k] = s
        # lavaan lists the thresholds the syntax wrote where it wrote them, then the rest
        self.order = list(written) + [k for k in range(len(self.names)) if k not in written]
        self.index = np.empty(len(self.names), dtype=int)
        self.value = np.zeros(len(self.names))
        self.label = [""] * len(self.names)
        n_free = n_model
        self.mean_slot = np.array([t == "~1" for _, t in self.names], dtype=bool)
        for k in range(len(self.names)):
            s = written.get(k)
            if self.mean_slot[k]:
                self.index[k] = -1
            elif s is not None and s.fixed is not None:
                self.index[k], self.value[k] = -1, s.fixed
            elif s is not None and s.label and s.label in labels:
                self.index[k] = labels[s.label]
            else:
                self.index[k] = n_free
                if s is not None and s.label:
                    labels[s.label] = n_free
                n_free += 1
            self.label[k] = s.label if s is not None and s.label else ""
        self.n_free = n_free
        # one free parameter per threshold and no mean structure: DWLS reproduces the sample
        # thresholds exactly
        self.saturated = bool(np.array_equal(self.index, np.arange(n_model, n_free)))

    def values(self, theta: np.ndarray) -> np.ndarray:
        """The threshold parameters (0 in the continuous variables' slots)."""
        return np.where(self.index >= 0, theta[np.maximum(self.index, 0)], self.value)

    def for_sample(self, vector: np.ndarray) -> ThresholdParameters:
        """The same layout over another sample's statistics (a bootstrap resample)."""
        other = copy.copy(self)
        other.sample = vector[: len(self.names)]
        return other


class _Estimation:
    """The DWLS discrepancy, its Gauss-Newton minimisation and lavaan's robust corrections."""

    def __init__(self, compiled: CompiledModel, statistics: OrdinalStatistics, thresholds: ThresholdParameters,
                 estimator: str, parameterization: str):
        self.compiled = compiled
        self.scaled = parameterization == "theta"  # the implied moments are standardized
        self.statistics = statistics
        self.thresholds = thresholds
        self.estimator = estimator
        self.sample = statistics.vector
        self.gamma = statistics.gamma
        self.n_th = len(statistics.threshold_names)
        self.numeric_index = np.array([statistics.names.index(v) for v in statistics.numeric], dtype=int)
        self.ordinal_mask = np.array([v not in statistics.means for v in statistics.names])
        self.n_uni = self.n_th + len(self.numeric_index)       # thresholds/means, then variances
        self.weights = np.ones(len(self.sample)) if estimator == "ULSMV" else 1.0 / statistics.gamma_diagonal
        self.rows = np.array([i for i, _ in statistics.pairs], dtype=int)
        self.cols = np.array([j for _, j in statistics.pairs], dtype=int)
        self.n_model = compiled.n_free
        self.n = statistics.n
        # lavaan's WLS family divides by, and its test statistics and RMSEA use, n - 1
        self.n_eff = statistics.n - 1
        self._information = None
        self._refit_jacobian = None   # set by for_refits
        self.item_of = np.array([statistics.names.index(v) for v, _ in statistics.threshold_names], dtype=int)

    def for_refits(self, theta: np.ndarray) -> _Estimation:
        """A copy for bootstrap refits from the estimates ``theta``, without what only the
        full-sample fit needs (Gamma, the sample statistics' object: a refit is given its own
        statistics by :meth:`resampled`), with the correlations' Jacobian at ``theta`` for
        :meth:`refit`."""
        lean = copy.copy(self)
        lean.gamma = lean.statistics = lean._information = None
        lean._refit_jacobian = self.delta(theta)[self.n_uni:, : self.n_model] if self._correlations_only else None
        return lean

    @property
    def _correlations_only(self) -> bool:
        """Thresholds fitted exactly (one free parameter each, delta, no continuous variable):
        the model parameters then fit the correlations alone."""
        return self.thresholds.saturated and not self.scaled and self.n_uni == self.n_th

    def refit(self, theta: np.ndarray) -> np.ndarray:
        """The DWLS estimates of a resample (:meth:`resampled`) from the full-sample ones. When
        the model parameters fit the correlations alone, quasi-Newton steps on the gradient
        D(theta)'W r, contracted through the RAM matrices without forming D, starting from the
        Gauss-Newton Hessian 2 D'WD at the full-sample estimates (the resample's weights) and
        updated by BFGS: each step costs an implied matrix, where Gauss-Newton recomputes the
        Jacobian. Otherwise (or should the steps fail) Gauss-Newton."""
        if self._refit_jacobian is None:
            return self.run(theta, tol=REFIT_TOLERANCE)[0]
        start = theta.copy()
        free = self.thresholds.index
        start[free] = self.thresholds.sample            # fitted exactly
        jacobian, weights = self._refit_jacobian, self.weights[self.n_uni:]
        inverse = np.linalg.inv(2.0 * (jacobian.T * weights) @ jacobian)
        current = start.copy()
        value, gradient = self.objective(current), self._correlation_gradient(current)
        direction = np.zeros(len(current))
        for _ in range(100):
            direction[: self.n_model] = -(inverse @ gradient)
            moved = halving_step(self.objective, current, direction, value)
            if moved is None:
                break
            step = (moved[0] - current)[: self.n_model]
            current, value, change = moved
            if change < REFIT_TOLERANCE:
                return current
            new_gradient = self._correlation_gradient(current)
            bfgs_update(inverse, step, new_gradient - gradient, 1e-12)
            gradient = new_gradient
        return self.run(start, tol=REFIT_TOLERANCE)[0]

    def _correlation_gradient(self, theta: np.ndarray) -> np.ndarray:
        """d/d theta of sum_k w_k (r_k - sigma_k)^2 over the correlations: sum_ab G_ab dSigma_ab
        with G_ab = G_ba = -w_k (r_k - sigma_k) at each pair's cells."""
        model = theta[: self.n_model]
        sigma, E, S = self.compiled.implied(model)
        r, c = self.rows, self.cols
        g = np.zeros_like(sigma)
        g[r, c] = g[c, r] = -self.weights[self.n_uni:] * (self.sample[self.n_uni:] - sigma[r, c])
        return self.compiled.contract(model, g, E=E, S=S)

    def resampled(self, sample: np.ndarray, gamma_diagonal: np.ndarray) -> _Estimation:
        """The discrepancy of a resample: its statistics (in ``gamma``'s order) and DWLS weights."""
        other = copy.copy(self)
        other.sample = sample
        other.weights = np.ones(len(sample)) if self.estimator == "ULSMV" else 1.0 / gamma_diagonal
        other.thresholds = self.thresholds.for_sample(sample)
        other._information = None
        return other

    def start_values(self) -> np.ndarray:
        """The engine's data-based starts on the polychoric matrix for the model, the sample
        thresholds (on the latent responses' scale) for the thresholds; Gauss-Newton does the rest."""
        start = np.zeros(self.thresholds.n_free)
        start[: self.n_model] = start_values(self.compiled.table, self.compiled, self.statistics.correlation)
        for r in self.compiled.table.rows:
            if r.op == "~1" and r.free >= 0:
                start[r.free] = self.statistics.means[r.lhs]
        sd = self._sd(self.compiled.implied(start[: self.n_model])[0])
        free = self.thresholds.index >= 0
        sample = self.thresholds.sample * sd[self.item_of]
        start[self.thresholds.index[free][::-1]] = sample[free][::-1]  # a shared label starts at its first
        return start

    def _sd(self, sigma: np.ndarray) -> np.ndarray:
        """SDs of the latent responses (1 under delta, where the diagonal is not modelled), 1 for
        the continuous variables (their moments are not standardized)."""
        if not self.scaled:
            return np.ones(len(sigma))
        return np.where(self.ordinal_mask, np.sqrt(np.abs(np.diag(sigma))), 1.0)

    def implied_correlation(self, theta: np.ndarray) -> np.ndarray:
        sigma, _, _ = self.compiled.implied(theta[: self.n_model])
        sd = self._sd(sigma)
        corr = sigma / np.outer(sd, sd)
        corr[np.diag_indices_from(corr)] = 1.0
        return corr

    def implied(self, theta: np.ndarray) -> np.ndarray:
        sigma, _, _ = self.compiled.implied(theta[: self.n_model])
        sd = self._sd(sigma)
        r, c, num, items = self.rows, self.cols, self.numeric_index, self.item_of
        mu = self._mean(theta)[items]
        slots = np.where(self.thresholds.mean_slot, -mu, (self.thresholds.values(theta) - mu) / sd[items])
        return np.concatenate([slots, sigma[num, num], sigma[r, c] / (sd[r] * sd[c])])

    def _mean(self, theta: np.ndarray) -> np.ndarray:
        """Model-implied means of the observed variables (0 without continuous variables)."""
        if not self.compiled.has_means:
            return np.zeros(self.compiled.p)
        return self.compiled.implied_mean(theta[: self.n_model])

    def delta(self, theta: np.ndarray) -> np.ndarray:
        """d(thresholds, correlations) / d theta; under theta the standardization's derivative
        enters through d log sd_i = d Sigma_ii / (2 Sigma_ii)."""
        sigma, _, _ = self.compiled.implied(theta[: self.n_model])
        jac = self.compiled.jacobian(theta[: self.n_model])
        sd = self._sd(sigma)
        r, c, items = self.rows, self.cols, self.item_of
        delta = np.zeros((len(self.sample), len(theta)))
        free = self.thresholds.index >= 0
        delta[np.flatnonzero(free), self.thresholds.index[free]] = 1.0 / sd[items[free]]
        corr_jac = jac[:, r, c]
        if self.scaled:
            diagonal = np.arange(len(sd))
            dlog = 0.5 * jac[:, diagonal, diagonal] / sd ** 2 * self.ordinal_mask
            corr = sigma[r, c] / (sd[r] * sd[c])
            corr_jac = corr_jac / (sd[r] * sd[c]) - corr * (dlog[:, r] + dlog[:, c])
            scaled_tau = (self.thresholds.values(theta) - self._mean(theta)[items]) / sd[items]
            delta[: self.n_th, : self.n_model] = (-scaled_tau * dlog[:, items]).T
        if self.compiled.has_means:  # the slots move with the implied means (continuous: minus the mean)
            delta[: self.n_th, : self.n_model] -= (self.compiled.mean_jacobian(theta[: self.n_model])[:, items]
                                                   / np.where(self.thresholds.mean_slot, 1.0, sd[items])).T
        num = self.numeric_index
        delta[self.n_th:self.n_uni, : self.n_model] = jac[:, num, num].T
        delta[self.n_uni:, : self.n_model] = corr_jac.T
        return delta

    def objective(self, theta: np.ndarray) -> float:
        residual = self.sample - self.implied(theta)
        return float(residual @ (self.weights * residual))

    def run(self, theta: np.ndarray, *, tol: float = 1e-10, max_iter: int = 200) -> tuple[np.ndarray, int]:
        """Gauss-Newton with step halving. With a diagonal weight and one free parameter per
        threshold the thresholds are fitted exactly (their estimates are the sample thresholds),
        so only the model parameters and the correlation rows are iterated."""
        if self.thresholds.saturated and not self.scaled:
            stats_rows, params = slice(self.n_th, None), slice(0, self.n_model)
        else:
            stats_rows, params = slice(None), slice(None)
        value = self.objective(theta)
        weights = self.weights[stats_rows]
        for iteration in range(1, max_iter + 1):
            delta = self.delta(theta)[stats_rows, params]
            weighted = delta.T * weights
            step = np.zeros(len(theta))
            try:
                step[params] = np.linalg.solve(weighted @ delta,
                                               weighted @ (self.sample - self.implied(theta))[stats_rows])
            except np.linalg.LinAlgError:
                raise EstimationError("the model is not identified (D'WD is singular); fix a loading or "
                                      "a variance per factor") from None
            moved = halving_step(self.objective, theta, step, value)
            if moved is None:
                return theta, iteration
            theta, value, change = moved
            if change < tol:
                return theta, iteration
        raise EstimationError(f"DWLS did not converge in {max_iter} iterations; check that the model is identified")

    def information(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(D, (D'WD)^-1) at the estimates, computed once for the SEs and the tests."""
        if self._information is not None and np.array_equal(self._information[0], theta):
            return self._information[1:]
        delta = self.delta(theta)
        info = (delta.T * self.weights) @ delta
        try:
            chol = np.linalg.cholesky(info)
            singular = np.diag(chol).min() ** 2 < 1e-10 * np.diag(info).max()
        except np.linalg.LinAlgError:
            singular = True
        if singular:
            raise EstimationError("the model is not identified (D'WD is singular); fix a loading or a "
                                  "variance per factor")
        bread = np.linalg.inv(info)
        self._information = (theta.copy(), delta, bread)
        return delta, bread

    def vcov(self, theta: np.ndarray) -> np.ndarray:
        delta, bread = self.information(theta)
        if self.estimator == "DWLS":
            return bread / self.n_eff
        wd = delta * self.weights[:, None]
        return bread @ (wd.T @ self.gamma @ wd) @ bread / self.n_eff

    def fit_measures(self, theta: np.ndarray) -> dict:
        # the baseline fits thresholds, means and variances exactly, and no covariance but those
        # among the observed predictors
        names = self.statistics.names
        exogenous = _exogenous_observed(self.compiled.table.rows, names)
        base = self.n_uni + np.flatnonzero([not (names[i] in exogenous and names[j] in exogenous)
                                            for i, j in self.statistics.pairs])
        p = len(names)
        # SRMR as lavaan's for categorical data: the residual correlations (covariances over the
        # sample SDs) below the diagonal, over p(p + 1)/2
        sd = np.sqrt(np.diag(self.statistics.covariance))
        residual = (self.sample[self.n_uni:] - self.implied(theta)[self.n_uni:]) / (sd[self.rows] * sd[self.cols])
        part = GroupFit(n=self.n, sample=self.sample, weights=self.weights, gamma=self.gamma, base=base,
                        srmr=math.sqrt(float(residual @ residual) / (p * (p + 1) / 2)))
        # lavaan has no catML counterpart (NA) with constrained thresholds or continuous variables
        catml = None
        if self.thresholds.saturated and not len(self.numeric_index):
            catml = [(self.n, self.statistics.correlation.to_numpy(), self.implied_correlation(theta))]
        return ordinal_fit_measures(estimator=self.estimator, parts=[part], chisq=self.n_eff * self.objective(theta),
                                    npar=len(theta), information=lambda: self.information(theta),
                                    weights=self.weights, gamma=self.gamma,
                                    correlation_rows=np.arange(self.n_uni, len(self.sample)),
                                    n_model=self.n_model, catml=catml)


@dataclass
class GroupFit:
    """One group's part of the fit measures: its size, statistics, DWLS weights (1 / diag
    Gamma), Gamma, the statistics the baseline model sets to 0 (``base``) and its SRMR."""
    n: int
    sample: np.ndarray
    weights: np.ndarray
    gamma: np.ndarray
    base: np.ndarray
    srmr: float


def ordinal_fit_measures(*, estimator: str, parts: list[GroupFit], chisq: float, npar: int, information,
                         weights: np.ndarray, gamma: np.ndarray, correlation_rows: np.ndarray, n_model: int,
                         catml: list | None) -> dict:
    """lavaan's fitMeasures of a (multi-group) DWLS fit. ``weights`` and ``gamma`` are the
    groups' stacked as lavaan stacks them (f_g W_g and Gamma_g / f_g, f_g = n_g / N; one group:
    W and Gamma), ``information()`` gives (D, E^-1) at the estimates, ``correlation_rows`` the
    correlations among the stacked statistics; ``catml`` per group (n_g, polychoric matrix,
    implied correlations) where lavaan reports Savalei's robust indices, else None. With G groups
    lavaan's WLS statistics and RMSEA use N - G."""
    groups = len(parts)
    n_total = sum(part.n for part in parts)
    n = n_total - groups
    n_statistics = sum(len(part.sample) for part in parts)
    df = n_statistics - npar
    base_chisq = sum((part.n - 1) * float(part.sample[part.base] @ (part.weights[part.base] * part.sample[part.base]))
                     for part in parts)
    pstar = sum(len(part.base) for part in parts)
    standard = fit_measures(chisq=chisq, df=df, npar=npar, n=n, baseline_chisq=base_chisq, baseline_df=pstar,
                            unrestricted_logl=math.nan, srmr=math.nan, groups=groups)
    measures = dict(npar=npar, ntotal=n_total, chisq=chisq, df=df, pvalue=standard.pvalue,
                    baseline_chisq=base_chisq, baseline_df=pstar, baseline_pvalue=standard.baseline_pvalue,
                    cfi=standard.cfi, tli=standard.tli, rmsea=standard.rmsea,
                    rmsea_ci_lower=standard.rmsea_ci_lower, rmsea_ci_upper=standard.rmsea_ci_upper,
                    rmsea_pvalue=standard.rmsea_pvalue,
                    srmr=sum(part.n * part.srmr for part in parts) / n_total,
                    # lavaan divides by the statistics of one group
                    wrmr=math.sqrt(chisq * groups / n_statistics))
    if estimator == "ULSMV":  # the ULS statistic is not chi-square distributed: lavaan gives no p
        del measures["pvalue"], measures["baseline_pvalue"]
    if estimator == "DWLS":
        return measures
    # the baseline fits the thresholds only: per group U Gamma = [[0, 0], [X, Y]] with
    # Y = W_c Gamma_cc, so tr(U Gamma) = sum tr(Y) (pstar under DWLS) and tr((U Gamma)^2) = sum tr(Y^2)
    ys = [part.weights[part.base, None] * part.gamma[np.ix_(part.base, part.base)] for part in parts]
    base_a = math.sqrt(pstar / sum(float(np.sum(y * y.T)) for y in ys))
    base_shift = pstar - base_a * sum(float(np.trace(y)) for y in ys)
    base_scaled = base_a * base_chisq + base_shift
    if df <= 0:   # a saturated model: no scaling, lavaan's fixed values (CFI/TLI 1, RMSEA 0)
        nan = math.nan
        measures.update(chisq_scaled=chisq, df_scaled=df, pvalue_scaled=nan, chisq_scaling_factor=nan,
                        baseline_chisq_scaled=base_scaled, baseline_df_scaled=pstar,
                        baseline_pvalue_scaled=float(stats.chi2.sf(base_scaled, pstar)),
                        baseline_chisq_scaling_factor=1.0 / base_a, cfi_scaled=1.0, tli_scaled=1.0,
                        rmsea_scaled=0.0, rmsea_ci_lower_scaled=0.0, rmsea_ci_upper_scaled=0.0, rmsea_pvalue_scaled=nan)
        if catml is not None:
            measures.update(cfi_robust=1.0, tli_robust=1.0, rmsea_robust=0.0, rmsea_ci_lower_robust=0.0,
                            rmsea_ci_upper_robust=0.0, rmsea_pvalue_robust=nan)
        return measures
    delta, bread = information()
    trace, trace2 = satterthwaite_traces(delta, bread, weights, gamma)
    a = math.sqrt(df / trace2)
    shift = df - a * trace
    chisq_scaled = a * chisq + shift
    scaled = fit_measures(chisq=chisq_scaled, df=df, npar=npar, n=n, baseline_chisq=base_scaled,
                          baseline_df=pstar, unrestricted_logl=math.nan, srmr=math.nan, groups=groups)
    measures.update(chisq_scaled=chisq_scaled, df_scaled=df, pvalue_scaled=scaled.pvalue,
                    chisq_scaling_factor=1.0 / a, chisq_shift_parameter=shift,
                    baseline_chisq_scaled=base_scaled, baseline_df_scaled=pstar,
                    baseline_pvalue_scaled=scaled.baseline_pvalue,
                    baseline_chisq_scaling_factor=1.0 / base_a,
                    cfi_scaled=scaled.cfi, tli_scaled=scaled.tli, rmsea_scaled=scaled.rmsea,
                    rmsea_ci_lower_scaled=scaled.rmsea_ci_lower, rmsea_ci_upper_scaled=scaled.rmsea_ci_upper,
                    rmsea_pvalue_scaled=scaled.rmsea_pvalue)
    if catml is not None:
        rows = correlation_rows
        measures.update(_catml_indices(catml, delta[rows], bread, weights[rows], gamma[np.ix_(rows, rows)],
                                       pstar - n_model, npar, n))
    return measures


def satterthwaite_traces(delta: np.ndarray, bread: np.ndarray, weights: np.ndarray,
                         gamma: np.ndarray) -> tuple[float, float]:
    """tr(U Gamma) and tr((U Gamma)^2) with U = W - W D E^-1 D'W (lavaan's scaled-shifted test)."""
    wd = delta * weights[:, None]
    u_gamma = weights[:, None] * gamma - wd @ (bread @ (wd.T @ gamma))
    return float(np.trace(u_gamma)), float(np.sum(u_gamma * u_gamma.T))


def _catml_indices(catml: list, delta_c: np.ndarray, bread: np.ndarray, w_c: np.ndarray, gamma_c: np.ndarray,
                   df: int, npar: int, n: int) -> dict:
    """Savalei's (2021) robust CFI/TLI/RMSEA as lavaan's ``lav_fit_catml_dwls``: the ML
    discrepancy of each group's polychoric matrix R at the DWLS estimates (XX3), with the scaling
    c = tr(U' V U Gamma) / df, U = I - D E^-1 D'W and V the normal-theory weight of the
    correlations at the implied matrix (groups stacked with f_g); the baseline is -n ln|R| with
    c = tr(Gamma) / pstar."""
    n_total = sum(n_g for n_g, _, _ in catml)
    xx3 = xx3_null = 0.0
    v_blocks = []
    for n_g, r, sigma in catml:
        if np.linalg.eigvalsh(r).min() < np.sqrt(np.finfo(float).eps):
            return {}
        sign, logdet_sigma = np.linalg.slogdet(sigma)
        if sign <= 0:  # an improper solution: no ML discrepancy (lavaan reports NA)
            return {}
        inverse = np.linalg.inv(sigma)
        logdet_r = np.linalg.slogdet(r)[1]
        p = len(r)
        xx3 += n_g * (logdet_sigma - logdet_r + np.trace(r @ inverse) - p)
        xx3_null -= n_g * logdet_r
        rows, cols = np.tril_indices(p, -1)
        order = np.lexsort((rows, cols))   # below the diagonal, column by column
        rows, cols = rows[order], cols[order]
        v = inverse[rows[:, None], rows[None, :]] * inverse[cols[:, None], cols[None, :]] \
            + inverse[rows[:, None], cols[None, :]] * inverse[cols[:, None], rows[None, :]]
        v_blocks.append(n_g / n_total * v)
    v = block_diag(*v_blocks)
    # U = I - L R' is a low-rank update of I: tr(U'VU Gamma) = sum(V * (U Gamma U')) in O(pstar^2 q)
    left, right = delta_c @ bread, delta_c * w_c[:, None]
    u_gamma = gamma_c - left @ (right.T @ gamma_c)
    u_gamma_u = u_gamma - (u_gamma @ right) @ left.T
    c_hat = float(np.sum(v * u_gamma_u)) / df
    pstar = len(w_c)
    c_null = float(np.trace(gamma_c)) / pstar
    groups = len(catml)
    base = fit_measures(chisq=xx3, df=df, npar=npar, n=n, baseline_chisq=xx3_null, baseline_df=pstar,
                        unrestricted_logl=math.nan, srmr=math.nan, groups=groups)
    robust = robust_fit_measures(base, c_hat, c_null, groups=groups)
    return dict(cfi_robust=robust.cfi_robust, tli_robust=robust.tli_robust, rmsea_robust=robust.rmsea_robust,
                rmsea_ci_lower_robust=robust.rmsea_ci_lower_robust,
                rmsea_ci_upper_robust=robust.rmsea_ci_upper_robust,
                rmsea_pvalue_robust=robust.rmsea_pvalue_robust)


def halving_step(objective, theta: np.ndarray, step: np.ndarray, value: float):
    """The Gauss-Newton move: theta + s step for the largest s in 1, 1/2, 1/4, ... (above 1e-6)
    that does not increase the objective, as (theta, objective, largest change); None when no
    such s exists (the optimum within rounding)."""
    scale = 1.0
    while scale > 1e-6:
        candidate = theta + scale * step
        new_value = objective(candidate)
        if new_value <= value + 1e-15 * max(1.0, value):
            return candidate, new_value, float(np.max(np.abs(scale * step), initial=0.0))
        scale /= 2
    return None


def _parameter_table(rows: list[Row], compiled: CompiledModel, thresholds: ThresholdParameters,
                     theta: np.ndarray, vcov: np.ndarray | None, source: str) -> pd.DataFrame:
    """lavaan's order: the user's rows, thresholds, lavaan's added rows, then the scaling
    factors (``~*~``: 1 / SD of the latent response, fixed to 1 under delta), intercepts and
    latent means (fixed to 0)."""
    n_model = compiled.n_free
    acov = np.zeros((len(theta), len(theta))) if vcov is None else vcov
    frame = estimate_rows(rows, compiled, theta[:n_model], acov[:n_model, :n_model])
    defined = defined_parameters(compiled.table.definitions, frame, theta, vcov, source)
    user = np.array([r.user for r in rows])
    se = np.sqrt(np.clip(np.diag(acov), 0, None))
    values = thresholds.values(theta)
    sd = dict(zip(compiled.observed, compiled.total_sd(theta[:n_model])[: compiled.p]))
    slots = {name: k for k, name in enumerate(thresholds.names)}

    def threshold_row(k: int) -> dict:
        (v, t), index = thresholds.names[k], thresholds.index[k]
        return dict(lhs=v, op="|", rhs=t, label=thresholds.label[k], est=values[k],
                    se=se[index] if index >= 0 else 0.0, std_all=values[k] / sd[v])

    threshold_rows = pd.DataFrame([threshold_row(k) for k in thresholds.order if not thresholds.mean_slot[k]])
    scaling = pd.DataFrame([dict(lhs=v, op="~*~", rhs=v, label="", est=1.0 / sd[v], se=0.0, std_all=1.0)
                            for v in compiled.observed if (v, "~1") not in slots])
    means = frame.op == "~1"
    if means.any():  # the mean structure of a model with continuous variables
        intercepts = frame[means]
    else:  # the latent responses' intercepts and the factors' means, fixed at 0
        intercepts = pd.DataFrame([dict(lhs=v, op="~1", rhs="", label="", est=0.0, se=0.0, std_all=0.0)
                                   for v in compiled.observed + compiled.table.latent])
    table = pd.concat([frame[user], threshold_rows, frame[~user & ~means], scaling, intercepts, defined],
                      ignore_index=True)
    return add_inference(table)[PARAMETER_COLUMNS]


def scaled_difference_test(restricted: OrdinalResults, free: OrdinalResults) -> dict:
    """The chi-square difference test of two nested WLSMV fits to the same data, as lavaan's
    ``lavTestLRT(restricted, free)``: Satorra's (2000) scaled-shifted difference of the two DWLS
    statistics. The restrictions A are the orthogonal complement of d theta_free / d theta_restricted
    (from the two models' Delta matrices, lavaan's ``A.method = "delta"``), so fixed paths and
    equality labels are both handled; with P = (D'WD)^-1 of the free model,
    U = W D P A'(A P A')^- A P D' W, a = sqrt(m / tr((U Gamma)^2)) and
    T = a (T_restricted - T_free) + m - a tr(U Gamma) on m = df difference.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> latent = 0.7 * rng.normal(size=(500, 1)) + np.sqrt(0.51) * rng.normal(size=(500, 4))
    >>> items = pd.DataFrame(np.digitize(latent, [-1.2, -0.4, 0.4, 1.2]) + 1, columns=["q1", "q2", "q3", "q4"])
    >>> free = fit_ordinal(items, "trust =~ q1 + q2 + q3 + q4")
    >>> equal = fit_ordinal(items, "trust =~ q1 + a*q2 + a*q3 + a*q4")
    >>> test = scaled_difference_test(equal, free)
    >>> {k: round(float(v), 3) for k, v in test.items()}
    {'chisq_diff': 1.065, 'df_diff': 2.0, 'pvalue': 0.587, 'scale': 1.339, 'shift': 0.001}
    """
    m = int(restricted.fit_measures["df"] - free.fit_measures["df"])
    if m <= 0:
        raise InputError("the restricted model must have more degrees of freedom than the free one")
    est1, est0 = free._estimation, restricted._estimation
    if est0.sample.shape != est1.sample.shape or not np.allclose(est0.sample, est1.sample):
        raise InputError("the two models are fitted to different data; a difference test needs the same items "
                         "and cases")
    delta1, p_inv = est1.information(free.theta)
    delta0, _ = est0.information(restricted.theta)
    h = np.linalg.pinv(delta1) @ delta0
    # rows spanning the complement of H's columns: the constraints that turn the free model into the restricted
    u_h, singular, _ = np.linalg.svd(h, full_matrices=True)
    rank = int(np.sum(singular > singular.max() * 1e-8)) if singular.size else 0
    a = u_h[:, rank:].T
    apa = a @ p_inv @ a.T
    projection = p_inv @ a.T @ np.linalg.pinv(apa) @ a @ p_inv
    wd = delta1 * est1.weights[:, None]
    u_gamma = wd @ projection @ (wd.T @ est1.gamma)
    trace, trace2 = float(np.trace(u_gamma)), float(np.sum(u_gamma * u_gamma.T))
    scale = math.sqrt(m / trace2)
    shift = m - scale * trace
    statistic = scale * (restricted.fit_measures["chisq"] - free.fit_measures["chisq"]) + shift
    return dict(chisq_diff=float(statistic), df_diff=m, pvalue=float(stats.chi2.sf(statistic, m)), scale=scale,
                shift=shift)


def standardized_solution(results: OrdinalResults) -> pd.DataFrame:
    """lavaan's ``standardizedSolution()`` of an ordinal fit: ``std_all`` with delta-method SEs
    (the Jacobian of the std.all column, defined parameters included, by central differences,
    with the fit's robust ACOV), z, p and the Wald 95% CI.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> latent = 0.7 * rng.normal(size=(500, 1)) + np.sqrt(0.51) * rng.normal(size=(500, 4))
    >>> items = pd.DataFrame(np.digitize(latent, [-1.2, -0.4, 0.4, 1.2]) + 1, columns=["q1", "q2", "q3", "q4"])
    >>> fit = fit_ordinal(items, "trust =~ q1 + q2 + q3 + q4")
    >>> standardized_solution(fit).query("op == '=~'")[["rhs", "est", "se", "ci_lower", "ci_upper"]].round(3)
      rhs    est     se  ci_lower  ci_upper
    0  q1  0.731  0.033     0.665     0.796
    1  q2  0.689  0.032     0.625     0.752
    2  q3  0.731  0.031     0.671     0.792
    3  q4  0.721  0.031     0.660     0.782
    """
    theta, vcov = results.theta, results.vcov

    def std_all(t: np.ndarray) -> np.ndarray:
        return results._solution.at(t, None)[1].std_all.to_numpy()

    base = results.parameters
    jacobian = np.zeros((len(base), len(theta)))
    for k in range(len(theta)):
        h = 1e-6 * max(1.0, abs(theta[k]))
        up, down = theta.copy(), theta.copy()
        up[k] += h
        down[k] -= h
        jacobian[:, k] = (std_all(up) - std_all(down)) / (2 * h)
    se = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", jacobian, vcov, jacobian), 0, None))
    frame = pd.DataFrame({"lhs": base.lhs, "op": base.op, "rhs": base.rhs, "est": base.std_all,
                          "se": np.where(se > 1e-10, se, 0.0)})
    return add_inference(frame)
