"""Missing-data report and Little's MCAR test against R (tests/conformance/make_missing_fixtures.R)."""
import json

import numpy as np
import pandas as pd
import pytest

from conftest import CONFORMANCE
from semtrust.screening.missing_data import little_mcar, missing_data_report

FIXTURE = json.loads((CONFORMANCE / "fixtures" / "missing_bfi.json").read_text())
BFI = pd.read_csv(CONFORMANCE / FIXTURE["data"])


@pytest.mark.parametrize("case", FIXTURE["cases"], ids=lambda c: c["case"])
def test_little_mcar_matches_r(case):
    ours = little_mcar(BFI[case["columns"]])
    theirs = case["little"]
    assert ours["df"] == theirs["df"] and ours["n"] == theirs["n"] and ours["n_patterns"] == theirs["n_patterns"]
    assert ours["chisq"] == pytest.approx(theirs["chisq"], abs=1e-3)
    assert ours["pvalue"] == pytest.approx(theirs["pvalue"], abs=1e-6)


@pytest.mark.parametrize("case", FIXTURE["cases"], ids=lambda c: c["case"])
def test_missing_percentages_match_r(case):
    report = missing_data_report(BFI[case["columns"]], "listwise deletion")
    per_item = {row["item"]: row["percent"] for row in report["per_item"]}
    assert per_item == pytest.approx(case["item_percent_missing"], abs=1e-9)
    per_respondent = {str(row["missing_items"]): row["respondents"] for row in report["per_respondent"]}
    assert all(row["percent_of_items"] == pytest.approx(100 * row["missing_items"] / len(case["columns"]))
               for row in report["per_respondent"])
    assert per_respondent == {k: v for k, v in case["respondents_by_missing"].items() if v}
    assert report["complete_respondents"] == case["respondents_by_missing"]["0"]
    assert report["treatment"] == "listwise deletion" and report["note"] is None


def test_complete_data_need_no_test():
    report = missing_data_report(pd.DataFrame({"a": [1.0, 2, 3], "b": [3.0, 1, 2]}), "listwise deletion")
    assert report["little_mcar"] is None and report["cells_percent_missing"] == 0
    assert report["note"] == "No missing item answers: Little's MCAR test does not apply"


def test_an_unanswered_item_is_reported_not_fatal():
    frame = pd.DataFrame({"a": [1.0, 2, 3, np.nan], "b": [5.0, np.nan, np.nan, np.nan]})
    report = missing_data_report(frame, "listwise deletion")
    assert report["little_mcar"] is None and "Little's MCAR test not computed" in report["note"]


def test_one_pattern_has_no_test():
    report = missing_data_report(pd.DataFrame({"a": [1.0, 2, 3], "b": [np.nan] * 3}), "listwise deletion")
    assert report["little_mcar"]["chisq"] is None and "single missing-data pattern" in report["note"]
