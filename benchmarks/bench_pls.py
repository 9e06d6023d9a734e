"""PLS-SEM speed: semtrust beside the PyPI packages seminr and plspm on the corporate reputation model.

    python benchmarks/bench_pls.py [--draws 10000] [--reference-draws 500] [--reference-python PY]

The extended corporate reputation model of Hair et al.'s primer (8 constructs, 4 formative;
n = 344, the copy in tests/conformance/data written from the seminr wheel). Times one estimate
(median of 20) and a bootstrap of ``draws`` resamples on 2 worker processes, for semtrust and,
in a subprocess run by ``--reference-python`` (default: this interpreter; plspm 0.5.7 needs
pandas < 3, so point it at an environment with ``seminr==0.2.1 plspm==0.5.7 "pandas<3"``), for
seminr and plspm: their bootstraps run ``reference_draws`` resamples on 2 cores, extrapolated
to ``draws``. Prints all of them and the ratios.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import pandas as pd

from common import ROOT, median_time

sys.path.insert(0, str(ROOT))

CONFORMANCE = ROOT / "tests" / "conformance"
REFERENCE = r"""
import json, sys, time, statistics
import numpy as np, pandas as pd
sys.path.insert(0, sys.argv[1])
import make_pls_fixtures as fx
draws = int(sys.argv[2])
spec = fx.CORP_REP_MODEL
data = pd.read_csv(sys.argv[3])
out = {}
def median(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter(); fn(); times.append(time.perf_counter() - start)
    return statistics.median(times)
try:
    import seminr
    measurement = seminr.constructs(*[seminr.composite(n, items, weights=seminr.mode_B if m == "B" else seminr.mode_A)
                                      for n, m, items in spec["constructs"]])
    structural = seminr.relationships(*[seminr.paths(s, t) for s, t in spec["paths"]])
    fit = lambda: seminr.estimate_pls(data, measurement, structural, missing_value=-99)
    model = fit()
    out["seminr"] = {"version": seminr.__version__, "estimate": median(fit, 20)}
    start = time.perf_counter(); seminr.bootstrap_model(model, nboot=draws, seed=1, cores=2)
    out["seminr"]["bootstrap"] = time.perf_counter() - start
except Exception as error:
    out["seminr"] = {"error": f"{type(error).__name__}: {error}"}
try:
    import plspm.config as pc
    from plspm.mode import Mode
    from plspm.plspm import Plspm
    from plspm.scheme import Scheme
    structure = pc.Structure()
    for s, t in spec["paths"]:
        structure.add_path([s], [t])
    config = pc.Config(structure.path(), scaled=False)
    for n, m, items in spec["constructs"]:
        config.add_lv(n, Mode.B if m == "B" else Mode.A, *[pc.MV(i) for i in items])
    items = [i for _, _, block in spec["constructs"] for i in block]
    complete = data[items].replace(-99, np.nan).pipe(lambda d: d.fillna(d.mean()))
    complete = (complete - complete.mean()) / complete.std()
    out["plspm"] = {"version": "0.5.7", "estimate": median(lambda: Plspm(complete, config, Scheme.PATH, 300, 1e-14), 20)}
    start = time.perf_counter()
    Plspm(complete, config, Scheme.PATH, 300, 1e-14, bootstrap=True, bootstrap_iterations=draws, processes=2)
    out["plspm"]["bootstrap"] = time.perf_counter() - start
except Exception as error:
    out["plspm"] = {"error": f"{type(error).__name__}: {error}"}
print(json.dumps(out))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--reference-draws", type=int, default=500)
    parser.add_argument("--reference-python", default=sys.executable)
    args = parser.parse_args()

    from semtrust.estimation.pls import estimate_pls

    fixture = json.loads((CONFORMANCE / "fixtures" / "pls_corp_rep.json").read_text())
    data_file = CONFORMANCE / fixture["data"]
    data = pd.read_csv(data_file, na_values=[-99])
    model = fixture["model"]
    ours_one = median_time(lambda: estimate_pls(data, model), 20)
    ours_boot = median_time(lambda: estimate_pls(data, model, bootstrap=args.draws, seed=1, workers=2), 3)

    run = subprocess.run([args.reference_python, "-c", REFERENCE, str(CONFORMANCE), str(args.reference_draws),
                          str(data_file)], capture_output=True, text=True)
    try:
        reference = json.loads(run.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        reference = {"seminr": {"error": run.stderr.strip()[-300:]}, "plspm": {"error": "not run"}}

    scale = args.draws / args.reference_draws
    print(f"corporate reputation model, n = {len(data)}, {args.draws:,} bootstrap resamples on 2 workers")
    print(f"{'':10}{'one estimate':>16}{'bootstrap':>16}   ratio to semtrust (estimate / bootstrap)")
    print(f"{'semtrust':10}{ours_one * 1000:>13.1f} ms{ours_boot:>14.2f} s")
    for name in ("seminr", "plspm"):
        result = reference[name]
        if "error" in result:
            print(f"{name:10}  not timed: {result['error']}")
            continue
        boot = result["bootstrap"] * scale
        print(f"{name:10}{result['estimate'] * 1000:>13.1f} ms{boot:>14.2f} s   "
              f"{result['estimate'] / ours_one:.1f}x / {boot / ours_boot:.0f}x"
              f"   (bootstrap: {args.reference_draws} resamples timed, × {scale:g})")
    print(f"target: {args.draws:,} resamples ≤ 2 s wall on 2 cores: {'met' if ours_boot <= 2 else 'NOT met'}")


if __name__ == "__main__":
    main()
