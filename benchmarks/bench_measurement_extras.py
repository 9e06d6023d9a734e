"""Time the EFA and common-method-bias stage on the example data (51 items, 15 constructs,
n = 600), beside psych and lavaan.

    python benchmarks/bench_measurement_extras.py [--repeat 3]

Prints median wall times of each part semtrust adds to every `semtrust fit` run: KMO and
Bartlett, parallel analysis (20 simulated data sets), the 15-factor minres + oblimin EFA,
Harman's test, the one-factor CFA and the ULMC model, and (opt-in) the CFA marker technique with
AT1-AT3 as markers. BLAS runs on one thread, as in `semtrust fit`. When Rscript is installed, the
same steps are timed in R (psych::fa.parallel, psych::fa, lavaan::sem).
"""
from __future__ import annotations

import argparse
import shutil
import subprocess

from common import DATA, ROOT, example_data, median_time

MODEL = ROOT / "tests" / "conformance" / "models" / "trust_example_cfa.lav"

R_SCRIPT = r"""
suppressMessages({library(psych); library(GPArotation); library(lavaan)})
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1]); for (v in c("HT4", "PV4", "RI3")) d[[v]] <- 8 - d[[v]]
syntax <- paste(readLines(args[2]), collapse = "\n")
items <- unique(lavaanify(syntax)$rhs[lavaanify(syntax)$op == "=~"])
lv <- unique(lavaanify(syntax)$lhs[lavaanify(syntax)$op == "=~"])
d <- d[, items]
t <- function(expr) system.time(expr)[["elapsed"]]
cat("parallel", t(fa.parallel(d, fm = "minres", fa = "both", n.iter = 20, plot = FALSE)), "\n")
cat("efa", t(fa(d, nfactors = length(lv), fm = "minres", rotate = "oblimin")), "\n")
cat("one_factor", t(sem(paste("CMB =~", paste(items, collapse = " + ")), data = d)), "\n")
ulmc <- paste(syntax, paste("METHOD =~", paste0("1*", items, collapse = " + ")),
              paste("METHOD ~~", paste0("0*", lv, collapse = " + ")), sep = "\n")
cat("ulmc", t(sem(ulmc, data = d)), "\n")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from threadpoolctl import threadpool_limits

    from semtrust.assessment import efa
    from semtrust.estimation.ml import SEM
    from semtrust.assessment.reliability import item_groups
    from semtrust.assessment.method_bias import harman_single_factor, method_bias, one_factor_model, ulmc_comparison
    from semtrust.model.syntax import parse_model

    spec = parse_model(MODEL.read_text(encoding="utf-8"), str(MODEL))
    groups = item_groups(spec)
    from semtrust.model.instrument import load_instrument

    data = example_data(load_instrument("trust_mechanism"))[spec.observed]
    with threadpool_limits(1):
        cfa = SEM(spec).fit(data)
        steps = {
            "KMO + Bartlett": lambda: (efa.kmo(data), efa.bartlett_sphericity(data)),
            "parallel analysis (20 data sets)": lambda: efa.parallel_analysis(data, seed=1),
            "EFA, 15 factors, minres + oblimin": lambda: efa.factor_analysis(data, len(groups)),
            "Harman (component and factor)": lambda: harman_single_factor(data),
            "one-factor CFA": lambda: SEM(one_factor_model(spec.observed)).fit(data),
            "ULMC (CFA + method factor)": lambda: ulmc_comparison(spec, cfa, data),
            "whole EFA + CMB stage (default)": lambda: (efa.exploratory_factor_analysis(data, groups, seed=1),
                                                        method_bias(data, spec, cfa)),
            "marker technique, AT1-AT3 (opt-in)": lambda: method_bias(data, spec, cfa, markers=["AT1", "AT2", "AT3"]),
        }
        print(f"{len(spec.observed)} items, {len(groups)} constructs, n = {len(data)}; median of {args.repeat}")
        for label, step in steps.items():
            print(f"  semtrust {label:38s} {median_time(step, args.repeat):7.2f} s")
    if shutil.which("Rscript"):
        out = subprocess.run(["Rscript", "-e", R_SCRIPT, str(DATA), str(MODEL)], capture_output=True, text=True)
        for line in out.stdout.splitlines():   # fa.parallel prints its own suggestion too
            parts = line.split()
            if len(parts) == 2 and parts[0] in {"parallel", "efa", "one_factor", "ulmc"}:
                print(f"  R        {parts[0]:38s} {float(parts[1]):7.2f} s")


if __name__ == "__main__":
    main()
