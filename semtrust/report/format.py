"""Report stage: APA number style and LaTeX escaping, shared by every renderer and the diagram.

No leading zero for values that cannot exceed 1, the typographic minus, ``< .001`` for tiny
p values, stars at .05/.01/.001.

>>> apa(0.9306, bounded=True), apa(-0.5544), apa_p(0.00001), stars(0.004)
('.931', '−0.554', '< .001', '**')
"""
from __future__ import annotations

import math
import re

MINUS = "−"  # U+2212, the typographic minus APA asks for
_TEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                "<": r"\textless{}", ">": r"\textgreater{}", MINUS: r"\textminus{}", "−": r"\textminus{}",
                # braced, so a cell starting with [ after a row's \\ is not read as \\[<length>]
                "[": "{[}", "]": "{]}"}
_TEX_PATTERN = re.compile("|".join(re.escape(k) for k in _TEX_SPECIAL))


def apa(value, digits: int = 3, bounded: bool = False) -> str:
    """Format a number APA-style; ``bounded`` drops the leading zero (|value| <= 1)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    text = f"{abs(value):.{digits}f}"
    if bounded and text.startswith("0"):
        text = text[1:]
    negative = value < 0 and float(text) != 0
    return (MINUS if negative else "") + text


def apa_p(p) -> str:
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "—"
    return "< .001" if p < 0.001 else apa(p, 3, bounded=True)


def stars(p) -> str:
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return ""
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


def tex_escape(value) -> str:
    r"""Escape any string (item wording, names, file paths) for LaTeX.

    >>> tex_escape("[Q5] Monthly income & 50%")
    '{[}Q5{]} Monthly income \\& 50\\%'
    """
    return _TEX_PATTERN.sub(lambda m: _TEX_SPECIAL[m.group(0)], str(value))


def arrows(path: str) -> str:
    """Effect labels use ASCII ``->``/``=>``; print them as arrows."""
    return str(path).replace(" -> ", " → ").replace(" => ", " ⇒ ")


def tex_path(path: str) -> str:
    return tex_escape(path).replace(r" -\textgreater{} ", r" $\rightarrow$ ").replace(
        r" =\textgreater{} ", r" $\Rightarrow$ ")
