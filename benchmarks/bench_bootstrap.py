"""The hot path: B = 5000 bootstrap refits of a 45-item, 13-construct trust SEM (n = 840).

    python benchmarks/bench_bootstrap.py [--draws 5000] [--lavaan-draws 200]

Builds the model from the trust_mechanism instrument without the repurchase and
recommendation constructs (13 constructs, 45 items), simulates n = 840 with a fixed seed, and
times semtrust's single fit, its bootstrap on all cores, and a whole `semtrust fit` with both
reports. With Rscript, lavaan is timed on the same data: one `sem()` and `lavaan_draws`
bootstrap refits on 2 cores, extrapolated to `draws`. Prints both and the ratio.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

R_SCRIPT = r"""
suppressMessages(library(lavaan))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1]); m <- paste(readLines(args[2]), collapse = "\n"); B <- as.integer(args[3])
one <- system.time(sem(m, data = d))[["elapsed"]]
boot <- system.time(sem(m, data = d, se = "bootstrap", bootstrap = B, parallel = "multicore", ncpus = 2))[["elapsed"]]
cat(one, boot, "\n")
"""


def trust_13(n: int, seed: int, folder: Path) -> tuple[Path, Path]:
    from semtrust.model.instrument import load_instrument
    from semtrust.model.simulate import simulate

    inst = load_instrument("trust_mechanism")
    data, _ = simulate(inst, n, seed)
    for item in inst.reverse_items:
        data[item] = 8 - data[item]
    keep = [c for c in inst.constructs if c.id not in ("RI", "RC")]
    lines = [f"{c.id} =~ {' + '.join(i.id for i in c.items)}" for c in keep]
    ids = {c.id for c in keep}
    targets = dict.fromkeys(h.target for h in inst.hypotheses if h.target in ids)
    lines += [f"{t} ~ {' + '.join(h.source for h in inst.hypotheses if h.target == t)}" for t in targets]
    csv, model = folder / "trust13.csv", folder / "trust13.lav"
    data[[i.id for c in keep for i in c.items]].to_csv(csv, index=False)
    model.write_text("\n".join(lines) + "\n")
    return csv, model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=5000)
    parser.add_argument("--lavaan-draws", type=int, default=200)
    args = parser.parse_args()

    import pandas as pd
    from threadpoolctl import threadpool_limits

    from semtrust.estimation.bootstrap import bootstrap, default_workers
    from semtrust.estimation.ml import SEM
    from semtrust.structural.paths import effects_table

    with tempfile.TemporaryDirectory() as tmp:
        csv, model = trust_13(840, 20261123, Path(tmp))
        data = pd.read_csv(csv)
        syntax = model.read_text()
        with threadpool_limits(1):
            start = time.perf_counter()
            fit = SEM(syntax).fit(data)
            one = time.perf_counter() - start
            start = time.perf_counter()
            draws = bootstrap(fit, args.draws, seed=1, workers=default_workers())
            boot = time.perf_counter() - start
            start = time.perf_counter()
            effects = effects_table(fit, draws)
            tabulate = time.perf_counter() - start
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "semtrust.cli", "fit", str(csv), "--model", str(model),
                        "--bootstrap", str(args.draws), "--out", str(Path(tmp) / "out"), "--quiet"],
                       check=True, capture_output=True)
        whole = time.perf_counter() - start
        lavaan = None
        if shutil.which("Rscript"):
            script = Path(tmp) / "bench.R"
            script.write_text(R_SCRIPT)
            out = subprocess.run(["Rscript", str(script), str(csv), str(model), str(args.lavaan_draws)],
                                 capture_output=True, text=True)
            if out.returncode == 0:
                lavaan = [float(v) for v in out.stdout.split()]

    p = len(fit.compiled.observed)
    print(f"45-item trust SEM: {p} items, {len(fit.model.table.latent)} constructs, {len(fit.theta)} free "
          f"parameters, n = {fit.n}; {os.cpu_count()} cores, {default_workers()} workers")
    print(f"  semtrust one fit:                       {one:8.2f} s")
    print(f"  semtrust bootstrap B = {args.draws}:            {boot:8.2f} s  ({draws.failed} failed)")
    print(f"  semtrust {len(effects)} effect rows with CIs:     {tabulate:8.2f} s")
    print(f"  semtrust fit, B = {args.draws}, both reports:  {whole:8.2f} s")
    if lavaan:
        per_draw = lavaan[1] / args.lavaan_draws
        lavaan_total = lavaan[0] + per_draw * args.draws
        print(f"  lavaan   one sem():                     {lavaan[0]:8.2f} s")
        print(f"  lavaan   B = {args.lavaan_draws} on 2 cores:           {lavaan[1]:8.2f} s  "
              f"-> B = {args.draws} ≈ {per_draw * args.draws:.1f} s")
        print(f"  ratio, bootstrap: {per_draw * args.draws / boot:.1f}x; end to end: {lavaan_total / whole:.1f}x")
    else:
        print("  lavaan: Rscript not found, not timed")


if __name__ == "__main__":
    main()
