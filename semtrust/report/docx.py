"""Report stage: the report document as a Word file (python-docx).

Real Word tables in the three-line (APA) style: a rule above the header, one below it and one
under the last row; the "Table n" line and the italic title above each table, the notes below.
Latin text is set in Times New Roman and Chinese in SimSun (宋体, the ``w:eastAsia`` font); wide
tables get a landscape page; the path diagram is a PNG rendered from its SVG with cairosvg.
References to tables become links to bookmarks on their captions.

>>> from semtrust.report.document import Cell, Column, Document, Section, Table
>>> doc = Document("T", "en", {"table": "Table {n}", "figure": "Figure {n}", "section": "Section {n}"})
>>> doc.add(Section("s", "S", [Table("tab-a", "A", [Column("x", "l")], [[Cell("1")]])]))
>>> doc.number()
>>> import io; buffer = io.BytesIO(); word = _build_docx(doc); word.save(buffer)
>>> len(word.tables), word.tables[0].cell(1, 0).text
(1, '1')
"""
from __future__ import annotations

import io

from docx import Document as WordDocument
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.simpletypes import ST_HpsMeasure
from lxml.etree import SubElement
from docx.shared import Cm, Pt, RGBColor

from semtrust.report.catalogue import Messages
from semtrust.report.diagram import cairo_fonts
from semtrust.report.document import LANDSCAPE_CM, PORTRAIT_CM, Document, Figure, Paragraph, Table, table_font_size
from semtrust.report.format import subscripts
from semtrust.report.office import reproducible_zip

__all__ = ["docx_bytes"]

LATIN_FONT, CHINESE_FONT, CODE_FONT = "Times New Roman", "SimSun", "Courier New"
RULE_HEAVY, RULE_LIGHT = 12, 6       # border widths in eighths of a point (1.5 pt, 0.75 pt)
_P, _PPR, _SPACING, _JC, _R, _RPR, _B, _I, _COLOR, _SZ, _T = (
    qn(f"w:{tag}") for tag in ("p", "pPr", "spacing", "jc", "r", "rPr", "b", "i", "color", "sz", "t"))
_VAL, _AFTER, _XML_SPACE = qn("w:val"), qn("w:after"), qn("xml:space")
STATUS_COLOURS = {"bad": RGBColor(0x8A, 0x3B, 0x00), "review": RGBColor(0x7A, 0x5A, 0x00)}


def set_fonts(element, latin: str = LATIN_FONT, chinese: str = CHINESE_FONT) -> None:
    """Set a run's or style's fonts: ``latin`` for ASCII and high ANSI, ``chinese`` for East Asian text."""
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for key in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(key), latin)
    fonts.set(qn("w:eastAsia"), chinese)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)


def _styles(word, lang: str) -> None:
    normal = word.styles["Normal"]
    normal.font.size = Pt(11)
    set_fonts(normal.element)
    normal.paragraph_format.space_after = Pt(4)
    for name in ("Title", "Heading 1", "Heading 2"):
        style = word.styles[name]
        set_fonts(style.element)
        style.font.color.rgb = RGBColor(0, 0, 0)
    word.styles["Title"].font.size = Pt(18)
    word.styles["Heading 1"].font.size = Pt(14)
    word.styles["Heading 2"].font.size = Pt(12)
    language = word.styles.element.find(qn("w:docDefaults"))
    if language is not None and lang == "zh":
        rpr = language.find(qn("w:rPrDefault")).find(qn("w:rPr"))
        lang_el = OxmlElement("w:lang")
        lang_el.set(qn("w:val"), "en-US")
        lang_el.set(qn("w:eastAsia"), "zh-CN")
        rpr.append(lang_el)


def _bookmark(paragraph, name: str, number: int) -> None:
    start, end = OxmlElement("w:bookmarkStart"), OxmlElement("w:bookmarkEnd")
    start.set(qn("w:id"), str(number))
    start.set(qn("w:name"), name.replace("-", "_"))
    end.set(qn("w:id"), str(number))
    paragraph._p.insert(0, start)
    paragraph._p.append(end)


def _runs(paragraph, doc: Document, text: str, size: float | None = None, italic: bool = False) -> None:
    """Text with its ``[[id]]`` references as internal links to the captions' bookmarks."""
    for piece, target in doc.split_references(text):
        if target is None:
            for part, low in subscripts(piece):
                run = paragraph.add_run(part)
                run.italic = italic or None
                run.font.subscript = low or None
                if size:
                    run.font.size = Pt(size)
            continue
        link = OxmlElement("w:hyperlink")
        link.set(qn("w:anchor"), target.replace("-", "_"))
        run = OxmlElement("w:r")
        text_el = OxmlElement("w:t")
        text_el.text = piece
        text_el.set(qn("xml:space"), "preserve")
        run.append(text_el)
        link.append(run)
        paragraph._p.append(link)


def _table_contents_field(word, doc: Document, hint: str) -> None:
    """A Word table-of-contents field whose cached result already lists the sections (so
    LibreOffice and a first look show them); Word refreshes it with page numbers on F9."""
    paragraph = word.add_paragraph()

    def field_char(kind: str) -> None:
        char = OxmlElement("w:fldChar")
        char.set(qn("w:fldCharType"), kind)
        paragraph.add_run()._r.append(char)

    field_char("begin")
    instruction = OxmlElement("w:instrText")
    instruction.set(qn("xml:space"), "preserve")
    instruction.text = 'TOC \\o "1-2" \\h \\z \\u'
    paragraph.add_run()._r.append(instruction)
    field_char("separate")
    lines = [f"{s.number}. {s.title}" for s in doc.main]
    if doc.appendix:
        lines += [doc.appendix_title] + [f"{s.number}. {s.title}" for s in doc.appendix]
    for line in lines:
        paragraph.add_run(line).add_break()
    paragraph.add_run(hint).italic = True
    field_char("end")


def _border(cell, side: str, size: int) -> None:
    properties = cell._tc.get_or_add_tcPr()
    borders = properties.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        properties.append(borders)
    edge = OxmlElement(f"w:{side}")
    edge.set(qn("w:val"), "single")
    edge.set(qn("w:sz"), str(size))
    edge.set(qn("w:color"), "000000")
    borders.append(edge)


def _repeat_header(row) -> None:
    properties = row._tr.get_or_add_trPr()
    for tag in ("w:tblHeader", "w:cantSplit"):
        element = OxmlElement(tag)
        element.set(qn("w:val"), "true")
        properties.append(element)


def _keep_row(row) -> None:
    element = OxmlElement("w:cantSplit")
    element.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(element)


def _cell_text(cell, text: str, align: str, size: float, bold=False, italic=False, colour=None) -> None:
    """The cell's (empty) paragraph with one run of ``text``. Written as XML elements, not
    through python-docx's properties (which search the element for each child they set): the
    same markup, ~5x faster over the report's thousands of cells."""
    paragraph = cell._tc.find(_P)
    if len(paragraph) or not _plain(text):   # not a fresh cell, tabs and line breaks, or subscripts in the text
        return _cell_text_python_docx(cell, text, align, size, bold, italic, colour)
    properties = SubElement(paragraph, _PPR)
    SubElement(properties, _SPACING).set(_AFTER, "0")
    SubElement(properties, _JC).set(_VAL, "right" if align == "r" else "left")
    run = SubElement(paragraph, _R)
    fonts = SubElement(run, _RPR)
    if bold:
        SubElement(fonts, _B)
    if italic:
        SubElement(fonts, _I)
    if colour is not None:
        SubElement(fonts, _COLOR).set(_VAL, str(colour))
    SubElement(fonts, _SZ).set(_VAL, ST_HpsMeasure.convert_to_xml(Pt(size)))
    if text:
        SubElement(run, _T).text = text
        if len(text.strip()) < len(text):
            run[-1].set(_XML_SPACE, "preserve")


def _plain(text: str) -> bool:
    """Text without the characters python-docx writes as elements of their own (tab, breaks)
    and without subscripts (runs of their own)."""
    return all(" " <= c for c in text) and len(subscripts(text)) == 1


def _cell_text_python_docx(cell, text: str, align: str, size: float, bold=False, italic=False, colour=None) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT if align == "r" else WD_ALIGN_PARAGRAPH.LEFT
    paragraph.paragraph_format.space_after = Pt(0)
    for part, low in subscripts(text):
        run = paragraph.add_run(part)
        run.font.size = Pt(size)
        run.font.subscript = low or None
        run.bold = bold or None
        run.italic = italic or None
        if colour is not None:
            run.font.color.rgb = colour


def _orientation(word, landscape: bool) -> None:
    section = word.sections[-1]
    if (section.orientation == WD_ORIENT.LANDSCAPE) == landscape:
        return
    section = word.add_section(WD_SECTION.NEW_PAGE)
    width, height = section.page_width, section.page_height
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (max(width, height), min(width, height)) if landscape \
        else (min(width, height), max(width, height))


def _caption(word, doc: Document, label: str, title: str, bookmark: str, number: int) -> None:
    first = word.add_paragraph()
    first.add_run(label).bold = True
    first.paragraph_format.keep_with_next = True
    first.paragraph_format.space_after = Pt(0)
    _bookmark(first, bookmark, number)
    second = word.add_paragraph()
    second.add_run(title).italic = True
    second.paragraph_format.keep_with_next = True


def _notes(word, doc: Document, notes: list[str], note_label: str) -> None:
    for k, note in enumerate(notes):
        paragraph = word.add_paragraph()
        if k == 0:
            run = paragraph.add_run(note_label + " ")
            run.italic = True
            run.font.size = Pt(9)
        _runs(paragraph, doc, note, size=9)


def _table(word, doc: Document, table: Table, number: int, note_label: str) -> None:
    _orientation(word, table.wide)
    _caption(word, doc, table.label, table.title, table.id, number)
    header_rows = 2 if table.groups else 1
    size = table_font_size(table)
    grid = word.add_table(rows=header_rows + len(table.rows), cols=len(table.columns))
    grid.alignment = WD_TABLE_ALIGNMENT.LEFT
    grid.autofit = False
    widths = [Cm(w) for w in table.column_widths(LANDSCAPE_CM if table.wide else PORTRAIT_CM, size)]
    for column, width in zip(grid.columns, widths):
        column.width = width
    rows = list(grid.rows)   # grid.rows[i] would list every row again for each i
    if table.groups:
        start, cells = 0, rows[0].cells
        for label, span in table.groups:
            merged = cells[start].merge(cells[start + span - 1]) if span > 1 else cells[start]
            _cell_text(merged, label, "l" if not label else "r", size)
            merged.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
            if label:
                _border(merged, "bottom", RULE_LIGHT)
            start += span
    for cell, column, width in zip(rows[header_rows - 1].cells, table.columns, widths):
        cell.width = width
        _cell_text(cell, column.header, column.align, size)
    for i in range(header_rows):
        _repeat_header(rows[i])
        for cell in rows[i].cells:
            if i == 0:
                _border(cell, "top", RULE_HEAVY)
            if i == header_rows - 1:
                _border(cell, "bottom", RULE_LIGHT)
    for i, row in enumerate(table.rows):
        target = rows[header_rows + i]
        _keep_row(target)
        cells, j = target.cells, 0
        for cell in row:
            word_cell = cells[j] if cell.span == 1 else cells[j].merge(cells[j + cell.span - 1])
            word_cell.width = sum(widths[j:j + cell.span], Cm(0))
            align = table.columns[j].align if cell.span == 1 else "l"
            _cell_text(word_cell, doc.plain_text(cell.text) if cell.kind == "ref" else cell.text, align, size,
                       cell.bold, cell.italic, STATUS_COLOURS.get(cell.status))
            j += cell.span
        # keep the first two and the last two rows together: no orphan row at a page break
        if i in (0, len(table.rows) - 2):
            for cell in cells:
                cell.paragraphs[0].paragraph_format.keep_with_next = True
    for cell in rows[-1].cells:
        _border(cell, "bottom", RULE_HEAVY)
    _notes(word, doc, table.notes, note_label)


def _figure(word, doc: Document, figure: Figure, number: int, note_label: str, missing: str) -> None:
    _orientation(word, False)
    _caption(word, doc, figure.label, figure.title, figure.id, number)
    png = _svg_to_png(figure.svg)
    if png is None:
        word.add_paragraph(missing).italic = True
    else:
        word.add_picture(io.BytesIO(png), width=Cm(16))
    _notes(word, doc, figure.notes, note_label)


def _svg_to_png(svg: str) -> bytes | None:
    """The figure as PNG (cairosvg); None where the Cairo library is missing. Two things the
    browser reads and Cairo does not are dropped first: the path diagram's responsive size
    (``height:auto`` makes Cairo draw nothing) and the italic R of its R² labels (Cairo sets a
    ``<tspan>`` without its own x over the rest of the label); Chinese text gets a CJK font."""
    try:
        import cairosvg
    except (ImportError, OSError):      # cairosvg imports but needs the system's libcairo
        return None
    svg = cairo_fonts(svg.replace(' style="max-width:100%;height:auto"', "", 1)
                      .replace('<tspan font-style="italic">R</tspan>', "R"))
    return cairosvg.svg2png(bytestring=svg.encode("utf-8"), scale=2.0)


def _build_docx(doc: Document):
    """The report as a python-docx document."""
    m = Messages(doc.lang)
    word = WordDocument()
    _styles(word, doc.lang)
    word.add_paragraph(doc.title, style="Title")
    word.add_paragraph(doc.subtitle)
    word.add_heading(m("contents"), level=1)
    _table_contents_field(word, doc, m("docx.update_contents"))
    note_label, counter = m("note_label"), 0
    appendix_started = False
    for section in doc.sections:
        if section.appendix and not appendix_started:
            appendix_started = True
            _orientation(word, False)
            word.add_heading(doc.appendix_title, level=1)
        first = section.blocks[0] if section.blocks else None
        _orientation(word, isinstance(first, Table) and first.wide)   # the heading on its table's page
        heading = word.add_heading(f"{section.number}. {section.title}", level=2 if section.appendix else 1)
        counter += 1
        _bookmark(heading, section.id, counter)
        for block in section.blocks:
            counter += 1
            if isinstance(block, Table):
                _table(word, doc, block, counter, note_label)
            elif isinstance(block, Figure):
                _figure(word, doc, block, counter, note_label, m("docx.no_figure"))
            elif isinstance(block, Paragraph):
                _orientation(word, False)
                if block.heading:
                    word.add_heading(block.heading, level=3)
                paragraph = word.add_paragraph()
                if block.style == "code":
                    for line in block.text.splitlines():
                        run = paragraph.add_run(line + "\n")
                        set_fonts(run._r, CODE_FONT, CHINESE_FONT)
                        run.font.size = Pt(8.5)
                else:
                    _runs(paragraph, doc, block.text)
    _orientation(word, False)
    word.add_paragraph().add_run(doc.note).font.size = Pt(9)
    return word


def docx_bytes(doc: Document) -> bytes:
    """report.docx as the bytes to write.

    >>> import numpy as np, pandas as pd, semtrust as st
    >>> rng = np.random.default_rng(7); f = rng.normal(size=(200, 1)); g = 0.5 * f + rng.normal(scale=0.8, size=(200, 1))
    >>> df = pd.DataFrame(np.hstack([f, f, f, g, g, g]) + rng.normal(scale=0.7, size=(200, 6)), columns=["x1", "x2", "x3", "y1", "y2", "y3"])
    >>> study = st.fit(df, model="X =~ x1 + x2 + x3\\nY =~ y1 + y2 + y3\\nY ~ X", bootstrap=0, measurement_bootstrap=0, screen=False)
    >>> from semtrust.report.render import report_document
    >>> word = docx_bytes(report_document(study.to_dict()))
    >>> word[:2], len(word) > 10000         # a zip file
    (b'PK', True)
    """
    buffer = io.BytesIO()
    _build_docx(doc).save(buffer)
    return reproducible_zip(buffer.getvalue())
