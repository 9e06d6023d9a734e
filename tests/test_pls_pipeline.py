"""PLS-SEM runs through the pipeline: `semtrust fit --method pls` and `st.fit(..., method="pls")`.

The estimator's numbers are checked against seminr/plspm in test_pls.py; here the run reproduces
the fixture's paths from the CLI/API, writes the results.json ``pls`` block and the Hair et al.
(2019) report, and refuses CB-SEM-only settings with one line.
"""
import html as html_module
import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest
from conftest import CONFORMANCE, ROOT, html_captions

import semtrust as st
from semtrust.config import RunConfig
from semtrust.errors import InputError

EXAMPLE = ROOT / "example_data" / "trust_survey.csv"
HAIR_SECTIONS = ["Outer loadings and indicator reliability", "Internal consistency reliability and convergent validity",
                 "Heterotrait–monotrait ratios (HTMT)", "Fornell–Larcker criterion", "Collinearity of the predictors (inner VIF)",
                 "Explanatory power", "Specific and total indirect effects", "Importance and performance of the predecessors",
                 "Direct and total effects", "Cross-loadings", "HTMT and HTMT2 with their bootstrap upper bounds"]


def semtrust(*args):
    return subprocess.run([sys.executable, "-m", "semtrust.cli", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True)


def primer(case: str = "corp_rep"):
    fixture = json.loads((CONFORMANCE / "fixtures" / f"pls_{case}.json").read_text())
    return fixture, pd.read_csv(CONFORMANCE / fixture["data"])


@pytest.fixture(scope="module")
def example_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("pls_example")
    done = semtrust("fit", EXAMPLE, "--method", "pls", "--bootstrap", 500, "--no-plspredict", "--out", out)
    assert done.returncode == 0, done.stderr[-2000:]
    return out, json.loads((out / "results.json").read_text()), done.stdout


@pytest.fixture(scope="module")
def primer_study():
    fixture, data = primer()
    return fixture, st.fit(data, model=fixture["model"], method="pls", na=[-99], bootstrap=500, workers=1)


def test_cli_pls_run_on_the_bundled_example(example_run):
    out, results, stdout = example_run
    assert results["method"] == "pls" and results["estimator"] == "PLS" and results["missing"] == "mean"
    # the PLS fit is the structural FittedModel: its fit measures and its effects take the CB-SEM keys
    assert results["fit"]["measurement"] is None and 0 < results["fit"]["structural"]["SRMR"] < 0.08
    assert results["reliability"] is None and results["cmb"] is None
    specific = {m["chain"]: m for m in results["pls"]["mediation"]}
    indirect = [e for e in results["indirect_effects"] if e["kind"] == "indirect"]
    assert 0 < len(indirect) <= len(specific)   # the effects stage's routes start at exogenous constructs
    for effect in indirect:   # the generic effects on the PLS bootstrap draws = the PLS statistics
        same = specific[effect["path"]]
        assert (effect["est"], effect["se"], effect["ci_lower"], effect["ci_upper"]) == pytest.approx(
            (same["indirect"], same["se"], same["ci_lower"], same["ci_upper"]), abs=1e-12)
    assert results["config"]["method"] == "pls" and results["config"]["pls_weighting"] == "path"
    assert results["bootstrap"]["successful"] == 500 and results["bootstrap"]["seed"] == 20261123
    hypotheses = results["hypotheses"]
    assert len(hypotheses) == 25
    for h in hypotheses:   # supported exactly when the bootstrap CI excludes 0 on the expected side
        excluded = h["ci_lower"] > 0 if h["expected_sign"] == "+" else h["ci_upper"] < 0
        assert (h["result"] == "supported") == excluded
    h1 = next(h for h in hypotheses if h["id"] == "H1")
    assert h1["est"] == pytest.approx(0.240, abs=5e-4)   # CA -> HT, as st.fit gives it below
    assert "plspredict" not in results["pls"]
    assert {r["target"] for r in results["pls"]["ipma"]} == {"PI", "RI", "RC"}   # the final outcomes
    assert "Hypotheses supported: 25 of 25" in stdout and "PLS-SEM (PLS, path weighting" in stdout
    html = (out / "report.html").read_text()
    for title in HAIR_SECTIONS + ["Hypothesis tests", "Respondent profile"]:
        assert title in html, title


def test_pls_results_json_block(primer_study):
    _, study = primer_study
    block = study.to_dict()["pls"]
    for key in ("settings", "parameters", "r2", "reliability", "htmt", "htmt2", "fornell_larcker", "cross_loadings",
                "vif", "f2", "effects", "information_criteria", "statistics", "htmt_inference", "mediation",
                "plspredict", "cvpat", "ipma"):
        assert key in block, key
    assert block["settings"]["modes"]["QUAL"] == "B" and block["settings"]["modes"]["COMP"] == "A"
    assert [r["target"] for r in block["ipma"]] == ["CUSL"] * 7
    predicted = {(r["construct"], r["item"]) for r in block["plspredict"]}
    assert ("CUSL", "cusl_1") in predicted and not any(c == "QUAL" for c, _ in predicted)
    assert {(r["benchmark"], r["construct"]) for r in block["cvpat"]} >= {("LM", "overall"), ("IA", "CUSL")}
    weights = study.parameters.query("op == '<~'")   # every construct's outer weights, as SmartPLS lists them
    assert study.n == 344 and len(weights) == 31 and weights["se"].notna().all()


def test_model_run_reproduces_the_primer_paths(primer_study):
    fixture, study = primer_study
    results = study.to_dict()
    paths = {f"{p['rhs']} -> {p['lhs']}": p["est"] for p in results["paths"]}
    assert paths == pytest.approx(fixture["seminr"]["paths"], abs=1e-6)
    assert results["r2"] == pytest.approx(fixture["seminr"]["r2"], abs=1e-6)
    assert results["hypotheses"] is None   # a --model run has no instrument hypotheses
    assert any("mean" in w for w in results["warnings"])   # 8 responses with -99 answers


def test_report_follows_hair_et_al_and_compiles(primer_study, tmp_path):
    from semtrust.report.render import write_reports

    results = primer_study[1].to_dict()
    paths = write_reports(results, tmp_path)
    html = paths["report.html"].read_text()
    captions = [html_module.unescape(title) for _, title in html_captions(html)]
    positions = [next(k for k, c in enumerate(captions) if c.startswith(title)) for title in HAIR_SECTIONS[:8]]
    assert positions == sorted(positions)   # the article's order
    for title in ("Formative indicators: outer VIF, weights and loadings", "Predictive power (PLSpredict)",
                  "CVPAT"):
        assert title in html, title
    tex = paths["report.tex"].read_text()
    assert r"$\rho_A$" in tex and "Cross-loadings" in tex
    if shutil.which("xelatex") is None:
        pytest.skip("xelatex not installed")
    done = subprocess.run(["xelatex", "-interaction=nonstopmode", "-halt-on-error", "report.tex"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:]
    assert "Missing character" not in (tmp_path / "report.log").read_text(errors="replace")


def test_groups_give_micom_and_mga_independent_of_the_workers():
    fixture, _ = primer("corp_rep_simple_plsc")
    data = primer()[1]   # the full primer data have the servicetype column
    def run(workers):
        return st.fit(data, model=fixture["model"], method="pls", na=[-99], bootstrap=200, group="servicetype",
                      plspredict=False, workers=workers, ci="bca")
    study = run(1)
    assert study.to_json() == run(2).to_json()   # seeded per resample and permutation, whatever the workers
    block = study.to_dict()["pls"]
    assert block["groups"]["sizes"] == sorted(block["groups"]["sizes"], reverse=True)
    assert sum(block["groups"]["sizes"]) == 344
    assert len(block["micom"]) == 4 and len(block["mga"]) == 5
    assert all(0 < m["p_permutation"] <= 1 for m in block["mga"])
    assert "Multigroup analysis of the paths (PLS-MGA)" in study.to_html()


def test_two_stage_higher_order_run():
    fixture, data = primer("corp_rep_two_stage")
    study = st.fit(data, model=fixture["model"], method="pls", na=[-99], bootstrap=0, higher_order="two_stage")
    results = study.to_dict()
    paths = {f"{p['rhs']} -> {p['lhs']}": p["est"] for p in results["paths"]}
    assert paths == pytest.approx(fixture["seminr"]["paths"], abs=1e-6)
    assert any(w.startswith("PLSpredict and CVPAT skipped") for w in results["warnings"])
    assert results["bootstrap"] is None and "statistics" not in results["pls"]


def test_cb_only_settings_are_refused_in_one_line():
    done = semtrust("fit", EXAMPLE, "--method", "pls", "--estimator", "MLR", "--out", "/nonexistent-never-written")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == ["semtrust: error: --estimator MLR is a CB-SEM estimator; PLS-SEM has "
                                                "none: drop --estimator, or use --method cb"]


@pytest.mark.parametrize("options, message", [
    ({"ci": "mc"}, "--ci mc: PLS-SEM bootstrap intervals are percentile or bca"),
    ({"missing": "fiml"}, "--missing fiml is a CB-SEM"),
    ({"summary": 100}, "PLS-SEM needs raw data"),
    ({"pls_weighting": "mode"}, "'pls_weighting: mode' must be one of path, factorial, centroid"),
])
def test_settings_pls_cannot_honour_are_refused(options, message):
    with pytest.raises(InputError, match=message):
        st.fit(pd.DataFrame({"x": [1.0]}), method="pls", **options)


def test_cb_config_echo_is_unchanged_and_pls_echo_names_the_method():
    cb = RunConfig(data="survey.csv").echo()
    assert not {"method", "pls_weighting", "pls_consistent", "higher_order", "plspredict"} & set(cb)
    pls = RunConfig(data="survey.csv", method="pls", pls_consistent=True).echo()
    assert pls["method"] == "pls" and pls["pls_consistent"] is True and pls["higher_order"] == "repeated"


def test_study_file_keys(tmp_path):
    from semtrust.io.study import resolve_config

    study = tmp_path / "study.yaml"
    study.write_text("data: survey.csv\nmethod: pls\npls_weighting: factorial\npls_consistent: true\n"
                     "higher_order: two_stage\nplspredict: false\n", encoding="utf-8")
    config = resolve_config(str(study), {"pls_weighting": "centroid"})   # a flag overrides the file
    assert (config.method, config.pls_weighting, config.pls_consistent, config.higher_order, config.plspredict) == (
        "pls", "centroid", True, "two_stage", False)
    study.write_text("data: survey.csv\nmethod: PLS\n", encoding="utf-8")
    with pytest.raises(InputError, match="'method: PLS' must be one of cb, pls"):
        resolve_config(str(study), {})
