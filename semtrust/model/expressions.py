"""Model stage: defined parameters (``name := expression``), evaluated safely.

Only arithmetic and exp/log/sqrt/abs over parameter labels are allowed; the expression is
parsed once and evaluated at the estimates, at bootstrap draws or at Monte Carlo draws.

>>> Expression("a*b", "model").__call__({"a": 0.5, "b": 0.4})
0.2
"""
from __future__ import annotations

import ast
import math
import operator

from semtrust.errors import InputError


class Expression:
    """A defined parameter's expression, evaluated safely over label values."""

    _ops = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
            ast.Div: operator.truediv, ast.Pow: operator.pow, ast.USub: operator.neg,
            ast.UAdd: operator.pos}
    _functions = {"exp": math.exp, "log": math.log, "sqrt": math.sqrt, "abs": abs}

    def __init__(self, text: str, where: str):
        try:
            self.tree = ast.parse(text.replace("^", "**"), mode="eval").body
        except SyntaxError:
            raise InputError(f"{where}: cannot read the expression '{text}'") from None
        self.names = {n.id for n in ast.walk(self.tree) if isinstance(n, ast.Name)} - set(self._functions)
        self.where = where

    def __call__(self, values: dict) -> float:
        return float(self._eval(self.tree, values))

    def _eval(self, node, values):
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.Name):
            return values[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in self._ops:
            return self._ops[type(node.op)](self._eval(node.left, values), self._eval(node.right, values))
        if isinstance(node, ast.UnaryOp) and type(node.op) in self._ops:
            return self._ops[type(node.op)](self._eval(node.operand, values))
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in self._functions and len(node.args) == 1):
            return self._functions[node.func.id](self._eval(node.args[0], values))
        raise InputError(f"{self.where}: only + - * / ^ and exp/log/sqrt/abs are allowed in definitions")

