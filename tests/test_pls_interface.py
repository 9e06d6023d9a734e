"""The PLS fit behind the estimators' one interface (semtrust.estimation.base.FittedModel).

The bootstrap refits it through its resampler like any other fit, the effects stage reads its
paths from its parameter table, and its model fit (SRMR, d_ULS, d_G) follows the definitions
of the saturated model (Henseler et al. 2014; cSEM), checked here by their algebra and on data
simulated from a common-factor model.
"""
import json
import math
import pickle

import numpy as np
import pandas as pd
import pytest
from conftest import CONFORMANCE

from semtrust.estimation.base import FittedModel
from semtrust.estimation.bootstrap import bootstrap
from semtrust.estimation.pls import estimate_pls
from semtrust.estimation.pls.fitted import implied_correlation
from semtrust.structural.paths import effects_table

LAVAAN_COLUMNS = ["lhs", "op", "rhs", "label", "est", "se", "z", "pvalue", "ci_lower", "ci_upper", "std_all"]


@pytest.fixture(scope="module")
def primer():
    fixture = json.loads((CONFORMANCE / "fixtures" / "pls_corp_rep.json").read_text())
    data = pd.read_csv(CONFORMANCE / fixture["data"]).replace(-99, np.nan)
    return estimate_pls(data, fixture["model"], bootstrap=200, seed=11, workers=1, ci="bca")


def common_factor_data(n=2000, seed=4):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    b = 0.5 * a + math.sqrt(0.75) * rng.normal(size=n)
    items = [0.8 * f + 0.6 * rng.normal(size=n) for f in (a, a, a, b, b, b)]
    return pd.DataFrame(np.column_stack(items), columns=["a1", "a2", "a3", "b1", "b2", "b3"])


def test_the_pls_fit_is_a_fitted_model(primer):
    assert isinstance(primer, FittedModel) and primer.estimator == "PLS" and primer.missing == "mean"
    assert list(primer.parameters.columns) == LAVAAN_COLUMNS
    assert (primer.parameters["est"] == primer.parameters["std_all"]).all()
    assert np.array_equal(primer.theta, primer.parameters["est"].to_numpy())
    rows = primer.partable.rows
    assert [(r.lhs, r.op, r.rhs) for r in rows] == list(primer.parameters[["lhs", "op", "rhs"]].itertuples(index=False, name=None))
    assert [r.free for r in rows] == list(range(len(rows)))
    assert primer.r_squared() == pytest.approx(primer.r_squared_table["r2"].to_dict())
    assert (primer.total_sd(primer.theta) == 1).all() and len(primer.total_sd(primer.theta)) == len(primer.variables)
    # the bootstrap covariance gives the parameters' bootstrap SEs
    assert np.sqrt(np.diag(primer.vcov)) == pytest.approx(primer.parameters["se"].to_numpy(), rel=1e-9)


def test_the_generic_bootstrap_refits_through_the_resampler_to_the_same_draws(primer):
    resampler = pickle.loads(pickle.dumps(primer.resampler()))
    assert resampler.refit(np.arange(primer.n)) == pytest.approx(primer.theta, abs=1e-12)
    generic = bootstrap(primer, 200, 11, workers=2, jackknife=True)
    own = primer.parameter_draws()
    assert generic.failed == own.failed == 0
    assert np.array_equal(generic.theta, own.theta)            # same rows per resample, same refits
    assert np.array_equal(generic.jackknife_theta, own.jackknife_theta)


def test_effects_read_the_pls_fit_like_any_other(primer):
    effects = effects_table(primer, primer.parameter_draws(), "bca").set_index("path")
    specific = primer.statistics.query("part == 'specific'").set_index("rhs")
    row = effects.loc["QUAL -> LIKE -> CUSA -> CUSL"]
    same = specific.loc["QUAL -> LIKE -> CUSA -> CUSL"]
    mine = [float(row[k]) for k in ("est", "std", "se", "ci_lower", "ci_upper")]
    assert mine == pytest.approx([same.est, same.est, same.se, same.ci_lower, same.ci_upper], abs=1e-12)
    total = primer.statistics.query("part == 'total' and lhs == 'CUSL' and rhs == 'QUAL'")["est"].item()
    assert float(effects.loc["QUAL => CUSL (total)", "est"]) == pytest.approx(total, abs=1e-12)


def test_model_fit_measures_follow_their_definitions(primer):
    fit = primer.fit_measures
    assert {"SRMR", "d_ULS", "d_G", "n", "iterations", "converged"} <= set(fit.index)
    p = len(primer.model.indicators)
    # SRMR averages the p(p+1)/2 residuals of the lower triangle; d_ULS halves the sum over the matrix
    assert fit["SRMR"] ** 2 * p * (p + 1) / 2 == pytest.approx(fit["d_ULS"], rel=1e-12)
    sigma = implied_correlation(primer.correlation[0], primer.fit, primer.model)
    eigen = np.linalg.eigvals(np.linalg.solve(primer.correlation[0], sigma)).real
    assert fit["d_G"] == pytest.approx(0.5 * np.sum(np.log(eigen) ** 2), rel=1e-12)
    assert np.allclose(np.diag(sigma), 1) and np.allclose(sigma, sigma.T)


def test_consistent_pls_reproduces_common_factor_data():
    data = common_factor_data()
    model = "A =~ a1 + a2 + a3\nB =~ b1 + b2 + b3\nB ~ A"
    pls, plsc = (estimate_pls(data, model, consistent=c).fit_measures for c in (False, True))
    assert plsc["SRMR"] < 0.01 < pls["SRMR"] < 0.08     # PLSc's loadings are the factor model's
    assert plsc["d_ULS"] < pls["d_ULS"] and plsc["d_G"] < pls["d_G"]


def test_repeated_indicators_have_no_model_fit():
    data = common_factor_data()
    fitted = estimate_pls(data, "A =~ a1 + a2 + a3\nB =~ b1 + b2 + b3\nT =~ A + B")
    assert math.isnan(fitted.fit_measures["SRMR"])
