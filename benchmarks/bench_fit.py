"""Time the estimation core and a whole `semtrust fit` on the example data, beside lavaan.

    python benchmarks/bench_fit.py [--repeat 5]

Prints median wall times. lavaan is timed with Rscript when it is installed (the same model and
data, `sem()` with its defaults), so the ratio is measured on this machine, not quoted.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from common import DATA, example_data, median_time

R_SCRIPT = r"""
suppressMessages(library(lavaan))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1]); for (v in strsplit(args[3], ",")[[1]]) d[[v]] <- 8 - d[[v]]
m <- paste(readLines(args[2]), collapse = "\n")
times <- replicate(as.integer(args[4]), system.time(sem(m, data = d))[["elapsed"]])
cat(median(times), "\n")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from semtrust.estimation.ml import SEM
    from semtrust.model.instrument import load_instrument

    inst = load_instrument("trust_mechanism")
    data = example_data(inst)
    syntax = inst.model_syntax()
    core = median_time(lambda: SEM(syntax).fit(data), args.repeat)
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "semtrust.cli", "fit", str(DATA), "--out", tmp, "--quiet"]
        whole = median_time(lambda: subprocess.run(command, check=True, capture_output=True), args.repeat)
        lavaan = None
        if shutil.which("Rscript"):
            script, model = Path(tmp) / "bench.R", Path(tmp) / "model.lav"
            script.write_text(R_SCRIPT)
            model.write_text(syntax)
            out = subprocess.run(["Rscript", str(script), str(DATA), str(model), ",".join(inst.reverse_items),
                                  str(args.repeat)], capture_output=True, text=True)
            lavaan = float(out.stdout.split()[0]) if out.returncode == 0 else None

    n_items, n_factors = len(inst.items), len(inst.constructs)
    print(f"trust_mechanism: {n_items} items, {n_factors} factors, n = {len(data)}; median of {args.repeat}")
    print(f"  semtrust one SEM fit (estimates, SEs, fit measures): {core:7.3f} s")
    if lavaan is not None:
        print(f"  lavaan   one sem() fit:                              {lavaan:7.3f} s  (ratio {lavaan / core:.1f}x)")
    else:
        print("  lavaan: Rscript not found, not timed")
    print(f"  semtrust fit (CLI: read, CFA, reliability, SEM, 3 reports): {whole:7.3f} s")


if __name__ == "__main__":
    main()
