"""Report stage: APA number style and LaTeX escaping, shared by every renderer and the diagram.

No leading zero for values that cannot exceed 1, the typographic minus, ``< .001`` for tiny
p values, stars at .05/.01/.001.

>>> apa(0.9306, bounded=True), apa(-0.5544), apa_p(0.00001), stars(0.004)
('.931', '−0.554', '< .001', '**')
"""
from __future__ import annotations

import math
import re

__all__ = ["apa", "apa_p", "stars", "tex_escape", "tex_text", "arrows"]

MINUS = "−"  # U+2212, the typographic minus APA asks for
_TEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                "<": r"\textless{}", ">": r"\textgreater{}", MINUS: r"\textminus{}", "−": r"\textminus{}",
                # braced, so a cell starting with [ after a row's \\ is not read as \\[<length>]
                "[": "{[}", "]": "{]}"}
_TEX_PATTERN = re.compile("|".join(re.escape(k) for k in _TEX_SPECIAL))


def apa(value, digits: int = 3, bounded: bool = False) -> str:
    """Format a number APA-style; ``bounded`` drops the leading zero (|value| <= 1).

    >>> apa(0.98765), apa(-0.5, 2, bounded=True), apa(None)
    ('0.988', '−.50', '—')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    text = f"{abs(value):.{digits}f}"
    if bounded and text.startswith("0"):
        text = text[1:]
    negative = value < 0 and float(text) != 0
    return (MINUS if negative else "") + text


def apa_range(values) -> str:
    """The smallest and largest of bounded ``values`` (None skipped) as an APA range.

    >>> apa_range([0.912, None, 0.78])
    '.78–.91'
    """
    values = [v for v in values if v is not None]
    return f"{apa(min(values), 2, True)}–{apa(max(values), 2, True)}" if values else "—"


def apa_p(p) -> str:
    """A p-value in APA style: ``< .001`` below .001, else three decimals without the leading zero.

    >>> apa_p(0.0004), apa_p(0.0312), apa_p(0.5)
    ('< .001', '.031', '.500')
    """
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "—"
    return "< .001" if p < 0.001 else apa(p, 3, bounded=True)


def stars(p) -> str:
    """Significance stars at .05, .01 and .001.

    >>> stars(0.0004), stars(0.03), stars(0.2)
    ('***', '*', '')
    """
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return ""
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


def tex_escape(value) -> str:
    r"""Escape any string (item wording, names, file paths) for LaTeX.

    >>> tex_escape("[Q5] Monthly income & 50%")
    '{[}Q5{]} Monthly income \\& 50\\%'
    """
    return _TEX_PATTERN.sub(lambda m: _TEX_SPECIAL[m.group(0)], str(value))


# symbols the text font may lack, set in math or by a package (\\checkmark: amssymb)
_TEX_SYMBOLS = {"α": r"$\alpha$", "β": r"$\beta$", "λ": r"$\lambda$", "ω": r"$\omega$", "φ": r"$\varphi$",
                "χ": r"$\chi$", "Δ": r"$\Delta$", "Σ": r"$\Sigma$", "√": r"$\sqrt{\,}$", "≥": r"$\geq$",
                "≤": r"$\leq$", "≠": r"$\neq$", "×": r"$\times$", "±": r"$\pm$", "→": r"$\rightarrow$",
                "⇒": r"$\Rightarrow$", "′": r"$'$", "²": r"\textsuperscript{2}", "✓": r"\checkmark{}",
                "†": r"\textdagger{}", "‡": r"\textdaggerdbl{}", "…": r"\ldots{}", "·": r"\textperiodcentered{}",
                "ρ\\_A": r"$\rho_A$", "ρ\\_C": r"$\rho_C$", "ρ": r"$\rho$"}   # ρ_A, ρ_C: PLS reliabilities
_TEX_SYMBOL_PATTERN = re.compile("|".join(map(re.escape, _TEX_SYMBOLS)))


def tex_text(value) -> str:
    r"""Report text for LaTeX: escaped, with Greek letters and symbols set so any font shows them.

    >>> print(tex_text("α ≥ .70 ✓ 50%"))
    $\alpha$ $\geq$ .70 \checkmark{} 50\%
    """
    return _TEX_SYMBOL_PATTERN.sub(lambda m: _TEX_SYMBOLS[m.group(0)], tex_escape(value))


# symbols with a subscript, written "ρ_A" in the catalogue and tables: HTML sets <sub>, Word a
# subscript run, LaTeX $\rho_A$ (_TEX_SYMBOLS)
_SUBSCRIPTED = re.compile(r"(ρ)_([AC])(?![A-Za-z])")


def subscripts(text: str) -> list[tuple[str, bool]]:
    """``text`` as pieces (text, is_subscript): ``ρ_A`` and ``ρ_C`` become ρ and a subscript letter.

    >>> subscripts("α, ρ_A and ρ_C ≥ .70")
    [('α, ρ', False), ('A', True), (' and ρ', False), ('C', True), (' ≥ .70', False)]
    """
    pieces, start = [], 0
    for match in _SUBSCRIPTED.finditer(text):
        pieces += [(text[start:match.end(1)], False), (match.group(2), True)]
        start = match.end()
    if start < len(text) or not pieces:
        pieces.append((text[start:], False))
    return pieces


def arrows(path: str) -> str:
    """Effect labels use ASCII ``->``/``=>``; print them as arrows.

    >>> arrows("X -> M -> Y"), arrows("X => Y (total)")
    ('X → M → Y', 'X ⇒ Y (total)')
    """
    return str(path).replace(" -> ", " → ").replace(" => ", " ⇒ ")
