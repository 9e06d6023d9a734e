"""Seeded, vectorised bootstrap of every PLS statistic, with percentile and BCa intervals.

Stage: inference for the PLS estimator. Resample ``b`` draws its rows with the project's
per-resample generator (:func:`semtrust.bootstrap.resample_rows`, seeded with ``(seed, b)``).
Resamples are processed in fixed chunks of :data:`CHUNK` by index: the chunk's correlation
matrices are built as one 3-D array and the PLS algorithm runs on the whole stack at once
(:func:`semtrust.estimation.pls.algorithm.solve_stack`), so there is no Python loop per
resample. Chunks go to worker processes with one BLAS thread each; because chunk boundaries
do not depend on the number of workers, the draws are identical whatever that number.
No sign correction is applied to the draws (the SmartPLS and seminr default).

>>> rows = resample_rows(7, 0, 5)
>>> rows.tolist() == resample_rows(7, 0, 5).tolist()
True
"""
from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context

import numpy as np

from semtrust.estimation.bootstrap import default_workers, resample_rows
from semtrust.estimation.pls.algorithm import Layout, solve_stack
from semtrust.estimation.pls.model import PLSModel
from semtrust.estimation.pls.statistics import statistic_keys, statistic_values

__all__ = []

CHUNK = 500


@dataclass(frozen=True)
class Problem:
    """What a worker needs to recompute the statistics on any set of rows.

    For a two-stage higher-order model ``data`` holds the stage-1 slots and ``first_stage`` the
    stage-1 layout with, per stage-2 slot, its stage-1 slot (≥ 0) or −(k + 1) for the scores of
    stage-1 construct k: each resample then re-estimates stage 1 and builds stage 2's correlations
    as T'ST from it, so the bootstrap covers both stages."""

    data: np.ndarray          # n × slots, standardized
    model: PLSModel
    layout: Layout
    weighting: str
    consistent: bool
    first_stage: tuple[Layout, np.ndarray] | None = None

    def correlations(self, counts: np.ndarray) -> np.ndarray:
        """The (stage-2) slot correlation matrices of the samples described by ``counts``."""
        cor = correlation_stack(self.data, counts)
        if self.first_stage is None:
            return cor
        layout, sources = self.first_stage
        weights = solve_stack(cor, layout, weighting=self.weighting, consistent=self.consistent).weights
        transform = np.zeros((len(cor), cor.shape[1], len(sources)))
        for column, source in enumerate(sources):
            if source >= 0:
                transform[:, source, column] = 1.0
            else:
                transform[:, :, column] = weights[:, :, -source - 1]
        cov = np.swapaxes(transform, 1, 2) @ cor @ transform
        scale = 1.0 / np.sqrt(np.einsum("bpp->bp", cov))
        return cov * scale[:, :, None] * scale[:, None, :]


@dataclass
class PLSDraws:
    """Bootstrap draws (one row per successful resample) and, for BCa, jackknife values."""

    values: np.ndarray
    requested: int
    failed: int
    not_converged: int
    seed: int
    jackknife: np.ndarray | None = None


def case_counts(rows: np.ndarray, n: int) -> np.ndarray:
    """How often each of the n cases appears in each row set (stack × n)."""
    stack = len(rows)
    return np.bincount((rows + n * np.arange(stack)[:, None]).ravel(), minlength=stack * n).reshape(stack, n)


def moments_stack(data: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Means (stack × p) and covariances (divisor: sample size; stack × p × p) of the samples that
    take case i ``counts[b, i]`` times: two matrix products, no copy of any sample."""
    p = data.shape[1]
    share = counts / counts.sum(axis=1, keepdims=True)
    mean = share @ data
    upper = np.triu_indices(p)   # the products are symmetric: compute each pair once
    second = np.empty((len(counts), p, p))
    second[:, upper[0], upper[1]] = share @ (data[:, upper[0]] * data[:, upper[1]])
    second[:, upper[1], upper[0]] = second[:, upper[0], upper[1]]
    return mean, second - mean[:, :, None] * mean[:, None, :]


def correlation_stack(data: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Correlation matrices of the samples described by ``counts`` (see :func:`moments_stack`)."""
    cov = moments_stack(data, counts)[1]
    scale = 1.0 / np.sqrt(np.einsum("bpp->bp", cov))
    return cov * scale[:, :, None] * scale[:, None, :]


def statistics_of_rows(problem: Problem, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Statistics (stack × m) and convergence flags of the model refitted on each row set."""
    with np.errstate(invalid="ignore", divide="ignore"):   # a degenerate resample yields NaN and is dropped
        cor = problem.correlations(case_counts(rows, len(problem.data)))
        fit = solve_stack(cor, problem.layout, weighting=problem.weighting, consistent=problem.consistent)
        return statistic_values(cor, fit, problem.model, problem.layout), fit.converged


_WORKER: dict = {}


def _init_worker(problem: Problem) -> None:
    from threadpoolctl import threadpool_limits

    _WORKER.update(problem=problem, limits=threadpool_limits(1))


def worker_problem() -> Problem:
    """The problem this process was given by :func:`map_chunks` (in a worker or in-process)."""
    return _WORKER["problem"]


def _resample_chunk(seed: int, first: int, count: int):
    problem = worker_problem()
    n = len(problem.data)
    rows = np.stack([resample_rows(seed, b, n) for b in range(first, first + count)])
    return statistics_of_rows(problem, rows)


def _jackknife_chunk(first: int, count: int):
    problem = worker_problem()
    n = len(problem.data)
    everyone = np.arange(n)
    rows = np.stack([np.delete(everyone, i) for i in range(first, first + count)])
    return statistics_of_rows(problem, rows)


def map_chunks(job, problem: Problem, total: int, workers: int, *leading) -> list:
    """``job(*leading, first, count)`` over fixed chunks of ``total`` items, in order, on ``workers``
    processes (each with one BLAS thread) that can read ``problem`` via :func:`worker_problem`."""
    starts = list(range(0, total, CHUNK))
    counts = [min(CHUNK, total - s) for s in starts]
    if workers <= 1:
        _init_worker(problem)
        try:
            return [job(*leading, s, c) for s, c in zip(starts, counts)]
        finally:
            _WORKER.pop("limits").restore_original_limits()
            _WORKER.clear()
    with ProcessPoolExecutor(workers, mp_context=get_context("fork"), initializer=_init_worker,
                             initargs=(problem,)) as pool:
        return list(pool.map(job, *([value] * len(starts) for value in leading), starts, counts))


def bootstrap_statistics(problem: Problem, draws: int, seed: int, *, workers: int | None = None,
                         jackknife: bool = False) -> PLSDraws:
    """``draws`` resamples of every statistic; resamples whose weights, loadings or paths are not
    finite are dropped (and counted); a statistic undefined in a draw (an HTMT over a block with a
    zero correlation) is NaN there and left out of that statistic's summaries only."""
    workers = default_workers() if workers is None else workers
    parts = map_chunks(_resample_chunk, problem, draws, workers, seed)
    values = np.concatenate([p[0] for p in parts])
    converged = np.concatenate([p[1] for p in parts])
    estimated = np.array([key[0] in ("loading", "weight", "path") for key in statistic_keys(problem.model)])
    finite = np.isfinite(values[:, estimated]).all(axis=1)   # other statistics may be undefined in a draw
    out = PLSDraws(values[finite], draws, int((~finite).sum()), int((~converged).sum()), seed)
    if jackknife:
        out.jackknife = np.concatenate([p[0] for p in map_chunks(_jackknife_chunk, problem, len(problem.data),
                                                                  workers)])
    return out
