"""Power of the analysis model's defined effects (``ind := a*b``, ``d := a - b``) against
hand-computed asymptotic approximations, and their place in power.json."""
import json
import math

import pytest
from scipy import stats

from semtrust.power import power

A, B = 0.5, 0.3
MODEL = f"m ~ {A}*a*x\ny ~ {B}*b*m\nind := a*b\nd := a - b\n"   # the values are the population
Z = stats.norm.ppf(0.975)


@pytest.fixture(scope="module")
def result():
    return power(model=MODEL, n=[80, 160], reps=1000, seed=7, scheduler="synchronous")


def _tolerance(row, extra=0.01):
    return 3 * row.power_se + extra


def _two_sided(effect, se):
    return stats.norm.cdf(effect / se - Z) + stats.norm.cdf(-effect / se - Z)


def test_linear_defined_effect_matches_the_wald_power(result):
    """d = a - b: a and b come from separate equations of standardized variables, so
    var(â) = (1 - a²)/n, var(b̂) = (1 - b²)/n, cov = 0; the Monte Carlo CI of a linear
    combination is its Wald interval."""
    rows = result.summary[result.summary.effect == "d := a-b"]
    assert len(rows) == 2
    for row in rows.itertuples():
        se = math.sqrt((1 - A ** 2) / row.n + (1 - B ** 2) / row.n)
        assert row.true == pytest.approx(A - B, abs=1e-6)
        assert row.power == pytest.approx(_two_sided(A - B, se), abs=_tolerance(row))
        assert row.coverage == pytest.approx(0.95, abs=0.02)


def test_product_defined_effect_matches_joint_significance(result):
    """ind = a*b: the Monte Carlo CI of a product detects it about as often as a and b are
    both significant (Tofighi & MacKinnon 2011), Φ(a/se_a - z)·Φ(b/se_b - z), well above
    the first-order Sobel test's Φ(ab/se_Sobel - z)."""
    rows = result.summary[result.summary.effect == "ind := a*b"]
    for row in rows.itertuples():
        se_a, se_b = math.sqrt((1 - A ** 2) / row.n), math.sqrt((1 - B ** 2) / row.n)
        joint = _two_sided(A, se_a) * _two_sided(B, se_b)
        sobel = _two_sided(A * B, math.sqrt(A ** 2 * se_b ** 2 + B ** 2 * se_a ** 2))
        assert row.kind == "defined" and row.true == pytest.approx(A * B, abs=1e-6)
        assert row.power == pytest.approx(joint, abs=_tolerance(row, 0.02))
        assert row.power > sobel
        assert abs(row.bias) < 0.01
    # the same product as the enumerated indirect effect, tested on the same draws
    indirect = result.summary[result.summary.effect == "x -> m -> y"]
    assert indirect.power.tolist() == rows.power.tolist()


def test_defined_effects_in_power_json(result, tmp_path):
    data = result.to_dict()
    assert "ind := a*b" in result.analysis_syntax
    required = {r["effect"]: r for r in data["required_n"]}
    assert required["ind := a*b"]["kind"] == "defined" and required["ind := a*b"]["n"] == 80
    assert required["d := a-b"]["n"] is None
    assert data["required_n_all"] is None            # d does not reach .80 by n = 160
    assert {r["effect"] for r in data["summary"] if r["kind"] == "defined"} == {"ind := a*b", "d := a-b"}
    json.dumps(data, allow_nan=False)
