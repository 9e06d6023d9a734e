"""Exploratory SEM (efa("block")* factors) against lavaan 0.6-14's default geomin rotation and
its bordered standard errors (fixtures from tests/conformance/make_lavaan_features_fixtures.R)."""
import json

import numpy as np
import pandas as pd
import pytest

from conftest import CONFORMANCE
from semtrust.errors import EstimationError, InputError

TOL = 1e-3
CASES = ["three_factors", "block_and_cfa", "block_predicts"]


def load(name):
    return json.loads((CONFORMANCE / "fixtures" / f"esem_{name}.json").read_text())


@pytest.fixture(scope="module", params=CASES)
def case(request):
    import semtrust as st

    fixture = load(request.param)
    data = pd.read_csv(CONFORMANCE / fixture["data"])
    return fixture, st.sem(data, fixture["model_syntax"])


def test_fit_measures_match_lavaan(case):
    fixture, fit = case
    for key, expected in fixture["fit"].items():
        assert fit.fit_measures[key] == pytest.approx(expected, rel=1e-4, abs=TOL), key
    # lavaan's npar: the rotated parameters less one per rotation condition
    assert fit.fit_measures["npar"] == fixture["fit"]["npar"] < len(fit.theta)


@pytest.mark.parametrize("column", ["est", "se", "std_all"])
def test_rotated_parameters_match_lavaan(case, column):
    fixture, fit = case
    ours = fit.parameters.set_index(["lhs", "op", "rhs"])
    assert len(ours) == len(fixture["parameters"])
    for row in fixture["parameters"]:
        key = (row["lhs"], row["op"], row["rhs"])
        key = key if key in ours.index else (row["rhs"], row["op"], row["lhs"])
        assert ours.loc[key, column] == pytest.approx(row[column] or 0.0, abs=TOL), (key, column)


def test_rotation_takes_the_best_of_its_starts():
    """Geomin has local minima: the rotation keeps the lowest criterion over its starts (no
    other start finds a lower one), reflected to positive column sums, with unit-length columns."""
    from semtrust.estimation.esem import geomin, gpa_oblique, rotate

    rng = np.random.default_rng(0)
    A = rng.normal(size=(9, 3))
    variances = np.ones(9)
    rotation = rotate(A, variances)
    loadings = A @ np.linalg.inv(rotation).T
    best = geomin(loadings)[0]
    others = [gpa_oblique(A, np.linalg.qr(rng.normal(size=(3, 3)))[0])[1] for _ in range(10)]
    assert best <= min(others) + 1e-6 and max(others) > best + 0.1   # the random data do have local minima
    assert (loadings.sum(axis=0) > 0).all() and np.allclose(np.sum(rotation ** 2, axis=0), 1.0)


def test_what_efa_blocks_do_not_take_is_refused_in_one_line():
    import semtrust as st
    from semtrust.estimation.ml import SEM

    fixture = load("block_and_cfa")
    data = pd.read_csv(CONFORMANCE / fixture["data"])
    with pytest.raises(InputError, match="efa\\(\\) blocks are fitted by ML with complete data"):
        SEM(fixture["model_syntax"]).fit(data, estimator="MLR")
    with pytest.raises(EstimationError, match="bootstrap of a model with efa\\(\\) blocks"):
        SEM(fixture["model_syntax"]).fit(data).resampler()
    with pytest.raises(InputError, match="^model: efa\\(\\) blocks \\(exploratory SEM\\) are fitted .* st.sem"):
        st.fit(data, model=fixture["model_syntax"], bootstrap=0)
    with pytest.raises(InputError, match="an efa\\(\\) factor as an outcome"):
        SEM(fixture["model_syntax"] + "\nvisual ~ speed")
    with pytest.raises(InputError, match="loadings of an efa\\(\\) block are all free"):
        SEM('efa("b")*f1 + efa("b")*f2 =~ 1*x1 + x2 + x3 + x4')
