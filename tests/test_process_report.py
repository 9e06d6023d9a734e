"""`semtrust process` and `ProcessResult.save`: results.json and the reports (HTML, LaTeX, Word)
from the document model, in PROCESS's layout with the plots and verdict lines, in English and
Chinese, written through the atomic output folder."""
import json
import re

import pandas as pd
import pytest
from conftest import CONFORMANCE, compile_latex
from docx import Document as WordDocument

from semtrust.cli import main
from semtrust.report.format import apa
from semtrust.structural.moderation import process

DATA_FILE = CONFORMANCE / "data" / "moderation_sim.csv"
DATA = pd.read_csv(DATA_FILE)


@pytest.fixture(scope="module")
def model7_zh(tmp_path_factory):
    out = tmp_path_factory.mktemp("process") / "out"
    code = main(["process", str(DATA_FILE), "--model", "7", "--x", "x", "--m", "m1", "--w", "w", "--y", "y",
                 "--cov", "c1", "--group", "platform", "--bootstrap", "400", "--seed", "3", "--lang", "zh",
                 "--out", str(out)])
    assert code == 0
    return out, json.loads((out / "results.json").read_text())


def test_process_results_json_and_files(model7_zh):
    out, results = model7_zh
    fit = process(DATA, 7, x="x", m="m1", w="w", y="y", covariates=["c1"], bootstrap=400, seed=3)
    block = results["moderation"]
    assert block["index_of_moderated_mediation"][0]["boot_llci"] == pytest.approx(
        fit.index_of_moderated_mediation.boot_llci[0], abs=1e-12)
    assert results["method"] == "process" and results["config"]["lang"] == "zh" and results["input"]["sha256"]
    assert block["groups"]["group"] == "platform"
    assert {p.name for p in out.iterdir() if not p.name.startswith(".")} == {
        "results.json", "report.html", "report.tex", "report.docx", "tables.xlsx", "simple_slopes.svg",
        "simple_slopes.pdf"}                   # model 7 has no direct-path moderation, so no J-N plot


def test_process_report_layout_and_verdicts_in_chinese(model7_zh):
    out, results = model7_zh
    html = (out / "report.html").read_text()
    index = results["moderation"]["index_of_moderated_mediation"][0]
    assert (f"经由 m1 的有调节的中介指数（w）：0.{round(index['effect'] * 1000):03d}，95% Bootstrap CI "
            f"[0.{round(index['boot_llci'] * 1000):03d}, 0.{round(index['boot_ulci'] * 1000):03d}]；置信区间不含 0") in html
    assert "m1 方程中的交互项 x:w 显著：b = 0.358，t(295) = 8.63" in html
    for caption in ("回归系数：m1", "模型摘要：y", "最高阶交互项检验：m1", "x 对 y 的条件间接效应", "组间两两比较（Holm 校正 p）"):
        assert f"<em>{caption}</em>" in html, caption
    assert html.count("<svg") == 1 and "w 不同取值下 x 对 m1 的简单斜率" in html
    word = WordDocument(out / "report.docx")
    assert len(word.inline_shapes) == 1
    assert any(p.text.endswith("w 不同取值下 x 对 m1 的简单斜率") for p in word.paragraphs)
    assert len(word.tables) == 12      # variables, 2 x 2 + 1 per outcome, 3 effects, 2 group tables, settings
    coefficients = next(t for t in word.tables if t.cell(0, 0).text == "项" and t.cell(1, 0).text == "const")
    assert [c.text for c in coefficients.rows[4].cells] == ["x:w", "0.358", "0.041", "8.63", "< .001", "[0.276, 0.439]"]
    tex = (out / "report.tex").read_text()
    assert "\\includegraphics[width=.9\\linewidth]{simple_slopes.pdf}" in tex
    log = compile_latex(out)
    assert "simple_slopes.pdf" in log


def test_save_from_the_api_in_english_with_the_johnson_neyman_region(tmp_path):
    fit = process(DATA, 1, x="x", w="w", y="y", covariates=["c1"])
    paths = fit.save(tmp_path / "out")
    assert {"results.json", "simple_slopes.pdf", "johnson_neyman.pdf", "report.docx"} <= set(paths)
    html = paths["report.html"].read_text()
    point = fit.jn.value[0]
    high = DATA.w.max()
    assert (f"Johnson–Neyman: the x → y effect is significant (p &lt; .05) for w from {point:.3f} to {high:.3f}."
            in html)
    assert "The x:w interaction on y is significant: b = 0.175, t(295) = 3.18, p = .002, ΔR² = .022." in html
    assert len(WordDocument(paths["report.docx"]).inline_shapes) == 2
    results = json.loads(paths["results.json"].read_text())
    assert results["input"] == {"data": "<DataFrame>", "sha256": None} and results["command"] is None


def test_process_never_overwrites_a_file_it_did_not_write(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.html").write_text("my notes")
    code = main(["process", str(DATA_FILE), "--model", "1", "--x", "x", "--w", "w", "--y", "y", "--out", str(out)])
    assert code == 2 and (out / "report.html").read_text() == "my notes"
    assert re.search(r"report\.html.*not written by semtrust", capsys.readouterr().err)
    assert not (out / "results.json").exists()


def test_serial_mediation_report(tmp_path):
    fit = process(DATA, 6, x="x", m=["m1", "m2"], y="y", covariates=["c1"], bootstrap=500, seed=2)
    html = fit.save(tmp_path, lang="zh")["report.html"].read_text()
    chain = fit.indirect_effects.set_index("mediator").loc["m1 -> m2"]
    assert f"x 经由 m1 → m2 对 y 的间接效应：{apa(chain.effect, 3)}" in html
    total = fit.indirect_effects.set_index("mediator").loc["TOTAL"]
    assert f"x 对 y 的总间接效应：{apa(total.effect, 3)}" in html and "<em>回归系数：m2</em>" in html
