"""Seeded nonparametric bootstrap with fast warm-started refits, and Monte Carlo draws.

The fitted model's :meth:`~semtrust.estimation.base.FittedModel.resampler` does the refits
(for ML, warm-started quasi-Newton steps from the full-sample estimates), whatever the
estimator; resamples are spread over worker processes with one BLAS thread each, or with
``scheduler`` (``tcp://HOST:8786`` or a :class:`distributed.Client`) over the workers of a Dask
cluster through :mod:`semtrust.cluster`, the executor of the power analysis. Resample ``b``
draws its rows from its own generator seeded with ``(seed, b)``, so the draws are identical
whatever the number of workers and wherever they run. A run's bootstraps share one
:class:`ResamplingPool`: each is submitted as soon as its model is fitted and
collected when its intervals are needed, so the workers refit while the run goes on. When the
run fails or is interrupted (Ctrl-C, SIGTERM) the workers are stopped at once, and on Linux they
also end when their parent is killed, so none outlives the run.

Confidence intervals: percentile (default), bias-corrected (BC) and BCa (jackknife
acceleration), following Efron & Tibshirani (1993).
"""
from __future__ import annotations

import gc
import math
import multiprocessing
import os
import pickle
import sys
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from multiprocessing import get_context

import numpy as np
from scipy import stats

from semtrust.estimation.base import FittedModel, Resampler
from semtrust.processes import follow_parent

__all__ = ["bootstrap", "monte_carlo", "interval", "resample_rows", "Draws", "ResamplingPool"]

CI_METHODS = ("percentile", "bc", "bca")
CHUNK = 50     # draws per task: small enough that the workers finish together


@dataclass
class Draws:
    """Parameter vectors and total SDs, one row per successful draw.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(300, 1))
    >>> data = pd.DataFrame(f @ [[1, 0.8, 0.9, 0.5]] + rng.normal(size=(300, 4)), columns=["x1", "x2", "x3", "y"])
    >>> from semtrust.estimation.ml import SEM
    >>> draws = monte_carlo(SEM("F =~ x1 + x2 + x3").fit(data), 200, seed=1)
    >>> draws.method, draws.theta.shape, draws.sd.shape, draws.failed
    ('monte carlo', (200, 6), (200, 4), 0)
    """

    theta: np.ndarray
    sd: np.ndarray
    requested: int
    failed: int
    seed: int
    method: str                      # "bootstrap" or "monte carlo"
    jackknife_theta: np.ndarray | None = None
    jackknife_sd: np.ndarray | None = None


_WORKER: dict = {}


def _init_worker() -> None:
    from threadpoolctl import threadpool_limits

    _WORKER.update(limits=threadpool_limits(1), resamplers={})


def _init_worker_process(parent: int) -> None:
    """A worker process leaves Ctrl-C and SIGTERM to its parent (which stops the pool) and
    ends with it even when the parent is killed outright (:func:`semtrust.processes.follow_parent`)."""
    follow_parent(parent)
    _init_worker()


def resample_rows(seed: int, b: int, n: int, strata: tuple | None = None) -> np.ndarray:
    """Row indices of bootstrap resample ``b``: its own generator, seeded with ``(seed, b)``, so
    any statistic of resample ``b`` (a refit, an HTMT) sees the same rows in every process. With
    ``strata`` (group sizes, the rows stacked group after group) each group's rows are drawn from
    that group, as lavaan's bootstrap of a multi-group model.

    >>> resample_rows(1, 0, 5, strata=(2, 3)).tolist()[:2] in ([0, 0], [0, 1], [1, 0], [1, 1])
    True

    >>> resample_rows(seed=7, b=0, n=10).tolist()
    [9, 6, 6, 8, 5, 7, 8, 2, 0, 3]
    >>> bool((resample_rows(7, 3, 10) == resample_rows(7, 3, 10)).all())
    True
    """
    generator = np.random.default_rng([seed, b])
    if strata is None:
        return generator.integers(0, n, size=n)
    starts = np.cumsum((0,) + tuple(strata))[:-1]
    return np.concatenate([start + generator.integers(0, size, size=size) for start, size in zip(starts, strata)])


def _refit_chunk(job: int, payload: bytes, kind: str, seed: int, first: int, count: int) -> tuple:
    """Refits of draws ``first .. first + count - 1`` of job ``job`` (its resampler pickled in
    ``payload``, unpickled once per process): bootstrap resamples, or leave-one-out fits."""
    resamplers = _WORKER["resamplers"]
    if job not in resamplers:
        resamplers[job] = pickle.loads(payload)
    return _refits(resamplers[job], kind, seed, first, count)


def _refit_chunk_on_cluster(resampler: Resampler, kind: str, seed: int, first: int, count: int) -> tuple:
    """:func:`_refit_chunk` on a Dask worker: the resampler arrives once per worker (scattered),
    the refits run with one BLAS thread, as in the local worker processes."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return _refits(resampler, kind, seed, first, count)


def _refits(resampler: Resampler, kind: str, seed: int, first: int, count: int) -> tuple:
    """(first, estimates, total SDs, which draws succeeded) of draws ``first .. first + count - 1``."""
    if kind == "bootstrap":
        rows_of = lambda b: resample_rows(seed, b, resampler.n, resampler.strata)   # noqa: E731
    else:
        everyone = np.arange(resampler.n)
        rows_of = lambda i: np.delete(everyone, i)   # noqa: E731
    thetas, sds, ok = [], [], []
    for estimate in resampler.refit_many(np.stack([rows_of(k) for k in range(first, first + count)])):
        ok.append(estimate is not None)
        if estimate is not None:
            thetas.append(estimate)
            sds.append(resampler.total_sd(estimate))
    width = len(thetas[0]) if thetas else 0
    return first, np.array(thetas).reshape(len(thetas), width), np.array(sds).reshape(len(thetas), -1), np.array(ok)


class _Refits:
    """The chunks of one job's refits, submitted to the pool's workers (or run here, when they
    are collected, without workers); :meth:`parts` returns them in draw order."""

    def __init__(self, pool: "ResamplingPool", resampler: Resampler, kind: str, seed: int, total: int):
        self.pool, self.total = pool, total
        self.args = (len(pool.jobs), pickle.dumps(resampler), kind, seed)
        self.chunks = [(start, min(CHUNK, total - start)) for start in range(0, total, CHUNK)]
        pool.jobs.append(self)
        self.futures = pool.start(resampler, self.args, self.chunks)

    def parts(self, progress) -> list:
        done, results = 0, []
        if self.futures is None:
            _init_worker()
            try:
                for chunk in self.chunks:
                    results.append(_refit_chunk(*self.args, *chunk))
                    done += chunk[1]
                    progress(done, self.total)
            finally:
                _WORKER.pop("limits").restore_original_limits()
                _WORKER.clear()
            return results
        for future in self.futures:
            results.append(future.result())
            done += len(results[-1][3])
            progress(done, self.total)
        return results


class PendingDraws:
    """A bootstrap submitted to a :class:`ResamplingPool`; :meth:`result` waits for its draws."""

    def __init__(self, pool: "ResamplingPool", results: FittedModel, draws: int, seed: int, jackknife: bool):
        self.results, self.draws, self.seed = results, draws, seed
        resampler = results.resampler()
        self.resamples = _Refits(pool, resampler, "bootstrap", seed, draws)
        self.jackknife = _Refits(pool, resampler, "jackknife", seed, results.n) if jackknife else None
        self._draws: Draws | None = None

    def result(self, progress=lambda done, total: None) -> Draws:
        if self._draws is not None:
            return self._draws
        parts = self.resamples.parts(progress)
        theta = np.vstack([p[1] for p in parts])
        sd = np.vstack([p[2] for p in parts])
        failed = int(sum((~p[3]).sum() for p in parts))
        out = Draws(theta, sd, self.draws, failed, self.seed, "bootstrap")
        if self.jackknife is not None:
            results, thetas, sds = self.results, [], []
            for first, theta_part, sd_part, ok in self.jackknife.parts(lambda d, t: None):
                fill_theta = np.tile(results.theta, (len(ok), 1))
                fill_sd = np.tile(results.total_sd(results.theta), (len(ok), 1))
                fill_theta[ok], fill_sd[ok] = theta_part, sd_part
                thetas.append(fill_theta)
                sds.append(fill_sd)
            out.jackknife_theta, out.jackknife_sd = np.vstack(thetas), np.vstack(sds)
        self._draws = out
        return out


class ResamplingPool:
    """One set of worker processes for every bootstrap of a run. A bootstrap is submitted when
    its model is fitted (:meth:`submit`) and collected when its intervals are needed, so the
    workers refit while the main process runs the other stages, and the run starts its
    processes once. With ``workers`` <= 1 the refits run in this process when collected; with a
    ``scheduler`` (``tcp://HOST:8786`` or a Client) on that Dask cluster's workers instead. Use
    as a context manager (the workers stop at its end).

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(300, 1))
    >>> data = pd.DataFrame(f @ [[1, 0.8, 0.9, 0.5]] + rng.normal(size=(300, 4)), columns=["x1", "x2", "x3", "y"])
    >>> from semtrust.estimation.ml import SEM
    >>> fit = SEM("F =~ x1 + x2 + x3").fit(data)
    >>> with ResamplingPool(workers=1) as pool:
    ...     pending = pool.submit(fit, draws=50, seed=3)
    ...     draws = pending.result()
    >>> draws.theta.shape, draws.failed
    ((50, 6), 0)
    """

    def __init__(self, workers: int | None = None, scheduler=None):
        self.workers = default_workers() if workers is None else workers
        self.scheduler = scheduler
        self.jobs: list[_Refits] = []
        self._executor = None
        self._before: set = set()
        self._cluster: ExitStack | None = None
        self._client = None

    def start(self, resampler: Resampler, args: tuple, chunks: list[tuple[int, int]]) -> list | None:
        """Submit a job's chunks (``args`` as :func:`_refit_chunk` takes them): to the Dask
        cluster, to the worker processes, or None (run when collected)."""
        if self.scheduler is not None:
            from semtrust.cluster import submit_batches

            return submit_batches(self.connect(), _refit_chunk_on_cluster, resampler,
                                  [(*args[2:], *c) for c in chunks])
        executor = self.executor()
        return None if executor is None else [executor.submit(_refit_chunk, *args, *c) for c in chunks]

    def executor(self) -> ProcessPoolExecutor | None:
        if self.workers > 1 and self._executor is None:
            before = set(multiprocessing.active_children())
            # the workers fork from this process: with its objects frozen, their garbage
            # collector never walks (and so copies) the inherited heap; ~8 % less worker CPU
            gc.freeze()
            self._executor = ProcessPoolExecutor(self.workers, mp_context=get_context("fork"),
                                                 initializer=_init_worker_process, initargs=(os.getpid(),))
            self._before = before
        return self._executor

    def connect(self):
        """The Dask client of ``scheduler``, connected once (on entering the pool, so an
        unreachable scheduler stops a run before its fit)."""
        from semtrust.cluster import dask_client

        if self._client is None:
            self._cluster = ExitStack()
            try:
                self._client = self._cluster.enter_context(dask_client(self.scheduler, None))
            except BaseException:
                self._cluster = None
                raise
        return self._client

    @property
    def refitting(self) -> bool:
        """Whether bootstraps went to worker processes (the caller is free meanwhile)."""
        return self._executor is not None or self._client is not None

    def submit(self, results: FittedModel, draws: int, seed: int, *, jackknife: bool = False) -> PendingDraws:
        """Start the nonparametric bootstrap of ``results`` (see :func:`bootstrap`)."""
        return PendingDraws(self, results, draws, seed, jackknife)

    def close(self, interrupted: bool = False) -> None:
        """Stop the workers; when the run failed or was interrupted, at once, without finishing
        the queued resamples."""
        if self._cluster is not None:   # the scheduler forgets the tasks of a client that leaves
            self._cluster.close()
            self._cluster = self._client = None
        if self._executor is None:
            return
        if not interrupted:
            self._executor.shutdown(cancel_futures=True)
        else:
            self._executor.shutdown(wait=False, cancel_futures=True)
            ours = set(multiprocessing.active_children()) - self._before
            for process in ours:
                process.terminate()
            for process in ours:
                process.join()
        self._executor = None
        gc.unfreeze()

    def __enter__(self) -> "ResamplingPool":
        if self.scheduler is not None:
            self.connect()
        return self

    def __exit__(self, exc_type, *exc) -> None:
        self.close(interrupted=exc_type is not None)


def default_workers() -> int:
    """Worker processes for resampling when none are asked for: every core, at most eight."""
    return max(1, min(os.cpu_count() or 1, 8))


def bootstrap(results: FittedModel, draws: int, seed: int, *, workers: int | None = None,
              jackknife: bool = False, progress=lambda done, total: None) -> Draws:
    """Nonparametric bootstrap of the fitted model (raw data required); with ``jackknife``,
    the leave-one-out refits BCa intervals need (a failed one keeps the full-sample estimate).

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(300, 1))
    >>> data = pd.DataFrame(f @ [[1, 0.8, 0.9, 0.5]] + rng.normal(size=(300, 4)), columns=["x1", "x2", "x3", "y"])
    >>> from semtrust.estimation.ml import SEM
    >>> fit = SEM("F =~ x1 + x2 + x3").fit(data)
    >>> draws = bootstrap(fit, 100, seed=1, workers=1)
    >>> draws.method, draws.theta.shape, round(float(draws.theta[:, 0].std()), 3)
    ('bootstrap', (100, 6), 0.107)
    """
    with ResamplingPool(workers) as pool:
        return pool.submit(results, draws, seed, jackknife=jackknife).result(progress)


def monte_carlo(results: FittedModel, draws: int, seed: int) -> Draws:
    """Parameter vectors from N(estimates, ACOV) (Preacher & Selig 2012).

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(300, 1))
    >>> data = pd.DataFrame(f @ [[1, 0.8, 0.9, 0.5]] + rng.normal(size=(300, 4)), columns=["x1", "x2", "x3", "y"])
    >>> from semtrust.estimation.ml import SEM
    >>> fit = SEM("F =~ x1 + x2 + x3").fit(data)
    >>> draws = monte_carlo(fit, 2000, seed=1)
    >>> round(float(draws.theta[:, 0].std()), 3), round(float(fit.parameters.se.iloc[1]), 3)
    (0.109, 0.108)
    """
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
    """Percentile, BC or BCa interval of one statistic from its draws.

    >>> import numpy as np
    >>> draws = np.random.default_rng(0).normal(0.5, 0.1, size=2000)
    >>> [round(x, 3) for x in interval(draws, 0.5)], [round(x, 3) for x in interval(draws, 0.5, "bc")]
    ([0.306, 0.691], [0.311, 0.698])
    """
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
