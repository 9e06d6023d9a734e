"""Report stage: the document model every report format is rendered from.

A :class:`Document` holds numbered sections (main part, then appendix); each section holds
blocks: :class:`Paragraph`, :class:`Table` and :class:`Figure`. The section builders
(:mod:`semtrust.report.sections`) fill it once from results.json, with every number already in
the shared APA style (:mod:`semtrust.report.format`) and every word from the message catalogue
of the report's language; the HTML, LaTeX, DOCX and XLSX renderers only lay it out. Paragraph
text may cite a table, figure or section as ``[[id]]``; renderers turn that into a link.

>>> doc = Document(title="T", lang="en", labels={"table": "Table {n}", "figure": "Figure {n}", "section": "Section {n}"})
>>> table = Table("tab-fit", "Goodness of fit", [Column("Model", "l"), Column("CFI")],
...               [[Cell("CFA"), num(0.9512, bounded=True)]])
>>> doc.add(Section("fit", "Model fit", [Paragraph("See [[tab-fit]]."), table]))
>>> doc.number()
>>> table.label, doc.sections[0].number, doc.plain_text("See [[tab-fit]].")
('Table 1', '1', 'See Table 1.')
>>> table.rows[0][1].text
'.951'
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from semtrust.report.format import apa, apa_p

__all__ = ["Document", "Section", "Table", "Column", "Cell", "Paragraph", "Figure", "num", "integer", "pval", "ci",
           "verdict", "excludes_zero", "text_width"]

REFERENCE = re.compile(r"\[\[([A-Za-z0-9_:-]+)\]\]")
PORTRAIT_CM, LANDSCAPE_CM = 16.4, 24.8     # text width of an A4 page with 2.2 cm margins
CELL_PADDING_CM = 0.5                        # the space a table cell adds around its text


def table_font_size(table: "Table") -> float:
    """Point size of a table's text: smaller for wide tables."""
    return 8 if table.wide or len(table.columns) > 7 else 9


def text_width(text: str, size: float) -> float:
    """Approximate width in cm of ``text`` at ``size`` pt (CJK characters count double).

    >>> round(text_width("CFI", 10), 2), round(text_width("信任", 10), 2)
    (0.6, 0.8)
    """
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text) * size * 0.02


@dataclass
class Cell:
    """One table cell: its display text, the raw value behind it (for tables.xlsx) and how it
    reads: ``kind`` is text, number, p, ci, verdict, ref (a link) or code (a path or setting);
    ``status`` ok/review/bad colours a verdict.

    >>> Cell("CFI"), num(0.98765)
    (Cell(text='CFI', value='CFI', kind='text', status=None, bold=False, italic=False, span=1), Cell(text='0.988', value=0.98765, kind='number', status=None, bold=False, italic=False, span=1))
    """

    text: str
    value: object = None
    kind: str = "text"
    status: str | None = None
    bold: bool = False
    italic: bool = False
    span: int = 1

    def __post_init__(self):
        if self.value is None and self.kind == "text":
            self.value = self.text


def num(value, digits: int = 3, bounded: bool = False, suffix: str = "", **style) -> Cell:
    """A number in the APA style; ``bounded`` quantities (|x| ≤ 1) drop the leading zero.

    >>> num(27.0, 0).text, num(-0.0512, bounded=True).text, num(None).text
    ('27', '−.051', '—')
    """
    return Cell(apa(value, digits, bounded) + ("" if value is None else suffix), value, "number", **style)


def integer(value, **style) -> Cell:
    """Counts and degrees of freedom print without decimals.

    >>> integer(1234).text, integer(None).text
    ('1234', '—')
    """
    return Cell("—" if value is None else str(int(round(value))), value, "number", **style)


def pval(p, **style) -> Cell:
    """A p-value cell in APA style (``< .001``, no leading zero).

    >>> pval(0.0004).text, pval(0.0312).text
    ('< .001', '.031')
    """
    return Cell(apa_p(p), p, "p", **style)


def ci(lower, upper, digits: int = 3, bounded: bool = False, **style) -> Cell:
    """A confidence interval ``[lower, upper]``; its value is the pair.

    >>> ci(0.123, 0.456).text, ci(-0.1, 0.2, bounded=True).text
    ('[0.123, 0.456]', '[−.100, .200]')
    """
    if lower is None or upper is None:
        return Cell("—", None, "ci", **style)
    return Cell(f"[{apa(lower, digits, bounded)}, {apa(upper, digits, bounded)}]", (lower, upper), "ci", **style)


def verdict(met: bool | None, text: str, review: bool = False) -> Cell:
    """A criterion's verdict: ``met`` True → ok, False → bad, ``review`` → flagged for review.

    >>> verdict(True, "✓"), verdict(False, "✗").status
    (Cell(text='✓', value=True, kind='verdict', status='ok', bold=False, italic=False, span=1), 'bad')
    """
    status = None if met is None else "review" if review else "ok" if met else "bad"
    return Cell(text, met, "verdict", status=status)


def excludes_zero(interval) -> bool:
    """Whether a CI ``(lower, upper)`` excludes 0 (the significance rule of a CI).

    >>> excludes_zero((0.01, 0.2)), excludes_zero((-0.01, 0.2))
    (True, False)
    """
    lower, upper = interval
    return lower > 0 or upper < 0


@dataclass
class Column:
    """A table column: header text, alignment and whether it may wrap.

    >>> Column("Construct", align="l", wrap=True)
    Column(header='Construct', align='l', wrap=True)
    """
    header: str
    align: str = "r"          # "l" text, "r" numbers
    wrap: bool = False        # long text: a wrapping column in LaTeX


@dataclass
class Table:
    """A table of the document: caption, columns, rows of typed cells, notes below, and how wide it
    is.

    >>> table = Table("fit", "Model fit", [Column("index", "l"), Column("value")], [[Cell("CFI"), num(0.987)], [Cell("p"), pval(0.0004)]])
    >>> [c.header for c in table.columns], [[cell.text for cell in row] for row in table.rows]
    (['index', 'value'], [['CFI', '0.987'], ['p', '< .001']])
    """
    id: str
    title: str
    columns: list[Column]
    rows: list[list[Cell]]
    notes: list[str] = field(default_factory=list)
    groups: list[tuple[str, int]] | None = None   # column-group headers over the columns
    wide: bool = False                            # landscape page in LaTeX and DOCX
    inference: str | None = None                  # wald, bootstrap, mc: where p, stars and CIs come from
    label: str = ""                               # "Table 3", set by Document.number()

    def column_widths(self, page: float, size: float) -> list[float]:
        """Column widths in cm: each fixed column as wide as its longest text, the wrapping
        columns sharing what the page leaves (2.5 to 7 cm each); shrunk to the page if need be."""
        widths = [0.0] * len(self.columns)
        for row in [self.header_texts()] + self.body_texts():
            for j, text in enumerate(row[:len(widths)]):
                widths[j] = max(widths[j], text_width(text, size) + CELL_PADDING_CM)
        wrapped = [j for j, c in enumerate(self.columns) if c.wrap]
        left = page - sum(w for j, w in enumerate(widths) if j not in wrapped)
        for j in wrapped:
            widths[j] = max(2.5, min(7.0, left / len(wrapped)))
        total = sum(widths)
        return [w * page / total for w in widths] if total > page else widths

    def header_texts(self) -> list[str]:
        return [c.header for c in self.columns]

    def body_texts(self) -> list[list[str]]:
        """The rows as display texts, a spanning cell repeated over its columns."""
        out = []
        for row in self.rows:
            texts = []
            for cell in row:
                texts += [cell.text] + [""] * (cell.span - 1)
            out.append(texts)
        return out


@dataclass
class Figure:
    """A figure of the document: the same drawing as SVG (HTML, DOCX) and TikZ (LaTeX), or, for a
    figure without TikZ, an ``image``: the stem of the files written beside the report
    (``<image>.svg``, and ``<image>.pdf`` that the LaTeX report includes).

    >>> Figure("paths", "Path diagram", svg="<svg/>", tikz="").title
    'Path diagram'
    """
    id: str
    title: str
    svg: str
    tikz: str
    notes: list[str] = field(default_factory=list)
    label: str = ""
    image: str = ""


@dataclass
class Paragraph:
    """A paragraph of text in one of the document's styles.

    >>> Paragraph("The model fits.", style="note")
    Paragraph(text='The model fits.', style='note', heading=None)
    """
    text: str
    style: str = "body"       # body, note, warning, code, lead (the summary's draft paragraphs)
    heading: str | None = None


@dataclass
class Section:
    """A numbered section: id (for cross-references), title, blocks, and whether it belongs to the
    appendix.

    >>> section = Section("fit", "Model fit", [Table("fit", "Fit", [Column("index", "l"), Column("value")], [[Cell("CFI"), num(0.987)]])])
    >>> section.id, [t.title for t in section.tables()], section.appendix
    ('fit', ['Fit'], False)
    """
    id: str
    title: str
    blocks: list = field(default_factory=list)
    appendix: bool = False
    number: str = ""

    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]


@dataclass
class Document:
    """The report once, before any renderer: title, sections (main part, then appendix) and the
    labels of its language.

    >>> doc = Document("Report", "en", {"table": "Table {n}", "figure": "Figure {n}", "section": "{n}", "appendix": "A{n}"})
    >>> doc.add(Section("fit", "Model fit", [Paragraph("The model fits.")]))
    >>> doc.add(None)                                   # a builder with nothing to report
    >>> [s.title for s in doc.sections]
    ['Model fit']
    """
    title: str
    lang: str
    labels: dict                       # "table", "figure", "section", "appendix" label patterns
    subtitle: str = ""
    sections: list[Section] = field(default_factory=list)
    appendix_title: str = "Appendix"
    note: str = ""                     # closing remark (the number style)

    def add(self, section: Section | None) -> None:
        if section is not None and section.blocks:
            self.sections.append(section)

    def number(self) -> None:
        """Number sections (1, 2, ... then A, B, ... in the appendix), tables and figures in the
        order they appear, so optional sections leave no gaps."""
        counts = {"main": 0, "appendix": 0, "table": 0, "figure": 0}
        self.sections.sort(key=lambda s: s.appendix)      # stable: the main part first
        for section in self.sections:
            part = "appendix" if section.appendix else "main"
            counts[part] += 1
            section.number = chr(ord("A") + counts[part] - 1) if section.appendix else str(counts[part])
            for block in section.blocks:
                if isinstance(block, (Table, Figure)):
                    kind = "table" if isinstance(block, Table) else "figure"
                    counts[kind] += 1
                    block.label = self.labels[kind].format(n=counts[kind])

    @property
    def main(self) -> list[Section]:
        return [s for s in self.sections if not s.appendix]

    @property
    def appendix(self) -> list[Section]:
        return [s for s in self.sections if s.appendix]

    def tables(self) -> list[Table]:
        return [t for s in self.sections for t in s.tables()]

    def images(self) -> list[Figure]:
        """The figures drawn into files beside the report (those with an ``image``)."""
        return [b for s in self.sections for b in s.blocks if isinstance(b, Figure) and b.image]

    def targets(self) -> dict[str, str]:
        """Every id a paragraph may cite, with the text the reference prints."""
        out = {}
        for section in self.sections:
            out[section.id] = self.labels["section"].format(n=section.number)
            for block in section.blocks:
                if isinstance(block, (Table, Figure)):
                    out[block.id] = block.label
        return out

    def plain_text(self, text: str) -> str:
        """``text`` with its references as their labels (for outputs without links)."""
        return "".join(piece for piece, _ in self.split_references(text))

    def split_references(self, text: str) -> list[tuple[str, str | None]]:
        """``text`` as (piece, target id or None) parts, each reference replaced by its label."""
        targets = self.targets()
        parts, last = [], 0
        for match in REFERENCE.finditer(text):
            parts.append((text[last:match.start()], None))
            parts.append((targets.get(match.group(1), match.group(1)), match.group(1)))
            last = match.end()
        parts.append((text[last:], None))
        return [p for p in parts if p[0]]

