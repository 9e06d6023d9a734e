"""The instrument's moderation hypotheses as latent interactions: semtrust vs lavaan + semTools.

    python benchmarks/bench_latent_moderation.py [--repeat 5]

On the bundled moderation example (600 responses; HT4 and PV4 reverse-keyed) times MH1 (PV x INV
on PI: 4 matched product indicators) and MH2 (HT x FAM on the first stage of HT -> PV -> PI:
15 product indicators, all pairs, 45 residual covariances): semtrust's
latent_interaction (products, ML fit, simple slopes, delta-method indirect effects) beside
lavaan's sem() on semTools' indProd() products with probe2WayMC() (the R side timed inside R,
so R's start-up is not counted). R (Rscript with lavaan and semTools) is the `bench` reference
only; without it the R column is skipped. Prints the median wall-clock seconds side by side.
On a busy machine run it with OPENBLAS_NUM_THREADS=1: multithreaded BLAS on shared cores makes
the 30-indicator MH2 fit several times slower (0.13 s single-threaded, 2.7 s oversubscribed).
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import ROOT, median_time

EXAMPLE = ROOT / "example_data" / "trust_survey_moderation.csv"
R_SCRIPT = r"""
suppressMessages({library(lavaan); library(semTools)})
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1]); d$HT4 <- 8 - d$HT4; d$PV4 <- 8 - d$PV4
repeats <- as.integer(args[2])
source(args[3])
items <- function(p, k) paste0(p, seq_len(k))
one <- function(x, w, y, m = NULL) {
  p <- dmc_products(d, x, w)
  dd <- p$data
  model <- paste0("X =~ ", paste(x, collapse = " + "), "\nW =~ ", paste(w, collapse = " + "),
                  "\nXW =~ ", paste(p$prods, collapse = " + "), "\nY =~ ", paste(y, collapse = " + "), "\n", p$covs)
  if (is.null(m)) model <- paste0(model, "Y ~ X + W + XW\n") else
    model <- paste0(model, "M =~ ", paste(m, collapse = " + "), "\nM ~ a1*X + W + a3*XW\nY ~ b*M + X\nimm := a3*b\n")
  fit <- sem(model, data = dd)
  probe2WayMC(fit, nameX = c("X", "W", "XW"), nameY = if (is.null(m)) "Y" else "M", modVar = "W", valProbe = c(-1, 0, 1))
}
time <- function(f) median(sapply(seq_len(repeats), function(i) system.time(f())[["elapsed"]]))
cat(time(function() one(items("PV", 4), items("INV", 4), items("PI", 3))), "\n")
cat(time(function() one(items("HT", 5), items("FAM", 3), items("PI", 3), items("PV", 4))), "\n")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from semtrust.structural.latent_interaction import latent_interaction

    data = pd.read_csv(EXAMPLE)
    data["HT4"], data["PV4"] = 8 - data["HT4"], 8 - data["PV4"]

    def factor(name: str, count: int) -> tuple[str, list[str]]:
        return name, [f"{name}{i}" for i in range(1, count + 1)]

    cases = {"MH1 (4 matched products)": lambda: latent_interaction(data, factor("PV", 4), factor("INV", 4),
                                                                     factor("PI", 3)),
             "MH2 (15 products, all pairs)": lambda: latent_interaction(
                 data, factor("HT", 5), factor("FAM", 3), factor("PI", 3), m=factor("PV", 4), match=False)}
    ours = {name: median_time(fn, args.repeat) for name, fn in cases.items()}
    theirs = [float("nan")] * len(cases)
    if shutil.which("Rscript"):
        helper = ROOT / "tests" / "conformance" / "dmc_products.R"
        out = subprocess.run(["Rscript", "-e", R_SCRIPT, str(EXAMPLE), str(args.repeat), str(helper)],
                             capture_output=True, text=True, check=True).stdout
        theirs = [float(v) for v in out.split()]
    else:
        print("Rscript is not installed: semtrust only")
    print(f"median of {args.repeat} runs, seconds")
    print(f"{'hypothesis':<32}{'semtrust':>10}{'lavaan+semTools':>17}{'ratio':>8}")
    for (name, seconds), reference in zip(ours.items(), theirs):
        print(f"{name:<32}{seconds:>10.3f}{reference:>17.3f}{reference / seconds:>8.1f}")


if __name__ == "__main__":
    main()
