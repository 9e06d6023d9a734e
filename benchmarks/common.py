"""What the benchmark scripts share: the example data with its reverse-keyed items recoded, and
a median wall-clock timer."""
from __future__ import annotations

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
