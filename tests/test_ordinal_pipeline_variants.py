"""Whole --estimator WLSMV runs on mixed ordered lists (some items continuous) and with pairwise
deletion, against lavaan (tests/conformance/make_ordinal_pipeline_fixtures.R)."""
import json

import pytest
from conftest import CONFORMANCE

from semtrust.cli import main

INSTRUMENT = CONFORMANCE / "models" / "likert5_mini.yaml"
CASES = {
    "mixed": (["--ordered", "IA1", "IA2", "IA3", "TR1", "TR2", "TR3"], "likert5_mini.csv"),
    "pairwise": (["--missing", "pairwise"], "likert5_mini_missing.csv"),
}
FIT_MEASURES = ["npar", "chisq", "df", "pvalue", "chisq_scaled", "chisq_scaling_factor", "pvalue_scaled",
                "baseline_chisq", "cfi", "tli", "rmsea", "cfi_scaled", "tli_scaled", "rmsea_scaled",
                "rmsea_ci_upper_scaled", "cfi_robust", "tli_robust", "rmsea_robust", "srmr", "wrmr"]


@pytest.fixture(scope="module", params=list(CASES))
def run(request, tmp_path_factory):
    flags, data = CASES[request.param]
    out = tmp_path_factory.mktemp(request.param)
    code = main(["fit", str(CONFORMANCE / "data" / data), "--instrument", str(INSTRUMENT), "--estimator", "WLSMV",
                 *flags, "--no-screen", "--bootstrap", "0", "--measurement-bootstrap", "0", "--out", str(out),
                 "--quiet"])
    assert code == 0
    fixture = json.loads((CONFORMANCE / "fixtures" / f"ordinal_pipeline_likert5_{request.param}.json").read_text())
    return request.param, json.loads((out / "results.json").read_text(encoding="utf-8")), fixture


def test_fit_measures_match_lavaan(run):
    case, results, fixture = run
    assert results["missing"] == fixture["missing"]
    for block in ("structural", "measurement"):
        ours, lavaan = results["fit"][block], fixture[block]["fit"]
        for key in FIT_MEASURES:
            if lavaan[key] is None:   # lavaan has no catML robust indices with continuous variables
                assert case == "mixed" and key.endswith("_robust") and ours.get(key) is None, (block, key)
            else:
                assert ours[key] == pytest.approx(lavaan[key], abs=1e-4), (block, key)


def test_parameters_hypotheses_and_indirect_effect_match_lavaan(run):
    case, results, fixture = run
    lavaan = {(p["lhs"], p["op"], p["rhs"]): p for p in fixture["structural"]["parameters"]}
    compared = 0
    for p in results["parameters"]:
        ref = lavaan.get((p["lhs"], p["op"], p["rhs"]))
        if ref is None or p["op"] == ":=":
            continue
        assert p["est"] == pytest.approx(ref["est"], abs=1e-4), (p["lhs"], p["op"], p["rhs"])
        assert p["se"] == pytest.approx(ref["se"] or 0.0, abs=1e-4), (p["lhs"], p["op"], p["rhs"])
        compared += 1
    # every lavaan row but ind := a*b (an effect, below) is among ours: in the mixed run with the
    # continuous items' intercepts and residual variances
    assert compared == len(lavaan) - 1
    assert any(p["op"] == "~1" and p["lhs"] == "PI1" and p["est"] > 1 for p in results["parameters"]) == (case == "mixed")
    for h in results["hypotheses"]:
        ref = lavaan[(h["target"], "~", h["source"])]
        assert (h["est"], h["se"], h["std_all"]) == pytest.approx((ref["est"], ref["se"], ref["std.all"]), abs=1e-4)
    indirect = next(e for e in results["indirect_effects"] if e["kind"] == "indirect")
    ref = lavaan[("ind", ":=", "a*b")]
    assert (indirect["est"], indirect["se"]) == pytest.approx((ref["est"], ref["se"]), abs=1e-4)


def test_loadings_and_reliability_match_lavaan_semtools_and_psych(run):
    _, results, fixture = run
    items = {(r["construct"], r["item"]): r for r in results["item_statistics"]}
    for ref in fixture["measurement"]["loadings"]:
        ours = items[(ref["lhs"], ref["rhs"])]
        assert (ours["std_loading"], ours["se"]) == pytest.approx((ref["est.std"], ref["se"]), abs=1e-4)
    for construct, row in results["reliability"].items():
        assert row["omega"] == pytest.approx(fixture["measurement"]["omega"][construct], abs=1e-4)
        assert row["alpha"] == pytest.approx(fixture["measurement"]["ordinal_alpha"][construct], abs=1e-6)
