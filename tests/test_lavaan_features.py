"""Mean structures, constraints, fixed.x covariates under MLR/FIML and the missing-data robust
indices against lavaan 0.6-14 (fixtures from tests/conformance/make_lavaan_features_fixtures.R)."""
import json

import numpy as np
import pandas as pd
import pytest

from conftest import CONFORMANCE
from semtrust.errors import InputError
from semtrust.estimation.ml import SEM

TOL = 1e-3
ALL_CASES = sorted(p.stem.removeprefix("feature_") for p in (CONFORMANCE / "fixtures").glob("feature_*.json"))
CASES = [c for c in ALL_CASES if not c.startswith("multigroup_")]
MULTIGROUP = [c for c in ALL_CASES if c.startswith("multigroup_")]


def load(case):
    return json.loads((CONFORMANCE / "fixtures" / f"feature_{case}.json").read_text())




@pytest.fixture(scope="module", params=CASES)
def case(request):
    fixture = load(request.param)
    data = pd.read_csv(CONFORMANCE / fixture["data"])
    model = SEM(fixture["model_syntax"], source=request.param,
                meanstructure="meanstructure = TRUE" in fixture["call"])
    return fixture, model.fit(data, estimator=fixture["estimator"], missing=fixture["missing"])


def test_the_cases_cover_every_feature():
    assert {"means_latent", "means_intercepts", "means_mimic", "means_mlr", "means_fiml", "constraint_linear",
            "constraint_nonlinear", "constraint_inequality", "constraint_mlr", "fixedx_mlr", "fixedx_fiml",
            "fixedx_mlr_fiml", "planned_missing_mlr_fiml"} <= set(CASES)


def test_fit_measures_match_lavaan(case):
    fixture, fit = case
    measures = fit.fit_measures.to_dict()
    assert fit.n == fixture["n"]
    for key, expected in fixture["fit"].items():
        if expected is not None:
            assert measures[key] == pytest.approx(expected, rel=1e-4, abs=TOL), key


@pytest.mark.parametrize("column", ["est", "se", "std_all"])
def test_parameters_match_lavaan(case, column):
    fixture, fit = case
    table = fit.parameters.set_index(["lhs", "op", "rhs"])
    assert len(table) == len(fixture["parameters"])
    for row in fixture["parameters"]:
        key = (row["lhs"], row["op"], row["rhs"])
        if key not in table.index:
            key = (row["rhs"], row["op"], row["lhs"])
        actual, expected = table.loc[key, column], row[column]
        if expected is None:   # lavaan: no SE for a parameter an active constraint fixes
            assert actual == 0 or np.isnan(actual), (key, column)
        else:
            assert actual == pytest.approx(expected, abs=TOL), (key, column)



def test_fiml_deletes_cases_without_a_covariate_as_lavaan():
    fixture = load("fixedx_fiml")
    data = pd.read_csv(CONFORMANCE / fixture["data"])
    fit = SEM(fixture["model_syntax"]).fit(data, missing="fiml")
    assert fit.n == 286 == len(data) - 15
    assert any("15 cases were deleted" in w for w in fit.warnings)


def test_means_need_raw_data():
    fixture = load("means_latent")
    cov = pd.read_csv(CONFORMANCE / fixture["data"])[[f"x{i}" for i in range(1, 10)]].cov()
    with pytest.raises(InputError, match="means .* need the raw responses"):
        SEM(fixture["model_syntax"]).fit(cov=cov, n=301)


@pytest.mark.parametrize("name", ["constraint_linear", "means_latent"])
def test_bootstrap_refits_keep_constraints_and_means(name):
    """A resample's warm refit equals a fresh fit to it, constraints and mean structure included."""
    fixture = load(name)
    data = pd.read_csv(CONFORMANCE / fixture["data"])
    model = SEM(fixture["model_syntax"], meanstructure=True)
    fit = model.fit(data)
    rows = np.random.default_rng(7).integers(0, fit.n, fit.n)
    refit = fit.resampler().refit(rows)
    fresh = SEM(fixture["model_syntax"], meanstructure=True).fit(data.iloc[rows])
    assert refit == pytest.approx(fresh.theta, abs=1e-5)
    assert not np.allclose(refit, fit.theta, atol=1e-3)
    if name == "constraint_linear":
        labels = {r.label: refit[r.free] for r in fit.compiled.table.rows if r.label and r.free >= 0}
        assert labels["a"] + labels["b"] == pytest.approx(1.2, abs=1e-8)


@pytest.mark.parametrize("name", [c for c in CASES if "modindices" in load(c)])
def test_modification_indices_match_lavaan(name):
    from semtrust.estimation.modindices import modification_indices
    fixture = load(name)
    data = pd.read_csv(CONFORMANCE / fixture["data"])
    fit = SEM(fixture["model_syntax"], meanstructure="meanstructure = TRUE" in fixture["call"]).fit(data)
    ours = modification_indices(fit).set_index(["lhs", "op", "rhs"])
    # semtrust scores the cross-loadings and residual covariances of observed variables that the
    # model leaves out (not lavaan's intercepts, latent covariances and fixed marker loadings)
    observed = set(fit.compiled.observed)
    in_model = {(r.lhs, r.op, r.rhs) for r in fit.compiled.table.rows}
    compared = [row for row in fixture["modindices"] if (row["lhs"], row["op"], row["rhs"]) not in in_model
                and (row["op"] == "=~" or row["op"] == "~~" and {row["lhs"], row["rhs"]} <= observed)]
    assert len(compared) >= 5
    for row in compared:
        key = (row["lhs"], row["op"], row["rhs"])
        actual = ours.loc[key if key in ours.index else (row["rhs"], row["op"], row["lhs"])]
        for column in ("mi", "epc", "sepc_all"):
            assert actual[column] == pytest.approx(row[column], rel=1e-3, abs=TOL), (key, column)


@pytest.mark.parametrize("name", MULTIGROUP)
def test_multigroup_mlr_matches_lavaan(name):
    from semtrust.model.syntax import parse_model
    from semtrust.structural.multigroup import fit_multigroup

    fixture = load(name)
    data = pd.read_csv(CONFORMANCE / fixture["data"])
    equal = tuple(filter(None, [fixture["group_equal"]]))
    fit = fit_multigroup(parse_model(fixture["model_syntax"]), data, fixture["group"], equal, estimator="MLR")
    measures = fit.fit_measures.to_dict()
    for key, expected in fixture["fit"].items():
        if expected is not None:
            assert measures[key] == pytest.approx(expected, rel=1e-4, abs=TOL), key
    table = fit.parameters.set_index(["lhs", "op", "rhs", "group"])
    assert len(table) == len(fixture["parameters"]) == 72
    for row in fixture["parameters"]:
        actual = table.loc[(row["lhs"], row["op"], row["rhs"], row["group"])]
        for column in ("est", "se", "std_all"):
            assert actual[column] == pytest.approx(row[column] or 0.0, abs=TOL), (row, column)


def test_mlr_invariance_step_uses_lavaans_scaled_difference():
    from semtrust.model.syntax import parse_model
    from semtrust.structural.multigroup import invariance

    fixture = json.loads((CONFORMANCE / "fixtures" / "lrt_multigroup_mlr_metric.json").read_text())
    data = pd.read_csv(CONFORMANCE / fixture["data"])
    ladder = invariance(parse_model(fixture["model_syntax"]), data, fixture["group"], estimator="MLR")
    metric = ladder["steps"][1]
    assert metric["model"] == "metric"
    assert metric["delta_chisq"] == pytest.approx(fixture["delta_chisq"], abs=TOL)
    assert metric["delta_df"] == fixture["delta_df"]
    assert metric["pvalue"] == pytest.approx(fixture["pvalue"], abs=TOL)
    # the ML difference is another number: the test really is scaled
    assert abs(metric["chisq"] - ladder["steps"][0]["chisq"] - fixture["delta_chisq"]) > 0.5
    assert metric["chisq_scaling_factor"] == pytest.approx(load("multigroup_mlr_metric")["fit"]["chisq_scaling_factor"],
                                                           abs=TOL)
