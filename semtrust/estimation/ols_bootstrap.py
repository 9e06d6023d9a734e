"""Estimation stage: the nonparametric bootstrap of a set of OLS equations fitted to the same rows.

Resample ``b`` draws its rows with :func:`semtrust.estimation.bootstrap.resample_rows` (its own generator
seeded with ``(seed, b)``) and becomes a vector of case counts. Every equation's X'X and X'y on a
resample are sums of per-case products weighted by those counts, so one matrix product of the
count matrix with the distinct products of all the equations' columns gives every refit's
normal equations at once; the small systems are then solved in a batch. Chunks of resamples
are spread over worker processes (one BLAS thread each); chunk boundaries are fixed, so the
draws are byte-identical whatever the number of workers.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> design = np.column_stack([np.ones(50), rng.normal(size=50)])
>>> response = design @ [1.0, 2.0] + rng.normal(size=50)
>>> (draws,), failed = ols_draws([(design, response)], draws=400, seed=3, workers=1)
>>> estimate = np.linalg.lstsq(design, response, rcond=None)[0]
>>> draws.shape, int(failed.sum()), bool(np.all(abs(draws.mean(axis=0) - estimate) < 0.02))
((400, 2), 0, True)
"""
from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import numpy as np

from semtrust.estimation.bootstrap import resample_rows

__all__ = ["ols_draws"]

CHUNK = 500            # resamples per task: bounds the (chunk x n) count matrix
SINGULAR = 1e12        # condition number above which a resample's X'X counts as singular
PARALLEL_MIN = 2000    # fewer resamples are not worth starting worker processes

_WORKER: dict = {}


def _count_sums(products: np.ndarray, seed: int, start: int, count: int) -> np.ndarray:
    """Count-weighted column sums of ``products`` for resamples ``start`` .. ``start + count - 1``."""
    n = len(products)
    rows = np.stack([resample_rows(seed, b, n) for b in range(start, start + count)])
    flat = (rows + n * np.arange(count)[:, None]).ravel()
    counts = np.bincount(flat, minlength=count * n).reshape(count, n).astype(float)
    return counts @ products


def _init_worker(products: np.ndarray, seed: int) -> None:
    from threadpoolctl import threadpool_limits

    _WORKER.update(products=products, seed=seed, limits=threadpool_limits(1))


def _worker_chunk(start: int, count: int) -> np.ndarray:
    return _count_sums(_WORKER["products"], _WORKER["seed"], start, count)


def _resampled_sums(products: np.ndarray, draws: int, seed: int, workers: int) -> np.ndarray:
    chunks = [(start, min(CHUNK, draws - start)) for start in range(0, draws, CHUNK)]
    if workers <= 1 or draws < PARALLEL_MIN:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1):   # the workers' BLAS setting, so the sums are the same bytes
            return np.vstack([_count_sums(products, seed, *chunk) for chunk in chunks])
    with ProcessPoolExecutor(min(workers, len(chunks)), mp_context=get_context("fork"),
                             initializer=_init_worker, initargs=(products, seed)) as pool:
        return np.vstack(list(pool.map(_worker_chunk, *zip(*chunks))))


def ols_draws(equations: list[tuple[np.ndarray, np.ndarray]], draws: int, seed: int,
              workers: int) -> tuple[list[np.ndarray], np.ndarray]:
    """OLS coefficients of each ``(design, response)`` on ``draws`` resamples of the rows, and a
    mask of the resamples whose design was singular in any equation (their rows are NaN).

    >>> import numpy as np
    >>> rng = np.random.default_rng(2)
    >>> x = rng.normal(size=100)
    >>> design = np.column_stack([np.ones(100), x])
    >>> coefficients, singular = ols_draws([(design, 2 + 0.5 * x + rng.normal(size=100))], draws=500, seed=1, workers=1)
    >>> coefficients[0].shape, coefficients[0].mean(axis=0).round(2).tolist(), int(singular.sum())
    ((500, 2), [1.99, 0.61], 0)
    """
    distinct: dict[bytes, int] = {}
    columns = []

    def position(column: np.ndarray) -> int:
        key = column.tobytes()
        if key not in distinct:
            distinct[key] = len(columns)
            columns.append(column)
        return distinct[key]

    layout = [([position(c) for c in design.T], position(response)) for design, response in equations]
    first, second = np.triu_indices(len(columns))
    table = np.stack(columns, axis=1)
    products = table[:, first] * table[:, second]
    pair = np.empty((len(columns), len(columns)), int)
    pair[first, second] = pair[second, first] = np.arange(len(first))
    sums = _resampled_sums(products, draws, seed, workers)
    solved, failed = [], np.zeros(draws, bool)
    for design_columns, response_column in layout:
        p = len(design_columns)
        xtx = sums[:, pair[np.ix_(design_columns, design_columns)]]
        xty = sums[:, pair[design_columns, response_column]]
        singular = np.linalg.cond(xtx) > SINGULAR
        xtx[singular] = np.eye(p)
        solved.append(np.linalg.solve(xtx, xty[:, :, None])[:, :, 0])
        failed |= singular
    for coefficients in solved:
        coefficients[failed] = np.nan
    return solved, failed
