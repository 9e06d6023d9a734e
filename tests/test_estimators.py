"""MLR and FIML against lavaan 0.6 (fixtures from tests/conformance/make_estimator_fixtures.R)."""
import json

import numpy as np
import pandas as pd
import pytest

from conftest import CONFORMANCE
from semtrust.estimation.ml import SEM
from semtrust.errors import InputError
from semtrust.estimation.missing import em_moments
from semtrust.structural.paths import _comparison_row, _nested

CASES = sorted(p.stem.removeprefix("estimator_") for p in (CONFORMANCE / "fixtures").glob("estimator_*.json"))


def load(case):
    fixture = json.loads((CONFORMANCE / "fixtures" / f"estimator_{case}.json").read_text())
    data = pd.read_csv(CONFORMANCE / fixture["data"])
    for item in fixture["reverse"]:
        data[item] = fixture["scale_points"] + 1 - data[item]
    return fixture, data, (CONFORMANCE / fixture["model"]).read_text()


@pytest.fixture(scope="module", params=CASES)
def case(request):
    fixture, data, model = load(request.param)
    fit = SEM(model, source=fixture["model"]).fit(data, estimator=fixture["estimator"], missing=fixture["missing"])
    return fixture, fit


def test_the_cases_cover_mlr_fiml_and_both():
    assert {"holzinger_mlr", "pd_mlr", "bfi_mlr", "bfi_fiml", "bfi_mlr_fiml"} <= set(CASES)


def test_fit_measures_match_lavaan(case):
    fixture, fit = case
    measures = fit.fit_measures.to_dict()
    assert fit.n == fixture["n"]
    compared = 0
    for key, expected in fixture["fit"].items():
        if expected is None:
            continue
        assert measures[key] == pytest.approx(expected, rel=1e-4, abs=1e-3), key
        compared += 1
    # ML + FIML: lavaan's robust CFI/TLI/RMSEA from the corrected statistics (Zhang & Savalei 2022)
    assert compared >= {"MLR": 35, "ML": 25 if fixture["missing"] == "fiml" else 19}[fixture["estimator"]]


def test_parameters_match_lavaan(case):
    fixture, fit = case
    table = fit.parameters.set_index(["lhs", "op", "rhs"])
    assert len(table) == len(fixture["parameters"])
    for row in fixture["parameters"]:
        ours = table.loc[(row["lhs"], row["op"], row["rhs"])]
        for column in ("est", "se", "std_all", "ci_lower", "ci_upper"):
            if row[column] is not None:
                assert ours[column] == pytest.approx(row[column], abs=1e-3), (row["lhs"], row["op"], row["rhs"], column)


def test_scaled_difference_test_matches_lavtestlrt():
    expected = json.loads((CONFORMANCE / "fixtures" / "lrt_holzinger_mlr.json").read_text())
    data = pd.read_csv(CONFORMANCE / expected["data"])
    free = (CONFORMANCE / expected["model"]).read_text()
    rows = [_comparison_row(name, SEM(syntax).fit(data, estimator="MLR"))
            for name, syntax in (("free", free), ("restricted", free + "\n" + expected["restriction"]))]
    test = _nested(rows[1], rows[0])
    assert test["delta_df"] == expected["delta_df"]
    assert test["delta_chisq"] == pytest.approx(expected["delta_chisq"], abs=1e-3)
    assert test["pvalue"] == pytest.approx(expected["pvalue"], abs=1e-6)


def test_robust_standard_errors_differ_from_ml_ones():
    fixture, data, model = load("holzinger_mlr")
    ml = SEM(model).fit(data).parameters.se
    mlr = SEM(model).fit(data, estimator="MLR").parameters.se
    assert np.max(np.abs(ml - mlr)) > 0.01


def test_em_moments_match_lavaans_h1_on_bfi():
    data = pd.read_csv(CONFORMANCE / "data" / "bfi.csv")
    mean, cov = em_moments(data.filter(regex="^[ACENO][0-9]$"))
    # lavInspect(lavCor(bfi items, missing = "ml", output = "fit"), "sampstat.h1")
    assert mean[["A1", "A2", "A3"]].to_numpy() == pytest.approx([2.413062, 4.804397, 4.605623], abs=1e-6)
    assert cov.loc["A1", "A2"] == pytest.approx(-0.562113, abs=1e-6)
    assert cov.loc["A3", "A3"] == pytest.approx(1.692904, abs=1e-6)


def test_options_are_checked():
    fixture, data, model = load("holzinger_mlr")
    with pytest.raises(InputError, match="estimator 'WLSMV'"):
        SEM(model).fit(data, estimator="WLSMV")
    with pytest.raises(InputError, match="pairwise"):
        SEM(model).fit(data, missing="pairwise")
    with pytest.raises(InputError, match="raw responses"):
        SEM(model).fit(cov=data.filter(regex="^x").cov(), n=301, estimator="MLR")
