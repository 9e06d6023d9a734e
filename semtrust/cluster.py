"""Execution on Dask, shared by the power analysis and the bootstrap of ``semtrust fit``.

:func:`dask_client` gives a :class:`distributed.Client`: on an embedded
:class:`distributed.LocalCluster` (one single-threaded worker process per core, no setup), on
an existing cluster at ``tcp://HOST:8786`` (``dask scheduler`` plus ``dask worker``,
dask-jobqueue on an HPC, Kubernetes), or a Client given as it is. :func:`submit_batches` sends the
shared part of the work (a power design, a bootstrap's resampler) to every worker once and
submits one task per batch; a task whose worker dies is rerun elsewhere by the scheduler and a
task that raises is retried, so as long as a batch's numbers depend only on its arguments (its
seeds), the results do not depend on where or how often it ran. :func:`localhost_cluster`
starts a real scheduler and workers on 127.0.0.1 for tests and benchmarks.

>>> with dask_client("localhost:8786", None):
...     pass
Traceback (most recent call last):
...
semtrust.errors.InputError: --scheduler localhost:8786: give the Dask scheduler's address, e.g. tcp://HOST:8786
"""
from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from semtrust.config import SCHEDULER_PREFIXES
from semtrust.errors import InputError

__all__ = ["dask_client", "submit_batches"]

RETRIES = 3                 # reruns of a task that raised (a worker's death is handled by the scheduler)
# The nanny's MALLOC_TRIM_THRESHOLD_ also switches off glibc's adaptive mmap threshold, so every
# array above 128 kB (a replication's data, its Monte Carlo draws) is mapped and zeroed afresh:
# replications ran 1.6-2.2 times slower than in process. One BLAS thread stays, the profiler
# (a stack sample every 10 ms) goes.
LOCAL_WORKER_CONFIG = {
    "distributed.nanny.pre-spawn-environ": {"OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1},
    "distributed.worker.profile.enabled": False,
}


@contextmanager
def dask_client(scheduler: str | None, workers: int | None):
    """A distributed Client: on an embedded LocalCluster, connected to the address ``scheduler``,
    or ``scheduler`` itself when it is a Client already (e.g. on a dask-jobqueue cluster).

    >>> with dask_client("tcp://127.0.0.1:1", None):   # nothing listens there  # doctest: +ELLIPSIS
    ...     pass
    Traceback (most recent call last):
    semtrust.errors.InputError: --scheduler tcp://127.0.0.1:1: cannot reach the Dask scheduler (...); start one with `dask scheduler` and workers with `dask worker ADDRESS`
    """
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
    if not scheduler.startswith(SCHEDULER_PREFIXES):
        raise InputError(f"--scheduler {scheduler}: give the Dask scheduler's address, e.g. tcp://HOST:8786")
    try:
        if scheduler.startswith("tcp://"):   # a refused connection fails now, not after the client's timeout
            address = scheduler[len("tcp://"):]
            host, colon, port = address.rpartition(":")
            if not colon or "]" in port:   # no port: Dask's default
                host, port = address, "8786"
            socket.create_connection((host.strip("[]"), int(port)), timeout=10).close()
        client = Client(scheduler, timeout=30)
    except (OSError, TimeoutError, ValueError) as error:
        raise InputError(f"--scheduler {scheduler}: cannot reach the Dask scheduler ({error}); "
                         "start one with `dask scheduler` and workers with `dask worker ADDRESS`") from None
    with client:
        yield client


def submit_batches(client, function, shared, jobs: list[tuple]) -> list:
    """``function(shared, *job)`` for every job on ``client``'s workers, ``shared`` sent to each
    worker once; the futures in the order of ``jobs``.

    >>> import operator
    >>> from distributed import Client
    >>> with Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=":0") as client:
    ...     futures = submit_batches(client, operator.add, 10, [(1,), (2,), (3,)])
    ...     [future.result() for future in futures]
    [11, 12, 13]
    """
    remote = client.scatter(shared, broadcast=True)
    return [client.submit(function, remote, *job, retries=RETRIES, pure=False) for job in jobs]


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
    root = str(Path(__file__).resolve().parents[1])
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
