"""The PLS-SEM report through the one document model (semtrust.report.pls_sections).

The same checks as the CB-SEM report (tests/test_report.py, whose helpers these reuse): Word
tables equal the HTML tables, tables.xlsx holds the same numbers, stars/p/CIs agree, the Chinese
report has no English sentence, LaTeX compiles; and the PLS tables carry results.json's numbers.
Two runs: the primer's corporate-reputation model (formative and reflective constructs, groups
for MICOM/MGA) and the bundled example (instrument, 25 hypotheses, three final outcomes).
"""
import json
import re
import shutil
import subprocess

import pandas as pd
import pytest
from conftest import CONFORMANCE, ROOT
from test_report import _english_left, _tables_agree, _word_tables_equal_html

import semtrust as st
from semtrust.report.format import tex_text
from semtrust.report.render import report_document, write_reports


@pytest.fixture(scope="module")
def primer():
    fixture = json.loads((CONFORMANCE / "fixtures" / "pls_corp_rep.json").read_text())
    data = pd.read_csv(CONFORMANCE / fixture["data"])
    return st.fit(data, model=fixture["model"], method="pls", na=[-99], bootstrap=300, group="servicetype",
                  workers=1).to_dict()


@pytest.fixture(scope="module")
def example():
    return st.fit(ROOT / "example_data" / "trust_survey.csv", method="pls", bootstrap=200, plspredict=False,
                  workers=1).to_dict()


def tables(results, lang="en"):
    return {t.id: t for t in report_document(results, lang).tables()}


def test_hair_et_al_layout_and_verdicts_first(primer):
    doc = report_document(primer)
    assert [s.id for s in doc.main] == ["summary", "sample", "pls_measurement", "pls_structural", "mediation", "ipma",
                                        "pls_groups"]
    assert [t.id for t in doc.sections[2].tables()] == ["tab-pls-loadings", "tab-pls-reliability", "tab-pls-htmt",
                                                        "tab-pls-fornell-larcker", "tab-pls-formative"]
    verdicts = {row[0].text: (row[2].text, row[3].status, row[4].value) for row in doc.tables()[0].rows}
    # COMP, LIKE, CUSL reflective with two or more items (CUSA is a single item): all reliable and valid
    assert verdicts["Internal-consistency reliability"] == ("3 of 3", "ok", "tab-pls-reliability")
    assert verdicts["Discriminant validity (HTMT)"][1:] == ("ok", "tab-pls-htmt")
    assert verdicts["Collinearity of the predictors"] == ("largest VIF = 3.49", "review", "tab-pls-inner-vif")
    assert verdicts["Measurement invariance (MICOM)"][2] == "tab-pls-micom"
    lead = doc.sections[0].blocks[1].text
    assert "The model explained between .29 and .63 of the variance" in lead and "[[tab-pls-r2]]" in lead
    assert "partial least squares path modelling" in doc.sections[0].blocks[2].text


def test_a_failing_construct_fails_its_verdict():
    fixture = json.loads((CONFORMANCE / "fixtures" / "pls_corp_rep.json").read_text())
    data = pd.read_csv(CONFORMANCE / fixture["data"])
    data["like_2"] = data["like_2"].sample(frac=1, random_state=1).to_numpy()   # noise: LIKE loses validity
    results = st.fit(data, model=fixture["model"], method="pls", na=[-99], bootstrap=0, plspredict=False).to_dict()
    verdicts = {row[0].text: (row[2].text, row[3].status) for row in report_document(results).tables()[0].rows}
    assert verdicts["Convergent validity"][1] == "bad" and verdicts["Convergent validity"][0].startswith("2 of 3")
    assert "the criteria failed for LIKE" in report_document(results).sections[0].blocks[1].text


def test_tables_carry_the_numbers_of_results_json(primer):
    pls, shown = primer["pls"], tables(primer)
    loadings = {(p["lhs"], p["rhs"]): p["est"] for p in pls["parameters"] if p["op"] == "=~"}
    construct = ""
    for row in shown["tab-pls-loadings"].rows:
        construct = row[0].text or construct
        assert row[2].value == loadings[(construct, row[1].text)]
    reliability = {r["construct"]: r for r in pls["reliability"]}
    for row in shown["tab-pls-reliability"].rows:
        entry = reliability[row[0].text]
        if row[1].value != "—":
            assert [row[k].value for k in (1, 2, 3, 5)] == [entry[k] for k in ("alpha", "rho_a", "rho_c", "ave")]
    paths = {(p["rhs"], p["lhs"]): p for p in pls["parameters"] if p["op"] == "~"}
    for row in shown["tab-hypotheses"].rows:
        p = paths[tuple(row[0].text.split(" → "))]
        assert (row[1].value, row[2].value, row[3].value, row[4].value) == (p["est"], p["se"], p["z"],
                                                                             (p["ci_lower"], p["ci_upper"]))
    assert [(r[0].text, r[1].value, r[2].value) for r in shown["tab-pls-r2"].rows] == \
        [(r["construct"], r["r2"], r["r2_adj"]) for r in pls["r2"]]
    assert shown["tab-pls-fit"].rows[0][1].value == pls["fit_measures"]["SRMR"] == pytest.approx(
        primer["fit"]["structural"]["SRMR"], abs=1e-14)   # the pls block's records keep 15 digits
    assert [(r[1].text, r[2].value, r[3].value) for r in shown["tab-pls-ipma"].rows] == \
        [(i["construct"], i["importance"], i["performance"]) for i in pls["ipma"]]
    assert [r[2].value for r in shown["tab-pls-micom"].rows] == [x["c"] for x in pls["micom"]]
    assert [r[5].value for r in shown["tab-pls-mga"].rows] == [x["p_permutation"] for x in pls["mga"]]
    assert [r[1].value for r in shown["tab-pls-q2"].rows] == [q["q2_redundancy"] for q in pls["q2"]]
    indirect = [e for e in primer["indirect_effects"] if e["kind"] != "contrast"]
    assert [r[1].value for r in shown["tab-indirect"].rows] == [e["est"] for e in indirect]


def test_one_inference_per_table(primer, example):
    assert _tables_agree(report_document(primer)) > 20 and _tables_agree(report_document(example)) > 50
    notes = " ".join(tables(primer)["tab-hypotheses"].notes)
    assert "percentile bootstrap, 300 resamples" in notes and "p" not in [c.header for c in
                                                                         tables(primer)["tab-hypotheses"].columns]


@pytest.mark.parametrize("which", ["primer", "example"])
def test_docx_and_xlsx_have_the_tables_of_the_html(which, request, tmp_path):
    results = request.getfixturevalue(which)
    paths = write_reports(results, tmp_path)
    _word_tables_equal_html(results, paths)
    import docx
    targets = sorted({i["target"] for i in results["pls"]["ipma"]})
    assert len(docx.Document(paths["report.docx"]).inline_shapes) == 1 + len(targets)   # path diagram, IPMA maps
    for target in targets:
        assert f"ipma_{target}.svg" in paths and f"ipma_{target}.pdf" in paths
    import io
    import zipfile

    from PIL import Image
    with zipfile.ZipFile(paths["report.docx"]) as word_file:   # Cairo drew every figure (none left blank)
        pictures = [Image.open(io.BytesIO(word_file.read(name))) for name in word_file.namelist()
                    if name.startswith("word/media/")]
    assert len(pictures) == 1 + len(targets) and all(p.convert("RGBA").getextrema()[3][1] == 255 for p in pictures)
    from openpyxl import load_workbook
    book = load_workbook(paths["tables.xlsx"])
    doc = report_document(results)
    r2 = next(t for t in doc.tables() if t.id == "tab-pls-r2")
    sheet = book[r2.label.replace(" ", "")]
    assert [sheet.cell(4 + k, 2).value for k in range(len(r2.rows))] == [r["r2"] for r in results["pls"]["r2"]]


def test_chinese_report_has_no_english_sentence(primer, example):
    for results in (primer, example):
        left = _english_left(results)
        assert left == [], left
    svg = next(f for f in report_document(primer, "zh").images() if f.id == "fig-ipma-CUSL").svg
    assert "重要性（总效应）" in svg and "绩效（0–100）" in svg
    from semtrust.report.diagram import CJK_FONT_FAMILY, cairo_fonts
    assert CJK_FONT_FAMILY in cairo_fonts(svg)   # what Cairo draws its PNG (Word) and PDF (LaTeX) from


@pytest.mark.skipif(shutil.which("xelatex") is None, reason="xelatex not installed (.ci/run installs it)")
@pytest.mark.parametrize("which, lang", [("primer", "zh"), ("example", "en")])
def test_latex_compiles_with_the_ipma_plot(which, lang, request, tmp_path):
    from conftest import html_captions, tex_captions
    import html

    paths = write_reports(request.getfixturevalue(which), tmp_path, lang=lang)
    tex = paths["report.tex"].read_text(encoding="utf-8")
    assert re.search(r"\\includegraphics\[[^]]*\]\{ipma_\w+\.pdf\}", tex)
    for _ in range(2):
        done = subprocess.run(["xelatex", "-interaction=nonstopmode", "-halt-on-error", "report.tex"], cwd=tmp_path,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout[-2000:]
    log = (tmp_path / "report.log").read_text(errors="replace")
    assert "Missing character" not in log
    overfull = [float(x) for x in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log)]
    assert all(x <= 1.0 for x in overfull), overfull
    assert tex_captions(tex) == [tex_text(html.unescape(t)) for _, t in
                                 html_captions(paths["report.html"].read_text(encoding="utf-8"))]


def test_text_summary_of_a_pls_run(primer):
    from semtrust.report.text import summary_text

    text = summary_text(primer)
    assert "Model Fit (structural, saturated model):" in text and "Std.all" in text
    srmr = next(line for line in text.splitlines() if line.strip().startswith("SRMR"))
    assert srmr.split()[-1] == f"{primer['fit']['structural']['SRMR']:.3f}"


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium not installed")
def test_html_fits_1400_and_420_px_in_chromium(primer, tmp_path):
    from test_report import _layout_tool

    paths = write_reports(primer, tmp_path)
    tool = _layout_tool()
    for width in (1400, 420):
        window, document, sticking_out = tool.layout(paths["report.html"], width, tmp_path)
        assert window == width and document <= width and sticking_out == [], (width, document, sticking_out)
