"""Sample statistics of ordinal items: thresholds, polychoric correlations and their
asymptotic covariance (the first stage of WLSMV).

Likert answers are read as cut-offs of latent normal responses. lavaan's two-step method
estimates each item's thresholds from its marginal proportions, then each pair's polychoric
correlation by maximum likelihood with the thresholds held fixed (Olsson 1979). The
asymptotic covariance matrix ``gamma`` of (thresholds, correlations) comes from casewise
scores of both steps (Muthen 1984), exactly as lavaan's ``lav_samplestats`` builds its
``NACOV``; DWLS weights by the inverse of its diagonal.

All pairs are estimated at once: Newton steps on every correlation together, with the
bivariate normal CDF on each pair's threshold grid from Owen's T function, so 50 items take
a fraction of a second.

>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(7)
>>> latent = rng.multivariate_normal([0, 0], [[1, .6], [.6, 1]], size=2000)
>>> items = pd.DataFrame(np.digitize(latent, [-1, 0, 1]) + 1, columns=["q1", "q2"])
>>> stats = polychoric(items)
>>> stats.thresholds["q1"].round(1).tolist()
[-1.0, -0.0, 1.0]
>>> round(float(stats.correlation.loc["q1", "q2"]), 2)
0.59
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special, stats

from semtrust.errors import EstimationError, InputError

__all__ = ["polychoric", "OrdinalStatistics", "bivariate_normal_cdf"]

# a finite stand-in for an infinite threshold: Phi and the bivariate CDF are exact there in doubles
_INFINITY = 40.0
_RHO_BOUND = 0.999  # lavaan's bounds for a polychoric correlation
MAX_CATEGORIES = 20
# the bivariate CDF at a correlation within this distance of the pair's last Owen's T evaluation
# (both within +-_QUADRATURE_BOUND) comes from integrating the density over the difference
# (6-point Gauss-Legendre: error below 1e-14 there)
_ANCHOR_RADIUS = 0.05
_QUADRATURE_BOUND = 0.9
_GAUSS_NODES, _GAUSS_WEIGHTS = np.polynomial.legendre.leggauss(6)


def bivariate_normal_cdf(h, k, rho):
    """P(X <= h, Y <= k) for standard normals with correlation ``rho``, elementwise over
    broadcast arrays, by Owen's T function (Owen 1956):
    Phi2 = (Phi(h) + Phi(k)) / 2 - T(h, a_h) - T(k, a_k) - beta.

    >>> round(float(bivariate_normal_cdf(0.0, 0.0, 0.5)), 6)  # 1/4 + asin(.5)/(2 pi)
    0.333333
    >>> round(float(bivariate_normal_cdf(1.0, -0.5, -0.3)), 6)
    0.232036
    """
    h, k, rho = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (h, k, rho)))
    # a zero threshold is moved off zero: the formula divides by h and k, and the CDF is smooth
    h = np.where(h == 0.0, 1e-12, h)
    k = np.where(k == 0.0, 1e-12, k)
    root = np.sqrt(np.clip(1.0 - rho * rho, 1e-300, None))
    a_h = (k - rho * h) / (h * root)
    a_k = (h - rho * k) / (k * root)
    beta = np.where(np.signbit(h) == np.signbit(k), 0.0, 0.5)
    return 0.5 * (special.ndtr(h) + special.ndtr(k)) - special.owens_t(h, a_h) - special.owens_t(k, a_k) - beta


@dataclass
class OrdinalStatistics:
    """Thresholds and polychoric correlations of ordinal items (and the means, variances and
    polyserial/Pearson correlations of continuous variables beside them), with lavaan's ``NACOV``.

    ``gamma`` is ordered as lavaan's ``WLS.obs``: every item's thresholds (a continuous
    variable's minus mean in its place), variable by variable; the continuous variables'
    variances; then the covariances below the diagonal column by column (``pairs``; correlations
    between ordinal items). Var(statistics) = gamma / n.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> latent = 0.7 * rng.normal(size=(500, 1)) + np.sqrt(0.51) * rng.normal(size=(500, 4))
    >>> items = pd.DataFrame(np.digitize(latent, [-1.2, -0.4, 0.4, 1.2]) + 1, columns=["q1", "q2", "q3", "q4"])
    >>> stats = polychoric(items)
    >>> stats.n, [int(v) for v in stats.levels["q1"]], stats.thresholds["q1"].round(3).tolist(), stats.gamma.shape
    (500, [1, 2, 3, 4, 5], [-1.165, -0.44, 0.342, 1.117], (22, 22))
    """

    names: list[str]
    n: int
    levels: dict[str, list]              # the observed answers of each ordinal item, in order
    thresholds: dict[str, np.ndarray]
    correlation: pd.DataFrame
    gamma: np.ndarray | None             # None when only the diagonal was asked for
    gamma_diagonal: np.ndarray
    pairs: list[tuple[int, int]]         # (row, column) of each covariance in ``gamma``
    means: dict[str, float] = field(default_factory=dict)       # continuous variables
    variances: dict[str, float] = field(default_factory=dict)

    @property
    def numeric(self) -> list[str]:
        return [v for v in self.names if v in self.means]

    @property
    def threshold_names(self) -> list[tuple[str, str]]:
        """The first block of the statistics: (item, "t1"), ... and (variable, "~1") for a
        continuous variable's (minus) mean."""
        return [slot for v in self.names for slot in
                ([(v, "~1")] if v in self.means else [(v, f"t{k + 1}") for k in range(len(self.thresholds[v]))])]

    @property
    def covariance(self) -> np.ndarray:
        """The correlations rescaled by the continuous variables' SDs (lavaan's sample ``cov``)."""
        sd = np.array([math.sqrt(self.variances[v]) if v in self.variances else 1.0 for v in self.names])
        return self.correlation.to_numpy() * np.outer(sd, sd)

    @property
    def vector(self) -> np.ndarray:
        """The statistics in ``gamma``'s order."""
        cov = self.covariance
        first = [np.array([-self.means[v]]) if v in self.means else self.thresholds[v] for v in self.names]
        return np.concatenate([np.concatenate(first), [self.variances[v] for v in self.numeric],
                               [cov[i, j] for i, j in self.pairs]])


def _ordinal_codes(frame: pd.DataFrame) -> tuple[np.ndarray, dict[str, list]]:
    """Answers as category numbers 0..K-1 (sorted observed values, as R's ``ordered()``), -1
    where missing."""
    codes = np.empty(frame.shape, dtype=np.int64)
    levels = {}
    for column, name in enumerate(frame.columns):
        values = frame[name]
        if isinstance(values.dtype, pd.CategoricalDtype) and values.cat.ordered:
            # an ordered categorical keeps its own order (unused categories dropped, as R does)
            raw = values.cat.codes.to_numpy()
            used = np.unique(raw[raw >= 0])
            levels[name] = [values.cat.categories[k] for k in used]
            _check_levels(name, levels[name])
            codes[:, column] = np.where(raw >= 0, np.searchsorted(used, raw), -1)
            continue
        if not pd.api.types.is_numeric_dtype(values):
            raise InputError(f"column '{name}' holds text answers; code them as numbers in scale order "
                             "(1 = lowest) or as an ordered categorical before fitting ordinal items")
        observed = sorted(pd.unique(values.dropna()))
        _check_levels(name, observed)
        levels[name] = observed
        codes[:, column] = np.where(values.isna(), -1, np.searchsorted(np.asarray(observed), values.to_numpy()))
    return codes, levels


def _check_levels(name: str, observed: list) -> None:
    if len(observed) < 2:
        raise InputError(f"column '{name}' has a single answer ({observed[0]!r}); an ordinal item "
                         "needs at least two categories: drop it")
    if len(observed) > MAX_CATEGORIES:
        raise InputError(f"column '{name}' has {len(observed)} distinct values; ordinal items have at "
                         f"most {MAX_CATEGORIES} categories: leave it out of 'ordered'")


def polychoric(frame: pd.DataFrame, *, numeric=(), pairwise: bool = False, full_gamma: bool = True,
               tol: float = 1e-10, max_iter: int = 100) -> OrdinalStatistics:
    """Thresholds, polychoric correlations and their asymptotic covariance (lavaan's two-step
    estimates and ``NACOV``) for ordinal answers in ``frame``: complete ones, or with
    ``pairwise=True`` (lavaan's ``missing = "pairwise"``) thresholds from each item's answers and
    correlations from each pair's, a missing answer scoring 0. Columns named in ``numeric`` are
    continuous: their means and variances, polyserial correlations with the items and Pearson
    correlations among themselves join the statistics. ``full_gamma=False`` computes only the
    diagonal (the DWLS weights), as a bootstrap refit needs.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> latent = 0.7 * rng.normal(size=(500, 1)) + np.sqrt(0.51) * rng.normal(size=(500, 4))
    >>> items = pd.DataFrame(np.digitize(latent, [-1.2, -0.4, 0.4, 1.2]) + 1, columns=["q1", "q2", "q3", "q4"])
    >>> polychoric(items).correlation.round(3)
           q1     q2     q3     q4
    q1  1.000  0.518  0.517  0.531
    q2  0.518  1.000  0.508  0.476
    q3  0.517  0.508  1.000  0.539
    q4  0.531  0.476  0.539  1.000
    """
    if not pairwise and frame.isna().any().any():
        raise InputError("polychoric correlations need complete answers: drop the incomplete rows first "
                         "or use pairwise deletion")
    names = [str(c) for c in frame.columns]
    numeric = [v for v in names if v in set(numeric)]
    ordinal = [v for v in names if v not in numeric]
    if not ordinal:
        raise InputError("no ordinal item among the variables: fit continuous variables by ML")
    part = _OrdinalPart(frame[ordinal], tol, max_iter)
    if not numeric:
        correlation = np.eye(len(names))
        correlation[part.rows, part.cols] = correlation[part.cols, part.rows] = part.rho
        g = _assemble(part.n, [part.sc_th], [list(range(o, e)) for o, e in zip(part.offsets, part.offsets[1:])],
                      part.sc_cor, part.a21, np.ones(len(part.rho)), np.zeros((len(part.rho), 0)), [])
        return _statistics(names, part, correlation, g, full_gamma, part.pairs, {}, {})
    mixed = _MixedPart(frame, names, numeric, part, tol, max_iter)
    return _statistics(names, part, mixed.correlation, mixed.g, full_gamma, mixed.pairs, mixed.means, mixed.variances)


def _statistics(names, part, correlation, g, full_gamma, pairs, means, variances) -> OrdinalStatistics:
    n = part.n
    return OrdinalStatistics(names, n, part.levels, part.thresholds,
                             pd.DataFrame(correlation, index=names, columns=names),
                             n * (g.T @ g) if full_gamma else None, n * np.einsum("ij,ij->j", g, g), pairs,
                             means, variances)


class _OrdinalPart:
    """The ordinal items' thresholds, polychorics and case scores (the all-ordinal statistics)."""

    def __init__(self, frame: pd.DataFrame, tol: float, max_iter: int):
        names = [str(c) for c in frame.columns]
        codes, self.levels = _ordinal_codes(frame)
        self.codes = codes
        n, p = codes.shape
        self.n = n
        counts = np.array([len(self.levels[v]) for v in names])
        self.counts = counts
        k_max = int(counts.max())
        onehot = np.zeros((n, p, k_max))
        answered = codes >= 0
        case, item = np.nonzero(answered)
        onehot[case, item, codes[case, item]] = 1.0
        marginal = onehot.sum(axis=0) / answered.sum(axis=0)[:, None]
        cumulative = np.cumsum(marginal, axis=1)
        # boundaries t[0] = -inf < t[1] < ... < t[K] = +inf, padded with +inf up to k_max
        bounds = np.full((p, k_max + 1), _INFINITY)
        bounds[:, 0] = -_INFINITY
        for i in range(p):
            bounds[i, 1:counts[i]] = stats.norm.ppf(cumulative[i, : counts[i] - 1])
        self.bounds = bounds
        self.thresholds = {v: bounds[i, 1:counts[i]].copy() for i, v in enumerate(names)}
        self.offsets = np.concatenate([[0], np.cumsum(counts - 1)])
        self.pairs = [(i, j) for j in range(p) for i in range(j + 1, p)]
        self.rows = np.array([i for i, _ in self.pairs], dtype=int)
        self.cols = np.array([j for _, j in self.pairs], dtype=int)
        tables = (np.einsum("nia,njb->ijab", onehot, onehot, optimize=True)[self.rows, self.cols] if self.pairs
                  else np.zeros((0, k_max, k_max)))
        fit_tables = _zero_cell_correction(tables, counts[self.rows], counts[self.cols],
                                           [(names[i], names[j]) for i, j in self.pairs])
        grid = _PairGrid(bounds[self.rows], bounds[self.cols], tables, fit_tables)
        self.rho = grid.estimate(_start(codes, self.rows, self.cols), tol, max_iter)
        self.sc_th, self.sc_cor, self.a21 = _ordinal_scores(codes, bounds, counts, marginal, grid, self.rho,
                                                            self.rows, self.cols)


def _zero_cell_correction(tables: np.ndarray, rows_k: np.ndarray, cols_k: np.ndarray, names) -> np.ndarray:
    """lavaan's ``zero.add = c(0.5, 0)`` with ``zero.keep.margins = TRUE``: a 2 x 2 table with one
    empty cell moves 0.5 onto it and its opposite corner from the other diagonal (the margins
    stay), so the correlation has a finite estimate; larger tables are used as they are."""
    fitted = tables.copy()
    for pair in np.flatnonzero((rows_k == 2) & (cols_k == 2)):
        table = fitted[pair, :2, :2]
        empty = table == 0
        if empty.sum() == 2:
            raise EstimationError(f"the binary items {names[pair][0]} and {names[pair][1]} have two empty "
                                  "cells in their 2 x 2 table (perfectly associated): drop one of them")
        if empty.sum() == 1:
            on_diagonal = empty[0, 0] or empty[1, 1]
            shift = 0.5 if on_diagonal else -0.5
            table += np.array([[shift, -shift], [-shift, shift]])
    return fitted


def _start(codes: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Pearson correlations of the category numbers (a missing answer at its item's mean): close
    to the polychorics, inside the bounds."""
    answered = codes >= 0
    means = (codes * answered).sum(axis=0) / answered.sum(axis=0)
    centered = np.where(answered, codes - means, 0.0)
    scale = np.sqrt((centered ** 2).sum(axis=0))
    pearson = (centered.T @ centered) / np.outer(scale, scale)
    return np.clip(pearson[rows, cols], -0.9, 0.9)


def _bivariate_density(squares, product, rho):
    """The standard bivariate normal density at (x, y) with correlation ``rho``, from
    x^2 + y^2 and xy (broadcast)."""
    one_minus = 1.0 - rho * rho
    return np.exp((2.0 * rho * product - squares) / (2.0 * one_minus)) / (2.0 * np.pi * np.sqrt(one_minus))


class _PairGrid:
    """Every pair's bivariate-normal cell probabilities on its threshold grid, and their
    derivatives, for correlations ``rho`` (one per pair)."""

    def __init__(self, bounds_row: np.ndarray, bounds_col: np.ndarray, tables: np.ndarray, fit_tables: np.ndarray):
        self.x = bounds_row[:, :, None]          # (pairs, K+1, 1)
        self.y = bounds_col[:, None, :]          # (pairs, 1, K+1)
        self.tables = tables                     # the data's counts (for the scores)
        self.fit_tables = fit_tables             # the counts the likelihood uses (zero cells corrected)
        # cells of real categories (padding up to the largest K has zero probability)
        self.present = (bounds_row[:, :-1, None] < _INFINITY) & (bounds_col[:, None, :-1] < _INFINITY)
        # corners at an infinite boundary need no bivariate CDF: 0 at -inf, the other margin at +inf
        x, y = np.broadcast_arrays(self.x, self.y)
        self.inner = (np.abs(x) < _INFINITY) & (np.abs(y) < _INFINITY)
        self.inner_x, self.inner_y = x[self.inner], y[self.inner]
        # x^2 + y^2 and xy at every corner: the bivariate density at any rho from them
        self.squares, self.product = x * x + y * y, x * y
        self.inner_squares, self.inner_product = self.squares[self.inner], self.product[self.inner]
        self.inner_pair = np.broadcast_to(np.arange(len(tables))[:, None, None], x.shape)[self.inner]
        self.border = np.where((x <= -_INFINITY) | (y <= -_INFINITY), 0.0,
                               np.where(x >= _INFINITY, special.ndtr(y), special.ndtr(x)))
        self._anchor: tuple[np.ndarray, np.ndarray] | None = None

    @staticmethod
    def cells(grid: np.ndarray) -> np.ndarray:
        """Cell masses from values on the corners: F(a+1, b+1) - F(a, b+1) - F(a+1, b) + F(a, b)."""
        return grid[:, 1:, 1:] - grid[:, :-1, 1:] - grid[:, 1:, :-1] + grid[:, :-1, :-1]

    def probabilities(self, rho: np.ndarray) -> np.ndarray:
        grid = self.border.copy()
        grid[self.inner] = self._inner_cdf(rho)
        return self.cells(grid)

    def _inner_cdf(self, rho: np.ndarray) -> np.ndarray:
        """The bivariate CDF at the finite corners. Owen's T is costly, so each pair keeps an
        anchor (its last correlation and CDF values); a correlation within ``_ANCHOR_RADIUS``
        of it, both inside +-``_QUADRATURE_BOUND``, adds the integral of d Phi2 / d rho = phi2
        from the anchor by Gauss-Legendre quadrature (exact to rounding there: Newton's steps
        accumulate errors of 1e-15); the other pairs are evaluated afresh by Owen's T."""
        corner_rho = rho[self.inner_pair]
        if self._anchor is None:
            values = bivariate_normal_cdf(self.inner_x, self.inner_y, corner_rho)
            self._anchor = (corner_rho, values)
            return values
        start, anchored = self._anchor
        near = (np.abs(corner_rho - start) <= _ANCHOR_RADIUS) & (np.abs(corner_rho) <= _QUADRATURE_BOUND) \
            & (np.abs(start) <= _QUADRATURE_BOUND)
        values = np.empty_like(anchored)
        half = (corner_rho[near] - start[near]) / 2
        nodes = (start[near] + half)[None, :] + half[None, :] * _GAUSS_NODES[:, None]
        density = _bivariate_density(self.inner_squares[near], self.inner_product[near], nodes)
        values[near] = anchored[near] + half * (_GAUSS_WEIGHTS @ density)
        far = ~near
        if far.any():
            values[far] = bivariate_normal_cdf(self.inner_x[far], self.inner_y[far], corner_rho[far])
        self._anchor = (corner_rho, values)
        return values

    def density(self, rho: np.ndarray) -> np.ndarray:
        """phi2 at every corner."""
        return _bivariate_density(self.squares, self.product, rho[:, None, None])

    def loglik_derivatives(self, rho: np.ndarray):
        """First and second derivatives of each pair's log-likelihood in its correlation."""
        r = rho[:, None, None]
        prob = np.where(self.present, self.probabilities(rho), 1.0)
        density = self.density(rho)
        one_minus = 1.0 - r * r
        quad = self.squares - 2.0 * r * self.product
        # d phi2 / d rho = phi2 * (rho / (1 - rho^2) + (xy (1 - rho^2) - rho Q) / (1 - rho^2)^2)
        density_slope = density * (r / one_minus + (self.product * one_minus - r * quad) / one_minus ** 2)
        first = self.cells(density) / prob
        second = self.cells(density_slope) / prob
        n = self.fit_tables
        return (n * first).sum(axis=(1, 2)), (n * (second - first * first)).sum(axis=(1, 2))

    def estimate(self, rho: np.ndarray, tol: float, max_iter: int) -> np.ndarray:
        """Newton's method on all pairs at once, within lavaan's bounds (+-0.999)."""
        for _ in range(max_iter):
            gradient, hessian = self.loglik_derivatives(rho)
            # a non-concave point (far from the optimum) takes a gradient step instead
            step = np.where(hessian < 0, -gradient / np.where(hessian < 0, hessian, -1.0),
                            np.sign(gradient) * 0.05)
            step = np.clip(step, -0.2, 0.2)
            new = np.clip(rho + step, -_RHO_BOUND, _RHO_BOUND)
            if np.max(np.abs(new - rho), initial=0.0) < tol:
                return new
            rho = new
        raise EstimationError("the polychoric correlations did not converge; an item pair may have "
                              "nearly empty categories: merge sparse answer categories")

    def scores(self, rho: np.ndarray):
        """Per cell: d log P / d rho, and d P / d (row and column boundaries) split into the
        boundary derivatives D (see :func:`_nacov`), with the cell probabilities."""
        r = rho[:, None, None]
        root = np.sqrt(1.0 - r * r)
        prob = np.where(self.present, self.probabilities(rho), 1.0)
        rho_score = self.cells(self.density(rho)) / prob
        # dF(u, v)/dx_u = phi(x_u) Phi((y_v - rho x_u) / R); differences over v give D_row(u, b)
        g_row = stats.norm.pdf(self.x) * special.ndtr((self.y - r * self.x) / root)
        g_col = stats.norm.pdf(self.y) * special.ndtr((self.x - r * self.y) / root)
        d_row = g_row[:, :, 1:] - g_row[:, :, :-1]          # (pairs, K+1, K)
        d_col = g_col[:, 1:, :] - g_col[:, :-1, :]          # (pairs, K, K+1)
        return rho_score, d_row, d_col, prob


def _ordinal_scores(codes, bounds, counts, marginal, grid: _PairGrid, rho, rows, cols):
    """The pieces of lavaan's ``muthen1984`` for ordinal items: the casewise threshold and
    correlation scores, and A21, the cross products of each pair's correlation scores with its
    bivariate threshold scores (pairs x thresholds)."""
    p = codes.shape[1]
    offsets = np.concatenate([[0], np.cumsum(counts - 1)])
    n_th = int(offsets[-1])
    # univariate threshold scores: a case in category a has d log P_a / d t_a = -phi(t_a)/P_a and
    # d log P_a / d t_(a+1) = phi(t_(a+1))/P_a (boundary indices; only interior ones are thresholds)
    case_prob = marginal[np.arange(p)[None, :], codes]
    density = stats.norm.pdf(bounds)
    sc_th = np.zeros((len(codes), n_th))
    for i in range(p):
        a = codes[:, i]
        upper = (a >= 0) & (a + 1 < counts[i])   # a missing answer (-1) scores 0
        lower = a > 0
        cases = np.arange(len(codes))
        sc_th[cases[upper], offsets[i] + a[upper]] = density[i, a[upper] + 1] / case_prob[upper, i]
        sc_th[cases[lower], offsets[i] + a[lower] - 1] = -density[i, a[lower]] / case_prob[lower, i]
    rho_score, a21_row, a21_col = _cell_scores(grid, rho)
    sc_cor = np.where((codes[:, rows] >= 0) & (codes[:, cols] >= 0),
                      rho_score[np.arange(len(rows))[None, :], codes[:, rows], codes[:, cols]], 0.0)
    a21 = np.zeros((len(rows), n_th))
    for pair, (i, j) in enumerate(zip(rows, cols)):
        a21[pair, offsets[i]:offsets[i + 1]] = a21_row[pair, : counts[i] - 1]
        a21[pair, offsets[j]:offsets[j + 1]] = a21_col[pair, : counts[j] - 1]
    return sc_th, sc_cor, a21


def _cell_scores(grid: _PairGrid, rho: np.ndarray):
    """Per pair and cell, the correlation score d log P_ab / d rho, and A21 split by item: the
    cross products of the correlation scores with the row and the column item's threshold scores,
    sum over cells of n_ab s_rho(ab) d log P_ab / d t_u, where
    d P_ab / d x_u = [u == a+1] D_row(a+1, b) - [u == a] D_row(a, b)."""
    rho_score, d_row, d_col, prob = grid.scores(rho)
    weighted = grid.tables * rho_score / prob                       # (pairs, K, K)
    a21_row = (d_row[:, 1:-1, :] * (weighted[:, :-1, :] - weighted[:, 1:, :])).sum(axis=2)
    a21_col = (d_col[:, :, 1:-1] * (weighted[:, :, :-1] - weighted[:, :, 1:])).sum(axis=1)
    return rho_score, a21_row, a21_col


class ResampledStatistics:
    """Thresholds and polychorics of bootstrap resamples of ordinal answers, with the diagonal
    of their asymptotic covariance (the DWLS weights of a refit), computed from the resample's
    category counts alone: a resample is a weighting of the cases, every pair's table is one
    product of weighted indicator matrices, and a case's scores depend only on its categories,
    so the diagonal of lavaan's NACOV is a sum over table cells (and, under pairwise deletion,
    over the categories of the cases that answered one item of a pair only). Newton starts at
    the full-sample polychorics and stops once a step is below ``tol`` (Newton converges
    quadratically: the correlations are then exact to about its square). The same numbers as
    :func:`polychoric` on the resampled rows (``full_gamma=False``, ``pairwise`` alike), without
    the casewise score matrices.

    >>> rng = np.random.default_rng(7)
    >>> latent = rng.multivariate_normal([0, 0, 0], [[1, .6, .5], [.6, 1, .4], [.5, .4, 1]], size=400)
    >>> items = pd.DataFrame(np.digitize(latent, [-1, 0, 1]) + 1, columns=["q1", "q2", "q3"])
    >>> resampled = ResampledStatistics(items, polychoric(items).vector[9:])
    >>> rows = rng.integers(0, 400, 400)
    >>> vector, weights = resampled(rows)
    >>> direct = polychoric(items.iloc[rows], full_gamma=False)
    >>> bool(np.allclose(vector, direct.vector) and np.allclose(weights, direct.gamma_diagonal))
    True
    """

    def __init__(self, frame: pd.DataFrame, rho: np.ndarray, tol: float = 1e-5, max_iter: int = 100):
        codes, levels = _ordinal_codes(frame)
        n, p = codes.shape
        self.n, self.rho, self.tol, self.max_iter = n, np.asarray(rho, dtype=float), tol, max_iter
        self.names = [str(c) for c in frame.columns]
        self.counts = np.array([len(levels[v]) for v in self.names])
        self.k_max = k = int(self.counts.max())
        self.onehot = np.zeros((n, p * k))
        case, item = np.nonzero(codes >= 0)                               # a missing answer: no category
        self.onehot[case, item * k + codes[case, item]] = 1.0
        self.real = np.arange(k)[None, :] < self.counts[:, None]           # (p, k): categories that exist
        self.threshold_slots = np.arange(k - 1)[None, :] < self.counts[:, None] - 1
        pairs = [(i, j) for j in range(p) for i in range(j + 1, p)]
        self.rows = np.array([i for i, _ in pairs], dtype=int)
        self.cols = np.array([j for _, j in pairs], dtype=int)
        self.pair_names = [(self.names[i], self.names[j]) for i, j in pairs]

    def __call__(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """(thresholds and polychorics in ``gamma``'s order, the diagonal of gamma) of the
        resample ``rows``; None when a category is empty in it (its thresholds differ)."""
        estimated = self._estimate(rows)
        if estimated is None:
            return None
        marginal, bounds, grid, rho = estimated
        thresholds = bounds[:, 1:self.k_max][self.threshold_slots]
        return np.concatenate([thresholds, rho]), self._gamma_diagonal(len(rows), marginal, bounds, grid, rho)

    def correlations(self, rows: np.ndarray) -> np.ndarray | None:
        """The polychorics of the resample ``rows`` (the pairs in ``gamma``'s order), None when a
        category is empty in it."""
        estimated = self._estimate(rows)
        return None if estimated is None else estimated[3]

    def _estimate(self, rows: np.ndarray):
        k, p = self.k_max, len(self.counts)
        weight = np.bincount(rows, minlength=self.n).astype(float)
        drawn = np.flatnonzero(weight)
        onehot = self.onehot[drawn]
        marginal = (weight[drawn] @ onehot).reshape(p, k)
        if np.any(self.real & (marginal == 0)):
            return None
        cross = ((onehot * weight[drawn, None]).T @ onehot).reshape(p, k, p, k)
        tables = cross[self.rows, :, self.cols, :]
        bounds = np.full((p, k + 1), _INFINITY)
        bounds[:, 0] = -_INFINITY
        # each item's proportions among the cases that answered it
        inner = np.cumsum(marginal / marginal.sum(axis=1, keepdims=True), axis=1)[:, :-1]
        bounds[:, 1:k][self.threshold_slots] = stats.norm.ppf(inner[self.threshold_slots])
        fit_tables = _zero_cell_correction(tables, self.counts[self.rows], self.counts[self.cols], self.pair_names)
        grid = _PairGrid(bounds[self.rows], bounds[self.cols], tables, fit_tables)
        return marginal, bounds, grid, grid.estimate(self.rho, self.tol, self.max_iter)

    def _gamma_diagonal(self, n, marginal, bounds, grid: _PairGrid, rho) -> np.ndarray:
        """n sum over cells of counts times the squared G of :func:`_assemble`: an item's
        threshold G rows are its category scores S times (S' N S)^-1; a pair's correlation G is
        (s_rho - G_i a21_i - G_j a21_j) / a22 for a case that answered both, -G_i a21_i / a22 for
        one that answered item i only (its correlation score is 0)."""
        p, k = marginal.shape
        density = stats.norm.pdf(bounds)
        safe = np.where(self.real, marginal / marginal.sum(axis=1, keepdims=True), 1.0)
        # category a scores -phi(t_a)/P_a on threshold a-1 and phi(t_(a+1))/P_a on threshold a
        scores = np.zeros((p, k, k - 1))
        steps = np.arange(k - 1)
        scores[:, steps + 1, steps] = -density[:, 1:k] / safe[:, 1:]
        scores[:, steps, steps] = density[:, 1:k] / safe[:, :-1]
        scores *= self.threshold_slots[:, None, :] & self.real[:, :, None]
        info = np.einsum("pat,pa,pau->ptu", scores, marginal, scores)
        info[~self.threshold_slots] = 0.0
        info[np.nonzero(~self.threshold_slots)[0], np.nonzero(~self.threshold_slots)[1],
             np.nonzero(~self.threshold_slots)[1]] = 1.0
        g_uni = scores @ np.linalg.inv(info)                        # (p, k, k - 1)
        threshold_diag = n * np.einsum("pa,pat->pt", marginal, g_uni ** 2)[self.threshold_slots]
        rho_score, a21_row, a21_col = _cell_scores(grid, rho)
        rho_score = np.where(grid.present, rho_score, 0.0)
        a22 = (grid.tables * rho_score ** 2).sum(axis=(1, 2))
        u = np.einsum("qat,qt->qa", g_uni[self.rows], a21_row)
        v = np.einsum("qbt,qt->qb", g_uni[self.cols], a21_col)
        g_cor = (rho_score - u[:, :, None] - v[:, None, :]) / a22[:, None, None]
        # the answers to one item of a pair from cases that skipped the other (none when complete)
        row_only = marginal[self.rows] - grid.tables.sum(axis=2)
        col_only = marginal[self.cols] - grid.tables.sum(axis=1)
        one_sided = (row_only * u ** 2).sum(axis=1) + (col_only * v ** 2).sum(axis=1)
        correlation_diag = (grid.tables * g_cor ** 2).sum(axis=(1, 2)) + one_sided / a22 ** 2
        return np.concatenate([threshold_diag, n * correlation_diag])


def _assemble(n, uni_scores: list, blocks: list, sc_cor, a21, h22, h21, negate: list) -> np.ndarray:
    """G with lavaan's ``muthen1984`` NACOV = n G'G. With S = [univariate scores, correlation
    scores] per case, A11 the per-variable blocks of S'S, A21 the correlation scores' cross
    products with the bivariate scores of the univariate parameters, A22 the diagonal of the
    correlation block, B = [[A11, 0], [A21, A22]] and H the Jacobian from correlations to
    covariances (identity for ordinal items): NACOV = n H B^-1 S'S B^-T H', so G = S B^-T H';
    the columns in ``negate`` (continuous variables' means, written as minus means) change sign."""
    sc_uni = np.hstack(uni_scores)
    g_uni = np.zeros_like(sc_uni)
    for block in blocks:
        scores = sc_uni[:, block]
        try:
            g_uni[:, block] = np.linalg.solve(scores.T @ scores, scores.T).T
        except np.linalg.LinAlgError:
            raise EstimationError("the thresholds' information is singular: an answer category is "
                                  "almost empty; merge sparse categories") from None
    a22 = (sc_cor ** 2).sum(axis=0)
    g_cov = (sc_cor - g_uni @ a21.T) / a22 * h22
    if h21.shape[1]:
        g_cov += g_uni[:, sc_uni.shape[1] - h21.shape[1]:] @ h21.T
    g_uni[:, negate] *= -1.0
    return np.hstack([g_uni, g_cov])


class _MixedPart:
    """Continuous variables beside the ordinal items: their means and variances, Pearson
    correlations among them and polyserial ones with the items (each by maximum likelihood with
    the univariate estimates held fixed, as lavaan's two steps), and the G factor of NACOV
    over lavaan's layout of the statistics."""

    def __init__(self, frame: pd.DataFrame, names: list[str], numeric: list[str], part: _OrdinalPart,
                 tol: float, max_iter: int):
        n = part.n
        values = frame[numeric].to_numpy(dtype=float)
        # each variable's available values (all of them under listwise deletion); a missing value scores 0
        self.means = dict(zip(numeric, np.nanmean(values, axis=0)))
        self.variances = dict(zip(numeric, np.nanvar(values, axis=0)))
        sd = np.sqrt(np.nanvar(values, axis=0))
        z = (values - np.nanmean(values, axis=0)) / sd
        present = ~np.isnan(z)
        ordinal = [v for v in names if v not in numeric]
        q = len(numeric)
        # lavaan's layout: thresholds (a continuous variable's mean in its place), then variances
        slot_of: dict[str, list[int]] = {}
        columns = []
        for v in names:
            if v in numeric:
                k = numeric.index(v)
                slot_of[v] = [len(columns)]
                columns.append(np.nan_to_num(z[:, k] / sd[k]))      # d log f / d mu
            else:
                o = ordinal.index(v)
                slot_of[v] = list(range(len(columns), len(columns) + part.counts[o] - 1))
                columns.extend(part.sc_th[:, part.offsets[o]:part.offsets[o + 1]].T)
        n_slots = len(columns)
        var_slot = {v: n_slots + k for k, v in enumerate(numeric)}
        sc_var = np.nan_to_num((z ** 2 - 1) / (2 * sd ** 2))        # d log f / d sigma^2
        blocks = [slot_of[v] + ([var_slot[v]] if v in numeric else []) for v in names]
        p = len(names)
        self.pairs = [(i, j) for j in range(p) for i in range(j + 1, p)]
        correlation = np.eye(p)
        sc_cor = np.zeros((n, len(self.pairs)))
        a21 = np.zeros((len(self.pairs), n_slots + q))
        h22 = np.ones(len(self.pairs))
        h21 = np.zeros((len(self.pairs), q))
        ordinal_pair = {pair: k for k, pair in enumerate(part.pairs)}
        for k, (i, j) in enumerate(self.pairs):
            a, b = names[i], names[j]
            if a not in numeric and b not in numeric:
                m = ordinal_pair[(ordinal.index(a), ordinal.index(b))]
                rho = part.rho[m]
                sc_cor[:, k] = part.sc_cor[:, m]
                oa, ob = ordinal.index(a), ordinal.index(b)
                a21[k, slot_of[a]] = part.a21[m, part.offsets[oa]:part.offsets[oa + 1]]
                a21[k, slot_of[b]] = part.a21[m, part.offsets[ob]:part.offsets[ob + 1]]
            elif a in numeric and b in numeric:
                ka, kb = numeric.index(a), numeric.index(b)
                both = present[:, ka] & present[:, kb]
                rho = _pearson(z[both, ka], z[both, kb], tol, max_iter, (a, b))
                scores = _scatter(both, _pearson_scores(z[both, ka], z[both, kb], sd[ka], sd[kb], rho))
                sc_cor[:, k] = scores[0]
                for slot, score in zip((slot_of[a][0], slot_of[b][0], var_slot[a], var_slot[b]), scores[1:]):
                    a21[k, slot] = scores[0] @ score
                h22[k] = sd[ka] * sd[kb]
                h21[k, ka] = sd[kb] * rho / (2 * sd[ka])
                h21[k, kb] = sd[ka] * rho / (2 * sd[kb])
            else:
                cont, item = (a, b) if a in numeric else (b, a)
                kc, o = numeric.index(cont), ordinal.index(item)
                bounds = part.bounds[o, : part.counts[o] + 1]
                both = present[:, kc] & (part.codes[:, o] >= 0)
                codes, zc = part.codes[both, o], z[both, kc]
                rho = _polyserial(zc, codes, bounds, tol, max_iter, (cont, item))
                d_rho, d_mu, d_var, d_th = _scatter(both, _polyserial_scores(zc, codes, bounds, sd[kc], rho))
                sc_cor[:, k] = d_rho
                a21[k, slot_of[cont][0]] = d_rho @ d_mu
                a21[k, var_slot[cont]] = d_rho @ d_var
                a21[k, slot_of[item]] = d_rho @ d_th
                h22[k] = sd[kc]
                h21[k, kc] = rho / (2 * sd[kc])
            correlation[i, j] = correlation[j, i] = rho
        self.correlation = correlation
        mean_slots = [slot_of[v][0] for v in numeric]
        self.g = _assemble(n, [np.column_stack(columns), sc_var], blocks, sc_cor, a21, h22, h21, mean_slots)


def _scatter(mask: np.ndarray, arrays) -> list:
    """Casewise scores of the cases in ``mask`` placed among all cases (0 for the others)."""
    out = []
    for array in arrays:
        full = np.zeros((len(mask),) + array.shape[1:])
        full[mask] = array
        out.append(full)
    return out


def _pearson(z1, z2, tol, max_iter, names) -> float:
    """The correlation of two continuous variables by maximum likelihood with their means and
    variances held at the univariate estimates (the Pearson correlation of complete pairs; with
    pairwise deletion the marginals come from more cases)."""
    return _newton_on_score(lambda rho: _pearson_scores(z1, z2, 1.0, 1.0, rho)[0].sum(),
                            float(np.clip(np.mean(z1 * z2), -0.9, 0.9)), tol, max_iter, names)


def _newton_on_score(score, rho: float, tol: float, max_iter: int, names) -> float:
    """Newton steps on a summed score in rho (its slope by central differences), within lavaan's bounds."""
    for _ in range(max_iter):
        value = score(rho)
        h = 1e-6
        slope = (score(rho + h) - score(rho - h)) / (2 * h)
        step = -value / slope if slope < 0 else np.sign(value) * 0.05
        new = float(np.clip(rho + np.clip(step, -0.2, 0.2), -_RHO_BOUND, _RHO_BOUND))
        if abs(new - rho) < tol:
            return new
        rho = new
    raise EstimationError(f"the correlation of {names[0]} and {names[1]} did not converge")


def _pearson_scores(z1, z2, sd1, sd2, rho):
    """Casewise derivatives of the bivariate normal log-density in (rho, mu1, mu2, var1, var2)."""
    r2 = 1 - rho * rho
    quad = z1 * z1 - 2 * rho * z1 * z2 + z2 * z2
    d_rho = rho / r2 + (z1 * z2 * r2 - rho * quad) / r2 ** 2
    d_mu1 = (z1 - rho * z2) / (sd1 * r2)
    d_mu2 = (z2 - rho * z1) / (sd2 * r2)
    d_var1 = -1 / (2 * sd1 ** 2) + z1 * (z1 - rho * z2) / (2 * sd1 ** 2 * r2)
    d_var2 = -1 / (2 * sd2 ** 2) + z2 * (z2 - rho * z1) / (2 * sd2 ** 2 * r2)
    return d_rho, d_mu1, d_mu2, d_var1, d_var2


def _polyserial_terms(z, codes, bounds, rho):
    root = math.sqrt(1 - rho * rho)
    upper, lower = bounds[codes + 1], bounds[codes]
    u_up, u_lo = (upper - rho * z) / root, (lower - rho * z) / root
    prob = special.ndtr(u_up) - special.ndtr(u_lo)
    return root, upper, lower, stats.norm.pdf(u_up), stats.norm.pdf(u_lo), prob


def _polyserial_rho_score(z, codes, bounds, rho) -> np.ndarray:
    root, upper, lower, f_up, f_lo, prob = _polyserial_terms(z, codes, bounds, rho)
    return (f_up * (rho * upper - z) - f_lo * (rho * lower - z)) / (root ** 3 * prob)


def _polyserial(z, codes, bounds, tol, max_iter, names) -> float:
    """The polyserial correlation by maximum likelihood with the mean, variance and thresholds held."""
    return _newton_on_score(lambda rho: _polyserial_rho_score(z, codes, bounds, rho).sum(),
                            float(np.clip(np.corrcoef(z, codes)[0, 1], -0.9, 0.9)), tol, max_iter, names)


def _polyserial_scores(z, codes, bounds, sd, rho):
    """Casewise derivatives of the polyserial log-likelihood in rho, the continuous variable's
    mean and variance, and the item's thresholds."""
    root, upper, lower, f_up, f_lo, prob = _polyserial_terms(z, codes, bounds, rho)
    d_rho = (f_up * (rho * upper - z) - f_lo * (rho * lower - z)) / (root ** 3 * prob)
    inner = z + rho * (f_up - f_lo) / (root * prob)
    d_mu = inner / sd
    d_var = -1 / (2 * sd ** 2) + z * inner / (2 * sd ** 2)
    k = len(bounds) - 2                                              # interior thresholds
    d_th = np.zeros((len(z), k))
    cases = np.arange(len(z))
    up = codes + 1 <= k
    d_th[cases[up], codes[up]] = f_up[up] / (root * prob[up])
    lo = codes >= 1
    d_th[cases[lo], codes[lo] - 1] = -f_lo[lo] / (root * prob[lo])
    return d_rho, d_mu, d_var, d_th
