"""Report stage: render the report document into HTML, LaTeX, Word and a workbook of its tables.

:func:`semtrust.report.sections.build_document` builds the document once from results.json (the
only input); the templates in ``templates/`` lay it out as HTML and LaTeX, :mod:`semtrust.report.docx`
as Word, and :func:`write_tables_xlsx` writes each table to its own sheet.

>>> from semtrust.report.document import Cell, Column, Document, Section, Table
>>> doc = Document("T", "en", {"table": "Table {n}", "figure": "Figure {n}", "section": "Section {n}"})
>>> doc.add(Section("s", "S", [Table("tab-a", "A", [Column("x", "l")], [[Cell("1")]])]))
>>> doc.number()
>>> "<strong>Table 1</strong>" in render_document(doc, "html")
True
"""
from __future__ import annotations

import io
import json
import os
from pathlib import Path

from jinja2 import Environment, FileSystemBytecodeCache, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from semtrust.io.output_folder import OutputFolder
from semtrust.processes import in_background
from semtrust.report.catalogue import Messages
from semtrust.report.document import CELL_PADDING_CM, LANDSCAPE_CM, PORTRAIT_CM, Document, Table, table_font_size
from semtrust.report.format import apa, apa_p, arrows, stars, subscripts, tex_escape, tex_text
from semtrust.report.office import reproducible_zip

__all__ = ["render", "render_document", "report_document", "render_report", "results_text", "report_files",
           "write_reports", "screening_files", "tables_xlsx"]

TEMPLATES = Path(__file__).resolve().parent / "templates"
REPORT_KINDS = ("html", "tex", "docx")


class _TemplateCache(FileSystemBytecodeCache):
    """The templates compiled to Python bytecode, kept in the user's cache folder: compiling
    the two reports costs ~0.5 s per run, loading them a few ms. Jinja checks each entry
    against the template's source; a cache that cannot be written is skipped."""

    def dump_bytecode(self, bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def _template_cache() -> _TemplateCache | None:
    folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "semtrust" / "templates"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return _TemplateCache(str(folder))


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined,
                      bytecode_cache=_template_cache(),
                      # HTML templates escape, others not: decided per template when it is
                      # compiled, so a cached template was compiled the way it renders
                      autoescape=lambda name: (name or "").endswith(".html.j2"),
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                      comment_start_string="{##", comment_end_string="##}")  # LaTeX writes {#1}
    env.filters.update(apa=apa, apa_p=apa_p, stars=stars, tex=tex_escape, arrows=arrows,
                       tojson_pretty=lambda v: json.dumps(v, ensure_ascii=False, indent=2))
    return env


def render(template: str, context: dict) -> str:
    """Render one template of ``templates/`` (HTML templates autoescape).

    >>> from semtrust.model.instrument import load_instrument
    >>> inst = load_instrument("trust_mechanism")
    >>> context = {"inst": inst.to_dict(), "items": inst.questionnaire_items(), "lang": "en", "intro": ""}
    >>> print(render("questionnaire.md.j2", context).splitlines()[0])
    # Trust formation and conversion in short-video social commerce
    """
    return _environment().get_template(template).render(**context)


def _wrap_width(table: Table) -> float:
    """Width in cm of each wrapping text column on the LaTeX page (landscape for wide tables)."""
    widths = table.column_widths(LANDSCAPE_CM if table.wide else PORTRAIT_CM, table_font_size(table))
    return round(next((w for w, c in zip(widths, table.columns) if c.wrap), 2.5) - CELL_PADDING_CM, 1)


def _check_marks(text: str) -> Markup:
    """Escaped text whose ✓ is set in a sans-serif font (the serif fonts' tick reads as √) and
    whose ρ_A, ρ_C have their letter as a subscript."""
    html = "".join(f"<sub>{escape(piece)}</sub>" if low else str(escape(piece)) for piece, low in subscripts(str(text)))
    return Markup(html.replace("✓", '<span class="check">✓</span>'))


def render_document(doc: Document, kind: str) -> str:
    """The document as ``html`` or ``tex`` text.

    >>> import numpy as np, pandas as pd, semtrust as st
    >>> rng = np.random.default_rng(7); f = rng.normal(size=(200, 1)); g = 0.5 * f + rng.normal(scale=0.8, size=(200, 1))
    >>> df = pd.DataFrame(np.hstack([f, f, f, g, g, g]) + rng.normal(scale=0.7, size=(200, 6)), columns=["x1", "x2", "x3", "y1", "y2", "y3"])
    >>> study = st.fit(df, model="X =~ x1 + x2 + x3\\nY =~ y1 + y2 + y3\\nY ~ X", bootstrap=0, measurement_bootstrap=0, screen=False)
    >>> html = render_document(report_document(study.to_dict()), "html")
    >>> html.lstrip()[:15], "<table" in html
    ('<!DOCTYPE html>', True)
    """
    m = Messages(doc.lang)
    env = _environment()
    context = {"doc": doc, "note_label": m("note_label"), "continued": m("continued"), "toc_title": m("contents"),
               "table_name": m("table_name"), "wrap_width": _wrap_width,
               "missing_image": m.raw("moderation_plots.missing")}
    if kind == "html":
        env.autoescape = True
        env.filters["checks"] = _check_marks
    else:
        env.filters["tex"] = tex_text
        # file paths and JSON may break after a slash or an underscore
        env.filters["tex_breakable"] = lambda value: tex_text(value).replace("/", "/\\allowbreak{}").replace(
            "\\_", "\\_\\allowbreak{}")
    return env.get_template(f"report.{kind}.j2").render(**context)


def report_document(results: dict, lang: str | None = None, sections: list[str] | None = None) -> Document:
    """The report document of a result dictionary, in ``lang`` (default: the run's ``lang``
    setting, else English).

    >>> import numpy as np, pandas as pd, semtrust as st
    >>> rng = np.random.default_rng(7); f = rng.normal(size=(200, 1)); g = 0.5 * f + rng.normal(scale=0.8, size=(200, 1))
    >>> df = pd.DataFrame(np.hstack([f, f, f, g, g, g]) + rng.normal(scale=0.7, size=(200, 6)), columns=["x1", "x2", "x3", "y1", "y2", "y3"])
    >>> study = st.fit(df, model="X =~ x1 + x2 + x3\\nY =~ y1 + y2 + y3\\nY ~ X", bootstrap=0, measurement_bootstrap=0, screen=False)
    >>> doc = report_document(study.to_dict(), "zh")
    >>> doc.lang, doc.sections[0].title
    ('zh', '结果摘要')
    """
    from semtrust.report.sections import build_document
    if results.get("method") == "process":
        from semtrust.report.process_sections import build_process_document
        return build_process_document(results, lang or _report_language(results))
    return build_document(results, lang or _report_language(results),
                          sections or (results.get("config") or {}).get("sections"))


def _report_language(results: dict) -> str:
    """The language a result dictionary's report is written in (its run's ``lang``, else English)."""
    return (results.get("config") or {}).get("lang") or "en"


def render_report(results: dict, kind: str, lang: str | None = None) -> str:
    """The report of a result dictionary as ``html`` or ``tex`` text.

    >>> import numpy as np, pandas as pd, semtrust as st
    >>> rng = np.random.default_rng(7); f = rng.normal(size=(200, 1)); g = 0.5 * f + rng.normal(scale=0.8, size=(200, 1))
    >>> df = pd.DataFrame(np.hstack([f, f, f, g, g, g]) + rng.normal(scale=0.7, size=(200, 6)), columns=["x1", "x2", "x3", "y1", "y2", "y3"])
    >>> study = st.fit(df, model="X =~ x1 + x2 + x3\\nY =~ y1 + y2 + y3\\nY ~ X", bootstrap=0, measurement_bootstrap=0, screen=False)
    >>> tex = render_report(study.to_dict(), "tex")
    >>> next(line for line in tex.splitlines() if line.startswith("\\\\documentclass"))
    '\\\\documentclass[10pt,a4paper]{article}'
    """
    return render_document(report_document(results, lang), kind)


def _xlsx_text(text: str):
    """A spreadsheet cell's text: rich text when it has subscripts (ρ_A, ρ_C), else the string."""
    pieces = subscripts(text)
    if len(pieces) == 1:
        return text
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    return CellRichText([TextBlock(InlineFont(vertAlign="subscript"), piece) if low else piece
                         for piece, low in pieces])


def tables_xlsx(doc: Document) -> bytes:
    """Every table of the report on its own sheet (title, header, rows with the raw numbers,
    notes), so the numbers can be re-formatted for a journal's template.

    >>> import numpy as np, pandas as pd, semtrust as st
    >>> rng = np.random.default_rng(7); f = rng.normal(size=(200, 1)); g = 0.5 * f + rng.normal(scale=0.8, size=(200, 1))
    >>> df = pd.DataFrame(np.hstack([f, f, f, g, g, g]) + rng.normal(scale=0.7, size=(200, 6)), columns=["x1", "x2", "x3", "y1", "y2", "y3"])
    >>> study = st.fit(df, model="X =~ x1 + x2 + x3\\nY =~ y1 + y2 + y3\\nY ~ X", bootstrap=0, measurement_bootstrap=0, screen=False)
    >>> xlsx = tables_xlsx(report_document(study.to_dict()))
    >>> xlsx[:2]
    b'PK'
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for table in doc.tables():
        sheet = book.create_sheet(table.label.replace(" ", "")[:31])
        sheet.append([table.label])
        sheet.append([table.title])
        sheet["B1"].font = sheet["A2"].font = Font(italic=True)
        sheet.append([_xlsx_text(h) for h in table.header_texts()])
        for row in table.rows:
            values = []
            for cell in row:
                plain = cell.value if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool) \
                    and cell.kind in ("number", "p") else _xlsx_text(cell.text)
                values += [plain] + [None] * (cell.span - 1)
            sheet.append(values)
        for note in table.notes:
            sheet.append([_xlsx_text(doc.plain_text(note))])
    buffer = io.BytesIO()
    book.save(buffer)
    return reproducible_zip(buffer.getvalue())


def results_text(results: dict) -> str:
    """results.json's text: the result dictionary as indented UTF-8 JSON with a final newline.

    >>> print(results_text({"n": 200, "fit": {"cfi": 0.98}}), end="")
    {
      "n": 200,
      "fit": {
        "cfi": 0.98
      }
    }
    """
    return json.dumps(results, indent=2, ensure_ascii=False) + "\n"


def report_files(results: dict, lang: str | None = None) -> dict[str, bytes]:
    """results.json, report.html, report.tex, report.docx, tables.xlsx and the figure files
    (:func:`image_files`) of a result dictionary, as the bytes to write (the report in ``lang``,
    default the run's).

    >>> import numpy as np, pandas as pd, semtrust as st
    >>> rng = np.random.default_rng(7); f = rng.normal(size=(200, 1)); g = 0.5 * f + rng.normal(scale=0.8, size=(200, 1))
    >>> df = pd.DataFrame(np.hstack([f, f, f, g, g, g]) + rng.normal(scale=0.7, size=(200, 6)), columns=["x1", "x2", "x3", "y1", "y2", "y3"])
    >>> study = st.fit(df, model="X =~ x1 + x2 + x3\\nY =~ y1 + y2 + y3\\nY ~ X", bootstrap=0, measurement_bootstrap=0, screen=False)
    >>> sorted(report_files(study.to_dict()))
    ['report.docx', 'report.html', 'report.tex', 'results.json', 'tables.xlsx']
    """
    from semtrust.report.docx import docx_bytes

    results_json = results_text(results).encode()
    doc = report_document(results, lang)
    # the Word report (python-docx, the figure through Cairo) takes about as long as the other
    # files together: a forked process writes it meanwhile
    finish_docx = in_background(docx_bytes, doc)
    try:
        html, tex = render_document(doc, "html").encode(), render_document(doc, "tex").encode()
        xlsx, images = tables_xlsx(doc), image_files(doc)
    except BaseException:
        finish_docx(cancel=True)
        raise
    return {"results.json": results_json, "report.html": html, "report.tex": tex, "report.docx": finish_docx(),
            "tables.xlsx": xlsx, **images}


def image_files(doc: Document) -> dict[str, bytes]:
    """The files of the figures drawn beside the report: ``<image>.svg`` and the ``<image>.pdf``
    the LaTeX report includes (no PDF where the Cairo library is missing; the LaTeX report then
    names the SVG instead)."""
    from semtrust.report.moderation_plots import figure_pdf

    files = {}
    for figure in doc.images():
        files[f"{figure.image}.svg"] = (figure.svg + "\n").encode()
        pdf = figure_pdf(figure.svg)
        if pdf is not None:
            files[f"{figure.image}.pdf"] = pdf
    return files


def write_reports(results: dict, out_dir: str | Path, lang: str | None = None) -> dict[str, Path]:
    """Write :func:`report_files` into the output folder ``out_dir`` (all or none; see
    :mod:`semtrust.io.output_folder`); returns ``{file name: path}``.

    >>> import numpy as np, pandas as pd, semtrust as st
    >>> rng = np.random.default_rng(7); f = rng.normal(size=(200, 1)); g = 0.5 * f + rng.normal(scale=0.8, size=(200, 1))
    >>> df = pd.DataFrame(np.hstack([f, f, f, g, g, g]) + rng.normal(scale=0.7, size=(200, 6)), columns=["x1", "x2", "x3", "y1", "y2", "y3"])
    >>> study = st.fit(df, model="X =~ x1 + x2 + x3\\nY =~ y1 + y2 + y3\\nY ~ X", bootstrap=0, measurement_bootstrap=0, screen=False)
    >>> import tempfile
    >>> sorted(path.name for path in write_reports(study.to_dict(), tempfile.mkdtemp()).values())
    ['report.docx', 'report.html', 'report.tex', 'results.json', 'tables.xlsx']
    """
    files = report_files(results, lang)
    with OutputFolder(out_dir) as folder:
        return folder.commit(files)


def screening_files(screening, cleaned) -> dict[str, bytes]:
    """``cleaned_data.csv`` (the input rows that passed screening, cells as read) and
    ``exclusions.csv`` (one line per excluded or flagged respondent, with the rule and reason),
    UTF-8 with a BOM so spreadsheet programs show Chinese text.

    >>> import numpy as np, pandas as pd
    >>> import semtrust as st
    >>> answers = pd.DataFrame(np.random.default_rng(5).integers(1, 8, size=(30, 10)), columns=[f"Q{i}" for i in range(1, 11)])
    >>> answers.loc[3] = 1
    >>> from semtrust.io.survey import code_items, read_survey
    >>> from semtrust.screening.careless import ScreeningRules, screen_survey
    >>> table = read_survey(answers)
    >>> result = screen_survey(table, code_items(table, list(answers), points=7).frame, points=7)
    >>> files = screening_files(result, answers.iloc[list(result.kept)])
    >>> print(files["exclusions.csv"].decode("utf-8-sig").splitlines()[0])
    row,respondent_id,step,rule,action,reason
    """
    log = screening.log()
    return {name: frame.to_csv(index=False, lineterminator="\n").encode("utf-8-sig")
            for name, frame in (("cleaned_data.csv", cleaned), ("exclusions.csv", log))}
