"""Structural paths compared across groups with ordinal items (WLSMV, ULSMV) against lavaan:
the ordinal ladder's loadings step as the base, each regression constrained equal by one shared
label, lavTestLRT (tests/conformance/make_ordinal_group_paths_fixtures.R)."""
import json

import pandas as pd
import pytest
from conftest import CONFORMANCE

from semtrust.cli import main
from semtrust.estimation.ordinal_groups import fit_ordinal_groups
from semtrust.model.syntax import parse_model
from semtrust.structural.multigroup import ordinal_group_path_tests

CASES = {case: json.loads((CONFORMANCE / "fixtures" / f"ordinal_group_paths_{case}.json").read_text())
         for case in ("bfi_gender", "bfi_gender_ulsmv")}


@pytest.fixture(scope="module", params=list(CASES))
def case(request):
    fixture = CASES[request.param]
    model = parse_model((CONFORMANCE / fixture["call"]["model"]).read_text())
    items = [f"N{i}" for i in range(1, 6)] + [f"C{i}" for i in range(1, 6)]
    data = pd.read_csv(CONFORMANCE / fixture["call"]["data"]).dropna(subset=items + ["gender"])
    return fixture, ordinal_group_path_tests(model, data, "gender", fixture["call"]["estimator"])


def test_path_rows_match_lavaan(case):
    fixture, tests = case
    assert list(tests.path) == ["neuro -> consc"]
    row = tests.iloc[0]
    for group in fixture["groups"]:
        assert row[f"b_{group}"] == pytest.approx(fixture["path"]["est"][group], abs=1e-3)
        assert row[f"beta_{group}"] == pytest.approx(fixture["path"]["std_all"][group], abs=1e-3)
    assert row["chisq"] == pytest.approx(fixture["equal"]["chisq"], abs=1e-3)
    assert row["chisq_scaled"] == pytest.approx(fixture["equal"]["chisq.scaled"], abs=1e-3)
    assert row["df"] == fixture["equal"]["df"]
    assert row["delta_chisq"] == pytest.approx(fixture["test"]["chisq_diff"], abs=1e-3)
    assert row["delta_df"] == fixture["test"]["df_diff"]
    assert row["pvalue"] == pytest.approx(fixture["test"]["pvalue"], abs=1e-3)
    assert row["result"] == ("differs across groups" if fixture["test"]["pvalue"] < 0.05
                             else "no significant difference")


def test_a_labelled_path_is_equal_across_groups_and_not_tested(case):
    """lavaan: ``consc ~ b*neuro`` names one parameter in every group, the constrained model."""
    fixture, _ = case
    items = [f"N{i}" for i in range(1, 6)] + [f"C{i}" for i in range(1, 6)]
    data = pd.read_csv(CONFORMANCE / fixture["call"]["data"]).dropna(subset=items + ["gender"])
    model = (CONFORMANCE / fixture["call"]["model"]).read_text().replace("consc ~ neuro", "consc ~ b*neuro")
    fit = fit_ordinal_groups(data, model, "gender", ("thresholds", "loadings"), estimator=fixture["call"]["estimator"])
    assert fit.fit_measures["df"] == fixture["equal"]["df"]
    assert fit.fit_measures["chisq_scaled"] == pytest.approx(fixture["equal"]["chisq.scaled"], abs=1e-3)
    assert ordinal_group_path_tests(parse_model(model), data, "gender", fixture["call"]["estimator"]).empty


def test_whole_run_compares_the_paths_across_groups(tmp_path):
    fixture = CASES["bfi_gender"]
    code = main(["fit", str(CONFORMANCE / fixture["call"]["data"]), "--model", str(CONFORMANCE / fixture["call"]["model"]),
                 "--estimator", "WLSMV", "--ordered", "all", "--group", "gender", "--no-screen", "--bootstrap", "0",
                 "--measurement-bootstrap", "0", "--out", str(tmp_path), "--quiet"])
    assert code == 0
    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert not any("not compared across" in w for w in results["warnings"])
    [row] = results["group_paths"]
    assert row["path"] == "neuro -> consc" and row["delta_df"] == 1
    assert row["delta_chisq"] == pytest.approx(fixture["test"]["chisq_diff"], abs=1e-3)
    assert row["pvalue"] == pytest.approx(fixture["test"]["pvalue"], abs=1e-3)
    for group in fixture["groups"]:
        assert row[f"beta_{group}"] == pytest.approx(fixture["path"]["std_all"][group], abs=1e-3)
    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Structural paths across gender" in report and "equal thresholds and loadings (Wu &amp; Estabrook" in report
    assert f"{fixture['test']['chisq_diff']:.2f}" in report and "no significant difference" in report
