"""Power analysis, stage 2: one replication (sample, fit, test) and batches of them.

:func:`build_design` fits the analysis model to the population moments once: those values
are the truth that bias and coverage refer to, the warm start of every replication's fit, and
(inverted information) the first metric of its quasi-Newton refit. A replication then draws a
sample, refits from there (:meth:`CompiledModel.refit`, Fisher scoring when that fails),
records each structural path's estimate and standard error (the Wald test) and each indirect
effect's confidence interval: Monte Carlo (draws from the estimates' normal sampling
distribution, Preacher & Selig 2012) or percentile bootstrap.

Replication ``r`` at sample size ``n`` draws everything (responses, Monte Carlo draws,
bootstrap resamples) from its own generator ``np.random.default_rng([seed, n, r])`` and every
batch runs with one BLAS thread, so its numbers are the same whichever worker runs it, in
whichever batch.

>>> from semtrust.power.population import Population
>>> design = build_design(Population.from_syntax("m ~ 0.4*x\\ny ~ 0.4*m"), "m ~ x\\ny ~ m", seed=1)
>>> design.path_labels, design.effect_labels
(['m ~ x', 'y ~ m'], ['x -> m -> y'])
>>> batch = run_batch(design, 100, 0, 3)
>>> batch["converged"].tolist(), batch["estimates"].shape
([True, True, True], (3, 2))
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from semtrust.errors import EstimationError, InputError
from semtrust.estimation.compiled import CompiledModel
from semtrust.estimation.ml import SEM
from semtrust.power.population import Population
from semtrust.structural.effects import DefinedSet, EffectSet, enumerate_effects

__all__ = ["build_design", "run_batch", "Design"]

CI_METHODS = ("mc", "bootstrap")
POPULATION_N = 1000   # the population fit's n only scales its (unused) standard errors and fit measures


@dataclass
class Design:
    """Everything a worker needs to run replications; sent to each worker once.

    >>> from semtrust.power.population import Population
    >>> design = build_design(Population.from_syntax("m ~ 0.4*x\\ny ~ 0.4*m"), "m ~ x\\ny ~ m", seed=1)
    >>> design.effect_labels, design.effect_truth.round(3).tolist()
    (['x -> m -> y'], [0.16])
    """

    population: Population
    cholesky: np.ndarray            # of the population's continuous covariance
    columns: np.ndarray             # population positions of the analysis model's observed variables
    compiled: CompiledModel
    truth: np.ndarray               # analysis-model parameters at the population moments
    metric_inv: np.ndarray          # inverse of twice the population information
    covariate_cells: list           # (S row, S column, observed row, observed column) fixed at sample moments
    variance_params: np.ndarray     # free indices of variances (negative: improper solution)
    path_labels: list[str]
    path_params: np.ndarray
    effects: EffectSet
    effect_labels: list[str]
    effect_params: np.ndarray       # free indices the effects (and defined parameters) depend on
    df: int
    analysis_syntax: str
    seed: int
    alpha: float = 0.05
    ci: str = "mc"
    mc_draws: int = 1000
    bootstrap: int = 0
    defined: DefinedSet | None = None   # the analysis model's defined parameters (ind := a*b), tested as effects

    @property
    def path_truth(self) -> np.ndarray:
        return self.truth[self.path_params]

    def effect_draws(self, thetas: np.ndarray) -> np.ndarray:
        """The tested effects (indirect effects, then defined parameters), one row per parameter vector."""
        thetas = np.atleast_2d(thetas)
        parts = [np.zeros((len(thetas), 0))]
        if self.effects.effects:
            parts.append(self.effects.values(thetas))
        if self.defined is not None:
            parts.append(self.defined.values(thetas))
        return np.hstack(parts)

    def effect_values(self, theta: np.ndarray) -> np.ndarray:
        """The tested effects at ``theta`` (none when the model has no indirect paths or definitions)."""
        return self.effect_draws(theta)[0]

    @property
    def effect_truth(self) -> np.ndarray:
        return self.effect_values(self.truth)


def build_design(population: Population, analysis_syntax: str, *, seed: int, alpha: float = 0.05,
                 ci: str = "mc", mc_draws: int = 1000, bootstrap: int = 0,
                 source: str = "<analysis model>") -> Design:
    """Fit the analysis model to the population moments and package what replications need.

    >>> from semtrust.power.population import Population
    >>> design = build_design(Population.from_syntax("m ~ 0.4*x\\ny ~ 0.4*m"), "m ~ x\\ny ~ m", seed=1, ci="mc", mc_draws=500)
    >>> design.path_labels, design.path_truth.round(3).tolist()
    (['m ~ x', 'y ~ m'], [0.4, 0.4])
    """
    if ci not in CI_METHODS:
        raise InputError(f"--ci {ci}: use one of {', '.join(CI_METHODS)}")
    if ci == "bootstrap" and bootstrap < 10:
        raise InputError(f"--bootstrap {bootstrap}: bootstrap CIs need at least 10 resamples (1000 or more advised)")
    if not 0 < alpha < 0.5:
        raise InputError(f"--alpha {alpha}: use a significance level between 0 and .5, e.g. .05")
    model = SEM(analysis_syntax, source)
    absent = [v for v in model.observed if v not in population.observed]
    if absent:
        raise InputError(f"{source}: {', '.join(absent)} not in the population model ({population.source}); "
                         "the analysis model's observed variables must be the population's")
    columns = np.array([population.observed.index(v) for v in model.observed])
    moments = population.moments()[np.ix_(columns, columns)]
    try:
        results = model.fit(cov=pd.DataFrame(moments, index=model.observed, columns=model.observed),
                            n=POPULATION_N)
    except EstimationError as error:
        raise EstimationError(f"the analysis model cannot be fitted to the population moments: {error}") from None
    compiled = results.compiled
    rows = compiled.table.rows
    observed = {v: i for i, v in enumerate(compiled.observed)}
    covariate_cells = [(i, j, observed[r.lhs], observed[r.rhs])
                       for r, (_, i, j) in zip(rows, compiled.row_positions) if r.fixed_x]
    paths = [(f"{r.lhs} ~ {r.rhs}", r.free) for r in rows if r.op == "~" and r.free >= 0]
    # a total indirect effect is tested when it sums several specific ones
    effects = EffectSet(results, [e for e in enumerate_effects(results, contrasts=False)
                                  if e.kind == "indirect" or (e.kind == "total_indirect" and len(e.paths) > 1)])
    defined = DefinedSet(results) if results.partable.definitions else None
    labelled = [free for _, free, _, _ in defined.labels if free is not None] if defined else []
    p, q = compiled.p, len(compiled.table.covariates)
    return Design(
        population=population, cholesky=np.linalg.cholesky(population.covariance), columns=columns,
        compiled=compiled, truth=results.theta, metric_inv=np.linalg.inv(compiled.information(results.theta)) / 2,
        covariate_cells=covariate_cells,
        variance_params=np.array([r.free for r in rows if r.op == "~~" and r.lhs == r.rhs and r.free >= 0], int),
        path_labels=[label for label, _ in paths], path_params=np.array([k for _, k in paths], int),
        effects=effects,
        effect_labels=[e.label for e in effects.effects] + [d.label for d in (defined.effects if defined else [])],
        effect_params=np.unique(np.concatenate([effects.edge_free[effects.edge_free >= 0], labelled])).astype(int),
        df=p * (p + 1) // 2 - compiled.n_free - q * (q + 1) // 2, analysis_syntax=analysis_syntax,
        seed=seed, alpha=alpha, ci=ci, mc_draws=mc_draws, bootstrap=bootstrap if ci == "bootstrap" else 0,
        defined=defined)


def _covariance(rows: np.ndarray) -> np.ndarray:
    centered = rows - rows.mean(axis=0)
    return centered.T @ centered / len(rows)


def _fit(design: Design, cov: np.ndarray, start: np.ndarray, metric_inv: np.ndarray) -> np.ndarray | None:
    """ML estimates for a sample covariance, warm-started; None when the fit fails."""
    compiled = design.compiled
    for i, j, a, b in design.covariate_cells:   # fixed.x: covariate moments are the sample's
        compiled.S0[i, j] = compiled.S0[j, i] = cov[a, b]
    theta, converged, _ = compiled.refit(cov, start, metric_inv)
    if converged:
        return theta
    try:
        theta, _ = compiled.estimate(cov, start)
    except (EstimationError, np.linalg.LinAlgError, ValueError):
        return None
    return theta if np.all(np.isfinite(theta)) else None


def _interval(values: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval per column, ignoring failed draws."""
    if len(values) == 0:
        nan = np.full(values.shape[1], np.nan)
        return nan, nan
    lower, upper = np.quantile(values, [alpha / 2, 1 - alpha / 2], axis=0)
    return lower, upper


def _monte_carlo(design: Design, rng: np.random.Generator, theta: np.ndarray, vcov: np.ndarray):
    used = design.effect_params
    block = vcov[np.ix_(used, used)]
    values, vectors = np.linalg.eigh(block)
    root = vectors * np.sqrt(np.clip(values, 0, None))
    draws = np.tile(theta, (design.mc_draws, 1))
    draws[:, used] += rng.standard_normal((design.mc_draws, len(used))) @ root.T
    return _interval(design.effect_draws(draws), design.alpha)


def _bootstrap(design: Design, rng: np.random.Generator, data: np.ndarray, theta: np.ndarray,
               metric_inv: np.ndarray):
    n = len(data)
    estimates = []
    for _ in range(design.bootstrap):
        estimate = _fit(design, _covariance(data[rng.integers(0, n, size=n)]), theta, metric_inv)
        if estimate is not None:
            estimates.append(estimate)
    values = design.effect_draws(np.array(estimates)) if estimates else np.zeros((0, len(design.effect_labels)))
    return _interval(values, design.alpha)


def _replicate(design: Design, n: int, r: int) -> dict | None:
    """Replication ``r`` at sample size ``n``: estimates, SEs, effect CIs and the chi-square,
    or None when the model did not converge."""
    rng = np.random.default_rng([design.seed, n, r])
    data = design.population.sample(rng, n, design.cholesky)[:, design.columns]
    cov = _covariance(data)
    theta = _fit(design, cov, design.truth, design.metric_inv)
    if theta is None:
        return None
    compiled = design.compiled
    try:
        information = compiled.information(theta)
        inverse = np.linalg.inv(information)
    except np.linalg.LinAlgError:
        return None
    vcov = inverse / n
    se = np.sqrt(np.diag(vcov)[design.path_params])
    if not np.all(np.isfinite(se)) or np.any(se <= 0):
        return None
    chisq = n * compiled.objective(theta, cov, np.linalg.slogdet(cov)[1])
    effect_values = design.effect_values(theta)
    if not design.effect_labels:
        lower = upper = effect_values
    elif design.ci == "bootstrap":
        lower, upper = _bootstrap(design, rng, data, theta, inverse / 2)
    else:
        lower, upper = _monte_carlo(design, rng, theta, vcov)
    return {"estimates": theta[design.path_params], "se": se, "effects": effect_values,
            "lower": lower, "upper": upper, "chisq": chisq,
            "admissible": bool(np.all(theta[design.variance_params] >= 0))}


def run_batch(design: Design, n: int, first: int, count: int) -> dict:
    """Replications ``first`` .. ``first + count - 1`` at sample size ``n`` with one BLAS
    thread; arrays with one row per replication (NaN where the fit failed).

    >>> from semtrust.power.population import Population
    >>> design = build_design(Population.from_syntax("y ~ 0.3*x"), "y ~ x", seed=3)
    >>> batch = run_batch(design, 80, 0, 3)
    >>> batch["first"], batch["estimates"].round(3).tolist()
    (0, [[0.427], [0.151], [0.162]])
    """
    from threadpoolctl import threadpool_limits

    k, m = len(design.path_labels), len(design.effect_labels)
    out = {"n": n, "first": first, "converged": np.zeros(count, bool), "admissible": np.zeros(count, bool),
           "estimates": np.full((count, k), np.nan), "se": np.full((count, k), np.nan),
           "effects": np.full((count, m), np.nan), "lower": np.full((count, m), np.nan),
           "upper": np.full((count, m), np.nan), "chisq": np.full(count, np.nan)}
    with threadpool_limits(1):
        for offset in range(count):
            result = _replicate(design, n, first + offset)
            if result is None:
                continue
            out["converged"][offset] = True
            for key, value in result.items():
                out[key][offset] = value
    return out
