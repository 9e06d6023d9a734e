"""A saturated model (df = 0) under MLR fits, reports and compares as lavaan does
(tests/conformance/make_saturated_fixture.R made the fixture)."""
import json
import math
from pathlib import Path

import pandas as pd
import pytest

import semtrust as st
from semtrust.cli import main
from semtrust.estimation.fit_measures import scaled_chisq_difference

CONFORMANCE = Path(__file__).parent / "conformance"
FIXTURE = json.loads((CONFORMANCE / "fixtures" / "saturated_mlr.json").read_text())
DATA = pd.read_csv(CONFORMANCE / FIXTURE["data"])


@pytest.fixture(scope="module")
def fit():
    return st.cfa(DATA, FIXTURE["syntax"], estimator="MLR")


@pytest.mark.parametrize("key", sorted(FIXTURE["fit"]))
def test_fit_measures_match_lavaan(fit, key):
    expected, got = FIXTURE["fit"][key], fit.fit_measures[key]
    if expected is None:   # lavaan's NA: the statistic does not exist for df = 0
        assert got is None or math.isnan(got), key
    else:
        assert got == pytest.approx(expected, abs=1e-6, rel=1e-5), key


def test_estimates_match_lavaan(fit):
    got = fit.parameters.set_index(["lhs", "op", "rhs"])
    for row in FIXTURE["parameters"]:
        here = got.loc[(row["lhs"], row["op"], row["rhs"])]
        assert here["est"] == pytest.approx(row["est"], abs=1e-5)
        assert here["se"] == pytest.approx(row["se"], abs=1e-5)
        assert here["std_all"] == pytest.approx(row["std.all"], abs=1e-5)


def test_scaled_difference_against_a_saturated_model():
    # lavTestLRT: the saturated model's df × c is 0, so the difference scaling is c of the restricted model
    assert scaled_chisq_difference(12.0, 3, 1.2, 0.0, 0, math.nan) == pytest.approx(10.0)
    assert math.isnan(scaled_chisq_difference(5.0, 2, 1.1, 4.0, 2, 1.0))


def test_whole_run_of_a_saturated_mlr_model(tmp_path):
    data, model = tmp_path / "hs.csv", tmp_path / "m.lav"
    DATA[["x1", "x2", "x3"]].to_csv(data, index=False)
    model.write_text(FIXTURE["syntax"] + "\n")
    code = main(["fit", str(data), "--model", str(model), "--estimator", "MLR", "--no-screen", "--bootstrap", "0",
                 "--measurement-bootstrap", "0", "--out", str(tmp_path / "out"), "--quiet"])
    assert code == 0
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results["fit"]["structural"]["df"] == 0
    assert results["fit"]["structural"]["cfi_robust"] is None
