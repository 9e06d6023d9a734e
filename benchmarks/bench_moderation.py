"""PROCESS models 7 and 14 with 5,000 percentile-bootstrap resamples: semtrust vs pyprocessmacro.

    python benchmarks/bench_moderation.py [--draws 5000] [--repeat 5] [--n 600]

Simulates a moderated-mediation data set (seeded; n = 600 like the example survey, one
covariate) and times a whole model fit, bootstrap included: semtrust on one process and on all
cores (the draws are the same), pyprocessmacro (single process).
pyprocessmacro (PyPI, the `bench` reference only) is skipped with a note when it is absent.
Prints the median wall-clock seconds side by side and the ratio.
"""
from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import median_time


def simulated(n: int, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x, w, c1 = rng.normal(4, 1, n), rng.normal(3.5, 1, n), rng.normal(size=n)
    m = 0.4 * x + 0.2 * w + 0.25 * (x - 4) * (w - 3.5) + 0.1 * c1 + rng.normal(size=n)
    y = 0.3 * m + 0.2 * x + 0.15 * (m - m.mean()) * (w - 3.5) + rng.normal(size=n)
    return pd.DataFrame({"x": x, "w": w, "m": m, "y": y, "c1": c1})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--n", type=int, default=600)
    args = parser.parse_args()

    from semtrust.estimation.bootstrap import default_workers
    from semtrust.structural.moderation import process

    data = simulated(args.n)
    try:
        from pyprocessmacro import Process
    except ImportError:
        Process = None
        print("pyprocessmacro is not installed (pip install pyprocessmacro): semtrust only")
    print(f"n = {args.n}, B = {args.draws}, median of {args.repeat} runs")
    print(f"{'model':<8}{'semtrust 1 worker':>19}{'semtrust all cores':>20}{'pyprocessmacro':>16}{'ratio':>8}")
    for model in (7, 14):
        def ours(workers, model=model):
            return median_time(lambda: process(data, model, x="x", m="m", w="w", y="y", covariates=["c1"],
                                               bootstrap=args.draws, seed=1, workers=workers), args.repeat)
        serial, parallel = ours(1), ours(default_workers())
        theirs = float("nan")
        if Process is not None:
            roles = {"w": "w"} if model == 7 else {"v": "w"}   # pyprocessmacro keeps PROCESS 2's letters

            def reference(model=model, roles=roles):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    Process(data, model=model, x="x", m="m", y="y", controls=["c1"], boot=args.draws, seed=1,
                            percent=True, spotlight="percentiles", suppr_init=True, **roles)
            theirs = median_time(reference, args.repeat)
        best = min(serial, parallel)
        print(f"{model:<8}{serial:>18.3f}s{parallel:>19.3f}s{theirs:>15.3f}s{theirs / best:>7.1f}x")


if __name__ == "__main__":
    main()
