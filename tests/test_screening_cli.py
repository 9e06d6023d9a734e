"""``semtrust fit`` with screening: the flow in results.json and both reports, the cleaned data
and the exclusion log, the missing-data report, and the screening flags."""
import json
from html import unescape
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from careless import careless_survey
from conftest import html_captions, tex_captions, ROOT
from semtrust.model.instrument import load_instrument


def semtrust(*args):
    return subprocess.run([sys.executable, "-m", "semtrust.cli", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True)


@pytest.fixture(scope="module")
def careless_csv(tmp_path_factory):
    inst = load_instrument("trust_mechanism")
    data = careless_survey(inst, n_genuine=500, n_per_kind=15, seed=7).drop(columns="kind")
    data = data.rename(columns={"respondent_id": "编号", "duration": "seconds"})
    blank = np.random.default_rng(7).random((len(data), len(inst.item_ids))) < 0.01
    items = data[inst.item_ids].astype(object)
    items[blank] = ""
    data[inst.item_ids] = items
    path = tmp_path_factory.mktemp("careless") / "careless.csv"
    data.to_csv(path, index=False)
    return path, data


@pytest.fixture(scope="module")
def screened_run(careless_csv, tmp_path_factory):
    path, _ = careless_csv
    out = tmp_path_factory.mktemp("screened")
    result = semtrust("fit", path, "--id", "编号", "--duration", "seconds", "--bootstrap", "0", "--out", out, "--quiet")
    assert result.returncode == 0, result.stderr
    return out, result


def test_flow_in_results_and_files(careless_csv, screened_run):
    path, data = careless_csv
    out, result = screened_run
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    screening = results["screening"]
    assert screening["columns"] == {"respondent_id": "编号", "duration": "seconds", "attention": ["AC1", "AC2"]}
    assert screening["n_screened"] == len(data) == results["input"]["rows"]
    steps = {s["rule"]: s for s in screening["steps"]}
    assert steps["duplicates"]["excluded"] >= 15 and steps["speed"]["excluded"] >= 14
    assert steps["attention"]["excluded"] >= 25            # random responders and straight-liners fail them
    assert screening["n_kept"] == screening["n_screened"] - screening["n_excluded"] == len(data) - len(screening["excluded"])
    assert 55 <= screening["n_excluded"] <= 60 + 15        # 60 careless, at most 3 % of 500 genuine more
    assert results["n"] == screening["n_kept"] - results["input"]["dropped_incomplete"]
    assert f"Screening: {screening['n_excluded']} of {len(data)} responses excluded" in result.stdout
    cleaned = pd.read_csv(out / "cleaned_data.csv", encoding="utf-8-sig")
    assert len(cleaned) == screening["n_kept"] and list(cleaned.columns) == list(data.columns)
    log = pd.read_csv(out / "exclusions.csv", encoding="utf-8-sig")
    assert len(log) == screening["n_excluded"] + len(screening["flagged"])
    assert set(log.action) <= {"excluded", "flagged"} and (log.action == "excluded").sum() == screening["n_excluded"]
    kept = data.drop(index=log.row[log.action == "excluded"] - 2)
    assert cleaned["编号"].tolist() == kept["编号"].tolist() and cleaned.seconds.tolist() == kept.seconds.tolist()


def test_missing_data_in_results_and_reports(screened_run):
    out, _ = screened_run
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    missing = results["missing_data"]
    assert missing["n"] == results["screening"]["n_kept"] and missing["items"] == 51
    assert 0.5 < missing["cells_percent_missing"] < 1.5
    assert missing["little_mcar"]["df"] > 0 and 0 <= missing["little_mcar"]["pvalue"] <= 1
    assert missing["treatment"] == "full-information ML (FIML)"   # --missing auto: answers are missing
    html = unescape((out / "report.html").read_text(encoding="utf-8"))
    tex = (out / "report.tex").read_text(encoding="utf-8")
    for title in ("Exclusion flow", "Missing answers per item", "Respondents by number of missing answers"):
        assert title in [t for _, t in html_captions(html)] and title in tex_captions(tex), title
    assert "Little's (1988) MCAR test over" in html and "Little's (1988) MCAR test over" in tex
    assert "Speeders" in html and "completion time < 1/3 of the median" in html
    assert "$\\chi$\\textsuperscript{2}(" in tex and "Mahalanobis D\\textsuperscript{2}" in tex


def test_no_screen(careless_csv, tmp_path):
    path, data = careless_csv
    model = tmp_path / "small.lav"
    model.write_text("CA =~ CA1 + CA2 + CA3\nID =~ ID1 + ID2 + ID3\n", encoding="utf-8")
    result = semtrust("fit", path, "--model", model, "--scale-points", "7", "--no-screen", "--bootstrap", "0",
                      "--out", tmp_path, "--quiet")
    assert result.returncode == 0, result.stderr
    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert results["screening"] is None and results["missing_data"]["n"] == len(data)
    assert results["missing_data"]["items"] == 6
    assert not (tmp_path / "cleaned_data.csv").exists() and "Exclusion flow" not in (tmp_path / "report.html").read_text()


@pytest.mark.parametrize("args, message", [
    (["--screen-set", "speed=0.5"], "command line: screening: unknown setting speed"),
    (["--screen-set", "speed_fraction"], "--screen-set speed_fraction: write KEY=VALUE"),
    (["--screen-skip", "speeders"], "screening: unknown rule speeders in skip"),
    (["--duration", "time"], "no column 'time' (--duration)"),
])
def test_bad_screening_options(careless_csv, tmp_path, capsys, args, message):
    from semtrust.cli import main

    path, _ = careless_csv
    assert main(["fit", str(path), *args, "--bootstrap", "0", "--out", str(tmp_path), "--quiet"]) == 2
    error = capsys.readouterr().err
    assert message in error and len(error.strip().splitlines()) == 1
