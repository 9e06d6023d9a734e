"""Fixture for PROCESS model 6 (serial mediation) in semtrust.structural.moderation
(tests/test_moderation.py reads tests/conformance/fixtures/process_model6.json).

Reference tool, needed only to run this script (not a runtime dependency of semtrust):
pyprocessmacro 2.2 (PyPI), the Python port of Hayes's PROCESS, which estimates model 6 with two to
four mediators: the three equations (M1 ~ X, M2 ~ X + M1, Y ~ X + M1 + M2, covariate c1 in each),
the direct effect and the specific indirect effects X -> M1 -> Y, X -> M1 -> M2 -> Y, X -> M2 -> Y
and their total with percentile bootstrap CIs (5,000 resamples). Data: the moderation simulation
tests/conformance/data/moderation_sim.csv (written by make_moderation_fixtures.py).

Run from the repository root: python tests/conformance/make_process_model6_fixture.py
"""
from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from make_moderation_fixtures import BOOT, DATA, factors, stat_row  # the shared fixture helpers

FIXTURE = HERE / "fixtures" / "process_model6.json"
CASE = {"model": 6, "x": "x", "m": ["m1", "m2"], "y": "y", "covariates": ["c1"]}


def main() -> None:
    from pyprocessmacro import Process  # the reference, imported only to run this script

    data = pd.read_csv(DATA)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = Process(data, model=6, x="x", y="y", m=CASE["m"], controls=CASE["covariates"], boot=BOOT, seed=12345,
                      percent=True, suppr_init=True, total=True)
    tidy = fit.tidy()
    fixture = {"case": CASE, "bootstrap": BOOT, "coefficients": [], "direct": [], "indirect": []}
    for _, row in tidy[tidy.component == "outcome"].iterrows():
        fixture["coefficients"].append({"outcome": row.outcome, "term": factors(row.term, CASE), **stat_row(row)})
    for _, row in tidy[tidy.component == "direct"].iterrows():
        fixture["direct"].append(stat_row(row))
    for _, row in tidy[tidy.component.isin(["indirect", "total"])].iterrows():
        chain = "TOTAL" if row.component == "total" else " -> ".join(row.term.split(" -> ")[1:-1])
        fixture["indirect"].append({"mediator": chain, "method": row.method, **stat_row(row)})
    FIXTURE.write_text(json.dumps(fixture, indent=1) + "\n")
    print("wrote", FIXTURE)


if __name__ == "__main__":
    main()
