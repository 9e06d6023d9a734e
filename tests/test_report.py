import shutil
import subprocess

import pytest

from semtrust.api import fit as run_study
from semtrust.report.format import apa, apa_p, stars, tex_escape
from semtrust.report.render import render, report_context, write_reports
from conftest import ROOT

NASTY = "<script>alert('x')</script> & 50% $_{#}^~\\ 信任"


def test_number_style():
    assert apa(0.93061, bounded=True) == ".931"
    assert apa(-0.0004, 3) == "0.000"          # no negative zero
    assert apa(-1.25, 2) == "−1.25"
    assert apa(12.3456, 1) == "12.3"
    assert apa(None) == "—"
    assert apa_p(0.0004) == "< .001" and apa_p(0.0123) == ".012"
    assert [stars(p) for p in (0.0001, 0.005, 0.03, 0.2)] == ["***", "**", "*", ""]


def test_tex_escape():
    assert tex_escape("50% & $x_1$ #1 {a} ~ ^ \\") == \
        r"50\% \& \$x\_1\$ \#1 \{a\} \textasciitilde{} \textasciicircum{} \textbackslash{}"


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """A --model run on data whose column names and values need escaping."""
    import pandas as pd
    frame = pd.read_csv(ROOT / "example_data" / "trust_survey.csv")
    frame["platform"] = frame["platform"].replace({"Douyin": NASTY})
    tmp = tmp_path_factory.mktemp("nasty")
    frame.to_csv(tmp / "data.csv", index=False)
    (tmp / "m.lav").write_text("HT =~ HT1 + HT2 + HT3\nPR =~ PR1 + PR2 + PR3\nPR ~ HT\n")
    return run_study(tmp / "data.csv", model=tmp / "m.lav", bootstrap=0, measurement_bootstrap=0).to_dict()


def test_user_strings_escaped(results):
    context = report_context(results)
    html = render("report.html.j2", context)
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    tex = render("report.tex.j2", context)
    assert r"50\% \$\_\{\#\}\textasciicircum{}\textasciitilde{}\textbackslash{} 信任" in tex


@pytest.mark.skipif(shutil.which("xelatex") is None, reason="xelatex not installed (.ci/run installs it)")
def test_latex_compiles_with_chinese(tmp_path):
    results = run_study(ROOT / "example_data" / "trust_survey.csv", bootstrap=100, measurement_bootstrap=100).to_dict()
    paths = write_reports(results, tmp_path)
    done = subprocess.run(["xelatex", "-interaction=nonstopmode", "-halt-on-error", paths["report.tex"].name],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:]
    assert (tmp_path / "report.pdf").stat().st_size > 10_000
    assert "Missing character" not in (tmp_path / "report.log").read_text(errors="replace")


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium not installed")
def test_html_renders_in_chromium(tmp_path):
    results = run_study(ROOT / "example_data" / "trust_survey.csv", bootstrap=100, measurement_bootstrap=100).to_dict()
    paths = write_reports(results, tmp_path)
    done = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         "--enable-logging=stderr", "--v=0", "--dump-dom", paths["report.html"].as_uri()],
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 0
    assert "Hypothesis tests" in done.stdout and "主播信任" in done.stdout
    assert "Figure 1. Structural model" in done.stdout and done.stdout.count('marker-end="url(#semtrust-arrow)"') == 25
    assert "Uncaught" not in done.stderr
