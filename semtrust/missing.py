"""Normal-theory likelihood with incomplete data: missing-data patterns, the EM estimates of
the saturated (h1) model, and the casewise log-likelihood and its derivatives that FIML
estimation and the robust (MLR) corrections need.

Derivatives with respect to a covariance matrix are written as a symmetric matrix ``G`` with
``d loglik = tr(G dSigma)``, so a parameter's derivative is ``sum(G * dSigma/dtheta)``.

>>> import numpy as np, pandas as pd
>>> frame = pd.DataFrame({"a": [1.0, 2, 3, 4, np.nan], "b": [2.0, 1, 4, 3, 5]})
>>> mean, cov = em_moments(frame)
>>> float(mean["b"]), float(cov.loc["b", "b"])
(3.0, 2.0)
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from semtrust.errors import InputError

LOG_2PI = math.log(2 * math.pi)


@dataclass
class Pattern:
    """The cases that share one set of observed variables."""

    observed: np.ndarray    # indices of the observed variables
    values: np.ndarray      # (cases, len(observed)) observed values
    rows: np.ndarray        # positions of these cases in the data

    def __post_init__(self):
        self.sum = self.values.sum(axis=0)
        self.cross = self.values.T @ self.values

    def deviations(self, mean: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sum and cross-product matrix of the cases' deviations from ``mean`` (observed part)."""
        m = mean[self.observed]
        cases = len(self.values)
        outer = np.outer(self.sum, m)
        return self.sum - cases * m, self.cross - outer - outer.T + cases * np.outer(m, m)


def missing_patterns(values: np.ndarray) -> list[Pattern]:
    """Group the rows of ``values`` (NaN = missing) by their pattern of observed variables;
    rows with nothing observed are left out."""
    observed = ~np.isnan(values)
    keys, inverse = np.unique(observed, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    patterns = []
    for k, key in enumerate(keys):
        if not key.any():
            continue
        rows = np.flatnonzero(inverse == k)
        index = np.flatnonzero(key)
        patterns.append(Pattern(index, values[np.ix_(rows, index)], rows))
    return patterns


def loglik(patterns: list[Pattern], mean: np.ndarray, cov: np.ndarray) -> float:
    """Casewise (FIML) normal log-likelihood summed over the cases; -inf where a block of
    ``cov`` is not positive definite."""
    total = 0.0
    for pattern in patterns:
        o = pattern.observed
        try:
            chol = np.linalg.cholesky(cov[np.ix_(o, o)])
        except np.linalg.LinAlgError:
            return -math.inf
        _, cross = pattern.deviations(mean)
        inv_chol = np.linalg.inv(chol)
        cases = len(pattern.values)
        total -= 0.5 * (cases * (len(o) * LOG_2PI + 2 * np.log(np.diag(chol)).sum())
                        + np.einsum("ij,ij->", inv_chol @ cross, inv_chol))
    return float(total)


def loglik_derivatives(patterns: list[Pattern], mean: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Derivatives of :func:`loglik`: (d/d mean, G with d loglik = tr(G dSigma))."""
    p = len(mean)
    d_mean, G = np.zeros(p), np.zeros((p, p))
    for pattern in patterns:
        o = pattern.observed
        W = np.linalg.inv(cov[np.ix_(o, o)])
        total, cross = pattern.deviations(mean)
        d_mean[o] += W @ total
        G[np.ix_(o, o)] += 0.5 * (W @ cross @ W - len(pattern.values) * W)
    return d_mean, G


def casewise_scores(patterns: list[Pattern], n: int, mean: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each case's derivatives of its log-likelihood: (n, p) for the means and (n, p, p) for
    the covariance matrix (as G_i, d loglik_i = tr(G_i dSigma))."""
    p = len(mean)
    d_mean, G = np.zeros((n, p)), np.zeros((n, p, p))
    for pattern in patterns:
        o = pattern.observed
        W = np.linalg.inv(cov[np.ix_(o, o)])
        wd = (pattern.values - mean[o]) @ W
        d_mean[np.ix_(pattern.rows, o)] = wd
        G[np.ix_(pattern.rows, o, o)] = 0.5 * (wd[:, :, None] * wd[:, None, :] - W)
    return d_mean, G


def em_moments(frame: pd.DataFrame, *, tol: float = 1e-10, max_iter: int = 5000) -> tuple[pd.Series, pd.DataFrame]:
    """Maximum-likelihood means and covariance matrix (divisor n) of incomplete normal data by
    EM (Dempster, Laird & Rubin 1977), as lavaan's h1 model under ``missing = "ml"``; rows with
    no observed value are ignored."""
    values = frame.to_numpy(dtype=float)
    mean, cov = _em(missing_patterns(values), values.shape[1], tol=tol, max_iter=max_iter,
                    where=", ".join(map(str, frame.columns)))
    return pd.Series(mean, index=frame.columns), pd.DataFrame(cov, index=frame.columns, columns=frame.columns)


def _em(patterns: list[Pattern], p: int, *, tol: float, max_iter: int, where: str) -> tuple[np.ndarray, np.ndarray]:
    n = sum(len(pattern.values) for pattern in patterns)
    sums, squares, counts = np.zeros(p), np.zeros(p), np.zeros(p)
    for pattern in patterns:
        sums[pattern.observed] += pattern.values.sum(axis=0)
        squares[pattern.observed] += (pattern.values ** 2).sum(axis=0)
        counts[pattern.observed] += len(pattern.values)
    if np.any(counts < 2):
        raise InputError(f"{where}: a variable has fewer than two observed values; drop it")
    mean = sums / counts
    cov = np.diag(np.maximum(squares / counts - mean ** 2, 1e-8))
    for _ in range(max_iter):
        first, second = np.zeros(p), np.zeros((p, p))
        for pattern in patterns:
            o = pattern.observed
            m = np.setdiff1d(np.arange(p), o)
            filled = np.empty((len(pattern.values), p))
            filled[:, o] = pattern.values
            if len(m):
                beta = np.linalg.solve(cov[np.ix_(o, o)], cov[np.ix_(o, m)])
                filled[:, m] = mean[m] + (pattern.values - mean[o]) @ beta
                second[np.ix_(m, m)] += len(pattern.values) * (cov[np.ix_(m, m)] - cov[np.ix_(m, o)] @ beta)
            first += filled.sum(axis=0)
            second += filled.T @ filled
        new_mean = first / n
        new_cov = second / n - np.outer(new_mean, new_mean)
        change = max(np.max(np.abs(new_mean - mean)), np.max(np.abs(new_cov - cov)))
        mean, cov = new_mean, new_cov
        if change < tol:
            return mean, cov
    raise InputError(f"{where}: the EM estimates of the means and covariances did not converge "
                     f"in {max_iter} iterations; check for items with very few answers")
