"""Ordinal items (WLSMV) against lavaan 0.6-14 ``cfa(..., ordered = , estimator = "WLSMV")``,
semTools ``compRelSEM`` and psych ``alpha``: fixtures from tests/conformance/make_ordinal_fixtures.R."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from threadpoolctl import threadpool_limits

from semtrust.assessment.ordinal_reliability import ordinal_alpha, ordinal_omega
from semtrust.errors import InputError
from semtrust.estimation.ordinal import fit_ordinal, likert_note, scaled_difference_test, standardized_solution
from semtrust.estimation.polychoric import bivariate_normal_cdf, polychoric

CONFORMANCE = Path(__file__).parent / "conformance"
CASES = ["bfi_ordinal", "holzinger_ordinal", "holzinger_ordinal_sem", "holzinger_ordinal_thresholds",
         "holzinger_ordinal_mediation", "holzinger_ordinal_ulsmv", "holzinger_ordinal_dwls", "holzinger_ordinal_theta",
         "holzinger_ordinal_sem_theta", "holzinger_ordinal_stdlv", "bfi_ordinal_pairwise", "holzinger_mixed",
         "holzinger_mixed_sem", "holzinger_mixed_covariates", "holzinger_mixed_covariates_theta",
         "holzinger_mixed_pairwise", "binary_simulated"]


def load(case):
    fixture = json.loads((CONFORMANCE / "fixtures" / f"ordinal_{case}.json").read_text())
    data = pd.read_csv(CONFORMANCE / fixture["data"])
    model = (CONFORMANCE / fixture["model"]).read_text()
    return fixture, data, model


@pytest.fixture(scope="module", params=CASES)
def case(request):
    fixture, data, model = load(request.param)
    with threadpool_limits(1):  # as the pipeline runs
        return fixture, data, fit_ordinal(data, model, ordered=fixture["ordered"], estimator=fixture["estimator"],
                                          parameterization=fixture["parameterization"], missing=fixture["missing"])


def test_thresholds_polychorics_and_gamma(case):
    fixture, _, fit = case
    st = fit.statistics
    assert st.n == fixture["n"]
    expected_th = {k: v for k, v in fixture["thresholds"].items() if "|" in k}
    thresholds = np.concatenate([st.thresholds[v] for v in st.names if v in st.thresholds])
    np.testing.assert_allclose(thresholds, list(expected_th.values()), atol=1e-8)
    np.testing.assert_allclose(st.vector, fixture["wls_obs"], atol=1e-6)
    expected = pd.DataFrame(fixture["polychoric"]["matrix"], index=fixture["polychoric"]["names"],
                            columns=fixture["polychoric"]["names"])
    np.testing.assert_allclose(st.correlation.loc[expected.index, expected.columns], expected, atol=1e-6)
    np.testing.assert_allclose(np.diag(st.gamma), fixture["gamma_diag"], rtol=1e-5)
    if "gamma" in fixture:
        np.testing.assert_allclose(st.gamma, fixture["gamma"], atol=1e-6)


def test_parameter_table_matches_lavaan(case):
    fixture, _, fit = case
    expected = pd.DataFrame(fixture["parameters"])
    got = fit.parameters
    assert got[["lhs", "op", "rhs"]].values.tolist() == expected[["lhs", "op", "rhs"]].values.tolist()
    for ours, theirs in [("est", "est"), ("se", "se"), ("std_all", "std.all"), ("ci_lower", "ci.lower")]:
        np.testing.assert_allclose(got[ours], expected[theirs].astype(float), atol=1e-4, err_msg=ours)
    z = expected.z.astype(float)
    np.testing.assert_allclose(got.z[z.notna()], z[z.notna()], rtol=1e-3, atol=1e-3)


FIT_NAMES = ["chisq", "df", "pvalue", "chisq_scaled", "df_scaled", "pvalue_scaled", "chisq_scaling_factor",
             "baseline_chisq", "baseline_df", "baseline_chisq_scaled", "baseline_chisq_scaling_factor",
             "cfi", "tli", "cfi_scaled", "tli_scaled", "cfi_robust", "tli_robust", "rmsea", "rmsea_ci_lower",
             "rmsea_ci_upper", "rmsea_pvalue", "rmsea_scaled", "rmsea_ci_lower_scaled", "rmsea_ci_upper_scaled",
             "rmsea_pvalue_scaled", "rmsea_robust", "rmsea_ci_lower_robust", "rmsea_ci_upper_robust",
             "rmsea_pvalue_robust", "srmr", "wrmr", "npar"]


def test_fit_measures_match_lavaan(case):
    fixture, _, fit = case
    for name in FIT_NAMES:
        expected = fixture["fit"].get(name.replace("_", ".") if name not in ("srmr",) else name)
        if expected is None:  # NA in lavaan: robust (catML) indices under threshold constraints, ULS p-values,
            # and no scaled statistics under plain DWLS
            assert name not in fit.fit_measures
        else:
            assert fit.fit_measures[name] == pytest.approx(expected, rel=1e-4, abs=1e-6), name


def test_ordinal_reliability(case):
    fixture, _, fit = case
    reliability = fixture["reliability"]
    omega = ordinal_omega(fit)
    assert omega == pytest.approx(reliability["omega"], abs=1e-5)
    params = fit.parameters
    for factor, expected in reliability["alpha_psych"].items():
        items = params[(params.op == "=~") & (params.lhs == factor)].rhs.tolist()
        assert ordinal_alpha(fit.statistics.correlation, items) == pytest.approx(expected, abs=1e-6)


def test_bivariate_normal_cdf_against_scipy():
    points = [(-0.6, 0.1, 0.3), (0.0, 0.0, -0.7), (1.2, 0.0, 0.95), (-2.0, -1.5, 0.999), (0.4, -0.3, -0.99)]
    for h, k, rho in points:
        expected = stats.multivariate_normal(cov=[[1, rho], [rho, 1]]).cdf([h, k])
        assert bivariate_normal_cdf(h, k, rho) == pytest.approx(expected, abs=1e-6)


def test_polychoric_recovers_a_known_correlation():
    rng = np.random.default_rng(11)
    latent = rng.multivariate_normal([0, 0, 0], [[1, .7, .3], [.7, 1, .5], [.3, .5, 1]], size=20000)
    items = pd.DataFrame(np.digitize(latent, [-0.8, 0.2, 1.1]), columns=["a", "b", "c"])
    r = polychoric(items).correlation
    assert r.loc["a", "b"] == pytest.approx(0.7, abs=0.02)
    assert r.loc["a", "c"] == pytest.approx(0.3, abs=0.02)


def test_threshold_syntax_errors_name_the_line():
    _, data, model = load("holzinger_ordinal")
    with pytest.raises(InputError, match="line 4: 'x1 | t4' names no threshold; x1 has 3"):
        fit_ordinal(data, model + "\nx1 | t4")


def test_ml_refuses_thresholds():
    from semtrust.estimation.ml import SEM
    with pytest.raises(InputError, match="estimator WLSMV"):
        SEM("f =~ x1 + x2 + x3\nx1 | t1")


def test_bad_input_is_one_line():
    _, data, model = load("holzinger_ordinal")
    with pytest.raises(InputError, match="not available"):
        fit_ordinal(data, model, estimator="MLR")
    with pytest.raises(InputError, match="none of the model's variables is declared ordered"):
        fit_ordinal(data, model, ordered=["q1"])
    with pytest.raises(InputError, match="parameterization 'gamma' is not available"):
        fit_ordinal(data, model, parameterization="gamma")
    constant = data.assign(x1=1)
    with pytest.raises(InputError, match="'x1' has a single answer"):
        fit_ordinal(constant, model)


def test_effects_delta_method_and_bootstrap_on_wlsmv():
    """Downstream stages read a WLSMV fit like an ML one: the delta-method indirect effect is
    lavaan's ``:=`` row, and the bootstrap (which lavaan refuses for WLSMV) refits by DWLS."""
    from semtrust.estimation.bootstrap import bootstrap
    from semtrust.structural.paths import effects_table

    fixture, data, model = load("holzinger_ordinal_mediation")
    expected = pd.DataFrame(fixture["parameters"]).set_index("lhs").loc["indirect"]
    fit = fit_ordinal(data, model)
    assert fit.resampler().refit(np.arange(fit.n)) == pytest.approx(fit.theta, abs=1e-6)
    delta = effects_table(fit).set_index("kind").loc["indirect"]
    assert (delta.est, delta.se, delta["std"]) == pytest.approx(
        (expected.est, expected.se, expected["std.all"]), abs=1e-5)
    draws = bootstrap(fit, draws=60, seed=4, workers=1)
    assert draws.failed == 0
    boot = effects_table(fit, draws).set_index("kind").loc["indirect"]
    assert 0.6 * expected.se < boot.se < 1.6 * expected.se
    assert boot.std_ci_lower < boot["std"] < boot.std_ci_upper


def test_likert_note_only_for_coarse_items_under_ml():
    _, data, _ = load("holzinger_ordinal")
    note = likert_note(data, "MLR")
    assert len(note) == 1 and note[0].startswith("9 of the 9 items have at most 5 answer categories")
    assert "--estimator WLSMV" in note[0]
    assert likert_note(data, "WLSMV") == []
    continuous = pd.read_csv(CONFORMANCE / "data" / "HolzingerSwineford1939.csv")[[f"x{i}" for i in range(1, 10)]]
    assert likert_note(continuous, "ML") == []
    six_point = pd.read_csv(CONFORMANCE / "data" / "bfi.csv")[["A1", "A2"]]
    assert likert_note(six_point, "ML") == []


def test_ordered_categoricals_keep_their_order_and_text_is_refused():
    _, data, _ = load("holzinger_ordinal")
    labels = ["low", "mid", "high", "top"]  # alphabetical order would be wrong
    as_text = data[["x1", "x2", "x3"]].apply(lambda col: col.map(lambda v: labels[v - 1]))
    ordered = as_text.apply(lambda col: pd.Categorical(col, categories=labels, ordered=True))
    np.testing.assert_allclose(polychoric(ordered).correlation, polychoric(data[["x1", "x2", "x3"]]).correlation)
    with pytest.raises(InputError, match="column 'x1' holds text answers"):
        polychoric(as_text)


def test_r_squared_matches_lavaan(case):
    fixture, _, fit = case
    assert fit.r_squared() == pytest.approx(fixture["r2"], abs=1e-5)


@pytest.mark.parametrize("index", [0, 1])
def test_scaled_difference_test_matches_lavtestlrt(index):
    fixture = json.loads((CONFORMANCE / "fixtures" / "ordinal_lrt.json").read_text())
    comparison = fixture["comparisons"][index]
    data = pd.read_csv(CONFORMANCE / fixture["data"])
    with threadpool_limits(1):
        result = scaled_difference_test(fit_ordinal(data, comparison["restricted"]), fit_ordinal(data, comparison["free"]))
    assert result["df_diff"] == comparison["df_diff"]
    for key in ("chisq_diff", "pvalue", "scale", "shift"):
        assert result[key] == pytest.approx(comparison[key], abs=1e-6), key


def test_polyserial_is_the_likelihood_optimum():
    """bfi's A2 with age: the two-step polyserial correlation at the maximum R's optimize() finds
    (lavaan's optimizer stops short on this pair, at a lower likelihood), listwise and pairwise."""
    fixture = json.loads((CONFORMANCE / "fixtures" / "ordinal_polyserial_ml.json").read_text())
    pair = pd.read_csv(CONFORMANCE / fixture["data"])[[fixture["y"], fixture["x"]]]
    listwise = polychoric(pair.dropna(), numeric=[fixture["x"]]).correlation.iloc[0, 1]
    assert listwise == pytest.approx(fixture["optimum"], abs=1e-7)
    assert fixture["loglik_optimum"] > fixture["loglik_lavaan"]
    pairwise = polychoric(pair, numeric=[fixture["x"]], pairwise=True).correlation.iloc[0, 1]
    assert pairwise == pytest.approx(fixture["optimum_pairwise"], abs=1e-7)


def test_standardized_solution_matches_lavaan(case):
    fixture, _, fit = case
    if fixture["n"] > 1000:  # the 25-item bfi cases: the same code, ten times the parameters
        pytest.skip("standardized SEs are checked on the smaller fixtures")
    expected = pd.DataFrame(fixture["parameters"])
    with threadpool_limits(1):
        solution = standardized_solution(fit)
    np.testing.assert_allclose(solution.est, expected["std.all"].astype(float), atol=1e-5)
    np.testing.assert_allclose(solution.se, expected["std.se"].astype(float), atol=1e-5)
