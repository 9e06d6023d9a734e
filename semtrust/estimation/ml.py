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

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from semtrust.errors import EstimationError, InputError
from semtrust.estimation.base import FittedModel, Resampler
from semtrust.estimation.compiled import CompiledModel, fisher_scoring, start_values
from semtrust.estimation.fit_measures import (
    FitMeasures,
    baseline_model,
    fit_measures,
    robust_fit_measures,
    srmr,
    unrestricted_loglik,
)
from semtrust.estimation.missing import em_estimates, loglik, missing_patterns
from semtrust.estimation.robust import (
    CaseLikelihood,
    h1_information,
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
    mean_rows,
)
from semtrust.model.syntax import ModelSyntax, parse_model

Z975 = stats.norm.ppf(0.975)
ESTIMATORS = ("ML", "MLR")
MISSING = ("listwise", "fiml")


class SEM:
    """A structural equation model from lavaan syntax (the model, before data).

    ``SEM(syntax).fit(data)`` returns a :class:`SEMResults`; ``fit(cov=..., n=...)``
    fits summary data the way lavaan's ``sample.cov`` does.
    """

    def __init__(self, syntax: str | ModelSyntax, source: str = "<model>"):
        self.spec = syntax if isinstance(syntax, ModelSyntax) else parse_model(syntax, source)
        self.table = build_parameter_table(self.spec)
        self.source = self.spec.source

    @property
    def observed(self) -> list[str]:
        return self.table.observed

    def fit(self, data: pd.DataFrame | None = None, *, cov: pd.DataFrame | None = None,
            n: int | None = None, estimator: str = "ML", missing: str = "listwise") -> "SEMResults":
        """Fit by maximum likelihood. ``estimator="MLR"`` adds robust (sandwich) standard errors
        and the scaled chi-square; ``missing="fiml"`` uses every case's observed values (with a
        mean structure) instead of the complete cases."""
        if estimator not in ESTIMATORS:
            raise InputError(f"estimator '{estimator}' is not available; use one of {', '.join(ESTIMATORS)}")
        if missing not in MISSING:
            raise InputError(f"missing-data treatment '{missing}' is not available; use one of {', '.join(MISSING)}")
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
                raise InputError(f"{self.source}: only {n} complete rows for {len(self.observed)} variables "
                                 "(the sample covariance matrix would be singular); the model needs more "
                                 "complete responses than variables")
            centered = values - values.mean(axis=0)
            cov = pd.DataFrame(centered.T @ centered / n, index=self.observed, columns=self.observed)
        elif cov is None or n is None:
            raise ValueError("fit() needs data, or cov and n")
        elif estimator != "ML" or missing != "listwise":
            raise InputError("summary data (a covariance matrix) allow only estimator ML with complete data; "
                             "MLR and FIML need the raw responses")
        else:
            values = None
        cov = cov.loc[self.observed, self.observed]
        sample = cov.to_numpy(dtype=float)
        check_nonsingular(sample, self.observed)
        for r in self.table.rows:
            if r.fixed_x:
                r.value = float(cov.loc[r.lhs, r.rhs])
        compiled = CompiledModel(self.table, self.observed)
        try:
            theta, iterations = compiled.estimate(sample, start_values(self.table, compiled, cov))
        except EstimationError:   # a second start set before giving up: every loading as its SD ratio
            theta, iterations = self._named(compiled.estimate, sample,
                                            start_values(self.table, compiled, cov, scaled=True))
        cases = None
        if estimator == "MLR":
            self._no_covariates(estimator)
            cases = CaseData(missing_patterns(values), n, values.mean(axis=0), sample, complete=True)
        return SEMResults(self, compiled, theta, sample, int(n), iterations, data=values,
                          estimator=estimator, cases=cases)

    def _named(self, optimise, *args):
        """An optimiser's failure names the model it was fitting."""
        try:
            return optimise(*args)
        except EstimationError as error:
            message = str(error)
            raise EstimationError(message if message.startswith(self.source) else f"{self.source}: {message}") from None

    def _no_covariates(self, what: str) -> None:
        if self.table.covariates:
            raise InputError(f"{self.source}: {what} with observed exogenous predictors "
                             f"({', '.join(self.table.covariates)}) is not supported yet; "
                             "use --estimator ML --missing listwise or model them as single-indicator factors")

    def _fit_fiml(self, frame: pd.DataFrame, estimator: str) -> "SEMResults":
        self._no_covariates("FIML")
        values = frame.to_numpy()
        values = values[~np.isnan(values).all(axis=1)]
        if len(values) <= len(self.observed):
            raise InputError(f"{self.source}: only {len(values)} cases answered any of the {len(self.observed)} "
                             "variables; the model needs more cases than variables")
        patterns = missing_patterns(values)
        mean, cov = em_estimates(patterns, ", ".join(self.observed))
        check_nonsingular(cov, self.observed)
        return self.fit_cases(CaseData(patterns, len(values), mean, cov, complete=False), estimator)

    def fit_cases(self, cases: CaseData, estimator: str = "ML") -> "SEMResults":
        """FIML: casewise maximum likelihood over the missing-data patterns, with a mean
        structure, started from the ML fit to the EM moments."""
        cov = pd.DataFrame(cases.cov, index=self.observed, columns=self.observed)
        table = ParameterTable(self.table.rows + mean_rows(self.table), self.table.observed,
                               self.table.latent, self.table.covariates, self.table.definitions)
        compiled = CompiledModel(table, self.observed)
        start = start_values(table, compiled, cov)
        for r in table.rows:
            if r.op == "~1" and r.free >= 0:
                start[r.free] = cases.mean[self.observed.index(r.lhs)]
        likelihood = CaseLikelihood(compiled, cases.patterns, cases.n)
        theta, iterations = self._named(fisher_scoring, likelihood.objective, likelihood.gradient,
                                        likelihood.information, start)
        return SEMResults(self, compiled, theta, cases.cov, cases.n, iterations, data=None, estimator=estimator,
                          cases=cases, likelihood=likelihood)


def check_nonsingular(sample: np.ndarray, names: list[str] | None = None) -> None:
    """Refuse a singular covariance matrix naming the items: a constant one, or the items of
    the (near-)exact linear combination; a matrix that is only badly scaled (one column in
    different units, e.g. income in yuan beside 1-7 answers) is told to rescale instead."""
    names = names or [f"variable {k + 1}" for k in range(len(sample))]
    variances = np.diag(sample)
    constant = [n for n, v in zip(names, variances) if not v > 0]
    if constant:
        raise InputError(f"the item{'s' if len(constant) > 1 else ''} {', '.join(constant[:8])} "
                         f"{'are' if len(constant) > 1 else 'is'} constant (no variance); drop or fix "
                         f"{'them' if len(constant) > 1 else 'it'}")
    sd = np.sqrt(variances)
    values, vectors = np.linalg.eigh(sample / np.outer(sd, sd))   # the correlations: free of units
    if values[0] <= 1e-10:
        weights = np.abs(vectors[:, 0])
        involved = [names[k] for k in np.argsort(-weights) if weights[k] > 0.1][:8]
        raise InputError(f"the sample covariance matrix is singular: the items {', '.join(involved)} are "
                         "linearly dependent (one is a combination of "
                         "the others, e.g. a total score or a duplicated column); drop or merge one of them")
    if sd.max() / sd.min() > 1e6:
        big, small = names[int(np.argmax(sd))], names[int(np.argmin(sd))]
        raise InputError(f"the SD of {big} is {sd.max() / sd.min():.0e} times that of {small}; "
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

    def h1_information(self, meanstructure: bool) -> tuple[np.ndarray, np.ndarray]:
        """(A1, B1) of the saturated model, computed once for a model and its baseline."""
        if meanstructure not in self._h1:
            self._h1[meanstructure] = h1_information(self.patterns, self.n, self.mean, self.cov,
                                                     meanstructure, self.complete)
        return self._h1[meanstructure]


def estimate_rows(rows: list[Row], compiled: CompiledModel, theta: np.ndarray, vcov: np.ndarray) -> pd.DataFrame:
    """est, se and std.all (lavaan's conventions) for every row of a parameter table."""
    index = {v: i for i, v in enumerate(compiled.names)}
    A, S = compiled.matrices(theta)
    E = np.linalg.inv(np.eye(compiled.n_vars) - A)
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
    has_se = frame.se > 0
    frame["z"] = np.where(has_se, frame.est / frame.se.where(has_se, 1.0), np.nan)
    frame["pvalue"] = np.where(has_se, 2 * stats.norm.sf(np.abs(frame.z)), np.nan)
    frame["ci_lower"] = frame.est - Z975 * frame.se
    frame["ci_upper"] = frame.est + Z975 * frame.se
    return frame


class SEMResults(FittedModel):
    """Fitted model: the tidy parameter table, fit measures and implied moments."""

    def __init__(self, model: SEM, compiled: CompiledModel, theta: np.ndarray,
                 sample_cov: np.ndarray, n: int, iterations: int, data: np.ndarray | None = None,
                 estimator: str = "ML", cases: CaseData | None = None, likelihood=None):
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
        self.warnings: list[str] = []
        info = compiled.information(theta) if likelihood is None else likelihood.information(theta)
        # judged on the information's correlation form, so that a variable measured in thousands
        # (variances of 1e6) does not look like a non-identified model
        scale = np.sqrt(np.clip(np.diag(info), 0, None))
        if scale.min() <= 0 or np.linalg.eigvalsh(info / np.outer(scale, scale)).min() < 1e-10:
            raise EstimationError(f"{model.source}: the model is not identified (the information "
                                  "matrix is singular); fix a loading or a variance per factor")
        self.vcov = np.linalg.inv(info) / n
        if estimator == "MLR" or likelihood is not None:
            self.vcov = self._observed_vcov()
        self.implied_cov, E, S = compiled.implied(theta)
        self.total_cov = E @ S @ E.T
        self.parameters = self._parameter_table()
        self.fit_measures = self._fit_measures().to_series()
        self._check_solution()

    @property
    def source(self) -> str:
        return self.model.source

    @property
    def partable(self) -> ParameterTable:
        return self.model.table

    @property
    def variables(self) -> list[str]:
        return self.compiled.names

    def total_sd(self, theta: np.ndarray) -> np.ndarray:
        return self.compiled.total_sd(theta)

    def resampler(self) -> "MLResampler":
        if self.data is None:
            raise EstimationError("the bootstrap needs raw data; summary (covariance) input and FIML allow "
                                  "Monte Carlo CIs only")
        # BFGS starts from the inverse expected Hessian of the ML discrepancy (not from an MLR sandwich)
        metric_inv = np.linalg.inv(self.compiled.information(self.theta)) / 2.0
        return MLResampler(self.compiled, self.data, self.theta, metric_inv)

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
            gradient = lambda t: self.compiled.gradient(t, self.sample_cov)  # noqa: E731
        self._observed_information = numerical_hessian(lambda t: gradient(t) / 2, self.theta)
        try:
            inverse = np.linalg.inv(self._observed_information)
        except np.linalg.LinAlgError:
            raise EstimationError(f"{self.model.source}: the observed information matrix is singular; "
                                  "the model is not identified at the estimates") from None
        if self.estimator != "MLR":
            return inverse / self.n
        scores = model_scores(self.compiled, self.theta, self.cases.patterns, self.n, self.cases.mean)
        self._first_order = scores.T @ scores / self.n
        return inverse @ self._first_order @ inverse / self.n

    def _fit_measures(self) -> FitMeasures:
        n, p = self.n, self.compiled.p
        sample = self.sample_cov
        covariates = [self.compiled.observed.index(v) for v in self.model.table.covariates]
        if self.likelihood is None:
            f_ml = self.compiled.objective(self.theta, sample, np.linalg.slogdet(sample)[1])
            df = p * (p + 1) // 2 - self.compiled.n_free - len(covariates) * (len(covariates) + 1) // 2
            chisq, unrestricted = n * f_ml, unrestricted_loglik(sample, n, covariates)
            base_chisq, base_df = baseline_model(sample, n, covariates)
            fit_srmr = srmr(sample, self.implied_cov)
        else:
            unrestricted = loglik(self.cases.patterns, self.cases.mean, self.cases.cov)
            chisq = 2 * (unrestricted - self.likelihood.loglik(self.theta))
            df = p * (p + 3) // 2 - self.compiled.n_free
            base_chisq = 2 * (unrestricted - independence_loglik(self.cases.patterns))
            base_df = p * (p - 1) // 2
            fit_srmr = srmr(sample, self.implied_cov, self.cases.mean, self.compiled.implied_mean(self.theta))
        baseline = None
        if self.estimator == "MLR":
            if self._is_independence_model():
                baseline, base_chisq = self, chisq
            else:
                independence = SEM(independence_model(self.compiled.observed), f"{self.model.source} (baseline)")
                if self.likelihood is None:
                    baseline = independence.fit(pd.DataFrame(self.data, columns=self.compiled.observed),
                                                estimator="MLR")
                else:
                    baseline = independence.fit_cases(self.cases, "MLR")
                base_chisq = baseline.fit_measures.chisq
        measures = fit_measures(chisq=chisq, df=df, npar=self.compiled.n_free, n=n,
                                baseline_chisq=base_chisq, baseline_df=base_df,
                                unrestricted_logl=unrestricted, srmr=fit_srmr)
        if self.estimator == "MLR":
            measures = robust_fit_measures(measures, self.scaling_factor(df),
                                           baseline.scaling_factor(base_df))
        return measures

    def _is_independence_model(self) -> bool:
        return all(r.op == "~1" or (r.op == "~~" and r.lhs == r.rhs) for r in self.compiled.table.rows)

    def scaling_factor(self, df: int) -> float:
        """Yuan-Bentler (Mplus) scaling factor of this model's chi-square (MLR fits)."""
        A1, B1 = self.cases.h1_information(self.compiled.has_means)
        return scaling_factor(A1, B1, self._observed_information, self._first_order, df)

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
        """Model-implied correlations among any variables (latent or observed)."""
        index = [self.compiled.names.index(v) for v in names]
        cov = self.total_cov[np.ix_(index, index)]
        sd = np.sqrt(np.diag(cov))
        return pd.DataFrame(cov / np.outer(sd, sd), index=names, columns=names)

    def r_squared(self) -> dict[str, float]:
        """R² of every endogenous variable (1 - residual variance / total variance)."""
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
    gradient steps (:meth:`CompiledModel.refit`); Fisher scoring is the fallback."""

    def __init__(self, compiled: CompiledModel, data: np.ndarray, theta: np.ndarray, metric_inv: np.ndarray):
        self.compiled, self.data, self.theta, self.metric_inv = compiled, data, theta, metric_inv
        self.n = len(data)
        self.start_moments = compiled.moments(theta)

    def refit(self, rows: np.ndarray) -> np.ndarray | None:
        sample = self.data[rows]
        centered = sample - sample.mean(axis=0)
        cov = centered.T @ centered / len(sample)
        estimate, ok = self.compiled.refit(cov, self.theta, self.metric_inv, start_moments=self.start_moments)
        if not ok:
            try:
                estimate, _ = self.compiled.estimate(cov, self.theta)
            except (EstimationError, np.linalg.LinAlgError, ValueError):
                return None
        return estimate

    def total_sd(self, theta: np.ndarray) -> np.ndarray:
        return self.compiled.total_sd(theta)


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
    (lavaan differentiates defined parameters numerically too)."""
    grad = np.zeros(len(theta))
    for k in range(len(theta)):
        h = 1e-6 * max(1.0, abs(theta[k]))
        up, down = theta.copy(), theta.copy()
        up[k] += h
        down[k] -= h
        grad[k] = (function(up) - function(down)) / (2 * h)
    return function(theta), math.sqrt(max(grad @ vcov @ grad, 0.0))

