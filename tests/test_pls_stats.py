"""Q² by blindfolding, BIC/GM model selection, MICOM and PLS-MGA against the independent base-R
reference (tests/conformance/make_pls_r_fixtures.R), which is fed the very permutations and
bootstrap resamples semtrust draws, so p values must agree exactly."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from semtrust.errors import InputError
from semtrust.estimation.pls import PLSAnalysis, blindfolding, compare_groups, compare_models, estimate_pls
from semtrust.estimation.pls.blindfolding import omission_mask

CONFORMANCE = Path(__file__).parent / "conformance"
TOL = 1e-4
EXACT = 1e-12
FIXTURE = json.loads((CONFORMANCE / "fixtures" / "pls_r_reference.json").read_text())
DATA = pd.read_csv(CONFORMANCE / FIXTURE["data"], na_values=[FIXTURE["missing_code"]])


@pytest.fixture(scope="module")
def results():
    return estimate_pls(DATA, FIXTURE["model"])


def test_reference_estimates_the_same_model(results):
    assert results.fit_measures["iterations"] == FIXTURE["iterations"]
    for key, value in FIXTURE["paths"].items():
        source, target = key.split(" -> ")
        assert results.path_coefficients.loc[source, target] == pytest.approx(value, abs=TOL)


def test_q2_blindfolding_matches_the_r_reference(results):
    table = blindfolding(results, FIXTURE["blindfolding"]["omission_distance"]).set_index("construct")
    expected = FIXTURE["blindfolding"]["q2"]
    assert list(table.index) == list(expected)
    for construct, values in expected.items():
        for name, value in values.items():
            assert table.loc[construct, name] == pytest.approx(value, abs=TOL), (construct, name)
    assert table.loc["CUSA", "q2_communality"] == pytest.approx(0, abs=1e-12)   # one item: its own mean
    assert (table["q2_redundancy"] > 0.25).all()


def test_omission_pattern_omits_every_point_once():
    masks = np.stack([omission_mask(344, 3, 7, d) for d in range(7)])
    assert (masks.sum(axis=0) == 1).all()
    # numbered down the matrix: case 7 of item 1 is point 7, case 0 of item 2 is point 344 = 7·49 + 1
    assert masks[0, 0, 0] and masks[0, 7, 0] and masks[1, 0, 1]
    assert abs(masks.sum(axis=(1, 2)) - 344 * 3 / 7).max() < 1
    assert not (masks.all(axis=2)).any()   # never a whole case


def test_q2_and_criteria_of_the_mobi_model_match_the_r_reference():
    reference = FIXTURE["mobi"]
    results = estimate_pls(pd.read_csv(CONFORMANCE / reference["data"]), reference["model"])
    table = blindfolding(results).set_index("construct")
    for construct, values in reference["q2"].items():   # a 7-item block: D = K would omit whole columns
        for name, value in values.items():
            assert table.loc[construct, name] == pytest.approx(value, abs=TOL), (construct, name)
    criteria = results.information_criteria.set_index("construct")
    for construct, values in reference["information_criteria"].items():
        for name in ("aic", "bic", "gm"):
            assert criteria.loc[construct, name] == pytest.approx(values[name], abs=TOL), (construct, name)


def test_information_criteria_match_the_r_reference(results):
    table = results.information_criteria.set_index("construct")
    for construct, values in FIXTURE["information_criteria"].items():
        for name in ("aic", "bic", "gm"):
            assert table.loc[construct, name] == pytest.approx(values[name], abs=TOL), (construct, name)


def test_model_selection_matches_the_r_reference():
    reference = FIXTURE["model_selection"]
    models = {name: spec["syntax"] for name, spec in reference["models"].items()}
    table = compare_models(DATA, models, target=reference["target"]).set_index("model")
    for name, spec in reference["models"].items():
        for column in ("r2", "bic", "gm"):
            assert table.loc[name, column] == pytest.approx(spec[column], abs=TOL), (name, column)
    best = min(reference["models"], key=lambda m: reference["models"][m]["bic"])
    assert table["bic_best"].sum() == 1 and table.loc[best, "bic_best"]
    assert table["bic_weight"].sum() == pytest.approx(1)
    with pytest.raises(InputError, match="at least two"):
        compare_models(DATA, {"one": models["estimated"]}, target="CUSL")
    with pytest.raises(InputError, match="'QUAL' is not an endogenous"):
        compare_models(DATA, models, target="QUAL")


@pytest.fixture(scope="module")
def comparison(results):
    groups = FIXTURE["groups"]
    return compare_groups(results, DATA[groups["column"]], bootstrap=groups["bootstrap"],
                          permutations=groups["permutations"], seed=groups["seed"], workers=1)


def test_micom_matches_the_r_reference_on_the_same_permutations(comparison):
    groups = FIXTURE["groups"]
    assert comparison.groups[0] == groups["group_1_value"] and list(comparison.sizes) == groups["sizes"]
    micom = comparison.micom.set_index("construct")
    for construct, values in groups["micom"].items():
        for name, value in values.items():
            tolerance = EXACT if name.endswith("pvalue") else TOL
            assert micom.loc[construct, name] == pytest.approx(value, abs=tolerance), (construct, name)
    assert micom.loc["CUSA", "c_pvalue"] == 1 and micom.loc["CUSA", "compositional_invariance"]


def test_mga_matches_the_r_reference_on_the_same_draws(comparison):
    mga = comparison.mga.assign(key=lambda t: t["source"] + " -> " + t["target"]).set_index("key")
    for key, values in FIXTURE["groups"]["mga"].items():
        for name in ("group_1", "group_2", "difference"):
            assert mga.loc[key, name] == pytest.approx(values[name], abs=TOL), (key, name)
        for name in ("p_permutation", "p_henseler"):
            assert mga.loc[key, name] == pytest.approx(values[name], abs=EXACT), (key, name)
        for name in ("p_parametric", "p_welch"):
            assert mga.loc[key, name] == pytest.approx(values[name], abs=TOL), (key, name)


def test_blindfolding_refuses_what_it_does_not_define(results):
    with pytest.raises(InputError, match="omission distance"):
        blindfolding(results, 1)
    with pytest.raises(InputError, match="does not divide the number of cases"):
        blindfolding(results, 8)    # 344 = 8 · 43: every round would omit whole cases
    plsc = estimate_pls(DATA, FIXTURE["model"], consistent=True)
    with pytest.raises(InputError, match="not PLSc"):
        blindfolding(plsc)
    analysis = PLSAnalysis(plsc)
    assert analysis.blindfold() == ["Q² (blindfolding) skipped: Q² by blindfolding is computed for PLS, not PLSc; "
                                    "refit with consistent=False"]


def test_a_distance_dividing_n_moves_to_the_next(results):
    analysis = PLSAnalysis(estimate_pls(DATA.iloc[:343], FIXTURE["model"]))    # 343 = 7 · 49
    assert analysis.blindfold() == ["Q² (blindfolding) uses the omission distance D = 8: n = 343 is a multiple "
                                    "of 7, which would omit whole cases"]
    assert (analysis.q2["omission_distance"] == 8).all()


def test_results_json_gets_q2_and_model_selection(results):
    analysis = PLSAnalysis(results)
    assert analysis.blindfold() == []
    competing = FIXTURE["model_selection"]["models"]["no_comp_cusl"]["syntax"]
    assert analysis.select({"no_comp_cusl": competing}) == []   # every construct endogenous in both
    block = json.loads(json.dumps(analysis.block(), allow_nan=False))
    assert [row["construct"] for row in block["q2"]] == ["COMP", "LIKE", "CUSA", "CUSL"]
    assert block["q2"][0]["q2_redundancy"] == pytest.approx(FIXTURE["blindfolding"]["q2"]["COMP"]["q2_redundancy"])
    assert [(row["construct"], row["model"]) for row in block["model_selection"]][-2:] == [
        ("CUSL", "estimated"), ("CUSL", "no_comp_cusl")]
    assert {row["construct"] for row in block["model_selection"]} == {"COMP", "LIKE", "CUSA", "CUSL"}
    outcome_only = "CUSL =~ cusl_1 + cusl_2 + cusl_3\nQUAL <~ qual_1 + qual_2\nQUAL ~ CUSL"
    assert analysis.select({"reversed": outcome_only}) == [
        "model selection skipped: the competing models share no endogenous construct with the fitted model"]
    assert {"aic", "bic", "gm"} <= set(block["information_criteria"][0])


def test_micom_step_3_matches_openpls(comparison):
    """openpls-engine 1.13.0 (make_pls_openpls_fixture.py): same composite mean and log-variance
    differences; its scores have variance 1 with divisor n, so its means are ours × √(n/(n − 1))."""
    reference = json.loads((CONFORMANCE / "fixtures" / "pls_openpls.json").read_text())
    n = reference["n"]
    micom = comparison.micom.set_index("construct")
    for construct, values in reference["micom"].items():
        assert micom.loc[construct, "mean_difference"] * np.sqrt(n / (n - 1)) == pytest.approx(values["mean_diff"],
                                                                                             abs=TOL)
        assert micom.loc[construct, "log_variance_difference"] == pytest.approx(values["log_var_ratio"], abs=TOL)


def test_a_pls_run_reports_q2_and_bic_gm_of_competing_models(tmp_path):
    import semtrust as st

    reference = FIXTURE["model_selection"]["models"]
    competing = tmp_path / "without_comp_cusl.lav"
    competing.write_text(reference["no_comp_cusl"]["syntax"])
    data = pd.read_csv(CONFORMANCE / FIXTURE["data"])
    study = st.fit(data, model=FIXTURE["model"], method="pls", na=[-99], bootstrap=0, plspredict=False,
                   compare_models=[str(competing)], workers=1)
    block = json.loads(json.dumps(study.to_dict()["pls"], allow_nan=False))
    q2 = {row["construct"]: row["q2_redundancy"] for row in block["q2"]}
    assert q2["CUSL"] == pytest.approx(FIXTURE["blindfolding"]["q2"]["CUSL"]["q2_redundancy"], abs=TOL)
    rows = {row["model"]: row for row in block["model_selection"] if row["construct"] == "CUSL"}
    assert set(rows) == {"estimated", "without_comp_cusl"} and rows["estimated"]["construct"] == "CUSL"
    assert rows["without_comp_cusl"]["gm"] == pytest.approx(reference["no_comp_cusl"]["gm"], abs=TOL)
    assert study.to_dict()["config"]["compare_models"] == [str(competing)]


def test_study_file_competing_models_are_relative_to_it(tmp_path):
    from semtrust.io.study import resolve_config

    study = tmp_path / "study.yaml"
    study.write_text("data: survey.csv\nmethod: pls\ncompare_models: [alt.lav, /abs/other.lav]\n", encoding="utf-8")
    assert resolve_config(str(study), {}).compare_models == [str(tmp_path / "alt.lav"), "/abs/other.lav"]
    study.write_text("data: survey.csv\nmethod: pls\ncompare_models: [1]\n", encoding="utf-8")
    with pytest.raises(InputError, match="'compare_models' lists model files"):
        resolve_config(str(study), {})
