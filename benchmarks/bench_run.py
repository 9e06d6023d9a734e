"""Time the everyday `semtrust fit` runs on the example data beside the lavaan script a user
would write for the same analyses, in one run (issue 10, item 6).

    python benchmarks/bench_run.py [--repeat 3] [--workers N] [--skip-lavaan]

Rows: the basic run (``--no-screen --bootstrap 0 --measurement-bootstrap 0``: CFA, structural
model, reliability, validity, EFA, common-method bias, competing models, modification indices,
both reports), the default run (plus screening, 5000 effect bootstrap resamples and 1000
measurement resamples), the interpreter start-up with ``import semtrust.pipeline``, and
``Rscript benchmarks/lavaan_basic_run.R`` (lavaan + semTools + psych; skipped without Rscript).
Each cell is the median over ``--repeat`` runs of a fresh process, start-up included; CPU
counts the worker processes too. Targets: basic <= lavaan's script, default <= 10 s wall on
2 idle cores.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from common import DATA, median_process_time

BASIC = ["--no-screen", "--bootstrap", "0", "--measurement-bootstrap", "0"]
R_SCRIPT = Path(__file__).resolve().parent / "lavaan_basic_run.R"


def lavaan_packages_present() -> bool:
    if not shutil.which("Rscript"):
        return False
    check = subprocess.run(["Rscript", "-e", "for (p in c('lavaan', 'semTools', 'psych')) "
                            "stopifnot(requireNamespace(p, quietly = TRUE))"], capture_output=True)
    return check.returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=None, help="--workers of the default run")
    parser.add_argument("--skip-lavaan", action="store_true", help="time semtrust only")
    args = parser.parse_args()

    rows = []
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
    width = max(len(name) for name, _ in rows)
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
