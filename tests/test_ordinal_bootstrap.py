"""The fast bootstrap refits of WLSMV fits: statistics from the resample's category counts
(ResampledStatistics) equal the casewise computation, and the quasi-Newton refit reaches the
DWLS estimates Gauss-Newton reaches."""
import numpy as np
import pandas as pd
import pytest
from conftest import CONFORMANCE

from semtrust.estimation.ordinal import fit_ordinal
from semtrust.estimation.polychoric import ResampledStatistics, polychoric

BFI = pd.read_csv(CONFORMANCE / "data" / "bfi.csv")
MODEL = "agree =~ A1 + A2 + A3 + A4 + A5\nconsc =~ C1 + C2 + C3 + C4 + C5"
ITEMS = [f"A{k}" for k in range(1, 6)] + [f"C{k}" for k in range(1, 6)]


def mixed_items(n=300, seed=3) -> pd.DataFrame:
    """Items with 2 to 5 categories (binary pairs take lavaan's zero-cell correction)."""
    rng = np.random.default_rng(seed)
    factor = rng.normal(size=n)
    cuts = {"a": [-1, 0, 1], "b": [0.2], "c": [-1.5, -0.5, 0.5, 1.5], "d": [-0.3, 0.8], "e": [1.9]}
    return pd.DataFrame({name: np.digitize(0.6 * factor + 0.8 * rng.normal(size=n), c) + 1
                         for name, c in cuts.items()})


@pytest.mark.parametrize("items, pairwise", [
    (mixed_items(), False), (BFI[ITEMS].dropna().iloc[:600], False),
    (BFI[ITEMS].iloc[:800].dropna(how="all").reset_index(drop=True), True)], ids=["mixed", "bfi", "bfi-pairwise"])
def test_resampled_statistics_equal_the_casewise_ones(items, pairwise):
    full = polychoric(items, pairwise=pairwise)
    n_th = len(full.threshold_names)
    resampled = ResampledStatistics(items, full.vector[n_th:])
    rng = np.random.default_rng(11)
    compared = 0
    for _ in range(8):
        rows = rng.integers(0, len(items), len(items))
        result = resampled(rows)
        direct = polychoric(items.iloc[rows], pairwise=pairwise, full_gamma=False)
        if result is None:   # a category is empty: other thresholds
            assert direct.vector.shape != full.vector.shape
            continue
        vector, diagonal = result
        np.testing.assert_allclose(vector, direct.vector, atol=1e-8)
        np.testing.assert_allclose(diagonal, direct.gamma_diagonal, rtol=1e-7)
        np.testing.assert_allclose(resampled.correlations(rows), vector[n_th:], atol=0)
        compared += 1
    assert compared >= 4


def test_a_resample_missing_a_category_is_skipped():
    items = mixed_items()
    rare = np.flatnonzero(items["e"] == 2)
    rows = np.setdiff1d(np.arange(len(items)), rare)
    full = polychoric(items)
    assert ResampledStatistics(items, full.vector[len(full.threshold_names):])(rows) is None


def test_quasi_newton_refit_reaches_the_dwls_estimates():
    data = BFI[ITEMS].dropna()
    fit = fit_ordinal(data, MODEL)
    resampler = fit.resampler()
    assert resampler.refit(np.arange(fit.n)) == pytest.approx(fit.theta, abs=1e-6)
    rng = np.random.default_rng(5)
    n_model = fit.compiled.n_free
    for _ in range(3):
        rows = rng.integers(0, fit.n, fit.n)
        theta = resampler.refit(rows)
        # the same resample fitted from scratch, by the full estimator
        direct = fit_ordinal(data.iloc[rows].reset_index(drop=True), MODEL)
        assert theta[:n_model] == pytest.approx(direct.theta[:n_model], abs=1e-5)
        # the thresholds are the resample's own (fitted exactly)
        assert theta[n_model:] == pytest.approx(direct.theta[n_model:], abs=1e-8)
        np.testing.assert_allclose(resampler.correlation(rows), direct.statistics.correlation.to_numpy(),
                                   atol=1e-8)


@pytest.mark.parametrize("model, parameterization", [
    ("visual =~ x1 + a*x2 + a*x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9\nspeed ~ visual + textual",
     "delta"),
    ("visual =~ x1 + a*x2 + a*x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9\nspeed ~ visual + textual",
     "theta"),
    ((CONFORMANCE / "models" / "holzinger_ordinal_thresholds.lav").read_text(), "delta"),
], ids=["equal-loadings-delta", "theta", "threshold-constraints"])
def test_refits_of_constrained_and_theta_models_equal_direct_fits(model, parameterization):
    """Shared labels go through the contracted gradient; theta and constrained thresholds take
    Gauss-Newton: either way the refit is the resample's own DWLS fit."""
    data = pd.read_csv(CONFORMANCE / "data" / "holzinger_ordinal.csv")
    fit = fit_ordinal(data, model, parameterization=parameterization)
    resampler = fit.resampler()
    rows = np.random.default_rng(2).integers(0, fit.n, fit.n)
    direct = fit_ordinal(data.iloc[rows].reset_index(drop=True), model, parameterization=parameterization)
    assert resampler.refit(rows) == pytest.approx(direct.theta, abs=1e-6)


def test_pairwise_refits_equal_direct_pairwise_fits():
    data = BFI[ITEMS].dropna(how="all").reset_index(drop=True)
    fit = fit_ordinal(data, MODEL, missing="pairwise")
    resampler = fit.resampler()
    rows = np.random.default_rng(8).integers(0, fit.n, fit.n)
    direct = fit_ordinal(data.iloc[rows].reset_index(drop=True), MODEL, missing="pairwise")
    assert resampler.refit(rows) == pytest.approx(direct.theta, abs=1e-6)
