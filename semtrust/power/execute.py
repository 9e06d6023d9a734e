"""Power analysis, stage 3: run the batches of replications on Dask.

By default an embedded :class:`distributed.LocalCluster` with one single-threaded worker
process per core (no setup); ``scheduler="tcp://HOST:8786"`` sends the same tasks to an
existing Dask cluster (``dask scheduler`` plus workers, dask-jobqueue on an HPC, Kubernetes), and a
:class:`distributed.Client` is used as it is;
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

import logging
import math
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from semtrust.errors import InputError
from semtrust.power.replicate import Design, run_batch

__all__ = ["run_batches", "batch_jobs", "choose_batch"]

RETRIES = 3                 # reruns of a task that raised (a worker's death is handled by the scheduler)
TASK_SECONDS = 2.0          # target work per task: scheduling overhead (~10 ms a task) stays under 1 %
SYNCHRONOUS = "synchronous"
# The nanny's MALLOC_TRIM_THRESHOLD_ also switches off glibc's adaptive mmap threshold, so every
# array above 128 kB (a replication's data, its Monte Carlo draws) is mapped and zeroed afresh:
# replications ran 1.6-2.2 times slower than in process. One BLAS thread stays, the profiler
# (a stack sample every 10 ms) goes.
LOCAL_WORKER_CONFIG = {
    "distributed.nanny.pre-spawn-environ": {"OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1},
    "distributed.worker.profile.enabled": False,
}


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


@contextmanager
def dask_client(scheduler: str | None, workers: int | None):
    """A distributed Client: on an embedded LocalCluster, connected to the address ``scheduler``,
    or ``scheduler`` itself when it is a Client already (e.g. on a dask-jobqueue cluster)."""
    import dask
    from distributed import Client, LocalCluster

    if isinstance(scheduler, Client):
        yield scheduler
        return
    if scheduler is None:
        count = workers or os.cpu_count() or 1
        with dask.config.set(LOCAL_WORKER_CONFIG), \
                LocalCluster(n_workers=count, threads_per_worker=1, processes=True, dashboard_address=":0",
                             silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
            yield client
        return
    if not scheduler.startswith(("tcp://", "tls://", "ws://", "wss://", "inproc://")):
        raise InputError(f"--scheduler {scheduler}: give the Dask scheduler's address, e.g. tcp://HOST:8786")
    try:
        client = Client(scheduler, timeout=30)
    except (OSError, TimeoutError) as error:
        raise InputError(f"--scheduler {scheduler}: cannot reach the Dask scheduler ({error}); "
                         "start one with `dask scheduler` and workers with `dask worker ADDRESS`") from None
    with client:
        yield client


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
        remote = client.scatter(design, broadcast=True)
        futures = {client.submit(run_batch, remote, *job, retries=RETRIES, pure=False): k
                   for k, job in enumerate(jobs)}
        for future in as_completed(futures):
            k = futures[future]
            results[k] = future.result()
            done += jobs[k][2]
            progress(done, total)
    return results


@contextmanager
def localhost_cluster(workers: int = 2, timeout: float = 60.0):
    """A real Dask cluster on 127.0.0.1 as separate processes (``dask scheduler`` and
    ``workers`` single-threaded ``dask worker`` processes, no nanny), as on an HPC or in
    Kubernetes; yields (scheduler address, worker processes) and stops them all on exit. For
    tests and benchmarks of the ``scheduler=`` path; workers import this checkout of semtrust."""
    from distributed import Client

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env, "cwd": root}
    processes = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                   "--port", str(port), "--no-dashboard"], **quiet)]
    try:
        processes += [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                                        "--no-nanny", "--host", "127.0.0.1", "--no-dashboard"], **quiet)
                      for _ in range(workers)]
        deadline = time.time() + timeout
        while True:
            try:
                with Client(address, timeout=5) as client:
                    client.wait_for_workers(workers, timeout=timeout)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.5)
        yield address, processes[1:]
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
