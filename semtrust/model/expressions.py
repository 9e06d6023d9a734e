"""Model stage: defined parameters (``name := expression``), evaluated safely.

Only arithmetic and exp/log/sqrt/abs over parameter labels are allowed; the expression is
parsed once and evaluated at the estimates, at bootstrap draws or at Monte Carlo draws.
Evaluation is in double precision and bounded: an overflow (``9^9^9^9``), a division by zero or
a value outside a function's domain (``log(-1)``) is an :class:`~semtrust.errors.InputError`
naming the definition, never a hang, a warning or an internal error.

>>> Expression("a*b", "model").__call__({"a": 0.5, "b": 0.4})
0.2
>>> Expression("log(-1)", "model.lav, line 3")({})
Traceback (most recent call last):
semtrust.errors.InputError: model.lav, line 3: 'log(-1)' is undefined (log of a value <= 0); change the definition
"""
from __future__ import annotations

import ast
import math
import operator

from semtrust.errors import InputError

__all__ = ["Expression"]

MAX_NODES = 200   # a definition longer than this is not a parameter function someone means


def _log(x: float) -> float:
    if x <= 0:
        raise ValueError("log of a value <= 0")
    return math.log(x)


def _sqrt(x: float) -> float:
    if x < 0:
        raise ValueError("square root of a negative value")
    return math.sqrt(x)


def _power(x: float, y: float) -> float:
    result = x ** y
    if isinstance(result, complex):
        raise ValueError("a negative number to a fractional power")
    return result


class Expression:
    """A defined parameter's expression, evaluated safely over label values.

    >>> ab = Expression("a*b + exp(0)", "ab := a*b + exp(0)")
    >>> round(ab({"a": 0.5, "b": 0.4}), 3)
    1.2
    """

    _ops = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
            ast.Div: operator.truediv, ast.Pow: _power, ast.USub: operator.neg,
            ast.UAdd: operator.pos}
    _functions = {"exp": math.exp, "log": _log, "sqrt": _sqrt, "abs": abs}

    def __init__(self, text: str, where: str):
        self.text = text if len(text) <= 60 else text[:57] + "..."
        try:
            self.tree = ast.parse(text.replace("^", "**"), mode="eval").body
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            raise InputError(f"{where}: cannot read the expression '{self.text}'") from None
        nodes = list(ast.walk(self.tree))
        if len(nodes) > MAX_NODES:
            raise InputError(f"{where}: the expression '{self.text}' has more than {MAX_NODES} terms; "
                             "split it into several definitions")
        self.names = {n.id for n in nodes if isinstance(n, ast.Name)} - set(self._functions)
        self.where = where

    def __call__(self, values: dict) -> float:
        try:
            result = self._eval(self.tree, values)
        except OverflowError:
            raise InputError(f"{self.where}: '{self.text}' overflows (its value exceeds 1e308); "
                             "change the definition") from None
        except ZeroDivisionError:
            raise InputError(f"{self.where}: '{self.text}' divides by zero; change the definition") from None
        except ValueError as error:
            raise InputError(f"{self.where}: '{self.text}' is undefined ({error}); change the definition") from None
        if math.isinf(result):
            raise InputError(f"{self.where}: '{self.text}' is infinite; change the definition")
        return result

    def _eval(self, node, values) -> float:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return float(node.value)
        if isinstance(node, ast.Name) and node.id in values:
            return float(values[node.id])
        if isinstance(node, ast.BinOp) and type(node.op) in self._ops:
            return float(self._ops[type(node.op)](self._eval(node.left, values), self._eval(node.right, values)))
        if isinstance(node, ast.UnaryOp) and type(node.op) in self._ops:
            return float(self._ops[type(node.op)](self._eval(node.operand, values)))
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in self._functions and len(node.args) == 1 and not node.keywords):
            return float(self._functions[node.func.id](self._eval(node.args[0], values)))
        if isinstance(node, ast.Name):
            raise InputError(f"{self.where}: '{self.text}' uses {node.id[:60]}, which no parameter is labelled")
        raise InputError(f"{self.where}: only + - * / ^ and exp/log/sqrt/abs are allowed in definitions")
