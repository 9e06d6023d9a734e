"""Reports: one document model rendered to HTML, LaTeX, Word and a workbook (semtrust.report)."""
import html
import importlib.util
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from semtrust.api import fit as run_study
from semtrust.report.document import excludes_zero
from semtrust.report.format import apa, apa_p, stars, tex_escape, tex_text
from semtrust.report.render import render_report, report_document, write_reports
from conftest import ROOT, html_captions, tex_captions

NASTY = "<script>alert('x')</script> & 50% $_{#}^~\\ 信任"
MODEL = "HT =~ HT1 + HT2 + HT3\nPR =~ PR1 + PR2 + PR3\nPI =~ PI1 + PI2 + PI3\nPR ~ HT\nPI ~ PR + HT\n"


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
def example():
    """The bundled example: instrument, 25 hypotheses, bootstrap CIs."""
    return run_study(ROOT / "example_data" / "trust_survey.csv", bootstrap=100, measurement_bootstrap=100).to_dict()


@pytest.fixture(scope="module")
def model_run(tmp_path_factory):
    """A --model run on data whose column names and values need escaping, with one item made
    noise (PR3 shuffled): PR fails convergent validity, so the summary has to say so."""
    import pandas as pd
    frame = pd.read_csv(ROOT / "example_data" / "trust_survey.csv")
    frame["platform"] = frame["platform"].replace({"Douyin": NASTY})
    frame["PR3"] = frame["PR3"].sample(frac=1, random_state=3).to_numpy()
    tmp = tmp_path_factory.mktemp("nasty")
    frame.to_csv(tmp / "data.csv", index=False)
    (tmp / "m.lav").write_text(MODEL)
    return run_study(tmp / "data.csv", model=tmp / "m.lav", bootstrap=200, measurement_bootstrap=0).to_dict()


def test_user_strings_escaped(model_run):
    html = render_report(model_run, "html")
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    tex = render_report(model_run, "tex")
    assert r"50\% \$\_\{\#\}\textasciicircum{}\textasciitilde{}\textbackslash{} 信任" in tex


def test_summary_verdicts_follow_the_numbers(example, model_run):
    """Two datasets, two outcomes: every criterion met in the example; PR fails in the other."""
    def verdicts(results):
        table = report_document(results).tables()[0]
        assert table.id == "tab-verdicts"
        return {row[0].text: (row[2].text, row[3].status, row[4].value) for row in table.rows}

    good = verdicts(example)
    assert good["Internal-consistency reliability"] == ("15 of 15", "ok", "tab-reliability")
    # CA2, HT3, RC2 load .656-.696: flagged for review, their constructs still pass (Hair et al. 2019)
    assert good["Convergent validity"] == ("15 of 15; items to review: CA2, HT3, RC2", "review", "tab-loadings")
    assert good["Hypotheses supported"] == ("25 of 25", "ok", "tab-hypotheses")
    assert good["Fit of the structural model"][1] == "ok"
    bad = verdicts(model_run)
    assert bad["Convergent validity"][:2] == ("2 of 3; items to review: HT3", "bad")
    assert "Hypotheses supported" not in bad            # a --model run states no hypotheses
    results_text, method_text = [b.text for b in report_document(model_run).sections[0].blocks[1:]]
    assert "the criteria failed for PR" in results_text and "χ²(" in results_text
    assert "The measurement model fitted the data" in results_text and "[[tab-fit]]" in results_text
    assert "200 resamples" in method_text and "maximum likelihood" in method_text
    doc = report_document(example)
    assert "25 of 25 hypotheses were supported ([[tab-hypotheses]])." in doc.sections[0].blocks[1].text


def _tables_agree(doc):
    """For every table that draws inferences: stars, p and the CI come from one method."""
    checked = 0
    for table in doc.tables():
        if table.inference is None:
            continue
        assert table.notes, table.id          # the note names the method
        for row in table.rows:
            p = next((c.value for c in row if c.kind == "p"), None)
            interval = next((c.value for c in row if c.kind == "ci" and c.value is not None), None)
            starred = next((c for c in row if c.kind == "number" and c.text.endswith("*")), None)
            flag = next((c for c in row if c.kind == "verdict" and c.status in ("ok", "bad")), None)
            if p is not None and interval is not None:
                assert (p < 0.05) == excludes_zero(interval), (table.id, row[0].text)
                checked += 1
            if starred is not None and p is not None:
                assert starred.text.count("*") == len(stars(p)), (table.id, row[0].text)
            if p is None and interval is not None and flag is not None and table.inference != "wald":
                assert (flag.status == "ok") == excludes_zero(interval), (table.id, row[0].text)
                checked += 1
    return checked


def test_stars_p_and_ci_agree_in_every_table(example, model_run):
    assert _tables_agree(report_document(example)) > 100 and _tables_agree(report_document(model_run)) > 5
    methods = {t.id: t.inference for t in report_document(example).tables() if t.inference}
    assert methods["tab-hypotheses"] == "wald" and methods["tab-indirect"] == "percentile"
    notes = {t.id: " ".join(t.notes) for t in report_document(example).tables()}
    assert "Wald" in notes["tab-hypotheses"] and "percentile bootstrap, 100 resamples" in notes["tab-indirect"]
    total = next(t for t in report_document(example).tables() if t.id == "tab-total")
    assert "p" not in [c.header for c in total.columns]     # no Wald p beside the bootstrap CIs


class _Tables(HTMLParser):
    """The cell texts of every <table>, a colspan cell followed by empty cells."""

    def __init__(self):
        super().__init__()
        self.tables, self._cell = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell, self._span = "", int(dict(attrs).get("colspan", 1))

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.tables[-1][-1] += [self._cell.strip()] + [""] * (self._span - 1)
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def _word_tables(path):
    import docx
    tables = []
    for table in docx.Document(path).tables:
        rows = []
        for row in table.rows:
            texts, previous = [], None
            for cell in row.cells:                      # a merged cell repeats: show it once
                texts.append("" if cell._tc is previous else cell.text)
                previous = cell._tc
            rows.append(texts)
        tables.append(rows)
    return tables


def _word_tables_equal_html(results, paths) -> list:
    """Assert that report.docx has the tables of report.html (and of the document); its tables."""
    parser = _Tables()
    parser.feed(paths["report.html"].read_text(encoding="utf-8"))
    word = _word_tables(paths["report.docx"])
    assert len(word) == len(parser.tables) == len(report_document(results).tables())
    for html_rows, word_rows in zip(parser.tables, word):
        assert [[t.replace(" ", "") for t in r] for r in html_rows] == \
            [[t.replace(" ", "") for t in r] for r in word_rows]
    return word


@pytest.mark.parametrize("which", ["example", "model_run"])
def test_docx_has_the_tables_of_the_html(which, request, tmp_path):
    results = request.getfixturevalue(which)
    paths = write_reports(results, tmp_path)
    word = _word_tables_equal_html(results, paths)
    import docx
    document = docx.Document(paths["report.docx"])
    assert document.inline_shapes and len(document.inline_shapes) == 1        # the path diagram, as PNG
    fonts = document.styles["Normal"].element.rPr.rFonts
    assert fonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "SimSun"
    captions = [p.text for p in document.paragraphs if re.fullmatch(r"Table \d+", p.text)]
    assert captions == [f"Table {k}" for k in range(1, len(word) + 1)]        # "Table n" line above each
    from openpyxl import load_workbook
    book = load_workbook(paths["tables.xlsx"])
    assert book.sheetnames == [f"Table{k}" for k in range(1, len(word) + 1)]


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed (.ci/run installs it)")
def test_docx_converts_with_libreoffice(example, tmp_path):
    paths = write_reports(example, tmp_path, lang="zh")
    done = subprocess.run(["soffice", f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}", "--headless",
                           "--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"), str(paths["report.docx"])],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "pdf" / "report.pdf").stat().st_size > 50_000


@pytest.mark.skipif(shutil.which("xelatex") is None, reason="xelatex not installed (.ci/run installs it)")
@pytest.mark.parametrize("which, lang", [("example", "en"), ("model_run", "zh")])
def test_latex_compiles_without_overfull_boxes(which, lang, request, tmp_path):
    paths = write_reports(request.getfixturevalue(which), tmp_path, lang=lang)
    for _ in range(2):     # the second run fills in the contents and the references
        done = subprocess.run(["xelatex", "-interaction=nonstopmode", "-halt-on-error", paths["report.tex"].name],
                              cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout[-2000:]
    log = (tmp_path / "report.log").read_text(errors="replace")
    assert "Missing character" not in log
    overfull = [float(x) for x in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log)]
    assert all(x <= 1.0 for x in overfull), overfull
    assert (tmp_path / "report.pdf").stat().st_size > 30_000
    assert tex_captions(paths["report.tex"].read_text(encoding="utf-8")) == \
        [tex_text(html.unescape(t)) for _, t in html_captions(paths["report.html"].read_text(encoding="utf-8"))]


def _layout_tool():
    spec = importlib.util.spec_from_file_location("report_layout", ROOT / "tools" / "report_layout.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium not installed")
def test_html_fits_1400_and_420_px_in_chromium(example, tmp_path):
    paths = write_reports(example, tmp_path)
    tool = _layout_tool()
    for width in (1400, 420):
        window, document, sticking_out = tool.layout(paths["report.html"], width, tmp_path)
        assert window == width and document <= width and sticking_out == [], (width, document, sticking_out)


ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z'’-]+(?:[ ,]+[A-Za-z][A-Za-z'’-]+){2,}")
# what a Chinese report keeps in English: citations, names of methods, software and symbols
ALLOWED = re.compile(r"\([^()]*\d{4}[a-z]?[^()]*\)|（[^（）]*\d{4}[^（）]*）|[A-Z][a-zöé]+(?: et al\.)?(?:,? (?:&|and) "
                     r"[A-Z][a-zöé]+)*(?:,? \d{4})?|Cronbach's|McDonald's|Zhao, Lynch|Rönkkö & Cho|Hu & Bentler|"
                     r"describe\(type = 2\)|semTools compRelSEM|Spearman-Brown|--[a-z-]+ [A-Za-z]+")


def _english_left(results) -> list[str]:
    """The runs of English words left in the Chinese report of ``results``."""
    doc = report_document(results, "zh")
    texts = [doc.title]
    for section in doc.sections:
        if section.id == "reproducibility":        # software names, file paths, model syntax
            continue
        texts.append(section.title)
        for block in section.blocks:
            texts += [block.title] + list(block.notes) if hasattr(block, "notes") else [block.text]
            if hasattr(block, "columns"):
                texts += [c.header for c in block.columns]
                if block.id != "tab-profile":      # undeclared demographics show the data's own values
                    texts += [c.text for row in block.rows for c in row]
    return [run for text in texts for run in ENGLISH_RUN.findall(ALLOWED.sub(" ", text))]


def test_chinese_report_has_no_english_sentence(model_run, example):
    for results in (example, model_run):
        left = _english_left(results)
        assert left == [], left


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_questionnaire_respondents_can_answer(lang, tmp_path):
    """Consent, a screening question, the instruction naming the streamer, every item and
    attention check, the declared demographics; no construct or item codes."""
    import docx
    from semtrust.cli import main
    from semtrust.model.instrument import load_instrument
    from semtrust.report.questionnaire import to_wjx

    inst = load_instrument("trust_mechanism")
    text = to_wjx(inst, lang)
    stems = re.findall(r"^(\d+)\. (.*)\[单选题\]$", text, re.M)
    moderator_items = sum(len(c.items) for c in inst.moderators)
    assert [int(n) for n, _ in stems] == list(range(1, 1 + 1 + 51 + moderator_items + 2 + 6))
    assert text.count("[段落说明]") == 4 and not re.search(r"\b(?:[A-Z]{2}\d|AC\d|H\d+)\b", text)
    assert stems[1][1] == inst.items[0].text[lang] and stems[-1][1] == inst.demographics[-1].label[lang]
    assert (("这位主播" in text) if lang == "zh" else ("the streamer" in text))
    assert main(["instrument", "show", "trust_mechanism", "--format", "docx", "--lang", lang,
                 "--out", str(tmp_path / "q.docx")]) == 0
    paragraphs = [p.text for p in docx.Document(tmp_path / "q.docx").paragraphs]
    assert sum(bool(re.match(r"\d+\. ", p)) for p in paragraphs) == len(stems)
    assert not any(re.search(r"\b[A-Z]{2}\d\b", p) for p in paragraphs)


def test_report_language_and_sections_come_from_the_run_configuration(example):
    from semtrust.config import RunConfig
    from semtrust.errors import InputError

    assert example["config"]["lang"] == "en"                       # the bundled instrument sets none
    zh = dict(example, config={**example["config"], "lang": "zh", "sections": ["summary", "fit"]})
    doc = report_document(zh)
    assert doc.lang == "zh" and [s.id for s in doc.sections] == ["summary", "fit"]
    assert doc.sections[0].title == "结果摘要" and doc.tables()[1].label == "表 2"
    with pytest.raises(InputError, match="'lang: fr' must be one of en, zh"):
        RunConfig.from_options({"lang": "fr"})
    with pytest.raises(InputError, match="'sections' lists report sections"):
        RunConfig.from_options({"sections": ["results"]})


def test_declared_demographics_profile_in_order_with_labels(example):
    profile = example["sample"]
    assert list(profile) == ["gender", "age_group", "education", "monthly_income", "platform", "purchase_frequency"]
    assert [c["category"] for c in profile["monthly_income"]] == ["<3000", "3000-5999", "6000-9999", ">=10000"]
    table = next(t for t in report_document(example, "zh").tables() if t.id == "tab-profile")
    assert table.rows[0][0].text == "性别" and table.rows[1][1].text == "男"
    assert sum(row[2].value for row in table.rows[1:3]) == example["n"]


def test_docx_cells_written_directly_match_python_docx_markup():
    """The fast cell writer gives the XML python-docx's own properties give, for every style a
    report cell takes (and falls back to python-docx for tabs and line breaks)."""
    from docx import Document as WordDocument
    from lxml import etree

    from semtrust.report import docx as word_docx

    cases = [("0.812", "r", 9, False, False, None), ("Table 3", "l", 8, True, True, None),
             (" padded ", "l", 8.5, False, True, word_docx.STATUS_COLOURS["review"]), ("", "r", 9, True, False, None),
             ("α & <β>", "l", 10, False, False, word_docx.STATUS_COLOURS["bad"]), ("a\tb\nc", "r", 9, False, False, None)]
    grid = WordDocument().add_table(rows=2, cols=len(cases))
    for k, case in enumerate(cases):
        word_docx._cell_text(grid.cell(0, k), *case)
        word_docx._cell_text_python_docx(grid.cell(1, k), *case)
        fast, reference = (etree.tostring(grid.cell(r, k)._tc) for r in (0, 1))
        assert fast == reference, case
