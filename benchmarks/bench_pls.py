"""PLS-SEM speed: semtrust beside the PyPI packages seminr and plspm on the corporate reputation model.

    python benchmarks/bench_pls.py [--draws 10000] [--reference-draws 500] [--reference-python PY]

The extended corporate reputation model of Hair et al.'s primer (8 constructs, 4 formative;
n = 344, the copy in tests/conformance/data written from the seminr wheel). Times one estimate
(median of 20) and a bootstrap of ``draws`` resamples on 2 worker processes, for semtrust and,
in a subprocess run by ``--reference-python`` (default: this interpreter; plspm 0.5.7 needs
pandas < 3, so point it at an environment with ``seminr==0.2.1 plspm==0.5.7 "pandas<3"``), for
seminr and plspm: their bootstraps run ``reference_draws`` resamples on 2 cores, extrapolated
to ``draws``. Also times PLSpredict (10 folds × 10 repetitions; seminr: one 10-fold run × 10),
MICOM with 5,000 permutations, and Q² by blindfolding (D = 7) beside openpls-engine's
``q_squared(7)`` run by ``--openpls-python`` (an environment with ``openpls-engine==1.13.0``,
which needs pandas 3). Prints all of them and the ratios.
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
import pandas as pd
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
    measurement, structural = fx.seminr_model(spec)
    fit = lambda: fx.seminr.estimate_pls(data, measurement, structural, missing_value=-99)
    model = fit()
    out["seminr"] = {"version": fx.seminr.__version__, "estimate": median(fit, 20)}
    start = time.perf_counter(); fx.seminr.bootstrap_model(model, nboot=draws, seed=1, cores=2)
    out["seminr"]["bootstrap"] = time.perf_counter() - start
    start = time.perf_counter(); fx.seminr.predict_pls(model, technique=fx.predict_EA, no_folds=10, seed=1)
    out["seminr"]["predict"] = (time.perf_counter() - start) * 10   # one 10-fold run, times 10 repetitions
except Exception as error:
    out["seminr"] = {"error": f"{type(error).__name__}: {error}"}
try:
    config, standardized = fx.plspm_inputs(data, spec)
    out["plspm"] = {"version": "0.5.7",
                    "estimate": median(lambda: fx.Plspm(standardized, config, fx.Scheme.PATH, 300, 1e-14), 20)}
    start = time.perf_counter()
    fx.Plspm(standardized, config, fx.Scheme.PATH, 300, 1e-14, bootstrap=True, bootstrap_iterations=draws, processes=2)
    out["plspm"]["bootstrap"] = time.perf_counter() - start
except Exception as error:
    out["plspm"] = {"error": f"{type(error).__name__}: {error}"}
print(json.dumps(out))
"""
OPENPLS = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
import make_pls_openpls_fixture as fx
import pandas as pd
from openpls import Plspm
try:
    frame, config = fx.openpls_inputs(pd.read_csv(sys.argv[2]))
    start = time.perf_counter()
    Plspm(frame, config, fx.Scheme.PATH, 300, 1e-14).q_squared(7)
    print(json.dumps({"q2": time.perf_counter() - start, "version": fx.version("openpls-engine")}))
except Exception as error:
    print(json.dumps({"error": f"{type(error).__name__}: {error}"}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--reference-draws", type=int, default=500)
    parser.add_argument("--reference-python", default=sys.executable)
    parser.add_argument("--openpls-python", default=sys.executable)
    args = parser.parse_args()

    from semtrust.estimation.pls import blindfolding, compare_groups, estimate_pls, pls_predict

    fixture = json.loads((CONFORMANCE / "fixtures" / "pls_corp_rep.json").read_text())
    data_file = CONFORMANCE / fixture["data"]
    data = pd.read_csv(data_file, na_values=[-99])
    model = fixture["model"]
    ours_one = median_time(lambda: estimate_pls(data, model), 20)
    ours_boot = median_time(lambda: estimate_pls(data, model, bootstrap=args.draws, seed=1, workers=2), 3)
    fitted = estimate_pls(data, model)
    ours_predict = median_time(lambda: pls_predict(fitted, folds=10, repetitions=10, seed=1), 3)
    group = data["servicetype"]
    ours_micom = median_time(lambda: compare_groups(fitted, group, bootstrap=0, permutations=5000, seed=1,
                                                    workers=2), 3)
    ours_q2 = median_time(lambda: blindfolding(fitted, 7), 20)

    run = subprocess.run([args.reference_python, "-c", REFERENCE, str(CONFORMANCE), str(args.reference_draws),
                          str(data_file)], capture_output=True, text=True)
    try:
        reference = json.loads(run.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        reference = {"seminr": {"error": run.stderr.strip()[-300:]}, "plspm": {"error": "not run"}}

    run = subprocess.run([args.openpls_python, "-c", OPENPLS, str(CONFORMANCE), str(data_file)],
                         capture_output=True, text=True)
    try:
        openpls = json.loads(run.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        openpls = {"error": run.stderr.strip()[-300:]}

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
    seminr_predict = reference["seminr"].get("predict")
    versus = f"   seminr predict_pls (EA, 10 folds) × 10: {seminr_predict:.2f} s" if seminr_predict else ""
    print(f"PLSpredict 10 folds × 10 repetitions: semtrust {ours_predict:.2f} s (target ≤ 1 s){versus}")
    print(f"MICOM + permutation MGA, 5,000 permutations (servicetype): semtrust {ours_micom:.2f} s (target ≤ 3 s; "
          "neither PyPI package has MICOM)")
    versus = (f"   openpls-engine {openpls['version']} q_squared(7): {openpls['q2']:.2f} s "
              f"({openpls['q2'] / ours_q2:.0f}x; it omits whole cases, see tests/conformance/README.md)"
              if "q2" in openpls else f"   openpls-engine not timed: {openpls['error']}")
    print(f"Q² blindfolding, D = 7, 4 endogenous constructs: semtrust {ours_q2 * 1000:.0f} ms{versus}")


if __name__ == "__main__":
    main()
