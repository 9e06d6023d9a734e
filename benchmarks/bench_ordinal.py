"""Time WLSMV on Likert items beside lavaan: 50 five-point items, 5 factors, n = 500.

    python benchmarks/bench_ordinal.py [--repeat 3] [--seed 2026] [--resamples 200]

Simulates a 5-factor CFA (10 items each, loadings .5-.8, factor correlations .3) cut into five
categories, then prints median wall times of the polychoric matrix (with its asymptotic
covariance) and of the whole WLSMV CFA (estimates, robust SEs, scaled and robust fit measures),
and lavaan's `lavCor(ordered = TRUE)` and `cfa(ordered = TRUE, estimator = "WLSMV")` on the same
data, timed by Rscript in the same run (when it is installed). semtrust runs with one BLAS thread,
as its pipeline does (threaded BLAS on these small matrices only adds contention).

Then the bootstrap (which lavaan refuses for WLSMV, so its WLSMV fit time is printed for scale):
CPU seconds per 1,000 DWLS refits in one process (the pipeline spreads them over its workers),
``--resamples`` of them timed and scaled, by the resampler the runs use (each resample's
statistics from its category counts, quasi-Newton refit) and by the same resampler recomputing
the statistics from the resampled rows (casewise polychorics, as data with continuous variables do).
Before the category-count refits (commit 4dbcb1f: casewise polychorics with the weights' scores,
Gauss-Newton to 1e-10), this machine measured 55.6 ms of CPU per refit, 56 s per 1,000
(the same data and resamples, 60 of them, with one BLAS thread).
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from common import median_time

R_SCRIPT = r"""
suppressMessages(library(lavaan))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1]); m <- paste(readLines(args[2]), collapse = "\n"); r <- as.integer(args[3])
poly <- replicate(r, system.time(lavCor(d, ordered = names(d)))[["elapsed"]])
fit <- replicate(r, system.time(cfa(m, data = d, ordered = names(d), estimator = "WLSMV"))[["elapsed"]])
cat(median(poly), median(fit), "\n")
"""
N_FACTORS, PER_FACTOR, N = 5, 10, 500


def simulate(seed: int) -> tuple[pd.DataFrame, str]:
    rng = np.random.default_rng(seed)
    phi = np.full((N_FACTORS, N_FACTORS), 0.3) + 0.7 * np.eye(N_FACTORS)
    factors = rng.multivariate_normal(np.zeros(N_FACTORS), phi, size=N)
    loadings = rng.uniform(0.5, 0.8, size=(N_FACTORS, PER_FACTOR))
    columns, lines = {}, []
    for f in range(N_FACTORS):
        names = [f"f{f + 1}_{i + 1}" for i in range(PER_FACTOR)]
        lines.append(f"F{f + 1} =~ " + " + ".join(names))
        for name, lam in zip(names, loadings[f]):
            latent = lam * factors[:, f] + np.sqrt(1 - lam ** 2) * rng.normal(size=N)
            columns[name] = np.digitize(latent, [-1.5, -0.5, 0.4, 1.3]) + 1
    return pd.DataFrame(columns), "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--resamples", type=int, default=200)
    args = parser.parse_args()

    from threadpoolctl import threadpool_limits

    from semtrust.estimation.ordinal import fit_ordinal
    from semtrust.estimation.polychoric import polychoric

    data, model = simulate(args.seed)
    with threadpool_limits(1):
        poly = median_time(lambda: polychoric(data), args.repeat)
        whole = median_time(lambda: fit_ordinal(data, model), args.repeat)
        fit = fit_ordinal(data, model)
        fast, from_rows = bootstrap_seconds(fit, args.resamples, args.seed)
    lavaan = None
    if shutil.which("Rscript"):
        with tempfile.TemporaryDirectory() as tmp:
            csv, lav, script = Path(tmp) / "d.csv", Path(tmp) / "m.lav", Path(tmp) / "bench.R"
            data.to_csv(csv, index=False)
            lav.write_text(model)
            script.write_text(R_SCRIPT)
            out = subprocess.run(["Rscript", str(script), str(csv), str(lav), str(args.repeat)],
                                 capture_output=True, text=True, check=False)
            lavaan = [float(x) for x in out.stdout.split()] if out.returncode == 0 else None

    print(f"{N_FACTORS * PER_FACTOR} five-point items, {N_FACTORS} factors, n = {N} (seed {args.seed}); "
          f"median of {args.repeat}")
    print(f"  semtrust polychoric matrix + NACOV: {poly:7.3f} s")
    print(f"  semtrust WLSMV CFA (whole fit):     {whole:7.3f} s   chisq_scaled = "
          f"{fit.fit_measures['chisq_scaled']:.3f}, cfi_scaled = {fit.fit_measures['cfi_scaled']:.4f}")
    if lavaan is not None:
        print(f"  lavaan   lavCor(ordered = TRUE):    {lavaan[0]:7.3f} s   (ratio {lavaan[0] / poly:.1f}x)")
        print(f"  lavaan   cfa(estimator = 'WLSMV'):  {lavaan[1]:7.3f} s   (ratio {lavaan[1] / whole:.1f}x)")
    else:
        print("  lavaan: Rscript not found, not timed")
    print(f"bootstrap refits (CPU s per 1,000, one process; {args.resamples} timed; lavaan has no WLSMV bootstrap):")
    print(f"  semtrust, statistics from category counts: {fast:7.1f} s")
    print(f"  semtrust, statistics from the rows:        {from_rows:7.1f} s")
    print("  semtrust before (4dbcb1f, measured once):     55.6 s")
    if lavaan is not None:
        print(f"  for scale, one lavaan WLSMV fit:           {lavaan[1]:7.1f} s")


def bootstrap_seconds(fit, resamples: int, seed: int) -> tuple[float, float]:
    """CPU seconds per 1,000 refits: the run's resampler, and the same recomputing each
    resample's statistics from its rows."""
    import time

    from semtrust.estimation.bootstrap import resample_rows

    resampler = fit.resampler()
    draws = [resample_rows(seed, b, fit.n) for b in range(resamples)]
    start = time.process_time()
    for rows in draws:
        resampler.refit(rows)
    fast = (time.process_time() - start) * 1000 / resamples
    resampler.tables = None   # the path of data with continuous variables
    start = time.process_time()
    for rows in draws:
        resampler.refit(rows)
    return fast, (time.process_time() - start) * 1000 / resamples


if __name__ == "__main__":
    main()
