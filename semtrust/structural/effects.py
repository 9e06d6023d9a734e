"""Direct, specific indirect, total indirect and total effects read off the structural paths.

Every directed path from a predictor to a pure outcome (a variable that predicts nothing)
through one or more mediators is a *specific indirect effect*, the product of its
coefficients; their sum is the total indirect effect, and adding the direct path gives the
total effect (Bollen 1987). Contrasts compare specific indirect effects of the same X -> Y.
A model with a feedback loop (``y1 ~ y2``, ``y2 ~ y1``) has infinitely many paths: there each
total effect is an element of (I - B)^-1 - I, which converges when the spectral radius of the
path matrix B is below 1 (Bollen 1989, ch. 8); no path is enumerated.
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

from semtrust.errors import InputError
from semtrust.estimation.base import FittedModel
from semtrust.model.expressions import Expression

__all__ = ["enumerate_effects", "Effect", "EffectSet", "DefinedSet", "feedback_loop"]


@dataclass(frozen=True)
class Effect:
    """A direct, specific indirect, total indirect, total effect or contrast, as the node sequences
    it sums.

    >>> import numpy as np, pandas as pd
    >>> from semtrust.estimation.ml import SEM
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=500); m = 0.5 * x + rng.normal(size=500); y = 0.4 * m + 0.2 * x + rng.normal(size=500)
    >>> fit = SEM("m ~ a*x\\ny ~ b*m + x\\nab := a*b").fit(pd.DataFrame({"x": x, "m": m, "y": y}))
    >>> effect = enumerate_effects(fit)[0]
    >>> effect
    Effect(kind='indirect', source='x', target='y', paths=(('x', 'm', 'y'),), feedback=False)
    """
    kind: str                       # indirect | total_indirect | direct | total | contrast
    source: str
    target: str
    paths: tuple[tuple[str, ...], ...]   # node sequences summed (a contrast: first minus second)
    feedback: bool = False          # a total effect in a model with a loop: from (I - B)^-1 - I

    @property
    def fixed_zero(self) -> bool:
        """A direct effect the model does not estimate (no X -> Y path)."""
        return not self.paths and not self.feedback

    @property
    def label(self) -> str:
        if self.kind == "indirect":
            return " -> ".join(self.paths[0])
        if self.kind == "contrast":
            return f"({' -> '.join(self.paths[0])}) - ({' -> '.join(self.paths[1])})"
        name = {"total_indirect": "total indirect", "direct": "direct", "total": "total"}[self.kind]
        if self.feedback:
            name += ", feedback model"
        return f"{self.source} => {self.target} ({name})"


def _structural_edges(results: FittedModel, group: int = 0) -> dict[tuple[str, str], int]:
    """(predictor, outcome) -> row index in the parameter table, for every ``~`` path (of
    ``group`` in a multi-group model)."""
    return {(r.rhs, r.lhs): i for i, r in enumerate(results.partable.rows) if r.op == "~" and r.group == group}


def _children(edges: set[tuple[str, str]]) -> dict[str, list[str]]:
    children: dict[str, list[str]] = {}
    for a, b in sorted(edges):
        children.setdefault(a, []).append(b)
    return children


def feedback_loop(edges: set[tuple[str, str]]) -> tuple[str, ...] | None:
    """A directed cycle of the path diagram (first variable repeated at the end), or None.

    >>> feedback_loop({("y1", "y2"), ("y2", "y3"), ("y3", "y1")})
    ('y1', 'y2', 'y3', 'y1')
    >>> feedback_loop({("x", "m"), ("m", "y")}) is None
    True
    """
    children = _children(edges)
    state: dict[str, int] = {}            # 1 = on the current path, 2 = finished
    for root in sorted(children):
        if state.get(root):
            continue
        trail, stack = [root], [iter(children.get(root, []))]
        state[root] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[trail.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return tuple(trail[trail.index(nxt):]) + (nxt,)
            elif not state.get(nxt):
                state[nxt] = 1
                trail.append(nxt)
                stack.append(iter(children.get(nxt, [])))
    return None


def _paths(edges: set[tuple[str, str]], start: str) -> list[tuple[str, ...]]:
    """Every directed path from ``start``; the graph must be acyclic (see :func:`feedback_loop`)."""
    children = _children(edges)
    out, stack = [], [(start,)]
    while stack:
        path = stack.pop()
        for nxt in children.get(path[-1], []):
            longer = path + (nxt,)
            out.append(longer)
            stack.append(longer)
    return out


def _reachable(edges: set[tuple[str, str]], start: str) -> set[str]:
    children, seen, todo = _children(edges), set(), [start]
    while todo:
        for nxt in children.get(todo.pop(), []):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def enumerate_effects(results: FittedModel, contrasts: bool = True, group: int = 0) -> list[Effect]:
    """Every specific indirect effect from a predictor to a pure outcome, with the total indirect,
    direct and total effects (and contrasts) of each X → Y (of ``group`` in a multi-group model).

    >>> import numpy as np, pandas as pd
    >>> from semtrust.estimation.ml import SEM
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=500); m = 0.5 * x + rng.normal(size=500); y = 0.4 * m + 0.2 * x + rng.normal(size=500)
    >>> fit = SEM("m ~ a*x\\ny ~ b*m + x\\nab := a*b").fit(pd.DataFrame({"x": x, "m": m, "y": y}))
    >>> [(e.kind, e.label) for e in enumerate_effects(fit)]
    [('indirect', 'x -> m -> y'), ('total_indirect', 'x => y (total indirect)'), ('direct', 'x => y (direct)'), ('total', 'x => y (total)')]
    """
    edges = set(_structural_edges(results, group))
    predictors = {a for a, _ in edges}
    outcomes = sorted({b for _, b in edges} - predictors)
    order = list(dict.fromkeys(v for r in results.partable.rows if r.op == "~" and r.group == group
                               for v in (r.rhs, r.lhs)))
    if feedback_loop(edges):
        # every variable reachable from X gets X's total effect; no path enumeration
        return [Effect("total", source, target, (), feedback=True)
                for source in order if source in predictors
                for target in order if target in _reachable(edges, source) and target != source]
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
    """Vectorised evaluation of a list of effects over many parameter vectors (those of
    ``group`` in a multi-group model).

    >>> import numpy as np, pandas as pd
    >>> from semtrust.estimation.ml import SEM
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=500); m = 0.5 * x + rng.normal(size=500); y = 0.4 * m + 0.2 * x + rng.normal(size=500)
    >>> fit = SEM("m ~ a*x\\ny ~ b*m + x\\nab := a*b").fit(pd.DataFrame({"x": x, "m": m, "y": y}))
    >>> effects = EffectSet(fit)
    >>> dict(zip([e.label for e in effects.effects], effects.values(fit.theta[None, :])[0].round(3).tolist()))
    {'x -> m -> y': 0.188, 'x => y (total indirect)': 0.188, 'x => y (direct)': 0.239, 'x => y (total)': 0.427}
    """

    def __init__(self, results: FittedModel, effects: list[Effect] | None = None, group: int = 0):
        self.results, self.group = results, group
        effects = enumerate_effects(results, group=group) if effects is None else effects
        rows = results.partable.rows
        edge_rows = _structural_edges(results, group)
        self.edges = list(edge_rows)
        self.edge_free = np.array([rows[edge_rows[e]].free for e in self.edges])
        self.edge_fixed = np.array([rows[edge_rows[e]].value for e in self.edges])
        nodes = list(dict.fromkeys(v for e in self.edges for v in e))
        self.nodes = len(nodes)
        self.edge_cells = (np.array([nodes.index(b) for _, b in self.edges], dtype=int),
                           np.array([nodes.index(a) for a, _ in self.edges], dtype=int))
        if any(e.feedback for e in effects) and (radius := self.spectral_radius(results.theta)) >= 1:
            note = (f"{results.source}: the feedback loop {' -> '.join(feedback_loop(set(self.edges)))} has a "
                    f"path matrix with spectral radius {radius:.3g} >= 1, so its total effects do not converge "
                    "and are not reported; check the loop's paths")
            if note not in results.warnings:
                results.warnings.append(note)
            effects = [e for e in effects if not e.feedback]
        self.effects = effects
        self.feedback = [k for k, e in enumerate(effects) if e.feedback]
        self.feedback_cells = (np.array([nodes.index(effects[k].target) for k in self.feedback], dtype=int),
                               np.array([nodes.index(effects[k].source) for k in self.feedback], dtype=int))
        self.source_index = np.array([results.variable_index(e.source, group) for e in effects], dtype=int)
        self.target_index = np.array([results.variable_index(e.target, group) for e in effects], dtype=int)
        position = {e: i for i, e in enumerate(self.edges)}
        # each effect is a signed sum of path products: (effect, sign, edge ids)
        self.terms = [(k, -1.0 if effect.kind == "contrast" and j == 1 else 1.0,
                       [position[(a, b)] for a, b in zip(path, path[1:])])
                      for k, effect in enumerate(effects) for j, path in enumerate(effect.paths)]

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
        if self.feedback:
            out[:, self.feedback] = self._loop_totals(coefs)
        return out

    def _loop_totals(self, coefs: np.ndarray) -> np.ndarray:
        """(I - B)^-1 - I per draw, NaN where the spectral radius of B is 1 or more (the
        effects of a loop then grow without bound)."""
        B = np.zeros((len(coefs), self.nodes, self.nodes))
        B[:, self.edge_cells[0], self.edge_cells[1]] = coefs
        radius = np.abs(np.linalg.eigvals(B)).max(axis=1)
        stable = radius < 1
        totals = np.full((len(coefs), len(self.feedback)), np.nan)
        if stable.any():
            eye = np.eye(self.nodes)
            inverse = np.linalg.inv(eye - B[stable]) - eye
            totals[stable] = inverse[:, self.feedback_cells[0], self.feedback_cells[1]]
        return totals

    def spectral_radius(self, theta: np.ndarray) -> float:
        """Largest modulus of an eigenvalue of the path matrix B at ``theta``."""
        B = np.zeros((self.nodes, self.nodes))
        B[self.edge_cells] = self.coefficients(theta)[0]
        return float(np.abs(np.linalg.eigvals(B)).max()) if self.nodes else 0.0

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
    applies the expression to the std.all values of the labelled loadings and paths.

    >>> import numpy as np, pandas as pd
    >>> from semtrust.estimation.ml import SEM
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=500); m = 0.5 * x + rng.normal(size=500); y = 0.4 * m + 0.2 * x + rng.normal(size=500)
    >>> fit = SEM("m ~ a*x\\ny ~ b*m + x\\nab := a*b").fit(pd.DataFrame({"x": x, "m": m, "y": y}))
    >>> defined = DefinedSet(fit)
    >>> defined.values(fit.theta[None, :]).round(3).tolist()
    [[0.188]]
    """

    def __init__(self, results: FittedModel):
        self.results = results
        table = results.partable
        self.effects = [Defined(d.name, "".join(d.expression.split())) for d in table.definitions]
        self.expressions = [(d.name, Expression(d.expression, f"{results.source}, line {d.line}"))
                            for d in table.definitions]
        position = results.variable_index
        self.labels = []   # (label, free index or None, fixed value, std scale: (numerator, denominator) or None)
        for r in table.rows:
            if not r.label or any(r.label == lab for lab, *_ in self.labels):
                continue
            scale = None
            if r.op == "=~":
                scale = (position(r.lhs, r.group), position(r.rhs, r.group))
            elif r.op == "~":
                scale = (position(r.rhs, r.group), position(r.lhs, r.group))
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
                try:
                    values[name] = out[b, k] = expression(values)
                except InputError:   # undefined at this draw only (the estimates were checked by the fit)
                    values[name] = out[b, k] = np.nan
        return out

    def values(self, thetas: np.ndarray) -> np.ndarray:
        return self._evaluate(thetas, None)

    def standardized_values(self, thetas: np.ndarray, sds: np.ndarray) -> np.ndarray:
        return self._evaluate(thetas, np.atleast_2d(sds))
