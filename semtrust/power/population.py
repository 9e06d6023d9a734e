"""Power analysis, stage 1: the population the replications sample from.

A population is a lavaan-syntax model whose values are *standardized*: every variable, latent
or observed, has unit variance and each residual variance is whatever makes it so (as lavaan's
``simulateData(standardized = TRUE)``). Every ``=~`` and ``~`` statement needs a value; a value
on ``~~`` between two variables is their correlation when both are exogenous and the
correlation of their residuals otherwise; anything not given is zero. A population comes from
one of three places: written by hand (:meth:`Population.from_syntax`), drawn from an
instrument's hypotheses exactly as :mod:`semtrust.model.simulate` draws them
(:meth:`Population.from_instrument`), or the standardized estimates of a pilot study's
``results.json`` (:meth:`Population.from_results`). (lavaan sets latent residual variances in
one pass, so in its populations a latent variable two regressions downstream has a variance
above 1; here the residual variances are iterated until every variance is exactly 1.)

Responses are continuous, or Likert items: the continuous response cut at fixed thresholds
(:meth:`Population.with_likert`). The covariance matrix of Likert items is computed exactly,
each covariance of two category indicators being the integral of the bivariate normal density
over the correlation (Plackett's identity), so the analysis model's population values are
known without simulating.

>>> pop = Population.from_syntax("m ~ 0.4*x\\ny ~ 0.3*m + 0.1*x")
>>> pop.observed
['m', 'x', 'y']
>>> np.round(np.diag(pop.covariance), 6).tolist()
[1.0, 1.0, 1.0]
>>> round(float(pop.covariance[1, 2]), 3)  # corr(x, y) = .1 + .4 * .3
0.22
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from scipy import stats

from semtrust.errors import InputError
from semtrust.model.instrument import Instrument
from semtrust.model.simulate import population as simulated_population
from semtrust.model.simulate import response_cuts
from semtrust.model.syntax import parse_model

__all__ = ["Population", "canonical_syntax"]

GAUSS_NODES = 64   # Gauss-Legendre nodes for the Plackett integral (exact to ~1e-14 for |r| <= .95)


@dataclass(frozen=True)
class Population:
    """Standardized population: its syntax, the observed variables and their covariance
    (continuous responses, unit variances), and optional Likert thresholds per variable.

    >>> pop = Population.from_syntax("m ~ 0.4*x\\ny ~ 0.3*m")
    >>> pop.observed, pop.covariance.round(3).tolist()
    (['m', 'x', 'y'], [[1.0, 0.4, 0.3], [0.4, 1.0, 0.12], [0.3, 0.12, 1.0]])
    >>> pop.with_likert(5).thresholds.shape
    (3, 4)
    """

    syntax: str
    observed: list[str]
    covariance: np.ndarray
    source: str
    thresholds: np.ndarray | None = None    # (variables, categories - 1), ascending

    @classmethod
    def from_syntax(cls, text: str, source: str = "<population>", analysis: bool = False) -> Population:
        """Read a standardized population model written in lavaan syntax (``analysis``: the
        analysis model's own values, whose defined parameters are the analysis's)."""
        spec = parse_model(text, source)
        if spec.definitions and not analysis:
            raise InputError(f"{source}, line {spec.definitions[0].line}: a population model has no "
                             "defined parameters (:=); put them in the analysis model")
        latent = spec.latent
        observed = [v for v in spec.variables if v not in set(latent)]
        names = observed + latent
        index = {v: i for i, v in enumerate(names)}
        m = len(names)
        paths, correlations = np.zeros((m, m)), np.zeros((m, m))
        for s in spec.statements:
            if s.op in ("=~", "~") and s.fixed is None:
                example = f"{s.lhs} {s.op} 0.4*{s.rhs}"
                raise InputError(f"{source}, line {s.line}: give '{s.lhs} {s.op} {s.rhs}' its standardized "
                                 f"value, e.g. {example}")
            if s.op == "=~":
                paths[index[s.rhs], index[s.lhs]] = s.fixed
            elif s.op == "~":
                paths[index[s.lhs], index[s.rhs]] = s.fixed
            elif s.lhs == s.rhs:
                if s.fixed is not None:
                    raise InputError(f"{source}, line {s.line}: variances are implied (every variable has "
                                     f"unit variance); remove '{s.lhs} ~~ {s.fixed:g}*{s.rhs}'")
            elif s.fixed is not None:
                if not -1 < s.fixed < 1:
                    raise InputError(f"{source}, line {s.line}: {s.fixed:g} is not a correlation (-1 < r < 1)")
                correlations[index[s.lhs], index[s.rhs]] = correlations[index[s.rhs], index[s.lhs]] = s.fixed
        total = _standardized_covariance(paths, correlations, names, source)
        k = len(observed)
        return cls(canonical_syntax(spec.statements), observed, total[:k, :k], source)

    @classmethod
    def from_instrument(cls, instrument: Instrument, seed: int) -> Population:
        """The population :func:`semtrust.model.simulate.population` draws for ``instrument`` with
        ``seed``: paths of .25 to .45 with the hypothesised signs, loadings of .70 to .90,
        exogenous correlations of .2 to .4, R² at most .75; and Likert items on the instrument's
        scale, each item's thresholds shifted by a seeded amount in [-.3, .3]."""
        rng = np.random.default_rng(seed)
        drawn = simulated_population(instrument, rng)
        order, cov = drawn["order"], drawn["latent_cov"]
        index = {c: i for i, c in enumerate(order)}
        beta = np.zeros_like(cov)
        for h in instrument.hypotheses:
            beta[index[h.target], index[h.source]] = drawn["paths"][h.id]
        # disturbance (co)variances: (I - B) C (I - B)'
        residual = (np.eye(len(order)) - beta) @ cov @ (np.eye(len(order)) - beta).T
        lines = [f"{c.id} =~ " + " + ".join(f"{drawn['loadings'][i.id]:g}*{i.id}" for i in c.items)
                 for c in instrument.constructs]
        targets = list(dict.fromkeys(h.target for h in instrument.hypotheses))
        lines += [f"{t} ~ " + " + ".join(f"{drawn['paths'][h.id]:g}*{h.source}"
                                         for h in instrument.hypotheses if h.target == t) for t in targets]
        for a_pos, a in enumerate(order):
            for b in order[a_pos + 1:]:
                i, j = index[a], index[b]
                if a in drawn["exogenous"] and b in drawn["exogenous"]:
                    lines.append(f"{a} ~~ {cov[i, j]:.4g}*{b}")
                elif abs(residual[i, j]) > 1e-10:
                    lines.append(f"{a} ~~ {residual[i, j] / np.sqrt(residual[i, i] * residual[j, j]):.4g}*{b}")
        pop = cls.from_syntax("\n".join(lines) + "\n", f"instrument {instrument.id} (seed {seed})")
        shifts = {item: round(float(rng.uniform(-0.3, 0.3)), 2) for item in instrument.item_ids}
        return pop.with_likert(instrument.scale.points, shifts)

    @classmethod
    def from_results(cls, path: str | Path) -> tuple[Population, str]:
        """(population, analysis syntax) from a pilot study's ``results.json``: the structural
        model's standardized loadings, paths and (residual) correlations."""
        path = Path(path)
        try:
            results = json.loads(path.read_text(encoding="utf-8"))
            rows, syntax = results["parameters"], results["model"]["syntax"]
        except (OSError, ValueError, KeyError, TypeError):
            raise InputError(f"{path}: not a semtrust results.json (needs 'parameters' and 'model.syntax'); "
                             "give the results.json that `semtrust fit` wrote") from None
        lines = []
        for row in rows:
            value = row.get("std_all")
            if row["op"] in ("=~", "~") or (row["op"] == "~~" and row["lhs"] != row["rhs"]):
                if value is None:
                    raise InputError(f"{path}: '{row['lhs']} {row['op']} {row['rhs']}' has no standardized estimate")
                lines.append(f"{row['lhs']} {row['op']} {value:.6g}*{row['rhs']}")
        return cls.from_syntax("\n".join(lines) + "\n", str(path)), syntax

    def with_likert(self, points: int, shifts: dict[str, float] | None = None) -> Population:
        """The same population answered on a ``points``-category scale: the continuous response
        cut at :func:`semtrust.model.simulate.response_cuts` plus the variable's shift."""
        if not 2 <= points <= 11:
            raise InputError(f"{points} response categories: use 2 to 11")
        cuts = response_cuts(points)
        shifts = shifts or {}
        return replace(self, thresholds=np.array([cuts + shifts.get(v, 0.0) for v in self.observed]))

    def moments(self) -> np.ndarray:
        """Covariance matrix of the responses as analysed (category scores for Likert items)."""
        if self.thresholds is None:
            return self.covariance
        return _category_covariance(self.covariance, self.thresholds)

    def sample(self, rng: np.random.Generator, n: int, cholesky: np.ndarray) -> np.ndarray:
        """``n`` responses (rows) in :attr:`observed` order; ``cholesky`` is that of
        :attr:`covariance`, computed once by the caller."""
        continuous = rng.standard_normal((n, len(self.observed))) @ cholesky.T
        if self.thresholds is None:
            return continuous
        return 1.0 + (continuous[:, :, None] > self.thresholds[None]).sum(axis=2)

    def to_dict(self) -> dict:
        return {"source": self.source, "syntax": self.syntax,
                "response": "continuous" if self.thresholds is None else f"likert-{self.thresholds.shape[1] + 1}",
                "thresholds": None if self.thresholds is None else
                {v: [round(float(t), 4) for t in row] for v, row in zip(self.observed, self.thresholds)}}


def canonical_syntax(statements, values: bool = True, definitions=()) -> str:
    """One statement per line, with its value (the population as read) or without (the same
    model with every value free: the analysis model of a population); labels are kept, and
    ``definitions`` (``name := expression``) follow.

    >>> print(canonical_syntax(parse_model("m ~ 0.4*a*x").statements, values=False), end="")
    m ~ a*x

    >>> from semtrust.model.syntax import parse_model
    >>> statements = parse_model("y ~ 0.3*x + 0.2*w").statements
    >>> canonical_syntax(statements), canonical_syntax(statements, values=False)
    ('y ~ 0.3*x\\ny ~ 0.2*w\\n', 'y ~ x\\ny ~ w\\n')
    """
    def term(s):
        label = f"{s.label}*" if s.label else ""
        return label + (f"{s.fixed:g}*{s.rhs}" if values and s.fixed is not None else s.rhs)
    return "".join([f"{s.lhs} {s.op} {term(s)}\n" for s in statements]
                   + [f"{d.name} := {d.expression}\n" for d in definitions])


def _standardized_covariance(paths: np.ndarray, correlations: np.ndarray, names: list[str],
                            source: str) -> np.ndarray:
    """Covariance of all variables when each has unit variance: ``paths`` is the RAM ``A``
    (row = outcome), ``correlations`` the (residual) correlations. The residual variances are
    found by fixed-point iteration, exact after as many steps as the longest causal chain."""
    m = len(names)
    try:
        effects = np.linalg.inv(np.eye(m) - paths)
    except np.linalg.LinAlgError:
        raise InputError(f"{source}: the paths form a loop; population models must be recursive") from None
    residual = np.ones(m)
    for _ in range(10 * m + 10):
        scale = np.sqrt(np.clip(residual, 0, None))
        psi = correlations * np.outer(scale, scale) + np.diag(residual)
        total = np.einsum("ij,jk,ik->i", effects, psi, effects)
        change = 1.0 - total
        residual = residual + change
        if np.max(np.abs(change)) < 1e-14:
            break
    if np.any(residual <= 0):
        worst = int(np.argmin(residual))
        raise InputError(f"{source}: the standardized values explain more than all the variance of "
                         f"{names[worst]} (R² = {1 - residual[worst]:.2f}); make the values into it smaller")
    scale = np.sqrt(residual)
    psi = correlations * np.outer(scale, scale) + np.diag(residual)
    total = effects @ psi @ effects.T
    if np.linalg.eigvalsh(total).min() <= 1e-10:
        raise InputError(f"{source}: the correlations are impossible together (the implied correlation "
                         "matrix is not positive definite); make them smaller")
    return total


def _category_covariance(correlation: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Covariance of category scores ``1 + #(thresholds exceeded)`` of standard-normal responses.

    Cov(1[Z1 > h], 1[Z2 > k]) = integral over r from 0 to rho of the bivariate normal density
    at (h, k) with correlation r; a score is a sum of such indicators."""
    p = len(correlation)
    tails = stats.norm.sf(thresholds)                         # P(Z > t), (p, K)
    cov = np.zeros((p, p))
    for i in range(p):
        upper = stats.norm.sf(np.maximum.outer(thresholds[i], thresholds[i]))
        cov[i, i] = np.sum(upper - np.outer(tails[i], tails[i]))
    nodes, weights = np.polynomial.legendre.leggauss(GAUSS_NODES)
    h = thresholds[:, :, None, None]
    k = thresholds[:, None, :, None]
    for i in range(p):
        for j in range(i + 1, p):
            rho = correlation[i, j]
            r = rho * (nodes + 1) / 2
            one_minus = 1 - r * r
            density = np.exp(-(h[i] ** 2 - 2 * r * h[i] * k[j] + k[j] ** 2) / (2 * one_minus)) \
                / (2 * np.pi * np.sqrt(one_minus))
            cov[i, j] = cov[j, i] = float(np.sum(density * weights) * rho / 2)
    return cov
