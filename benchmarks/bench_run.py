"""Time the everyday `semtrust fit` runs on the example data beside the lavaan script a user
would write for the same analyses, in one run (issue 10, item 6).

    python benchmarks/bench_run.py [--repeat 3] [--workers N] [--skip-lavaan] [--refits]

Rows: the basic run (``--no-screen --bootstrap 0 --measurement-bootstrap 0``: CFA, structural
model, reliability, validity, EFA, common-method bias, competing models, modification indices,
both reports), the default run (plus screening, 5000 effect bootstrap resamples and 1000
measurement resamples), the interpreter start-up with ``import semtrust.pipeline``, and
``Rscript benchmarks/lavaan_basic_run.R`` (lavaan + semTools + psych; skipped without Rscript).
Each cell is the median over ``--repeat`` runs of a fresh process, start-up included; CPU
counts the worker processes too (user + system time of the run and its workers). Targets:
basic <= lavaan's script, default <= 10 s wall on 2 idle cores. With ``--refits``, also the CPU
of the default run's resampling alone (5000 refits of the structural model and 1000 of the CFA
in one process): the part of the default run that only more cores shorten.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from common import DATA, example_data, machine_note, median_process_time

BASIC = ["--no-screen", "--bootstrap", "0", "--measurement-bootstrap", "0"]
R_SCRIPT = Path(__file__).resolve().parent / "lavaan_basic_run.R"


def lavaan_packages_present() -> bool:
    if not shutil.which("Rscript"):
        return False
    check = subprocess.run(["Rscript", "-e", "for (p in c('lavaan', 'semTools', 'psych')) "
                            "stopifnot(requireNamespace(p, quietly = TRUE))"], capture_output=True)
    return check.returncode == 0


def refit_times() -> tuple[float, float]:
    """Wall and CPU seconds of the default run's resampling alone: the effects bootstrap
    (5000 refits of the structural model) and the measurement bootstrap (1000 refits of the
    CFA), on the example data as the run analyses it (no response is excluded by screening)."""
    import time

    from threadpoolctl import threadpool_limits

    from semtrust.assessment.reliability import measurement_model
    from semtrust.estimation.bootstrap import bootstrap
    from semtrust.estimation.select import fit_model
    from semtrust.model.instrument import load_instrument
    from semtrust.model.syntax import parse_model

    instrument = load_instrument("trust_mechanism")
    spec = parse_model(instrument.model_syntax())
    data = example_data(instrument)[spec.observed]
    with threadpool_limits(1):
        models = [(fit_model(spec, data), 5000), (fit_model(measurement_model(spec), data), 1000)]
        wall, cpu = time.perf_counter(), time.process_time()
        for model, draws in models:
            bootstrap(model, draws, seed=20261123, workers=1)
        return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=None, help="--workers of the default run")
    parser.add_argument("--skip-lavaan", action="store_true", help="time semtrust only")
    parser.add_argument("--refits", action="store_true", help="also time the default run's bootstrap refits alone")
    args = parser.parse_args()

    rows = []
    load_at_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        fit = [sys.executable, "-m", "semtrust.cli", "fit", str(DATA), "--quiet"]
        workers = [] if args.workers is None else ["--workers", str(args.workers)]
        rows.append(("semtrust import (python -c 'import semtrust.pipeline')",
                     median_process_time([sys.executable, "-c", "import semtrust.pipeline"], args.repeat)))
        rows.append(("semtrust basic run", median_process_time(fit + BASIC + ["--out", f"{tmp}/basic"], args.repeat)))
        rows.append(("semtrust default run", median_process_time(fit + workers + ["--out", f"{tmp}/default"],
                                                                 args.repeat)))
    if not args.skip_lavaan and lavaan_packages_present():
        rows.append(("lavaan script (Rscript lavaan_basic_run.R)",
                     median_process_time(["Rscript", str(R_SCRIPT), str(DATA)], args.repeat)))
    else:
        rows.append(("lavaan script (Rscript lavaan_basic_run.R)", None))
    if args.refits:
        rows.append(("  of which the refits (5000 structural + 1000 CFA, 1 process)", refit_times()))
    width = max(len(name) for name, _ in rows)
    print(machine_note(load_at_start))
    print(f"{'median of ' + str(args.repeat) + ' runs':<{width}}  {'wall s':>7}  {'CPU s':>7}")
    for name, times in rows:
        cells = "   (skipped, or Rscript, lavaan, semTools or psych missing)" if times is None \
            else f"{times[0]:7.2f}  {times[1]:7.2f}"
        print(f"{name:<{width}}  {cells}")
    basic = dict(rows)["semtrust basic run"]
    lavaan = dict(rows)["lavaan script (Rscript lavaan_basic_run.R)"]
    default = dict(rows)["semtrust default run"]
    if lavaan is not None:
        print(f"basic run / lavaan script: {basic[0] / lavaan[0]:.2f}x wall, {basic[1] / lavaan[1]:.2f}x CPU "
              "(target <= 1)")
    print(f"default run: {default[0]:.2f} s wall (target <= 10 s on 2 idle cores)")


if __name__ == "__main__":
    main()
