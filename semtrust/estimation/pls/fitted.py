"""Estimation stage, PLS-SEM: what makes a PLS fit a :class:`~semtrust.estimation.base.FittedModel`.

A PLS fit's parameters are its standardized outer loadings (``=~``), outer weights (``<~``) and
path coefficients (``~``), so ``est`` is ``std_all`` and every variable's SD is 1. This module
gives those parameters a :class:`~semtrust.model.partable.ParameterTable` (so the effects stage
reads the paths as it reads a CB-SEM model's), the :class:`PLSResampler` the bootstrap refits
through (resample ``b`` is the same rows as in the vectorised PLS bootstrap, so both give the
same draws), and the model fit SmartPLS and cSEM report: SRMR, d_ULS and d_G of the saturated
model (Henseler et al. 2014; Dijkstra & Henseler 2015).

Model-implied indicator correlations: a block's items correlate with another block's through the
construct correlation, λⱼ rⱼₖ λₖ' (λ: loadings, the item–score correlations S wⱼ of a composite,
the PLSc loadings of a consistent common factor); within a block as λλ' (``=~``, common factor,
unit diagonal) or as observed (``<~``, composite). SRMR is the root mean square of the residuals
in the lower triangle with the diagonal, d_ULS half their summed squares over the whole matrix,
d_G half the summed squared logs of the eigenvalues of S⁻¹Σ (cSEM's definitions; there is no
PyPI implementation to check them against).

>>> from semtrust.estimation.pls.model import parse_pls_model
>>> model = parse_pls_model("A =~ a1 + a2\\nB =~ b1 + b2\\nB ~ A")
>>> [(r.lhs, r.op, r.rhs, r.free) for r in parameter_table(model).rows][-1]
('B', '~', 'A', 8)
"""
from __future__ import annotations

import math

import numpy as np

from semtrust.estimation.base import Resampler
from semtrust.estimation.pls.algorithm import Fit
from semtrust.estimation.pls.bootstrap import Problem, statistics_of_rows
from semtrust.estimation.pls.model import PLSModel
from semtrust.estimation.pls.statistics import statistic_keys
from semtrust.model.partable import ParameterTable, Row

__all__ = []

PARAMETER_PARTS = ("loading", "weight", "path")


def parameter_mask(model: PLSModel) -> np.ndarray:
    """Which statistics (:func:`~semtrust.estimation.pls.statistics.statistic_keys`) are parameters."""
    return np.array([key[0] in PARAMETER_PARTS for key in statistic_keys(model)])


def parameter_table(model: PLSModel) -> ParameterTable:
    """The loadings, weights and paths as free parameters, in the order of ``parameters``."""
    keys = [key for key in statistic_keys(model) if key[0] in PARAMETER_PARTS]
    rows = [Row(lhs, op, rhs, free=k) for k, (_, lhs, op, rhs) in enumerate(keys)]
    return ParameterTable(rows, list(model.indicators), list(model.constructs), [], [])


class PLSResampler(Resampler):
    """Refits a PLS model (both stages of a two-stage one) to resamples of its cases; picklable.
    :meth:`refit_many` refits a whole stack of resamples at once (the vectorised PLS algorithm)."""

    def __init__(self, problem: Problem):
        self.problem = problem
        self.n = len(problem.data)
        self.mask = parameter_mask(problem.model)
        self.width = len(problem.model.indicators) + len(problem.model.constructs)

    def refit_many(self, rows: np.ndarray) -> list[np.ndarray | None]:
        values = statistics_of_rows(self.problem, rows)[0][:, self.mask]
        return [theta if np.isfinite(theta).all() else None for theta in values]

    def refit(self, rows: np.ndarray) -> np.ndarray | None:
        return self.refit_many(rows[None])[0]

    def total_sd(self, theta: np.ndarray) -> np.ndarray:
        return np.ones(self.width)   # standardized indicators and unit-variance construct scores


def implied_correlation(correlation: np.ndarray, fit: Fit, model: PLSModel) -> np.ndarray:
    """The saturated model's indicator correlations (see the module docstring), slots × slots."""
    loadings = fit.loadings[0]                       # slots × constructs, zero outside a block
    owner = model.membership.argmax(axis=1)
    own = loadings[np.arange(len(owner)), owner]
    sigma = (loadings @ fit.construct_cor[0] @ loadings.T)
    same = owner[:, None] == owner[None, :]
    reflective = np.array([model.modes[model.constructs[k]] == "A" for k in owner])
    within = np.where(reflective[:, None], np.outer(own, own), correlation)
    sigma = np.where(same, within, sigma)
    np.fill_diagonal(sigma, 1.0)
    return sigma


def model_fit(correlation: np.ndarray, fit: Fit, model: PLSModel) -> dict[str, float]:
    """SRMR, d_ULS and d_G of the saturated model (SmartPLS's names); NaN for a model with
    repeated indicators, whose slot correlation matrix is singular.

    >>> from semtrust.estimation.pls.model import parse_pls_model
    >>> from semtrust.estimation.pls.algorithm import Layout, solve_stack
    >>> model = parse_pls_model("A =~ a1 + a2\\nB =~ b1 + b2\\nB ~ A")
    >>> r = np.array([[1, .5, .3, .3], [.5, 1, .3, .3], [.3, .3, 1, .6], [.3, .3, .6, 1.]])
    >>> {k: round(v, 4) for k, v in model_fit(r, solve_stack(r[None], Layout.of(model)), model).items()}
    {'SRMR': 0.1012, 'd_ULS': 0.1025, 'd_G': 0.5086}
    """
    if len(set(model.indicators)) < len(model.slots):
        return dict.fromkeys(("SRMR", "d_ULS", "d_G"), math.nan)
    sigma = implied_correlation(correlation, fit, model)
    residual = correlation - sigma
    lower = np.tril_indices(len(sigma))
    with np.errstate(invalid="ignore", divide="ignore"):
        eigen = np.linalg.eigvals(np.linalg.solve(correlation, sigma)).real
        geodesic = 0.5 * float(np.sum(np.log(eigen) ** 2)) if (eigen > 0).all() else math.nan
    return {"SRMR": float(np.sqrt(np.mean(residual[lower] ** 2))), "d_ULS": 0.5 * float(np.sum(residual ** 2)),
            "d_G": geodesic}
