"""Power analysis, stage 3: run the batches of replications on Dask.

By default an embedded :class:`distributed.LocalCluster` with one single-threaded worker
process per core (no setup); ``scheduler="tcp://HOST:8786"`` sends the same tasks to an
existing Dask cluster (``dask scheduler`` plus workers, dask-jobqueue on an HPC, Kubernetes), and a
:class:`distributed.Client` is used as it is (:mod:`semtrust.cluster`, shared with the bootstrap of
``semtrust fit``);
``scheduler="synchronous"`` runs them in this process (tests, debugging). The design is sent
to every worker once (``scatter``); each task is a batch of replications large enough that
scheduling costs little; a task whose worker dies is rerun elsewhere and a task that raises is
retried, and since a replication's numbers depend only on (seed, n, r) the results are the
same.

>>> from semtrust.power.population import Population
>>> from semtrust.power.replicate import build_design
>>> design = build_design(Population.from_syntax("y ~ 0.3*x"), "y ~ x", seed=3)
>>> parts = run_batches(design, [(50, 0, 2), (50, 2, 2)], scheduler="synchronous")
>>> [part["first"] for part in parts]
[0, 2]
"""
from __future__ import annotations

import math
import time

from semtrust.cluster import dask_client, submit_batches
from semtrust.power.replicate import Design, run_batch

__all__ = ["run_batches", "batch_jobs", "choose_batch"]

TASK_SECONDS = 2.0          # target work per task: scheduling overhead (~10 ms a task) stays under 1 %
SYNCHRONOUS = "synchronous"


def batch_jobs(ns: list[int], reps: int, batch: int) -> list[tuple[int, int, int]]:
    """(n, first replication, count) per task, largest n first so the longest tasks start early.

    >>> batch_jobs([100, 200], reps=5, batch=2)
    [(200, 0, 2), (200, 2, 2), (200, 4, 1), (100, 0, 2), (100, 2, 2), (100, 4, 1)]
    """
    return [(n, first, min(batch, reps - first)) for n in sorted(ns, reverse=True)
            for first in range(0, reps, batch)]


def choose_batch(design: Design, ns: list[int], reps: int) -> int:
    """Replications per task from the time of a replication at the middle sample size (the
    second of two: the first pays for warming up).

    >>> from semtrust.power.population import Population
    >>> from semtrust.power.replicate import build_design
    >>> design = build_design(Population.from_syntax("y ~ 0.3*x"), "y ~ x", seed=3)
    >>> choose_batch(design, [100, 200], reps=1000) >= 1
    True
    """
    middle = sorted(ns)[len(ns) // 2]
    run_batch(design, middle, 0, 1)
    start = time.perf_counter()
    run_batch(design, middle, 1, 1)
    seconds = max(time.perf_counter() - start, 1e-4)
    return max(1, min(reps, math.ceil(TASK_SECONDS / seconds)))


def run_batches(design: Design, jobs: list[tuple[int, int, int]], *, scheduler=None,
                workers: int | None = None, progress=lambda done, total: None) -> list[dict]:
    """Run every job; results in the order of ``jobs`` whatever order they finish in.

    >>> from semtrust.power.population import Population
    >>> from semtrust.power.replicate import build_design
    >>> design = build_design(Population.from_syntax("y ~ 0.3*x"), "y ~ x", seed=3)
    >>> parts = run_batches(design, batch_jobs([50], reps=4, batch=2), scheduler="synchronous")
    >>> [(part["first"], part["estimates"].shape) for part in parts]
    [(0, (2, 1)), (2, (2, 1))]
    """
    total = sum(count for _, _, count in jobs)
    results: list[dict | None] = [None] * len(jobs)
    done = 0
    if scheduler == SYNCHRONOUS:
        for k, job in enumerate(jobs):
            results[k] = run_batch(design, *job)
            done += job[2]
            progress(done, total)
        return results
    from distributed import as_completed

    with dask_client(scheduler, workers) as client:
        futures = {future: k for k, future in enumerate(submit_batches(client, run_batch, design, jobs))}
        for future in as_completed(futures):
            k = futures[future]
            results[k] = future.result()
            done += jobs[k][2]
            progress(done, total)
    return results
