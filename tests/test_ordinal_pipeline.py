"""Whole runs with --estimator WLSMV (the ordinal estimator behind the pipeline), checked against
lavaan (tests/conformance/make_ordinal_pipeline_fixtures.R), and the Likert note of ML runs."""
import json

import numpy as np
import pandas as pd
import pytest
from conftest import CONFORMANCE

import semtrust as st
from semtrust.cli import main

DATA = CONFORMANCE / "data" / "likert5_mini.csv"
INSTRUMENT = CONFORMANCE / "models" / "likert5_mini.yaml"
FIXTURE = json.loads((CONFORMANCE / "fixtures" / "ordinal_pipeline_likert5.json").read_text())
ITEMS = [f"{c}{k}" for c in ("IA", "TR", "PI") for k in (1, 2, 3)]
FIT_MEASURES = ["chisq", "df", "chisq_scaled", "chisq_scaling_factor", "pvalue_scaled",
                "cfi_scaled", "tli_scaled", "rmsea_scaled", "cfi_robust", "tli_robust", "rmsea_robust", "srmr"]


@pytest.fixture(scope="module")
def wlsmv_run(tmp_path_factory):
    """``semtrust fit`` on the five-point data with the small instrument, WLSMV, delta-method effects."""
    out = tmp_path_factory.mktemp("wlsmv")
    code = main(["fit", str(DATA), "--instrument", str(INSTRUMENT), "--estimator", "WLSMV", "--no-screen",
                 "--bootstrap", "0", "--measurement-bootstrap", "0", "--out", str(out), "--quiet"])
    assert code == 0
    return out, json.loads((out / "results.json").read_text(encoding="utf-8"))


def test_fit_measures_match_lavaan(wlsmv_run):
    _, results = wlsmv_run
    assert results["estimator"] == "WLSMV" and results["config"]["estimator"] == "WLSMV"
    for block in ("structural", "measurement"):
        ours, lavaan = results["fit"][block], FIXTURE[block]["fit"]
        for key in FIT_MEASURES:
            assert ours[key] == pytest.approx(lavaan[key], abs=1e-4), (block, key)
        assert isinstance(ours["df"], int) and "aic" not in ours


def test_hypotheses_effects_and_thresholds_match_lavaan(wlsmv_run):
    _, results = wlsmv_run
    lavaan = {(p["lhs"], p["op"], p["rhs"]): p for p in FIXTURE["structural"]["parameters"]}
    for h in results["hypotheses"]:
        ref = lavaan[(h["target"], "~", h["source"])]
        assert (h["est"], h["se"], h["std_all"]) == pytest.approx((ref["est"], ref["se"], ref["std.all"]), abs=1e-4)
    assert [h["result"] for h in results["hypotheses"]] == ["supported", "supported"]
    thresholds = [p for p in results["parameters"] if p["op"] == "|"]
    assert len(thresholds) == 9 * 4
    for p in thresholds:
        assert p["est"] == pytest.approx(lavaan[(p["lhs"], "|", p["rhs"])]["est"], abs=1e-6)
    indirect = [e for e in results["indirect_effects"] if e["kind"] == "indirect"]
    ref = lavaan[("ind", ":=", "a*b")]
    assert len(indirect) == 1
    assert (indirect[0]["est"], indirect[0]["se"]) == pytest.approx((ref["est"], ref["se"]), abs=1e-4)


def test_ordinal_reliability_and_comparison_match_semtools_and_lavaan(wlsmv_run):
    _, results = wlsmv_run
    reference = FIXTURE["measurement"]
    loadings = pd.DataFrame(reference["loadings"])
    for construct, row in results["reliability"].items():
        assert row["omega"] == pytest.approx(reference["omega"][construct], abs=1e-4)
        assert row["alpha"] == pytest.approx(reference["ordinal_alpha"][construct], abs=1e-6)
        assert row["alpha_ci"] == [None, None]
        lam = loadings[loadings.lhs == construct]["est.std"].to_numpy()
        assert row["cr"] == pytest.approx(lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam ** 2).sum()), abs=1e-4)
        assert row["ave"] == pytest.approx(np.mean(lam ** 2), abs=1e-4)
    items = {(r["construct"], r["item"]): r for r in results["item_statistics"]}
    for ref in reference["loadings"]:
        ours = items[(ref["lhs"], ref["rhs"])]
        assert (ours["std_loading"], ours["se"]) == pytest.approx((ref["est.std"], ref["se"]), abs=1e-4)
    hypothesised, partial = results["model_comparison"]
    assert hypothesised["aic"] is None and hypothesised["chisq"] == pytest.approx(
        FIXTURE["structural"]["fit"]["chisq_scaled"], abs=1e-4)
    assert partial["delta_chisq"] == pytest.approx(FIXTURE["partial"]["chisq_diff"], abs=1e-4)
    assert partial["pvalue"] == pytest.approx(FIXTURE["partial"]["pvalue"], abs=1e-4)
    assert results["modification_indices"] == []


def test_reports_name_the_estimator(wlsmv_run):
    out, results = wlsmv_run
    html = (out / "report.html").read_text(encoding="utf-8")
    tex = (out / "report.tex").read_text(encoding="utf-8")
    assert "Structural model, robust (WLSMV)" in html and "Structural model, DWLS" in html
    assert "sem(ordered = TRUE, estimator = &#34;WLSMV&#34;" in html and "Parameters were estimated by WLSMV" in html
    assert "Parameters were estimated by WLSMV" in tex
    assert not any("WLSMV is recommended" in w for w in results["warnings"])


def _seven_point(n=400, seed=7):
    """Seven-point answers from the same three-factor chain (no Likert note expected)."""
    rng = np.random.default_rng(seed)
    ia = rng.normal(size=n)
    tr = 0.5 * ia + np.sqrt(0.75) * rng.normal(size=n)
    pi = 0.6 * tr + np.sqrt(0.64) * rng.normal(size=n)
    columns = {}
    for name, factor in (("IA", ia), ("TR", tr), ("PI", pi)):
        for k in (1, 2, 3):
            latent = 0.75 * factor + np.sqrt(1 - 0.75 ** 2) * rng.normal(size=n)
            columns[f"{name}{k}"] = np.digitize(latent, [-1.6, -1.0, -0.4, 0.2, 0.8, 1.4]) + 1
    return pd.DataFrame(columns)


@pytest.mark.parametrize("estimator", ["ML", "MLR"])
def test_likert_note_on_five_point_items_only(estimator):
    options = dict(instrument=str(INSTRUMENT), estimator=estimator, screen=False, bootstrap=0,
                   measurement_bootstrap=0)
    five = st.fit(pd.read_csv(DATA), **options)
    note = [w for w in five.warnings if "WLSMV is recommended" in w]
    assert note == [f"9 of the 9 items have at most 5 answer categories (Likert); {estimator} treats them as "
                    "continuous, which biases loadings and the chi-square with so few categories (Rhemtulla, "
                    "Brosseau-Liard & Savalei 2012): WLSMV is recommended, rerun with --estimator WLSMV --ordered all"]
    seven = st.fit(_seven_point(), scale_points=7, **options)
    assert not any("WLSMV" in w for w in seven.warnings)


def test_api_with_a_model_and_ordered_items():
    model = "IA =~ IA1 + IA2 + IA3\nTR =~ TR1 + TR2 + TR3\nPI =~ PI1 + PI2 + PI3\nTR ~ IA\nPI ~ TR\n"
    study = st.fit(pd.read_csv(DATA), model=model, estimator="WLSMV", ordered=ITEMS, screen=False, bootstrap=0,
                   measurement_bootstrap=0)
    assert study.estimator == "WLSMV"
    summary = str(study.summary())
    assert "Scaled test statistic (WLSMV)" in summary and "Thresholds:" in summary and "IA1|t4" in summary
    assert "AIC" not in summary
    assert study.fit_measures.loc["chisq_scaled", "structural"] == pytest.approx(
        FIXTURE["structural"]["fit"]["chisq_scaled"], abs=1e-4)


def test_study_file_with_wlsmv_and_ordered(tmp_path):
    (tmp_path / "study.yaml").write_text(
        f"data: {DATA.as_posix()}\ninstrument: {INSTRUMENT.as_posix()}\nestimator: WLSMV\nordered: [{', '.join(ITEMS)}]\n"
        "screen: false\nbootstrap: 0\nmeasurement_bootstrap: 0\nout: out\n", encoding="utf-8")
    assert main(["fit", str(tmp_path / "study.yaml"), "--quiet"]) == 0
    results = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert results["estimator"] == "WLSMV" and results["config"]["ordered"] == ITEMS
    assert results["fit"]["structural"]["cfi_scaled"] == pytest.approx(
        FIXTURE["structural"]["fit"]["cfi_scaled"], abs=1e-4)


@pytest.mark.parametrize("flags, message", [
    (["--ordered", "all"], "--ordered needs a categorical estimator; add --estimator WLSMV (not ML)"),
    (["--estimator", "WLSMV", "--ordered", "IA1", "XX9"], "--ordered XX9: not an observed variable of the model"),
    (["--estimator", "WLSMV", "--ordered", "IA1", "--group", "platform"],
     "the ordinal invariance ladder needs every indicator ordered"),
    (["--estimator", "WLSMV", "--missing", "fiml"], "--missing fiml is for ML and MLR; WLSMV takes --missing"),
    (["--missing", "pairwise"], "--missing pairwise is for WLSMV, ULSMV and DWLS"),
    (["--estimator", "WLSMV", "--summary", "400"], "--estimator WLSMV needs the raw answers"),
])
def test_errors_are_one_line(tmp_path, capsys, flags, message):
    code = main(["fit", str(DATA), "--instrument", str(INSTRUMENT), "--no-screen", "--bootstrap", "0",
                 "--out", str(tmp_path / "out"), "--quiet", *flags])
    error = capsys.readouterr().err
    assert code == 2 and message in error and error.count("\n") == 1, error


def test_model_run_without_ordered_asks_for_it(tmp_path, capsys):
    model = tmp_path / "chain.lav"
    model.write_text("IA =~ IA1 + IA2 + IA3\nTR =~ TR1 + TR2 + TR3\nTR ~ IA\n", encoding="utf-8")
    code = main(["fit", str(DATA), "--model", str(model), "--estimator", "WLSMV", "--no-screen", "--bootstrap", "0",
                 "--out", str(tmp_path / "out"), "--quiet"])
    error = capsys.readouterr().err
    assert code == 2 and "name the ordinal items with --ordered all" in error and error.count("\n") == 1


def test_effects_and_measurement_bootstrap_refit_wlsmv():
    study = st.fit(pd.read_csv(DATA), instrument=str(INSTRUMENT), estimator="WLSMV", screen=False, bootstrap=60,
                   measurement_bootstrap=60, workers=1)
    results = study.to_dict()
    assert results["bootstrap"]["successful"] + results["bootstrap"]["failed"] == 60
    assert results["bootstrap"]["successful"] >= 50
    indirect = [e for e in results["indirect_effects"] if e["kind"] == "indirect"][0]
    reference = next(p for p in FIXTURE["structural"]["parameters"] if p["op"] == ":=")
    assert indirect["ci_method"] == "percentile"
    assert indirect["ci_lower"] < reference["est"] < indirect["ci_upper"]
    assert indirect["se"] == pytest.approx(reference["se"], rel=0.35)
    assert results["measurement_bootstrap"]["successful"] >= 50
    for construct, row in results["reliability"].items():
        assert row["cr_ci"][0] < row["cr"] < row["cr_ci"][1] and row["ave_ci"][0] < row["ave"] < row["ave_ci"][1]
    assert results["htmt_ci"]["IA"]["TR"][0] < results["htmt"]["IA"]["TR"] < results["htmt_ci"]["IA"]["TR"][1]
    assert not any("not yet available" in w for w in results["warnings"])


def test_ulsmv_run_writes_every_report(tmp_path, capsys):
    """ULSMV has no unscaled p-value (lavaan gives none): the fit table, the draft Results
    paragraph and the text summary show the scaled test instead of failing."""
    out = tmp_path / "out"
    code = main(["fit", str(DATA), "--instrument", str(INSTRUMENT), "--estimator", "ULSMV", "--no-screen",
                 "--bootstrap", "0", "--measurement-bootstrap", "0", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    fit = results["fit"]["structural"]
    assert "pvalue" not in fit and 0 <= fit["pvalue_scaled"] <= 1
    assert {p.name for p in out.iterdir()} >= {"report.html", "report.tex", "report.docx", "tables.xlsx"}
    assert "ULSMV" in (out / "report.html").read_text(encoding="utf-8")
