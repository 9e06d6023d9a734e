"""Parse lavaan model syntax into plain statements.

Supported: ``=~`` (measurement), ``~`` (regression), ``~~`` (variance/covariance),
``:=`` (defined parameter), ``|`` (thresholds of an ordinal item: ``x1 | a*t1 + t2``),
``~ 1`` (intercept or latent mean: ``x1 ~ 1``, ``F ~ 0*1``), ``==``, ``<``, ``>`` (constraints on
parameter labels: ``a + b == 1``, ``a > 0``), with the modifiers ``1*x`` (fix), ``NA*x`` (free),
``a*x`` / ``label("a")*x`` (label; shared labels mean equality) and ``start(0.5)*x``.
Comments start with ``#`` or ``!``; statements end at a newline or ``;`` and continue
onto the next line when they end with ``+`` or an operator, as in lavaan.

>>> spec = parse_model("visual =~ x1 + a*x2 + a*x3  # equal loadings\\nx1 ~~ x2")
>>> [(s.lhs, s.op, s.rhs, s.label) for s in spec.statements]
[('visual', '=~', 'x1', None), ('visual', '=~', 'x2', 'a'), ('visual', '=~', 'x3', 'a'), ('x1', '~~', 'x2', None)]
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from semtrust.errors import InputError, shown

__all__ = ["parse_model", "ModelSyntax", "Statement"]

OPERATORS = ("=~", "~~", ":=", "~", "|")
_UNSUPPORTED = {
    "==": "equality constraints (use a shared label instead: a*x1 + a*x2)",
    "<": "inequality constraints",
    ">": "inequality constraints",
    "~*~": "scaling factors",
    "<~": "formative (composite) constructs",
}
_NAME = re.compile(r"^[^\W\d][\w.]*$")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_THRESHOLD = re.compile(r"^t[1-9]\d*$")
_CALL = re.compile(r"^(start|label|equal)\((.*)\)$")
_EFA = re.compile(r"""^efa\(\s*["']([^"']+)["']\s*\)\s*\*\s*(.+)$""")


@dataclass(frozen=True)
class Statement:
    """One parameter statement, e.g. ``visual =~ 0.5*x2`` or ``y1 ~~ y5``.

    >>> [(s.lhs, s.op, s.rhs, s.fixed, s.label) for s in parse_model("F =~ 0.5*x1 + a*x2").statements]
    [('F', '=~', 'x1', 0.5, None), ('F', '=~', 'x2', None, 'a')]
    """

    lhs: str
    op: str
    rhs: str
    fixed: float | None = None
    label: str | None = None
    start: float | None = None
    free: bool = False  # NA* explicitly frees a parameter lavaan would fix
    line: int = 0
    # c(a1, a2)*x: per group a label (str), a fixed value (float) or None (free); multi-group runs
    per_group: tuple = ()
    efa: str = ""   # efa("block")*F =~ ...: the exploratory (rotated) block the loading belongs to


@dataclass(frozen=True)
class Definition:
    """A defined parameter ``name := expression`` over parameter labels."""

    name: str
    expression: str
    line: int = 0


@dataclass(frozen=True)
class Constraint:
    """A constraint ``lhs op rhs`` (op ``==``, ``<`` or ``>``) between expressions over labels."""

    lhs: str
    op: str
    rhs: str
    line: int = 0


@dataclass
class ModelSyntax:
    """A parsed lavaan model: its statements, defined parameters and the variables they name.

    >>> spec = parse_model("F =~ x1 + x2 + x3\\ny ~ b*F\\nhalf := b/2")
    >>> spec.latent, spec.observed, [d.name for d in spec.definitions]
    (['F'], ['x1', 'x2', 'x3', 'y'], ['half'])
    """
    statements: list[Statement] = field(default_factory=list)
    definitions: list[Definition] = field(default_factory=list)
    source: str = "<model>"
    constraints: list[Constraint] = field(default_factory=list)

    @property
    def latent(self) -> list[str]:
        """Latent variables in order of first definition."""
        return list(dict.fromkeys(s.lhs for s in self.statements if s.op == "=~"))

    @property
    def variables(self) -> list[str]:
        """All variable names in order of appearance."""
        names = []
        for s in self.statements:
            names += [s.lhs] if s.op == "|" else [s.lhs, s.rhs]  # "x1 | t1": t1 names a threshold
        return list(dict.fromkeys(n for n in names if n))  # an intercept's rhs is ""

    @property
    def observed(self) -> list[str]:
        latent = set(self.latent)
        return [v for v in self.variables if v not in latent]


def _error(source: str, line: int, message: str) -> InputError:
    return InputError(f"{source}, line {line}: {message}")


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Strip comments, split on newlines and ';', and join continued statements."""
    pieces: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        code = re.split(r"[#!]", raw, maxsplit=1)[0]
        for part in code.split(";"):
            part = part.strip()
            if part:
                pieces.append((number, part))
    lines: list[tuple[int, str]] = []
    for number, part in pieces:
        continues = lines and (
            lines[-1][1].endswith(("+", "*", "=~", "~", ":=", "(", "|"))
            or part.startswith(("+", "*"))
            or not any(op in part for op in OPERATORS + tuple(_UNSUPPORTED))
        )
        if continues:
            lines[-1] = (lines[-1][0], lines[-1][1] + " " + part)
        else:
            lines.append((number, part))
    return lines


def _split_top_level(text: str, sep: str) -> list[str]:
    parts, depth, current = [], 0, []
    for char in text:
        depth += char == "("
        depth -= char == ")"
        if char == sep and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts]


def _find_operator(line: str) -> str | None:
    # "|" and unsupported operators first: "y ~ x | t" must read as a threshold, not a regression
    for op in ("==", "<~", "~*~", "|", "<", ">", "=~", "~~", ":=", "~"):
        if op in line:
            return op
    return None


def _parse_modifiers(term: str, source: str, number: int) -> dict:
    """``start(0.5)*a*x`` -> {'start': 0.5, 'label': 'a', 'var': 'x'}."""
    parts = _split_top_level(term, "*")
    var, modifiers = parts[-1], parts[:-1]
    result: dict = {"var": var}
    if not _NAME.match(var):
        raise _error(source, number, f"'{var}' is not a valid variable name")
    for mod in modifiers:
        mod = mod.strip()
        call = _CALL.match(mod)
        if _NUMBER.match(mod):
            result["fixed"] = float(mod)
        elif mod == "NA":
            result["free"] = True
        elif call:
            kind, arg = call.group(1), call.group(2).strip().strip("'\"")
            if kind == "start":
                if not _NUMBER.match(arg):
                    raise _error(source, number, f"start() needs a number, got '{arg}'")
                result["start"] = float(arg)
            else:
                result["label"] = arg
        elif mod.startswith("c(") and mod.endswith(")"):
            result["per_group"] = tuple(_group_modifier(item.strip().strip("'\""), source, number)
                                        for item in mod[2:-1].split(","))
        elif _NAME.match(mod):
            result["label"] = mod
        else:
            raise _error(source, number, f"cannot read the modifier '{mod}' in '{term}'")
    return result


def _group_modifier(item: str, source: str, number: int) -> str | float | None:
    """One element of ``c(...)``: a number fixes, NA frees, a name labels."""
    if _NUMBER.match(item):
        return float(item)
    if item == "NA":
        return None
    if _NAME.match(item):
        return item
    raise _error(source, number, f"cannot read '{item}' in a c(...) modifier; use numbers, NA or labels")


def _intercept(lhs: str, term: str, source: str, number: int) -> Statement:
    """``x ~ 1``, ``x ~ 0*1``, ``x ~ a*1``: the intercept (mean) of ``lhs``, lavaan's op ``~1``."""
    *modifiers, one = _split_top_level(term, "*")
    if one != "1":
        raise _error(source, number, f"an intercept is written '{lhs} ~ 1', got '{lhs} ~ {term}'")
    mods = _parse_modifiers("*".join([*modifiers, lhs]), source, number)
    return Statement(lhs=lhs, op="~1", rhs="", fixed=mods.get("fixed"), label=mods.get("label"),
                     start=mods.get("start"), free=mods.get("free", False), line=number)


def _constraint(line: str, op: str, source: str, number: int) -> Constraint:
    lhs, rhs = (side.strip() for side in line.split(op, 1))
    if not lhs or not rhs or any(o in rhs for o in ("==", "<", ">")):
        raise _error(source, number, f"a constraint reads 'a == b', 'a < b' or 'a > b', got '{line}'")
    return Constraint(lhs, op, rhs, number)


def parse_model(text: str, source: str = "<model>") -> ModelSyntax:
    """Parse lavaan syntax; raise :class:`InputError` naming the line on any problem.

    >>> len(parse_model("visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6").statements)
    6
    >>> parse_model("F =~ x1 +", "model.lav")
    Traceback (most recent call last):
    semtrust.errors.InputError: model.lav, line 1: empty term in 'F =~ x1 +'
    """
    spec = ModelSyntax(source=source)
    lines = list(_logical_lines(text))
    if lines and "~" not in text and ":=" not in text:
        # not a model at all (a data file, /etc/passwd): say so without quoting it
        raise _error(source, lines[0][0], "no operator (=~, ~, ~~, :=) anywhere: not a lavaan model; give a "
                                          "model file with lines such as 'F =~ x1 + x2 + x3'")
    for number, line in lines:
        op = _find_operator(line)
        if op is None:
            raise _error(source, number, f"no operator (=~, ~, ~~, :=) in {shown(line, 40)}")
        if op in ("==", "<", ">"):
            spec.constraints.append(_constraint(line, op, source, number))
            continue
        if op in _UNSUPPORTED:
            raise _error(source, number, f"'{op}' ({_UNSUPPORTED[op]}) is not supported")
        lhs_text, rhs_text = (s.strip() for s in line.split(op, 1))
        if op == ":=":
            if not _NAME.match(lhs_text) or not rhs_text:
                raise _error(source, number, f"a definition reads 'name := expression', got '{line}'")
            spec.definitions.append(Definition(lhs_text, rhs_text, number))
            continue
        if not lhs_text or not rhs_text:
            raise _error(source, number, f"'{op}' needs a left and a right side: '{line}'")
        for lhs in _split_top_level(lhs_text, "+"):
            block = _EFA.match(lhs)
            if block and op != "=~":
                raise _error(source, number, f"efa() marks the factors of a measurement line ('efa(\"b\")*F1 + "
                             f"efa(\"b\")*F2 =~ x1 + ...'), not '{op}'")
            block, lhs = (block.group(1), block.group(2).strip()) if block else ("", lhs)
            if not _NAME.match(lhs):
                raise _error(source, number, f"'{lhs}' is not a valid variable name")
            for term in _split_top_level(rhs_text, "+"):
                if not term:
                    raise _error(source, number, f"empty term in '{line}'")
                if op == "~" and _NUMBER.match(_split_top_level(term, "*")[-1]):
                    spec.statements.append(_intercept(lhs, term, source, number))
                    continue
                mods = _parse_modifiers(term, source, number)
                if op == "|" and not _THRESHOLD.match(mods["var"]):
                    raise _error(source, number, f"thresholds are named t1, t2, ... ('{lhs} | t1 + t2'), got '{mods['var']}'")
                spec.statements.append(Statement(
                    lhs=lhs, op=op, rhs=mods["var"], fixed=mods.get("fixed"),
                    label=mods.get("label"), start=mods.get("start"),
                    free=mods.get("free", False), line=number, per_group=mods.get("per_group", ()), efa=block))
    if not spec.statements:
        raise InputError(f"{source}: the model has no statements (=~, ~ or ~~)")
    return spec
