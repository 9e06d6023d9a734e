"""Seeded nonparametric bootstrap with fast warm-started refits, and Monte Carlo draws.

The fitted model's :meth:`~semtrust.estimation.base.FittedModel.resampler` does the refits
(for ML, warm-started quasi-Newton steps from the full-sample estimates), whatever the
estimator; resamples are spread over worker processes with one BLAS thread each. Resample ``b`` draws its rows from its own generator seeded with
``(seed, b)``, so the draws are identical whatever the number of workers. When the run fails or
is interrupted (Ctrl-C, SIGTERM) the workers are stopped at once, and on Linux they also end when
their parent is killed, so none outlives the run.

Confidence intervals: percentile (default), bias-corrected (BC) and BCa (jackknife
acceleration), following Efron & Tibshirani (1993).
"""
from __future__ import annotations

import math
import multiprocessing
import os
import signal
import sys
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import get_context

import numpy as np
from scipy import stats

from semtrust.estimation.base import FittedModel, Resampler

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


def _init_worker(resampler: Resampler, seed: int) -> None:
    from threadpoolctl import threadpool_limits

    _WORKER.update(resampler=resampler, seed=seed, limits=threadpool_limits(1))


def _init_worker_process(resampler: Resampler, seed: int, parent: int) -> None:
    """A worker process leaves Ctrl-C and SIGTERM to its parent (which stops the pool) and
    ends with it even when the parent is killed outright (Linux: PR_SET_PDEATHSIG)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)   # not the CLI's handler, inherited by fork
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)   # 1 = PR_SET_PDEATHSIG
        if os.getppid() != parent:   # the parent died before prctl
            os._exit(1)
    _init_worker(resampler, seed)


def resample_rows(seed: int, b: int, n: int) -> np.ndarray:
    """Row indices of bootstrap resample ``b``: its own generator, seeded with ``(seed, b)``, so
    any statistic of resample ``b`` (a refit, an HTMT) sees the same rows in every process."""
    return np.random.default_rng([seed, b]).integers(0, n, size=n)


def _chunk(first: int, count: int, rows_of) -> tuple:
    """Refits of draws ``first .. first + count - 1``; ``rows_of(k)`` gives draw k's cases."""
    resampler = _WORKER["resampler"]
    thetas, sds, ok = [], [], []
    for k in range(first, first + count):
        estimate = resampler.refit(rows_of(k))
        ok.append(estimate is not None)
        if estimate is not None:
            thetas.append(estimate)
            sds.append(resampler.total_sd(estimate))
    width = len(thetas[0]) if thetas else 0
    return first, np.array(thetas).reshape(len(thetas), width), np.array(sds).reshape(len(thetas), -1), np.array(ok)


def _bootstrap_chunk(first: int, count: int):
    n, seed = _WORKER["resampler"].n, _WORKER["seed"]
    return _chunk(first, count, lambda b: resample_rows(seed, b, n))


def _jackknife_chunk(first: int, count: int):
    everyone = np.arange(_WORKER["resampler"].n)
    return _chunk(first, count, lambda i: np.delete(everyone, i))


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
    with _worker_pool(workers, args) as pool:
        for result in pool.map(job, *zip(*chunks)):
            results.append(result)
            done += len(result[3])
            progress(done, total)
    return results


@contextmanager
def _worker_pool(workers: int, args: tuple):
    """A pool of forked workers that, when the run fails or is interrupted (Ctrl-C, SIGTERM),
    is stopped at once instead of finishing the queued resamples: no worker outlives the run."""
    before = set(multiprocessing.active_children())
    pool = ProcessPoolExecutor(workers, mp_context=get_context("fork"), initializer=_init_worker_process,
                               initargs=(*args, os.getpid()))
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        ours = set(multiprocessing.active_children()) - before
        for process in ours:
            process.terminate()
        for process in ours:
            process.join()
        raise
    pool.shutdown()


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def bootstrap(results: FittedModel, draws: int, seed: int, *, workers: int | None = None,
              jackknife: bool = False, progress=lambda done, total: None) -> Draws:
    """Nonparametric bootstrap of the fitted model (raw data required); with ``jackknife``,
    the leave-one-out refits BCa intervals need (a failed one keeps the full-sample estimate)."""
    workers = default_workers() if workers is None else workers
    args = (results.resampler(), seed)
    parts = sorted(_run(_bootstrap_chunk, draws, workers, args, progress), key=lambda r: r[0])
    theta = np.vstack([p[1] for p in parts])
    sd = np.vstack([p[2] for p in parts])
    failed = int(sum((~p[3]).sum() for p in parts))
    out = Draws(theta, sd, draws, failed, seed, "bootstrap")
    if jackknife:
        parts = sorted(_run(_jackknife_chunk, results.n, workers, args, lambda d, t: None), key=lambda r: r[0])
        thetas, sds = [], []
        for first, theta_part, sd_part, ok in parts:
            fill_theta = np.tile(results.theta, (len(ok), 1))
            fill_sd = np.tile(results.total_sd(results.theta), (len(ok), 1))
            fill_theta[ok], fill_sd[ok] = theta_part, sd_part
            thetas.append(fill_theta)
            sds.append(fill_sd)
        out.jackknife_theta, out.jackknife_sd = np.vstack(thetas), np.vstack(sds)
    return out


def monte_carlo(results: FittedModel, draws: int, seed: int) -> Draws:
    """Parameter vectors from N(estimates, ACOV) (Preacher & Selig 2012)."""
    rng = np.random.default_rng(seed)
    theta = rng.multivariate_normal(results.theta, results.vcov, size=draws, method="eigh")
    keep, sds = [], []
    for row in theta:
        sd = results.total_sd(row)
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
