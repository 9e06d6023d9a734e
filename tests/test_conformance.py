"""semtrust against lavaan 0.6 fixtures (tests/conformance/make_fixtures.R made them)."""
import json

import numpy as np
import pandas as pd
import pytest

from semtrust.estimation.ml import SEM
from conftest import CONFORMANCE

TOL = 1e-3
# model fixtures from make_fixtures.R (ML, listwise); other scripts write effects_*.json,
# estimator_*.json (MLR, FIML: tests/test_estimators.py), ...
FIXTURES = [p for p in sorted((CONFORMANCE / "fixtures").glob("*.json"))
            if {"fit", "parameters", "model"} <= set(json.loads(p.read_text())) and not p.stem.startswith(("estimator_", "feature_", "ordinal_"))]
FIT_KEYS = ["chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea_ci_lower", "rmsea_ci_upper",
            "rmsea_pvalue", "srmr", "aic", "bic", "bic2", "logl", "unrestricted_logl", "npar",
            "baseline_chisq", "baseline_df", "ntotal"]


def load_case(path):
    fixture = json.loads(path.read_text())
    data = pd.read_csv(CONFORMANCE / fixture["data"])
    for item in fixture.get("reverse", []):
        data[item] = 8 - data[item]
    model = (CONFORMANCE / fixture["model"]).read_text()
    return fixture, data, model


@pytest.fixture(scope="module", params=FIXTURES, ids=lambda p: p.stem)
def case(request):
    fixture, data, model = load_case(request.param)
    return fixture, SEM(model, source=fixture["model"]).fit(data)


def test_fixtures_present():
    assert {"holzinger_cfa", "political_democracy"} <= {p.stem for p in FIXTURES}


def test_sample_size(case):
    fixture, fit = case
    assert fit.n == fixture["n"]


@pytest.mark.parametrize("key", FIT_KEYS)
def test_fit_measures(case, key):
    fixture, fit = case
    expected = fixture["fit"][key]
    actual = fit.fit_measures.to_dict()[key]
    if expected is None:
        pytest.skip(f"lavaan gives no {key}")
    assert actual == pytest.approx(expected, abs=TOL), key


def test_parameter_rows_match(case):
    fixture, fit = case
    ours = {(r.lhs, r.op, r.rhs) for r in fit.parameters.itertuples()}
    theirs = set()
    for r in fixture["parameters"]:
        key = (r["lhs"], r["op"], r["rhs"])
        theirs.add(key if key in ours or r["op"] != "~~" else (r["rhs"], r["op"], r["lhs"]))
    assert ours == theirs


@pytest.mark.parametrize("column", ["est", "se", "std_all", "z", "ci_lower", "ci_upper"])
def test_parameter_values(case, column):
    fixture, fit = case
    ours = fit.parameters.set_index(["lhs", "op", "rhs"])
    for r in fixture["parameters"]:
        key = (r["lhs"], r["op"], r["rhs"])
        if key not in ours.index:
            key = (r["rhs"], r["op"], r["lhs"])
        expected, actual = r[column], ours.loc[key, column]
        if expected is None:
            assert np.isnan(actual) or r["se"] == 0, (key, column)
            continue
        assert actual == pytest.approx(expected, abs=TOL), (key, column)


def test_implied_covariance(case):
    fixture, fit = case
    names = fixture["implied_cov"]["names"]
    expected = np.array(fixture["implied_cov"]["matrix"])
    order = [fit.compiled.observed.index(n) for n in names]
    np.testing.assert_allclose(fit.implied_cov[np.ix_(order, order)], expected, atol=TOL)


RELIABILITY = [p for p in FIXTURES if "reliability" in json.loads(p.read_text())]


@pytest.mark.parametrize("path", RELIABILITY, ids=lambda p: p.stem)
def test_reliability_matches_psych_and_lavaan(path):
    """alpha and its Feldt CI as psych::alpha; CR and AVE from lavaan's std.all loadings."""
    from semtrust.assessment.reliability import fit_measurement, item_groups, reliability_table
    from semtrust.model.syntax import parse_model

    fixture, data, model = load_case(path)
    spec = parse_model(model)
    frame = data[spec.observed].dropna()
    groups = item_groups(spec)
    table = reliability_table(frame, groups, fit_measurement(spec, frame))
    for factor, expected in fixture["reliability"].items():
        row = table.loc[factor]
        assert row.alpha == pytest.approx(expected["alpha"], abs=TOL)
        assert row.alpha_ci_lower == pytest.approx(expected["alpha_feldt_lower"], abs=TOL)
        assert row.alpha_ci_upper == pytest.approx(expected["alpha_feldt_upper"], abs=TOL)
        assert row.cr == pytest.approx(expected["cr_std"], abs=TOL)
        assert row.ave == pytest.approx(expected["ave_std_mean"], abs=TOL)
    assert set(fixture["reliability"]) <= set(table.index)


@pytest.mark.parametrize("case", ["holzinger_cfa", "political_democracy"])
def test_modification_indices_match_lavaan(case):
    from semtrust.estimation.modindices import modification_indices

    fixture, data, model = load_case(CONFORMANCE / "fixtures" / f"{case}.json")
    ours = modification_indices(SEM(model).fit(data)).set_index(["lhs", "op", "rhs"])
    expected = json.loads((CONFORMANCE / "fixtures" / f"modindices_{case}.json").read_text())["modindices"]
    assert len(ours) == len(expected)
    for row in expected:
        key = (row["lhs"], row["op"], row["rhs"])
        if key not in ours.index:
            key = (row["rhs"], row["op"], row["lhs"])
        for column in ("mi", "epc", "sepc_all"):
            assert ours.loc[key, column] == pytest.approx(row[column], abs=TOL), (key, column)
