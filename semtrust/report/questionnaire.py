"""Report stage: an instrument as a questionnaire respondents can answer (Word, or Wenjuanxing text).

Built once as a list of questions (consent, screening question, instruction naming the streamer
and the platform, the Likert items with the attention checks in place, the declared
demographics, thanks), then written as ``docx`` (python-docx) or ``wjx`` (the plain text that
Wenjuanxing's batch question import reads: a numbered stem with its type tag, one option per line,
a blank line between questions). Respondents see no construct or item codes.

>>> from semtrust.model.instrument import load_instrument
>>> questions = _build_questionnaire(load_instrument("trust_mechanism"), "zh")
>>> [q.kind for q in questions[:4]], questions[2].options
(['text', 'text', 'single', 'text'], ['是', '否（结束作答）'])
>>> text = to_wjx(load_instrument("trust_mechanism"), "zh")
>>> "HT1" in text or "[单选题]" not in text
False
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field

from semtrust.model.instrument import Instrument
from semtrust.report.catalogue import Messages

__all__ = ["to_wjx", "to_docx"]


@dataclass
class Question:
    """One question of a fieldable questionnaire: its text, kind and answer options."""
    kind: str                 # text (a paragraph), single (one answer), end (the closing text)
    text: str
    options: list[str] = field(default_factory=list)


def _build_questionnaire(inst: Instrument, lang: str) -> list[Question]:
    """The questionnaire respondents see, in ``lang``: consent, screening, instructions, items,
    attention checks and demographics, without construct codes."""
    m = Messages(lang)
    anchors = [label[lang] for _, label in sorted(inst.scale.anchors.items())]
    questions = [Question("text", inst.title[lang]), Question("text", m("questionnaire.consent")),
                 Question("single", m("questionnaire.screening"), [m("questionnaire.yes"), m("questionnaire.no_end")]),
                 Question("text", m("questionnaire.instruction"))]
    for item in inst.questionnaire_items():
        questions.append(Question("single", item["text"][lang], anchors))
    if inst.demographics:
        questions.append(Question("text", m("questionnaire.about_you")))
    for demographic in inst.demographics:
        questions.append(Question("single", demographic.label[lang], [label[lang] for _, label in demographic.categories]))
    questions.append(Question("end", m("questionnaire.thanks")))
    return questions


def to_wjx(inst: Instrument, lang: str) -> str:
    """The questionnaire in Wenjuanxing's text-import layout: the title, a paragraph tagged
    ``[段落说明]`` for each text, ``n. stem[单选题]`` with one option per line for each question.

    >>> from semtrust.model.instrument import load_instrument
    >>> to_wjx(load_instrument("trust_mechanism"), "en").splitlines()[0]
    'Trust formation and conversion in short-video social commerce'
    """
    questions = _build_questionnaire(inst, lang)
    lines, number = [questions[0].text, ""], 0
    for question in questions[1:]:
        if question.kind == "single":
            number += 1
            lines += [f"{number}. {question.text}[单选题]", *question.options, ""]
        else:
            lines += [f"{question.text}[段落说明]", ""]
    return "\n".join(lines)


def to_docx(inst: Instrument, lang: str) -> bytes:
    """The questionnaire as a Word file: numbered questions in bold, each followed by its
    options, a ○ before each.

    >>> from semtrust.model.instrument import load_instrument
    >>> word = to_docx(load_instrument("trust_mechanism"), "zh")
    >>> word[:2], len(word) > 10000
    (b'PK', True)
    """
    from docx import Document as WordDocument
    from docx.shared import Pt

    from semtrust.report.docx import set_fonts
    from semtrust.report.office import reproducible_zip

    word = WordDocument()
    set_fonts(word.styles["Normal"].element)
    questions = _build_questionnaire(inst, lang)
    word.add_heading(questions[0].text, level=1)
    number = 0
    for question in questions[1:]:
        if question.kind != "single":
            word.add_paragraph(question.text)
            continue
        number += 1
        paragraph = word.add_paragraph()
        paragraph.add_run(f"{number}. {question.text}").bold = True
        paragraph.paragraph_format.keep_with_next = True
        options = word.add_paragraph("    ".join(f"○ {option}" for option in question.options))
        options.runs[0].font.size = Pt(10)
    buffer = io.BytesIO()
    word.save(buffer)
    return reproducible_zip(buffer.getvalue())
