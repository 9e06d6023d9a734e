"""Structural paths compared across groups with ordinal items (WLSMV, ULSMV) against lavaan:
the ordinal ladder's loadings step as the base, each regression constrained equal by one shared
label, lavTestLRT (tests/conformance/make_ordinal_group_paths_fixtures.R)."""
import json

import pandas as pd
import pytest
from conftest import CONFORMANCE

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
