"""Thirty public models that lavaan fits from its default starts (lavaan's tutorial and test models on
Holzinger–Swineford, PoliticalDemocracy, bfi and the Wheaton covariance matrix; fixtures by
tests/conformance/make_convergence_fixtures.R): semtrust fits every one from its own default starts
to lavaan's chi-square and estimates."""
import json
import math

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT
from semtrust.estimation.ml import SEM

CONFORMANCE = ROOT / "tests" / "conformance"
FIXTURE = json.loads((CONFORMANCE / "fixtures" / "convergence.json").read_text(encoding="utf-8"))
MODELS = {m["id"]: m for m in FIXTURE["models"]}


def data_for(name: str):
    if name == "wheaton":
        w = FIXTURE["wheaton"]
        n = w["n"]   # lavaan's sample.cov is unbiased: rescaled by (N - 1) / N
        return {"cov": pd.DataFrame(np.array(w["cov"]) * (n - 1) / n, index=w["names"], columns=w["names"]), "n": n}
    if name.startswith("hs"):
        frame = pd.read_csv(CONFORMANCE / "data" / "HolzingerSwineford1939.csv")
        if name == "hs_scaled":
            frame["x1"] = frame["x1"] * 1000
        return {"data": frame}
    if name == "pd":
        return {"data": pd.read_csv(CONFORMANCE / "data" / "PoliticalDemocracy.csv")}
    return {"data": pd.read_csv(CONFORMANCE / "data" / "bfi.csv").iloc[:, :25].dropna()}


def test_thirty_models():
    assert len(MODELS) == 30 and all(m["converged"] for m in MODELS.values())


@pytest.mark.parametrize("model_id", MODELS)
def test_fits_from_default_starts(model_id):
    case = MODELS[model_id]
    fit = SEM(case["model"]).fit(**data_for(case["data"]))
    assert fit.fit_measures["df"] == case["fit"]["df"]
    assert fit.fit_measures["chisq"] == pytest.approx(case["fit"]["chisq"], rel=1e-5, abs=1e-4)
    ours = fit.parameters.set_index(["lhs", "op", "rhs"])
    for row in case["parameters"]:
        key = (row["lhs"], row["op"], row["rhs"])
        if key not in ours.index:
            key = (row["rhs"], row["op"], row["lhs"])
        est = ours.loc[key, "est"]
        assert est == pytest.approx(row["est"], rel=1e-3, abs=1e-3), key
        if row.get("se") not in (None, "NA") and isinstance(row["se"], (int, float)) and not math.isnan(row["se"]):
            assert ours.loc[key, "se"] == pytest.approx(row["se"], rel=1e-3, abs=1e-3), key


@pytest.mark.parametrize("model_id", MODELS)
def test_whole_run_on_every_model(model_id, tmp_path):
    """Every fixture model through the whole pipeline, reports included: a result, or one line
    saying what to change (exit 2/3), never an internal error."""
    from semtrust.api import fit
    from semtrust.errors import SemtrustError

    case = MODELS[model_id]
    source = data_for(case["data"])
    if "cov" in source:
        data, options = source["cov"].rename_axis("variable"), {"summary": source["n"]}
    else:
        data, options = source["data"], {}
    try:
        study = fit(data, model=case["model"], bootstrap=0, measurement_bootstrap=0, **options)
    except SemtrustError as error:
        assert "\n" not in str(error) and error.exit_code in (2, 3)
        return
    assert study.fit_measures.loc["chisq", "structural"] == pytest.approx(case["fit"]["chisq"], rel=1e-5, abs=1e-4)
    study.save(tmp_path / "out")
    assert (tmp_path / "out" / "report.tex").stat().st_size > 1000
