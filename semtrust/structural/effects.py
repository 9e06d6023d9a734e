"""Direct, specific indirect, total indirect and total effects read off the structural paths.

Every directed path from a predictor to a pure outcome (a variable that predicts nothing)
through one or more mediators is a *specific indirect effect*, the product of its
coefficients; their sum is the total indirect effect, and adding the direct path gives the
total effect (Bollen 1987). Contrasts compare specific indirect effects of the same X -> Y.
Effects are functions of the parameter vector, so one :class:`EffectSet` evaluates them at
the estimates, at every bootstrap draw, or at Monte Carlo draws.

>>> import numpy as np, pandas as pd
>>> from semtrust.estimation.ml import SEM
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=400); m = 0.5 * x + rng.normal(size=400); y = 0.4 * m + rng.normal(size=400)
>>> fit = SEM("m ~ x\\ny ~ m").fit(pd.DataFrame({"x": x, "m": m, "y": y}))
>>> effects = EffectSet(fit)
>>> [e.label for e in effects.effects]
['x -> m -> y', 'x => y (total indirect)', 'x => y (direct)', 'x => y (total)']
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

from semtrust.estimation.base import FittedModel
from semtrust.model.expressions import Expression


@dataclass(frozen=True)
class Effect:
    kind: str                       # indirect | total_indirect | direct | total | contrast
    source: str
    target: str
    paths: tuple[tuple[str, ...], ...]   # node sequences summed (a contrast: first minus second)

    @property
    def fixed_zero(self) -> bool:
        """A direct effect the model does not estimate (no X -> Y path)."""
        return not self.paths

    @property
    def label(self) -> str:
        if self.kind == "indirect":
            return " -> ".join(self.paths[0])
        if self.kind == "contrast":
            return f"({' -> '.join(self.paths[0])}) - ({' -> '.join(self.paths[1])})"
        name = {"total_indirect": "total indirect", "direct": "direct", "total": "total"}[self.kind]
        return f"{self.source} => {self.target} ({name})"


def structural_edges(results: FittedModel) -> dict[tuple[str, str], int]:
    """(predictor, outcome) -> row index in the parameter table, for every ``~`` path."""
    return {(r.rhs, r.lhs): i for i, r in enumerate(results.partable.rows) if r.op == "~"}


def _paths(edges: set[tuple[str, str]], start: str) -> list[tuple[str, ...]]:
    children: dict[str, list[str]] = {}
    for a, b in sorted(edges):
        children.setdefault(a, []).append(b)
    out, stack = [], [(start,)]
    while stack:
        path = stack.pop()
        for nxt in children.get(path[-1], []):
            longer = path + (nxt,)
            out.append(longer)
            stack.append(longer)
    return out


def enumerate_effects(results: FittedModel, contrasts: bool = True) -> list[Effect]:
    edges = set(structural_edges(results))
    predictors = {a for a, _ in edges}
    outcomes = sorted({b for _, b in edges} - predictors)
    order = list(dict.fromkeys(v for r in results.partable.rows if r.op == "~" for v in (r.rhs, r.lhs)))
    effects: list[Effect] = []
    for source in [v for v in order if v in predictors]:
        by_target: dict[str, list[tuple[str, ...]]] = {}
        for path in _paths(edges, source):
            if path[-1] in outcomes:
                by_target.setdefault(path[-1], []).append(path)
        for target in [v for v in order if v in by_target]:
            paths = sorted(by_target[target], key=lambda p: (len(p), [order.index(v) for v in p]))
            indirect = [p for p in paths if len(p) > 2]
            if not indirect:
                continue
            effects += [Effect("indirect", source, target, (p,)) for p in indirect]
            effects.append(Effect("total_indirect", source, target, tuple(indirect)))
            direct = tuple(p for p in paths if len(p) == 2)
            effects.append(Effect("direct", source, target, direct))
            effects.append(Effect("total", source, target, tuple(paths)))
            if contrasts:
                effects += [Effect("contrast", source, target, (a, b)) for a, b in combinations(indirect, 2)]
    return effects


class EffectSet:
    """Vectorised evaluation of a list of effects over many parameter vectors."""

    def __init__(self, results: FittedModel, effects: list[Effect] | None = None):
        self.results = results
        self.effects = enumerate_effects(results) if effects is None else effects
        rows = results.partable.rows
        edge_rows = structural_edges(results)
        self.edges = list(edge_rows)
        self.edge_free = np.array([rows[edge_rows[e]].free for e in self.edges])
        self.edge_fixed = np.array([rows[edge_rows[e]].value for e in self.edges])
        names = results.variables
        self.source_index = np.array([names.index(e.source) for e in self.effects], dtype=int)
        self.target_index = np.array([names.index(e.target) for e in self.effects], dtype=int)
        position = {e: i for i, e in enumerate(self.edges)}
        # each effect is a signed sum of path products: (effect, sign, edge ids)
        self.terms = []
        for k, effect in enumerate(self.effects):
            for j, path in enumerate(effect.paths):
                sign = -1.0 if effect.kind == "contrast" and j == 1 else 1.0
                self.terms.append((k, sign, [position[(a, b)] for a, b in zip(path, path[1:])]))

    def coefficients(self, thetas: np.ndarray) -> np.ndarray:
        thetas = np.atleast_2d(thetas)
        free = self.edge_free >= 0
        coefs = np.tile(self.edge_fixed, (len(thetas), 1))
        coefs[:, free] = thetas[:, self.edge_free[free]]
        return coefs

    def values(self, thetas: np.ndarray) -> np.ndarray:
        """Unstandardized effects, shape (draws, effects)."""
        coefs = self.coefficients(thetas)
        out = np.zeros((len(coefs), len(self.effects)))
        for k, sign, edge_ids in self.terms:
            out[:, k] += sign * np.prod(coefs[:, edge_ids], axis=1)
        return out

    def standardized(self, values: np.ndarray, sds: np.ndarray) -> np.ndarray:
        """std.all scaling: times SD(source) / SD(target), each draw with its own SDs."""
        sds = np.atleast_2d(sds)
        return values * sds[:, self.source_index] / sds[:, self.target_index]

    def standardized_values(self, thetas: np.ndarray, sds: np.ndarray) -> np.ndarray:
        return self.standardized(self.values(thetas), sds)


@dataclass(frozen=True)
class Defined:
    """A user-defined parameter (``name := expression``) as a row of the effects table."""

    name: str
    expression: str
    kind: str = "defined"
    source: str = ""
    target: str = ""
    fixed_zero: bool = False

    @property
    def label(self) -> str:
        return f"{self.name} := {self.expression}"


class DefinedSet:
    """Defined parameters evaluated over many parameter vectors; their standardized value
    applies the expression to the std.all values of the labelled loadings and paths."""

    def __init__(self, results: FittedModel):
        self.results = results
        table = results.partable
        self.effects = [Defined(d.name, "".join(d.expression.split())) for d in table.definitions]
        self.expressions = [(d.name, Expression(d.expression, f"{results.source}, line {d.line}"))
                            for d in table.definitions]
        names = results.variables
        self.labels = []   # (label, free index or None, fixed value, std scale: (numerator, denominator) or None)
        for r in table.rows:
            if not r.label or any(r.label == lab for lab, *_ in self.labels):
                continue
            scale = None
            if r.op == "=~":
                scale = (names.index(r.lhs), names.index(r.rhs))
            elif r.op == "~":
                scale = (names.index(r.rhs), names.index(r.lhs))
            self.labels.append((r.label, r.free if r.free >= 0 else None, r.value, scale))

    def _evaluate(self, thetas: np.ndarray, sds: np.ndarray | None) -> np.ndarray:
        thetas = np.atleast_2d(thetas)
        out = np.zeros((len(thetas), len(self.effects)))
        for b, theta in enumerate(thetas):
            values = {}
            for label, free, fixed, scale in self.labels:
                value = theta[free] if free is not None else fixed
                if sds is not None:
                    value = value * sds[b, scale[0]] / sds[b, scale[1]] if scale else np.nan
                values[label] = value
            for k, (name, expression) in enumerate(self.expressions):
                values[name] = out[b, k] = expression(values)
        return out

    def values(self, thetas: np.ndarray) -> np.ndarray:
        return self._evaluate(thetas, None)

    def standardized_values(self, thetas: np.ndarray, sds: np.ndarray) -> np.ndarray:
        return self._evaluate(thetas, np.atleast_2d(sds))
