"""Indirect effects and the bootstrap against lavaan's := estimates and bootstrap CIs."""
import json

import numpy as np
import pandas as pd
import pytest

from semtrust.estimation.bootstrap import bootstrap, interval, monte_carlo
from semtrust.structural.effects import EffectSet
from semtrust.estimation.ml import SEM
from semtrust.structural.paths import effects_table, zhao_classification
from conftest import CONFORMANCE

DRAWS = 2000


def load(case):
    fixture = json.loads((CONFORMANCE / "fixtures" / f"effects_{case}.json").read_text())
    data = pd.read_csv(CONFORMANCE / fixture["data"])
    for item in fixture["reverse"]:
        data[item] = 8 - data[item]
    model = (CONFORMANCE / fixture["model"]).read_text()
    return fixture, data, model


# lavaan's := name -> (our effect label, sign)
TRUST = {"ind_PR": ("HT -> PR -> PI", 1), "ind_PV": ("HT -> PV -> PI", 1), "ind_EA": ("HT -> EA -> PI", 1),
         "total_indirect": ("HT => PI (total indirect)", 1), "total": ("HT => PI (total)", 1),
         "PV_vs_PR": ("(HT -> PR -> PI) - (HT -> PV -> PI)", -1)}
PD = {"indirect": ("ind60 -> dem60 -> dem65", 1), "total": ("ind60 => dem65 (total)", 1)}


@pytest.fixture(scope="module", params=[("trust_mediation", TRUST), ("pd_mediation", PD)], ids=lambda p: p[0])
def case(request):
    name, mapping = request.param
    fixture, data, model = load(name)
    fit = SEM(model).fit(data)
    draws = bootstrap(fit, DRAWS, seed=1, workers=2)
    return fixture, fit, draws, mapping


def test_enumerated_effects_equal_lavaan_defined_parameters(case):
    fixture, fit, _, mapping = case
    table = effects_table(fit).set_index("path")
    for row in fixture["defined"]:
        label, sign = mapping[row["lhs"]]
        assert sign * table.loc[label, "est"] == pytest.approx(row["est"], abs=1e-3)
        assert table.loc[label, "se"] == pytest.approx(row["se"], abs=1e-3)        # delta method
        assert sign * table.loc[label, "std"] == pytest.approx(row["std_all"], abs=1e-3)


def test_defined_parameters_match_lavaan(case):
    fixture, fit, _, _ = case
    ours = fit.parameters.set_index("lhs")
    for row in fixture["defined"]:
        for column in ("est", "se", "std_all", "ci_lower", "ci_upper"):
            assert ours.loc[row["lhs"], column] == pytest.approx(row[column], abs=1e-3), (row["lhs"], column)


def test_bootstrap_intervals_within_monte_carlo_error(case):
    fixture, fit, draws, mapping = case
    assert draws.failed == 0 and len(draws.theta) == DRAWS
    table = effects_table(fit, draws).set_index("path")
    values = EffectSet(fit).values(draws.theta)
    labels = [e.label for e in EffectSet(fit).effects]
    for row in fixture["defined"]:
        label, sign = mapping[row["lhs"]]
        boot = sign * values[:, labels.index(label)]
        # ~3 SDs of the difference of two independent 2.5% quantiles (B = 2000 vs lavaan's 5000)
        tolerance = 3 * 0.038 * row["boot_se"] * np.sqrt(5000 / DRAWS + 1)
        lower, upper = interval(boot, sign * table.loc[label, "est"])
        assert lower == pytest.approx(row["perc_lower"], abs=tolerance)
        assert upper == pytest.approx(row["perc_upper"], abs=tolerance)
        assert np.std(boot, ddof=1) == pytest.approx(row["boot_se"], rel=0.1)
        bc = interval(boot, sign * table.loc[label, "est"], "bc")
        assert bc[0] == pytest.approx(row["bc_lower"], abs=2 * tolerance)
        assert bc[1] == pytest.approx(row["bc_upper"], abs=2 * tolerance)


def test_draws_do_not_depend_on_workers():
    fixture, data, model = load("pd_mediation")
    fit = SEM(model).fit(data)
    one = bootstrap(fit, 150, seed=9, workers=1)
    two = bootstrap(fit, 150, seed=9, workers=2)
    np.testing.assert_array_equal(one.theta, two.theta)
    assert not np.array_equal(one.theta, bootstrap(fit, 150, seed=10, workers=1).theta)


def test_bca_and_monte_carlo():
    fixture, data, model = load("pd_mediation")
    fit = SEM(model).fit(data)
    draws = bootstrap(fit, 300, seed=3, workers=1, jackknife=True)
    assert draws.jackknife_theta.shape == (fit.n, len(fit.theta))
    bca = effects_table(fit, draws, "bca").set_index("path").loc["ind60 -> dem60 -> dem65"]
    assert bca.ci_lower < bca.est < bca.ci_upper and bca.std_ci_lower < bca["std"] < bca.std_ci_upper
    mc = effects_table(fit, monte_carlo(fit, 4000, seed=3)).set_index("path").loc["ind60 -> dem60 -> dem65"]
    delta = effects_table(fit).set_index("path").loc["ind60 -> dem60 -> dem65"]
    assert mc.ci_method == "monte carlo"
    assert mc.se == pytest.approx(delta.se, rel=0.1)


@pytest.mark.parametrize("indirect, direct, same, expected", [
    (True, True, True, "complementary mediation"), (True, True, False, "competitive mediation"),
    (True, False, True, "indirect-only mediation"), (False, True, True, "direct-only non-mediation"),
    (False, False, True, "no-effect non-mediation")])
def test_zhao_classification(indirect, direct, same, expected):
    assert zhao_classification(indirect, direct, same) == expected


def test_effects_of_a_full_mediation_model():
    fixture, data, model = load("trust_mediation")
    full = model.replace("b3*EA + c*HT", "b3*EA").split("total :=")[0].replace("total_indirect := a1*b1 + a2*b2 + a3*b3\n", "")
    table = effects_table(SEM(full).fit(data)).set_index("path")
    direct = table.loc["HT => PI (direct)"]
    assert direct.est == 0 and direct.ci_method == "fixed at 0"
    assert table.loc["HT => PI (total)", "est"] == pytest.approx(table.loc["HT => PI (total indirect)", "est"])
    assert table.loc["HT -> PV -> PI", "classification"] == "indirect-only mediation"


def test_defined_parameters_get_bootstrap_intervals(case):
    fixture, fit, draws, _ = case
    table = effects_table(fit, draws).set_index("path")
    for row in fixture["defined"]:
        ours = table.loc[f"{row['lhs']} := {row['rhs']}"]
        assert ours.kind == "defined"
        assert ours.est == pytest.approx(row["est"], abs=1e-3)
        assert ours["std"] == pytest.approx(row["std_all"], abs=1e-3)
        tolerance = 3 * 0.038 * row["boot_se"] * np.sqrt(5000 / DRAWS + 1)
        assert ours.ci_lower == pytest.approx(row["perc_lower"], abs=tolerance)
        assert ours.ci_upper == pytest.approx(row["perc_upper"], abs=tolerance)
        assert ours.std_ci_lower < ours["std"] < ours.std_ci_upper
