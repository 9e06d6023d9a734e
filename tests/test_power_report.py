"""The power analysis's outputs: written through the atomic output folder, and its report built
from the one document model (HTML, LaTeX, Word in English and Chinese)."""
import html
import json
import re
import shutil

import pandas as pd
import pytest
from conftest import compile_latex, html_captions, tex_captions
from test_report import ALLOWED, ENGLISH_RUN, _Tables, _word_tables

from semtrust.cli import main
from semtrust.errors import InputError
from semtrust.io.output_folder import MANIFEST, OutputFolder
from semtrust.power import power
from semtrust.report.format import tex_text
from semtrust.report.power_report import power_document

MODEL = "m ~ 0.4*a*x\ny ~ 0.3*b*m + 0.1*x\nind := a*b\n"


@pytest.fixture(scope="module")
def result():
    return power(model=MODEL, n=[60, 100, 140], reps=40, seed=3, scheduler="synchronous")


@pytest.fixture(scope="module", params=["en", "zh"])
def written(request, result, tmp_path_factory):
    out = tmp_path_factory.mktemp(f"power_{request.param}")
    return request.param, result.write(out, lang=request.param)


def test_report_verdicts_come_first_and_follow_the_numbers(result):
    doc = power_document(result.to_dict(), "en")
    assert [s.id for s in doc.main] == ["power-summary", "power-grid"]
    verdicts = doc.tables()[0]
    required = result.required_n.set_index("effect").n
    by_effect = {row[0].text: row for row in verdicts.rows}
    for effect, label in (("m ~ x", "x → m"), ("y ~ m", "m → y"), ("y ~ x", "x → y"), ("ind := a*b", "ind := a*b")):
        cell, needed = by_effect[label][4], required[effect]
        assert cell.value == (None if pd.isna(needed) else int(needed)) if cell.kind == "number" else \
            (pd.isna(needed) and cell.text == "not reached by n = 140")
        assert by_effect[label][5].status == ("bad" if pd.isna(needed) else "ok")
    assert pd.isna(required["y ~ x"]) and result.required_n_all is None     # c' = .1 is not detected by n = 140
    every = by_effect["Every path, indirect and defined effect"]
    assert every[1].text == "not reached by n = 140" and every[2].status == "bad"
    power_table = next(t for t in doc.tables() if t.id == "tab-power")
    row = next(r for r in power_table.rows if r[0].text == "ind := a*b")
    expected = result.power_table.loc["ind := a*b"].tolist()
    assert [c.value for c in row[2:]] == expected and row[1].text == "defined"
    assert "model-fit rows" not in power_table.notes[0]     # a saturated model: no fit tests to report
    method = next(b for b in doc.sections[0].blocks if getattr(b, "heading", None) == "Draft Method paragraph")
    for fact in ("40 samples of each size n = 60, 100, 140", "Monte Carlo confidence intervals (1000 draws",
                 "random seed was 3", f"semtrust {result.to_dict()['semtrust_version']}",
                 "indirect and defined effects"):
        assert fact in method.text, fact


def test_docx_tables_are_the_html_tables(written):
    _, paths = written
    parser = _Tables()
    parser.feed(paths["power_report.html"].read_text(encoding="utf-8"))
    word = _word_tables(paths["power_report.docx"])
    assert len(word) == len(parser.tables) == 5       # verdicts, power, convergence, bias and coverage, settings
    for html_rows, word_rows in zip(parser.tables, word):
        assert [[t.replace(" ", "") for t in r] for r in html_rows] == \
            [[t.replace(" ", "") for t in r] for r in word_rows]
    import docx
    assert len(docx.Document(paths["power_report.docx"]).inline_shapes) == 1      # the power curves, as PNG
    page = paths["power_report.html"].read_text(encoding="utf-8")
    assert page.count("<svg") == 1 and "ind := a*b" in page
    tex = paths["power_report.tex"].read_text(encoding="utf-8")
    assert r"\includegraphics[width=.9\linewidth]{power_curves.pdf}" in tex
    assert paths["power_curves.pdf"].read_bytes().startswith(b"%PDF")


def test_chinese_power_report_has_no_english_sentence(result):
    parallel = power(model="m1 ~ 0.4*x\nm2 ~ 0.4*x\ny ~ 0.3*m1 + 0.3*m2", n=[60, 90], reps=5, seed=1,
                     scheduler="synchronous")      # a total indirect effect (x => y) too
    for data in (result.to_dict(), parallel.to_dict()):
        _no_english(power_document(data, "zh"))


def _no_english(doc):
    texts = [doc.title, doc.subtitle]
    for section in doc.sections:
        if section.id == "power-settings":        # setting names, model syntax, software
            continue
        texts.append(section.title)
        for block in section.blocks:
            texts += [block.title] + list(block.notes) if hasattr(block, "notes") else [block.text]
            if hasattr(block, "columns"):
                texts += [c.header for c in block.columns] + [c.text for row in block.rows for c in row]
    left = [run for text in texts for run in ENGLISH_RUN.findall(ALLOWED.sub(" ", text))]
    assert left == [] and not any("indirect" in text for text in texts), left
    svg = next(b for s in doc.sections for b in s.blocks if hasattr(b, "svg")).svg
    assert "样本量 n" in svg and "sample size" not in svg


@pytest.mark.skipif(shutil.which("xelatex") is None, reason="xelatex not installed (.ci/run installs it)")
def test_power_latex_compiles(written):
    _, paths = written
    log = compile_latex(paths["power_report.tex"].parent, "power_report.tex")
    overfull = [float(x) for x in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log)]
    assert all(x <= 1.0 for x in overfull), overfull
    assert "power_curves.pdf" in log                      # the figure was included
    assert tex_captions(paths["power_report.tex"].read_text(encoding="utf-8")) == \
        [tex_text(html.unescape(t)) for _, t in html_captions(paths["power_report.html"].read_text(encoding="utf-8"))]


# -- the output folder ---------------------------------------------------------------------------

def test_power_and_fit_outputs_share_a_folder(result, tmp_path):
    with OutputFolder(tmp_path) as folder:
        folder.commit({"results.json": b"{}\n", "report.html": b"<html></html>\n"})
    first = result.write(tmp_path)
    manifest = json.loads((tmp_path / MANIFEST).read_text())["files"]
    assert {"results.json", "report.html", "power.json", "power_report.docx"} <= set(manifest)
    again = power(model=MODEL, n=[60], reps=5, seed=3, scheduler="synchronous").write(tmp_path)
    assert set(again) == set(first)
    assert json.loads(again["power.json"].read_text())["settings"]["n"] == [60]
    assert (tmp_path / "results.json").read_text() == "{}\n"        # the fit's files stay
    with OutputFolder(tmp_path) as folder:                           # and stay semtrust's own
        folder.commit({"results.json": b"[]\n"})
    assert (tmp_path / "power.json").is_file() and not (tmp_path / "report.html").exists()


def test_power_never_overwrites_a_foreign_file_and_checks_before_running(tmp_path, capsys, monkeypatch):
    model = tmp_path / "m.lav"
    model.write_text(MODEL)
    out = tmp_path / "out"
    out.mkdir()
    (out / "power_report.html").write_text("my notes\n")
    monkeypatch.setattr("semtrust.power.power", lambda **kw: pytest.fail("ran before checking the folder"))
    code = main(["power", "--model", str(model), "--n", "60,80", "--reps", "3", "--scheduler", "synchronous",
                 "--out", str(out)])
    assert code == 2 and "power_report.html was not written by semtrust" in capsys.readouterr().err
    assert (out / "power_report.html").read_text() == "my notes\n"
    with pytest.raises(InputError, match="is this run's model file"):
        OutputFolder(tmp_path, {"model": tmp_path / "power.json"}, family="power").open()


def test_cli_power_writes_the_report_in_chinese(tmp_path, capsys):
    model = tmp_path / "m.lav"
    model.write_text(MODEL)
    assert main(["power", "--model", str(model), "--n", "60,90", "--reps", "4", "--scheduler", "synchronous",
                 "--out", str(tmp_path / "out"), "--lang", "zh"]) == 0
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == [MANIFEST, "power.json", "power_curves.pdf", "power_curves.svg", "power_report.docx",
                     "power_report.html", "power_report.tex", "power_tables.xlsx"]
    assert "统计功效" in (tmp_path / "out" / "power_report.html").read_text(encoding="utf-8")
    assert "ind := a*b" in json.dumps(json.loads((tmp_path / "out" / "power.json").read_text())["required_n"])
