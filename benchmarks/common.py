"""What the benchmark scripts share: the example data with its reverse-keyed items recoded,
wall-clock and CPU timers, and the note on the shared machine their output starts with."""
from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "example_data" / "trust_survey.csv"


def median_time(fn, repeat: int) -> float:
    """Median wall-clock seconds of ``repeat`` calls of ``fn``."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def example_data(instrument):
    """The bundled example survey with the instrument's reverse-keyed items recoded (8 - x)."""
    data = pd.read_csv(DATA)
    for item in instrument.reverse_items:
        data[item] = instrument.scale.points + 1 - data[item]
    return data


def timed_process(command: list[str], cwd: Path = ROOT) -> tuple[float, float]:
    """(wall, CPU) seconds of one run of ``command`` as a child process; CPU is user + system
    time of the child and everything it waited for (worker processes included)."""
    import resource
    import subprocess

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def median_process_time(command: list[str], repeat: int, cwd: Path = ROOT) -> tuple[float, float]:
    """Median wall and median CPU seconds of ``repeat`` runs of ``command`` (see :func:`timed_process`)."""
    runs = [timed_process(command, cwd) for _ in range(repeat)]
    return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)


def machine_note(load_at_start: float) -> str:
    """The cores and the load average at the start and now: the machine is shared with other jobs."""
    return (f"{os.cpu_count()} cores; load average {load_at_start:.2f} at the start, {os.getloadavg()[0]:.2f} at the end "
            "(wall times mean something only on an otherwise idle machine, and CPU times grow under load too)")
