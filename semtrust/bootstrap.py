"""Seeded nonparametric bootstrap with fast warm-started refits, and Monte Carlo draws.

Each resample changes only the sample covariance matrix, so every refit starts from the
full-sample estimates and takes quasi-Newton steps with the full-sample information as a
fixed metric (:meth:`CompiledModel.refit`); resamples are spread over worker processes with
one BLAS thread each. Resample ``b`` draws its rows from its own generator seeded with
``(seed, b)``, so the draws are identical whatever the number of workers.

Confidence intervals: percentile (default), bias-corrected (BC) and BCa (jackknife
acceleration), following Efron & Tibshirani (1993).
"""
from __future__ import annotations

import math
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context

import numpy as np
from scipy import stats

from semtrust.engine import CompiledModel, EstimationError, SEMResults

CI_METHODS = ("percentile", "bc", "bca")
CHUNK = 100


@dataclass
class Draws:
    """Parameter vectors and total SDs, one row per successful draw."""

    theta: np.ndarray
    sd: np.ndarray
    requested: int
    failed: int
    seed: int
    method: str                      # "bootstrap" or "monte carlo"
    jackknife_theta: np.ndarray | None = None
    jackknife_sd: np.ndarray | None = None


_WORKER: dict = {}


def _init_worker(compiled: CompiledModel, data: np.ndarray, theta: np.ndarray, metric_inv: np.ndarray,
                 seed: int) -> None:
    from threadpoolctl import threadpool_limits

    _WORKER.update(compiled=compiled, data=data, theta=theta, metric_inv=metric_inv, seed=seed,
                   limits=threadpool_limits(1))


def _covariance(rows: np.ndarray) -> np.ndarray:
    centered = rows - rows.mean(axis=0)
    return centered.T @ centered / len(rows)


def _refit(compiled: CompiledModel, cov: np.ndarray, theta: np.ndarray, metric_inv: np.ndarray):
    estimate, ok = compiled.refit(cov, theta, metric_inv)
    if not ok:
        try:
            estimate, _ = compiled.estimate(cov, theta)
        except (EstimationError, np.linalg.LinAlgError, ValueError):
            return None
    return estimate


def resample_rows(seed: int, b: int, n: int) -> np.ndarray:
    """Row indices of bootstrap resample ``b``: its own generator, seeded with ``(seed, b)``, so
    any statistic of resample ``b`` (a refit, an HTMT) sees the same rows in every process."""
    return np.random.default_rng([seed, b]).integers(0, n, size=n)


def _bootstrap_chunk(first: int, count: int):
    w = _WORKER
    data, n = w["data"], len(w["data"])
    thetas, sds, ok = [], [], []
    for b in range(first, first + count):
        rows = resample_rows(w["seed"], b, n)
        estimate = _refit(w["compiled"], _covariance(data[rows]), w["theta"], w["metric_inv"])
        ok.append(estimate is not None)
        if estimate is not None:
            thetas.append(estimate)
            sds.append(w["compiled"].total_sd(estimate))
    return first, np.array(thetas).reshape(-1, len(w["theta"])), np.array(sds).reshape(len(thetas), -1), np.array(ok)


def _jackknife_chunk(first: int, count: int):
    w = _WORKER
    data = w["data"]
    thetas, sds = [], []
    for i in range(first, first + count):
        estimate = _refit(w["compiled"], _covariance(np.delete(data, i, axis=0)), w["theta"], w["metric_inv"])
        estimate = w["theta"] if estimate is None else estimate
        thetas.append(estimate)
        sds.append(w["compiled"].total_sd(estimate))
    return first, np.array(thetas), np.array(sds), np.ones(count, bool)


def _run(job, total: int, workers: int, args: tuple, progress) -> list:
    chunks = [(start, min(CHUNK, total - start)) for start in range(0, total, CHUNK)]
    done, results = 0, []
    if workers <= 1:
        _init_worker(*args)
        try:
            for chunk in chunks:
                results.append(job(*chunk))
                done += chunk[1]
                progress(done, total)
        finally:
            _WORKER.pop("limits").restore_original_limits()
            _WORKER.clear()
        return results
    with ProcessPoolExecutor(workers, mp_context=get_context("fork"), initializer=_init_worker,
                             initargs=args) as pool:
        for result in pool.map(job, *zip(*chunks)):
            results.append(result)
            done += len(result[3])
            progress(done, total)
    return results


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def bootstrap(results: SEMResults, draws: int, seed: int, *, workers: int | None = None,
              jackknife: bool = False, progress=lambda done, total: None) -> Draws:
    """Nonparametric bootstrap of the fitted model (raw data required)."""
    if results.data is None:
        raise EstimationError("the bootstrap needs raw data; summary (covariance) input allows Monte Carlo CIs only")
    workers = default_workers() if workers is None else workers
    # BFGS starts from the inverse expected Hessian of the ML discrepancy (not from an MLR sandwich)
    metric_inv = np.linalg.inv(results.compiled.information(results.theta)) / 2.0
    args = (results.compiled, results.data, results.theta, metric_inv, seed)
    parts = sorted(_run(_bootstrap_chunk, draws, workers, args, progress), key=lambda r: r[0])
    theta = np.vstack([p[1] for p in parts])
    sd = np.vstack([p[2] for p in parts])
    failed = int(sum((~p[3]).sum() for p in parts))
    out = Draws(theta, sd, draws, failed, seed, "bootstrap")
    if jackknife:
        parts = sorted(_run(_jackknife_chunk, results.n, workers, args, lambda d, t: None), key=lambda r: r[0])
        out.jackknife_theta = np.vstack([p[1] for p in parts])
        out.jackknife_sd = np.vstack([p[2] for p in parts])
    return out


def monte_carlo(results: SEMResults, draws: int, seed: int) -> Draws:
    """Parameter vectors from N(estimates, ACOV) (Preacher & Selig 2012)."""
    rng = np.random.default_rng(seed)
    theta = rng.multivariate_normal(results.theta, results.vcov, size=draws, method="eigh")
    keep, sds = [], []
    for row in theta:
        sd = results.compiled.total_sd(row)
        if np.all(np.isfinite(sd)):
            keep.append(row)
            sds.append(sd)
    return Draws(np.array(keep), np.array(sds), draws, draws - len(keep), seed, "monte carlo")


def interval(draws: np.ndarray, estimate: float, method: str = "percentile", level: float = 0.95,
             jackknife: np.ndarray | None = None) -> tuple[float, float]:
    """Percentile, BC or BCa interval of one statistic from its draws."""
    draws = draws[np.isfinite(draws)]
    if len(draws) == 0:
        return math.nan, math.nan
    alpha = (1 - level) / 2
    if method == "percentile" or np.ptp(draws) == 0:
        return tuple(float(q) for q in np.quantile(draws, [alpha, 1 - alpha]))
    proportion = np.clip(np.mean(draws < estimate) + 0.5 * np.mean(draws == estimate), 1 / len(draws), 1 - 1 / len(draws))
    z0 = stats.norm.ppf(proportion)
    accel = 0.0
    if method == "bca":
        if jackknife is None:
            raise ValueError("BCa needs jackknife values")
        diffs = jackknife.mean() - jackknife
        denominator = 6.0 * (np.sum(diffs ** 2) ** 1.5)
        accel = float(np.sum(diffs ** 3) / denominator) if denominator > 0 else 0.0
    elif method != "bc":
        raise ValueError(f"unknown CI method {method!r}; use one of {', '.join(CI_METHODS)}")
    bounds = []
    for z in stats.norm.ppf([alpha, 1 - alpha]):
        adjusted = stats.norm.cdf(z0 + (z0 + z) / (1 - accel * (z0 + z)))
        bounds.append(float(np.quantile(draws, adjusted)))
    return bounds[0], bounds[1]


def console_progress(label: str):
    """A one-line progress bar on stderr (only when it is a terminal)."""
    if not sys.stderr.isatty():
        return lambda done, total: None

    def show(done, total):
        width = 30
        filled = int(width * done / total)
        end = "\n" if done >= total else ""
        print(f"\r· {label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end=end,
              file=sys.stderr, flush=True)

    return show
