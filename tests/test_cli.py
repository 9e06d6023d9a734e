"""End-to-end: the semtrust command as a user runs it."""
import json
import subprocess
import sys

import pandas as pd
import pytest

from semtrust.report.format import apa_p
from semtrust.report.render import report_document

from conftest import CONFORMANCE, ROOT

CONTRACT_FIT = ["chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea_ci_lower", "rmsea_ci_upper",
                "srmr", "aic", "bic"]
PARAMETER_KEYS = ["lhs", "op", "rhs", "est", "se", "z", "pvalue", "ci_lower", "ci_upper", "std_all"]


def semtrust(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "semtrust.cli", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True)


def test_cli_import_is_light():
    code = "import sys, semtrust.cli; heavy = {'numpy', 'pandas', 'scipy', 'semopy', 'pingouin'} & set(sys.modules); print(sorted(heavy))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_help_lists_commands():
    result = semtrust("--help")
    assert result.returncode == 0
    for command in ("fit", "instrument", "simulate"):
        assert command in result.stdout


@pytest.fixture(scope="module")
def example_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("example")
    result = semtrust("fit", "example_data/trust_survey.csv", "--out", out, "--quiet", "--bootstrap", "300",
                      "--measurement-bootstrap", "200")
    assert result.returncode == 0, result.stderr
    return out, result


def test_fit_writes_contract(example_run):
    out, result = example_run
    assert "Hypotheses supported" in result.stdout and "RMSEA" in result.stdout
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["n"] == 600
    for part in ("measurement", "structural"):
        assert set(CONTRACT_FIT) <= set(results["fit"][part])
    for table in ("parameters", "measurement_parameters"):
        assert all(set(PARAMETER_KEYS) <= set(row) for row in results[table])
    assert {r["op"] for r in results["parameters"]} == {"=~", "~", "~~"}
    assert set(results["reliability"]) == {"CA", "ID", "AG", "SR", "AT", "HT", "CT", "PT", "ST", "PR",
                                          "PV", "EA", "PI", "RI", "RC"}
    assert all({"alpha", "cr", "ave"} <= set(v) for v in results["reliability"].values())
    assert len(results["hypotheses"]) == 25
    assert results["input"]["reversed_items"] == ["HT4", "PV4", "RI3"]
    assert results["seed"] == 20261123 and results["software"]["pingouin"] and "semopy" not in results["software"]
    assert results["sample"]["platform"][0]["category"] == "Douyin"
    specific = [e for e in results["indirect_effects"] if e["kind"] == "indirect"]
    assert len(specific) == 72 and "CA -> HT -> EA -> PI" in {e["path"] for e in specific}
    assert all(e["ci_method"] == "percentile" and e["std_ci_lower"] < e["std"] < e["std_ci_upper"] for e in specific)
    assert results["bootstrap"] == {"method": "bootstrap", "draws": 300, "successful": 300, "failed": 0,
                                    "seed": 20261123, "ci": "percentile", "level": 0.95}
    assert set(results["r2"]) == {"HT", "CT", "ST", "PT", "PR", "PV", "EA", "PI", "RI", "RC"}
    assert {e["kind"] for e in results["total_effects"]} == {"direct", "total"}
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Specific and total indirect effects" in html and "CA → HT → EA → PI" in html
    assert "主播信任" in html and "Hypothesis tests" in html and "<script" not in html


def test_fit_reports_measurement_quality(example_run):
    out, result = example_run
    assert "Reliability and validity criteria met by 15 of 15 constructs; loadings .40-.70 to review: CA2, HT3, RC2; largest HTMT" in result.stdout
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    host = results["reliability"]["HT"]
    assert host["cr_ci"][0] < host["cr"] < host["cr_ci"][1] and host["ave_ci"][0] < host["ave"] < host["ave_ci"][1]
    assert {"alpha", "omega", "cr", "ave", "msv", "asv"} <= set(host["verdicts"])
    assert host["verdicts"]["ave"] == "ok" and host["verdicts"]["fornell_larcker"] == "ok"
    assert results["measurement_bootstrap"]["draws"] == 200
    assert len(results["item_statistics"]) == 51 and len(results["latent_correlations"]) == 105
    assert results["fornell_larcker"]["HT"]["HT"] == pytest.approx(host["ave"] ** 0.5)
    assert results["htmt"]["HT"]["CT"] == results["htmt"]["CT"]["HT"]
    assert results["htmt_ci"]["HT"]["CT"] == results["htmt_ci"]["CT"]["HT"]
    assert results["normality"]["violated"] is False and results["normality"]["recommendation"] is None
    html = (out / "report.html").read_text(encoding="utf-8")
    tex = (out / "report.tex").read_text(encoding="utf-8")
    for text in ("Fornell–Larcker criterion", "Heterotrait–monotrait", "Mardia"):
        assert text in html and text in tex


def test_same_input_same_bytes(example_run, tmp_path):
    out, _ = example_run
    assert semtrust("fit", "example_data/trust_survey.csv", "--out", tmp_path, "--quiet", "--bootstrap", "300",
                    "--measurement-bootstrap", "200", "--workers", "1").returncode == 0
    for name in ("results.json", "report.html", "report.tex", "report.docx", "tables.xlsx"):
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name


@pytest.mark.parametrize("case", ["holzinger_cfa", "political_democracy", "holzinger_mimic"])
def test_model_file_matches_lavaan(tmp_path, case):
    fixture = json.loads((CONFORMANCE / "fixtures" / f"{case}.json").read_text())
    result = semtrust("fit", CONFORMANCE / fixture["data"], "--model", CONFORMANCE / fixture["model"],
                      "--out", tmp_path, "--quiet", "--bootstrap", "0")
    assert result.returncode == 0, result.stderr
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["n"] == fixture["n"]
    for key in CONTRACT_FIT:
        assert results["fit"]["structural"][key] == pytest.approx(fixture["fit"][key], abs=1e-3), key
    ours = {(r["lhs"], r["op"], r["rhs"]): r for r in results["parameters"]}
    for row in fixture["parameters"]:
        mine = ours.get((row["lhs"], row["op"], row["rhs"])) or ours[(row["rhs"], row["op"], row["lhs"])]
        for column in ("est", "se", "std_all"):
            assert mine[column] == pytest.approx(row[column], abs=1e-3), (row, column)


def test_mlr_fiml_run_matches_lavaan(tmp_path):
    """semtrust fit --estimator MLR --missing fiml on psych's bfi (with its missing answers)."""
    fixture = json.loads((CONFORMANCE / "fixtures" / "estimator_bfi_mlr_fiml.json").read_text())
    result = semtrust("fit", CONFORMANCE / fixture["data"], "--model", CONFORMANCE / fixture["model"],
                      "--reverse", *fixture["reverse"], "--scale-points", str(fixture["scale_points"]),
                      "--estimator", "MLR", "--missing", "fiml", "--no-screen",   # lavaan screens nothing
                      "--out", tmp_path, "--quiet", "--bootstrap", "0")
    assert result.returncode == 0, result.stderr
    assert "MLR: scaled χ²" in result.stdout
    results = json.loads((tmp_path / "results.json").read_text())
    assert (results["estimator"], results["missing"], results["n"]) == ("MLR", "fiml", fixture["n"])
    for key in ("chisq", "chisq_scaled", "cfi_robust", "tli_robust", "rmsea_robust", "srmr", "aic", "bic"):
        assert results["fit"]["structural"][key] == pytest.approx(fixture["fit"][key], rel=1e-4, abs=1e-3), key
    assert results["modification_indices"] == []
    html = (tmp_path / "report.html").read_text()
    assert "Structural model, robust (MLR)" in html and 'missing = &#34;ml&#34;' in html


def _item_data(tmp_path, edit):
    frame = pd.read_csv(ROOT / "example_data" / "trust_survey.csv", dtype=str)
    edit(frame)
    path = tmp_path / "edited.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("edit, message", [
    (lambda f: f.pop("HT2"), "no column for HT2"),
    (lambda f: f.__setitem__("PV1", f["PV1"].where(f.index != 4, "very much")), "row 6, column 'PV1': 'very much'"),
    (lambda f: f.__setitem__("CA1", f["CA1"].where(f.index != 9, "9")), "row 11, column 'CA1': 9 is outside the 1-7"),
])
def test_bad_data_exit_2_one_line(tmp_path, edit, message):
    result = semtrust("fit", _item_data(tmp_path, edit), "--out", tmp_path / "out")
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if not line.startswith("·")]
    assert len(errors) == 1 and message in errors[0] and "Traceback" not in result.stderr


def test_empty_file_and_bad_model(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    result = semtrust("fit", empty, "--out", tmp_path / "o")
    assert result.returncode == 2 and "is empty" in result.stderr and "Traceback" not in result.stderr
    model = tmp_path / "m.lav"
    model.write_text("F =~ x1 + x2 + x3\nF ~~ G == 1\n")
    result = semtrust("fit", CONFORMANCE / "data" / "HolzingerSwineford1939.csv", "--model", model)
    assert result.returncode == 2 and "m.lav, line 2" in result.stderr


def test_instrument_commands():
    listing = semtrust("instrument", "list")
    assert "trust_mechanism" in listing.stdout and "sor_live_commerce" in listing.stdout
    data = json.loads(semtrust("instrument", "show", "trust_mechanism", "--format", "json").stdout)
    items = [i for c in data["constructs"] for i in c["items"]]
    assert len(items) == 51 and all({"id", "text", "reverse"} <= set(i) for i in items)
    md = semtrust("instrument", "show", "trust_mechanism", "--format", "md", "--lang", "zh").stdout
    assert all(i["text"]["zh"] in md for i in items) and "非常同意" in md
    html = semtrust("instrument", "show", "sor_live_commerce", "--format", "html", "--lang", "en").stdout
    assert html.count('type="radio"') == 28 * 7
    text = semtrust("instrument", "show", "trust_mechanism", "--lang", "en").stdout
    assert "HT4 (R)" in text and "H25: EA -> RC (+)" in text


def test_simulate_regenerates_example_data(tmp_path):
    truth = json.loads((ROOT / "example_data" / "trust_survey.truth.json").read_text())
    out = tmp_path / "trust_survey.csv"
    args = truth["command"].split()[1:]
    args[args.index("--out") + 1] = str(out)
    assert semtrust(*args).returncode == 0
    assert out.read_bytes() == (ROOT / "example_data" / "trust_survey.csv").read_bytes()


def test_summary_matrix_input_reproduces_raw_data_fit(tmp_path):
    """A published correlation matrix with SDs (N - 1 divisor) refits as lavaan's sample.cov."""
    import numpy as np
    fixture = json.loads((CONFORMANCE / "fixtures" / "holzinger_cfa.json").read_text())
    names = fixture["sample_cov"]["names"]
    n = fixture["n"]
    cov = np.array(fixture["sample_cov"]["matrix"]) * n / (n - 1)
    sd = np.sqrt(np.diag(cov))
    corr = cov / np.outer(sd, sd)
    lines = ["," + ",".join(names)]
    for i, name in enumerate(names):   # lower triangle, as papers print it
        lines.append(name + "," + ",".join(f"{corr[i, j]:.17g}" if j <= i else "" for j in range(len(names))))
    lines.append("sd," + ",".join(f"{v:.17g}" for v in sd))
    matrix = tmp_path / "table2.csv"
    matrix.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = semtrust("fit", matrix, "--summary", n, "--model", CONFORMANCE / fixture["model"],
                      "--out", tmp_path / "out", "--quiet", "--bootstrap", "0")
    assert result.returncode == 0, result.stderr
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    for key in CONTRACT_FIT:
        assert results["fit"]["structural"][key] == pytest.approx(fixture["fit"][key], abs=1e-3), key
    ours = {(r["lhs"], r["op"], r["rhs"]): r for r in results["parameters"]}
    for row in fixture["parameters"]:
        assert ours[(row["lhs"], row["op"], row["rhs"])]["se"] == pytest.approx(row["se"], abs=1e-3)
    assert results["input"]["format"] == "summary correlation + SDs matrix"
    assert "alpha" not in results["reliability"]["visual"] and "cr" in results["reliability"]["visual"]
    # omega and HTMT need only the covariance matrix; normality and the bootstrap need raw data
    measurement = json.loads((CONFORMANCE / "fixtures" / "measurement_holzinger_cfa.json").read_text())
    for construct, expected in measurement["reliability"].items():
        assert results["reliability"][construct]["omega"] == pytest.approx(expected["omega"], abs=1e-3)
    assert results["htmt2"]["visual"]["speed"] == pytest.approx(measurement["htmt2"]["visual"]["speed"], abs=1e-3)
    assert results["normality"] is None and results["htmt_ci"] is None and results["measurement_bootstrap"] is None


def test_group_comparison_end_to_end(tmp_path):
    fixture = json.loads((CONFORMANCE / "fixtures" / "invariance_trust_groups.json").read_text())
    result = semtrust("fit", "example_data/trust_survey.csv", "--model", CONFORMANCE / fixture["model"],
                      "--instrument", "trust_mechanism", "--group", "platform", "--bootstrap", "0",
                      "--out", tmp_path, "--quiet")
    assert result.returncode == 0, result.stderr
    assert "Invariance across platform" in result.stdout
    results = json.loads((tmp_path / "results.json").read_text())
    steps = {s["model"]: s for s in results["invariance"]["steps"]}
    # the ladder runs on the measurement part; lavaan's fixture fitted the structural model, so
    # compare the structural per-path tests, which use the metric structural model
    assert set(steps) == {"configural", "metric", "scalar", "strict"}
    assert results["invariance"]["n"] == fixture["n"]
    paths = {(p["lhs"], p["rhs"]): p for p in results["group_paths"]}
    for row in fixture["group_paths"]:
        assert paths[(row["lhs"], row["rhs"])]["delta_chisq"] == pytest.approx(row["delta_chisq"], abs=1e-3)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Measurement invariance" in html and "β WeChat Channels" in html
    # the model's own χ² p and the Δχ² p side by side, in named columns
    table = next(t for t in report_document(results).tables() if t.id == "tab-invariance")
    headers = table.header_texts()
    metric = table.body_texts()[1]
    assert metric[headers.index("p (model χ²)")] == apa_p(steps["metric"]["pvalue"])
    assert metric[headers.index("p (Δχ²)")] == apa_p(steps["metric"]["pvalue_difference"])
    assert metric[headers.index("Δdf")] == str(int(steps["metric"]["delta_df"]))
    assert [m["model"] for m in results["model_comparison"]][:2] == ["hypothesised model",
                                                                      "partial mediation (+1 direct path)"]
