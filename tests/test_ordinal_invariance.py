"""Multi-group WLSMV and the ordinal invariance ladder (Wu & Estabrook 2016) against lavaan and
semTools' measEq.syntax (tests/conformance/make_ordinal_invariance_fixtures.R), and the ladder
in a whole run with --group."""
import json

import numpy as np
import pandas as pd
import pytest
from conftest import CONFORMANCE

from semtrust.cli import main
from semtrust.errors import InputError
from semtrust.estimation.ordinal import scaled_difference_test
from semtrust.estimation.ordinal_groups import fit_ordinal_groups
from semtrust.model.syntax import parse_model
from semtrust.structural.multigroup import ordinal_invariance

FIXTURE = json.loads((CONFORMANCE / "fixtures" / "ordinal_invariance_bfi_gender.json").read_text())
CASES = {case: json.loads((CONFORMANCE / "fixtures" / f"ordinal_invariance_bfi_gender{suffix}.json").read_text())
         for case, suffix in (("listwise", ""), ("pairwise", "_pairwise"), ("ulsmv", "_ulsmv"), ("three", "_three"))}
MODEL_PATH = CONFORMANCE / FIXTURE["model"]
FIT_KEYS = ["npar", "chisq", "df", "pvalue", "chisq.scaled", "pvalue.scaled", "chisq.scaling.factor",
            "baseline.chisq", "baseline.chisq.scaled", "cfi", "tli", "cfi.scaled", "tli.scaled", "cfi.robust",
            "tli.robust", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "rmsea.scaled", "rmsea.ci.lower.scaled",
            "rmsea.ci.upper.scaled", "rmsea.robust", "srmr", "wrmr"]


@pytest.fixture(scope="module")
def data():
    frame = pd.read_csv(CONFORMANCE / FIXTURE["data"])
    return frame.dropna(subset=FIXTURE["ordered"] + [FIXTURE["group"]])


@pytest.fixture(scope="module", params=list(CASES))
def ladder(request, data):
    """Each step fitted as the fixture's (WLSMV listwise, pairwise on every row with an answer,
    ULSMV listwise)."""
    fixture = CASES[request.param]
    rows = pd.read_csv(CONFORMANCE / fixture["data"])
    if fixture["missing"] == "pairwise":
        rows = rows[rows.gender.notna() & rows[fixture["ordered"]].notna().any(axis=1)]
    else:
        rows = rows.dropna(subset=fixture["ordered"] + [fixture["group"]])
    fits, previous = [], None
    for step in fixture["steps"]:
        previous = fit_ordinal_groups(rows, (CONFORMANCE / fixture["model"]).read_text(), "gender", tuple(step["group_equal"]),
                                      estimator=fixture["estimator"], missing=fixture["missing"], warm=previous)
        fits.append(previous)
    return fixture, fits


@pytest.mark.parametrize("step", range(4), ids=[s["name"] for s in FIXTURE["steps"]])
def test_fit_measures_match_lavaan(ladder, step):
    fixture, fits = ladder
    reference = fixture["steps"][step]["fit"]
    ours = fits[step].fit_measures
    for key in FIT_KEYS:
        name = key.replace(".", "_")
        if reference[key] is None:   # lavaan has no catML indices once thresholds are constrained, no p at df 0
            assert name not in ours.index or np.isnan(float(ours[name])), key
        else:
            assert ours[name] == pytest.approx(reference[key], abs=1e-3, rel=1e-6), key
    assert ours["ntotal"] == sum(fixture["n"].values())


@pytest.mark.parametrize("step", range(4), ids=[s["name"] for s in FIXTURE["steps"]])
def test_estimates_and_robust_ses_match_lavaan(ladder, step):
    fixture, fits = ladder
    reference = pd.DataFrame(fixture["steps"][step]["parameters"])
    ours = fits[step].parameters.set_index(["lhs", "op", "rhs", "group"])
    assert len(ours) == len(reference)
    for row in reference.itertuples():
        mine = ours.loc[(row.lhs, row.op, row.rhs, str(row.group))]
        assert mine.est == pytest.approx(row.est, abs=1e-3), (row.lhs, row.op, row.rhs, row.group)
        if not np.isnan(row.se):
            assert mine.se == pytest.approx(row.se, abs=1e-3), (row.lhs, row.op, row.rhs, row.group)


def test_scaled_difference_tests_match_lavtestlrt(ladder):
    fixture, fits = ladder
    for step in range(1, 4):
        reference = fixture["steps"][step]["lrt"]
        test = scaled_difference_test(fits[step], fits[step - 1])
        assert test["df_diff"] == reference["df_diff"]
        assert test["chisq_diff"] == pytest.approx(reference["chisq_diff"], abs=1e-3)
        assert test["pvalue"] == pytest.approx(reference["pvalue"], abs=1e-4)


def test_ladder_rows_carry_the_scaled_and_robust_indices(data):
    result = ordinal_invariance(parse_model(MODEL_PATH.read_text()), data, "gender")
    assert (result["estimator"], result["identification"]) == ("WLSMV", "Wu.Estabrook.2016")
    assert result["n"] == FIXTURE["n"] and result["groups"] == FIXTURE["groups"]
    assert [s["model"] for s in result["steps"]] == [s["name"] for s in FIXTURE["steps"]]
    for ours, reference in zip(result["steps"], FIXTURE["steps"]):
        assert ours["chisq_scaled"] == pytest.approx(reference["fit"]["chisq.scaled"], abs=1e-3)
        assert ours["cfi_scaled"] == pytest.approx(reference["fit"]["cfi.scaled"], abs=1e-4)
        assert (ours["cfi_robust"] is None) == (reference["fit"]["cfi.robust"] is None)
    thresholds, loadings, intercepts = result["steps"][1:]
    assert thresholds["delta_chisq"] == pytest.approx(FIXTURE["steps"][1]["lrt"]["chisq_diff"], abs=1e-3)
    assert thresholds["delta_cfi"] == pytest.approx(
        FIXTURE["steps"][1]["fit"]["cfi.scaled"] - FIXTURE["steps"][0]["fit"]["cfi.scaled"], abs=1e-4)
    # ΔCFI = -.010 and ΔRMSEA = -.015: Cheung & Rensvold's rule fails
    assert thresholds["decision"] == "not supported" and loadings["decision"] == "supported"
    assert intercepts["pvalue_difference"] < 1e-20


def test_refuses_what_the_ladder_cannot_fit(data):
    model = MODEL_PATH.read_text()
    with pytest.raises(InputError, match="thresholds before loadings"):
        fit_ordinal_groups(data, model, "gender", ("loadings",))
    with pytest.raises(InputError, match="unknown equality"):
        fit_ordinal_groups(data, model, "gender", ("residuals",))
    sparse = data.copy()
    sparse.loc[(sparse.gender == 1) & (sparse.N1 == 6), "N1"] = 5
    with pytest.raises(InputError, match="item N1 has the answers"):
        fit_ordinal_groups(sparse, model, "gender", ("thresholds",))
    with pytest.raises(InputError, match="no column .sex."):
        fit_ordinal_groups(data, model, "sex")


def test_whole_run_carries_the_ordinal_ladder(tmp_path):
    code = main(["fit", str(CONFORMANCE / FIXTURE["data"]), "--model", str(MODEL_PATH), "--estimator", "WLSMV",
                 "--ordered", "all", "--group", "gender", "--no-screen", "--bootstrap", "0",
                 "--measurement-bootstrap", "0", "--out", str(tmp_path), "--quiet"])
    assert code == 0
    invariance = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))["invariance"]
    assert invariance["estimator"] == "WLSMV" and invariance["n"] == FIXTURE["n"]
    for ours, reference in zip(invariance["steps"], FIXTURE["steps"]):
        assert ours["chisq_scaled"] == pytest.approx(reference["fit"]["chisq.scaled"], abs=1e-3)
        assert ours["rmsea_scaled"] == pytest.approx(reference["fit"]["rmsea.scaled"], abs=1e-4)
    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "multi-group WLSMV fit (delta parameterization)" in report and "Wu &amp; Estabrook (2016)" in report
    assert "equal thresholds and loadings" in report
    # the thresholds step fails (ΔCFI = -.010): the later steps that hold do not raise the level reached
    assert "highest level held: configural" in report


def test_ladder_from_a_saturated_configural_model():
    """One factor of three items: the configural model has df 0 and no scaled indices, and the
    ladder still compares each step with the one before as lavTestLRT does."""
    fixture = CASES["three"]
    rows = pd.read_csv(CONFORMANCE / fixture["data"]).dropna(subset=fixture["ordered"] + [fixture["group"]])
    ladder = ordinal_invariance(parse_model((CONFORMANCE / fixture["model"]).read_text()), rows, "gender")
    assert [s["model"] for s in ladder["steps"]] == ["configural", "thresholds", "loadings", "intercepts"]
    for ours, reference in zip(ladder["steps"][1:], fixture["steps"][1:]):
        assert ours["delta_chisq"] == pytest.approx(reference["lrt"]["chisq_diff"], abs=1e-3)
        assert ours["delta_df"] == reference["lrt"]["df_diff"]
