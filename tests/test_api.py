"""The Python API: DataFrames in, DataFrames out, the same numbers as the command line."""
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import semtrust as st
from conftest import ROOT
from semtrust.errors import InputError

MODEL = """
HT =~ HT1 + HT2 + HT3
PT =~ PT1 + PT2 + PT3
PI =~ PI1 + PI2 + PI3
PI ~ HT + PT
"""


@pytest.fixture(scope="module")
def survey():
    return pd.read_csv(ROOT / "example_data" / "trust_survey.csv")


@pytest.fixture(scope="module")
def study(survey):
    return st.fit(survey, model=MODEL, scale_points=7, bootstrap=200, measurement_bootstrap=0, seed=3)


def test_fit_takes_a_dataframe_and_model_text(study):
    assert study.n == 584   # 16 careless respondents screened out on these nine items
    params = study.parameters
    assert list(params.columns) == ["lhs", "op", "rhs", "label", "est", "se", "z", "pvalue", "ci_lower",
                                    "ci_upper", "std_all"]
    path = params[(params.lhs == "PI") & (params.op == "~") & (params.rhs == "HT")]
    assert len(path) == 1 and path.est.iloc[0] > 0.1 and path.pvalue.iloc[0] < 0.001
    assert repr(study).startswith("<Study: 9 indicators, n = 584, ML; chi2(24) = ")


def test_tables_carry_results_json_names(study):
    results = study.results
    assert study.fit_measures.loc["df", "structural"] == results["fit"]["structural"]["df"] == 24
    assert list(study.reliability.columns) == list(next(iter(results["reliability"].values())))
    assert set(study.reliability.index) == {"HT", "PT", "PI"}
    assert study.reliability.loc["HT", "alpha"] == results["reliability"]["HT"]["alpha"]
    assert study.htmt.loc["HT", "PT"] == results["htmt"]["HT"]["PT"]
    assert np.isnan(study.htmt.loc["HT", "HT"])
    assert list(study.indirect_effects.columns) == list(results["indirect_effects"][0]) if \
        results["indirect_effects"] else study.indirect_effects.empty
    assert study.r2["PI"] == pytest.approx(results["r2"]["PI"])


def test_summary_reads_like_lavaan(study):
    text = study.summary()
    assert repr(text) == str(text)
    for heading in ("Model Test User Model (structural):", "Latent Variables:", "Regressions:", "  PI ~"):
        assert heading in text
    assert f"{study.results['fit']['structural']['chisq']:.3f}" in text


def test_outputs_match_the_command_line(tmp_path, survey, study):
    """The API and `semtrust fit` give the same results.json for the same data and settings
    (up to the data's name and the configuration's source)."""
    (tmp_path / "m.lav").write_text(MODEL, encoding="utf-8")
    survey.to_csv(tmp_path / "survey.csv", index=False)
    subprocess.run([sys.executable, "-m", "semtrust.cli", "fit", str(tmp_path / "survey.csv"), "--model",
                    str(tmp_path / "m.lav"), "--scale-points", "7", "--bootstrap", "200", "--measurement-bootstrap",
                    "0", "--seed", "3", "--out", str(tmp_path / "out"), "--quiet"], check=True, cwd=ROOT)
    cli = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    api = json.loads(study.to_json())
    for key in ("fit", "parameters", "reliability", "htmt", "indirect_effects", "hypotheses", "screening"):
        assert api[key] == cli[key], key
    assert study.to_html().startswith("<!DOCTYPE html>") and "\\begin{document}" in study.to_latex()
    import docx   # the run configuration echoed in the report differs (the CLI names its flags), the tables not
    tables = docx.Document(study.to_docx(tmp_path / "r.docx")).tables
    assert [t.rows[0].cells[0].text for t in tables] == \
        [t.rows[0].cells[0].text for t in docx.Document(tmp_path / "out" / "report.docx").tables]


def test_summary_matrix_dataframe(survey):
    items = ["HT1", "HT2", "HT3", "PT1", "PT2", "PT3"]
    complete = survey[items].astype(float)
    cov = complete.cov()
    cov.index.name = "variable"
    fitted = st.fit(cov, model="HT =~ HT1 + HT2 + HT3\nPT =~ PT1 + PT2 + PT3", summary=len(complete),
                    bootstrap=0, measurement_bootstrap=0)
    direct = st.cfa(complete, "HT =~ HT1 + HT2 + HT3\nPT =~ PT1 + PT2 + PT3")
    assert fitted.fit_measures.loc["chisq", "structural"] == pytest.approx(direct.fit_measures["chisq"], rel=1e-6)


def test_options_are_validated_in_one_line(survey):
    with pytest.raises(InputError, match=r"options: unknown key 'bootstraps'; the keys are data, format"):
        st.fit(survey, model=MODEL, bootstraps=10)
    with pytest.raises(InputError, match=r"options: 'estimator: WLS' must be one of ML, MLR"):
        st.fit(survey, model=MODEL, estimator="WLS")


def test_stage_functions(tmp_path, survey):
    frame = st.read_survey(ROOT / "example_data" / "trust_survey.csv")
    assert frame.shape == (600, 58) and frame.attrs["id_column"] == "respondent_id"
    items = [c for c in survey.columns if c[:2] in ("HT", "PT", "PI", "CA", "ID") and c[-1].isdigit()]
    kept, log = st.screen(survey, items, points=7)
    assert len(kept) + (log.action == "excluded").sum() == len(survey)
    assert set(log.columns) >= {"row", "respondent_id", "rule", "reason", "action"}
    reliability = st.reliability(survey, MODEL)
    assert reliability.loc["PI", "alpha"] == pytest.approx(0.88, abs=0.05)


def test_missing_auto_chooses_fiml_only_when_answers_are_missing():
    from semtrust.model.syntax import parse_model
    from semtrust.pipeline import missing_treatment

    complete = pd.DataFrame({"x": [1.0, 2.0, 3.0], "m": [2.0, 1.0, 3.0], "y": [1.0, 3.0, 2.0]})
    gaps = complete.mask(complete == 3.0)
    latent = parse_model("F =~ x + m + y")
    assert missing_treatment(complete, latent) == ("listwise", [])
    assert missing_treatment(gaps, latent) == ("fiml", [])
    treatment, note = missing_treatment(gaps, parse_model("m ~ x\ny ~ m"))
    assert treatment == "fiml" and note[0].startswith("1 respondents lack a value of an observed exogenous predictor (x)")
