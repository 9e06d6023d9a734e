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

__all__ = ["missing_patterns", "em_moments", "em_estimates"]

LOG_2PI = math.log(2 * math.pi)


@dataclass
class Pattern:
    """The cases that share one set of observed variables."""

    observed: np.ndarray    # indices of the observed variables
    values: np.ndarray      # (cases, len(observed)) observed values
    rows: np.ndarray        # positions of these cases in the data
    missing: np.ndarray     # indices of the variables this pattern lacks


class Patterns:
    """The missing-data patterns of a data set, with their sufficient statistics stacked so
    that the likelihood and its derivatives are a few array operations over all patterns."""

    def __init__(self, values: np.ndarray):
        self.width = values.shape[1]
        observed = ~np.isnan(values)
        keys, inverse = np.unique(observed, axis=0, return_inverse=True)
        inverse = inverse.ravel()
        self.items: list[Pattern] = []
        for k, key in enumerate(keys):
            if key.any():
                rows = np.flatnonzero(inverse == k)
                index = np.flatnonzero(key)
                self.items.append(Pattern(index, values[np.ix_(rows, index)], rows, np.flatnonzero(~key)))
        padded = [np.where(np.isnan(values[p.rows]), 0.0, values[p.rows]) for p in self.items]
        # the cases pattern by pattern, zero where missing, and each case's pattern
        self.cases = np.vstack(padded)
        self.case_pattern = np.repeat(np.arange(len(self.items)), [len(p.rows) for p in self.items])
        self.case_rows = np.concatenate([p.rows for p in self.items]) if self.items else np.array([], dtype=int)
        self.counts = np.array([len(p.rows) for p in self.items], dtype=float)
        self.mask = np.array([[v in set(p.observed) for v in range(self.width)] for p in self.items], dtype=float)
        self.pair_mask = self.mask[:, :, None] * self.mask[:, None, :]   # zeroes W outside each pattern
        self.sums = np.array([x.sum(axis=0) for x in padded])
        self.cross = np.array([x.T @ x for x in padded])
        self.by_missing: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for r in {len(p.missing) for p in self.items} - {0}:
            index = np.array([k for k, p in enumerate(self.items) if len(p.missing) == r])
            self.by_missing[r] = (index, np.array([self.items[k].missing for k in index]))

    def __iter__(self):
        return iter(self.items)

    def __len__(self):
        return len(self.items)

    def inverses(self, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per pattern, the inverse of its block of ``cov`` padded to p x p with zeros, and that
        block's log-determinant. From the full inverse P by the Schur complement,
        W = P - P_.m P_mm^-1 P_m. and log|Sigma_oo| = log|Sigma| + log|P_mm|, batched over the
        patterns that miss equally many variables. Raises LinAlgError unless ``cov`` is
        positive definite."""
        chol = np.linalg.cholesky(cov)
        inverse = np.linalg.inv(chol)
        inverse = inverse.T @ inverse
        W = np.repeat(inverse[None], len(self.items), axis=0)
        logdet = np.full(len(self.items), 2 * np.log(np.diag(chol)).sum())
        for index, missing in self.by_missing.values():
            P_mm = inverse[missing[:, :, None], missing[:, None, :]]
            column = inverse[:, missing].transpose(1, 0, 2)
            W[index] -= column @ np.linalg.solve(P_mm, column.transpose(0, 2, 1))
            logdet[index] += np.linalg.slogdet(P_mm)[1]
        W *= self.pair_mask
        return W, logdet

    def marginal_moments(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per variable: the number of observed values, their mean and their variance (divisor n)."""
        counts = self.counts @ self.mask
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = self.sums.sum(axis=0) / counts
            variance = np.einsum("kii->i", self.cross) / counts - mean ** 2
        return counts, mean, variance

    def weighted_deviations(self, W: np.ndarray, mean: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every case's deviations d from ``mean`` (zero where missing) and W d with its
        pattern's W; cheaper than the patterns' W (sum d d') W when patterns have few cases."""
        deviations = self.cases - self.mask[self.case_pattern] * mean
        return deviations, np.einsum("nij,nj->ni", W[self.case_pattern], deviations)

    def deviations(self, mean: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per pattern, the sum and cross-product matrix of the cases' deviations from ``mean``,
        zero where the pattern is missing."""
        m = self.mask * mean
        outer = self.sums[:, :, None] * m[:, None, :]
        return (self.sums - self.counts[:, None] * m,
                self.cross - outer - outer.transpose(0, 2, 1) + self.counts[:, None, None] * m[:, :, None] * m[:, None, :])


def missing_patterns(values: np.ndarray) -> Patterns:
    """Group the rows of ``values`` (NaN = missing) by their pattern of observed variables;
    rows with nothing observed are left out.

    >>> import numpy as np
    >>> values = np.array([[1.0, 2.0], [np.nan, 1.0], [3.0, np.nan], [2.0, 2.0]])
    >>> patterns = missing_patterns(values)
    >>> [(p.observed.tolist(), p.rows.tolist()) for p in patterns.items]
    [([1], [1]), ([0], [2]), ([0, 1], [0, 3])]
    """
    return Patterns(values)


def loglik(patterns: Patterns, mean: np.ndarray, cov: np.ndarray) -> float:
    """Casewise (FIML) normal log-likelihood summed over the cases; -inf unless ``cov`` is
    positive definite."""
    try:
        W, logdet = patterns.inverses(cov)
    except np.linalg.LinAlgError:
        return -math.inf
    deviations, weighted = patterns.weighted_deviations(W, mean)
    return float(-0.5 * (patterns.counts @ (patterns.mask.sum(axis=1) * LOG_2PI + logdet)
                         + np.einsum("ni,ni->", deviations, weighted)))


def loglik_derivatives(patterns: Patterns, mean: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Derivatives of :func:`loglik`: (d/d mean, G with d loglik = tr(G dSigma))."""
    W, _ = patterns.inverses(cov)
    _, weighted = patterns.weighted_deviations(W, mean)
    return weighted.sum(axis=0), 0.5 * (weighted.T @ weighted - np.einsum("k,kij->ij", patterns.counts, W))


def casewise_scores(patterns: Patterns, n: int, mean: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each case's derivatives of its log-likelihood: (n, p) for the means and (n, p, p) for
    the covariance matrix (as G_i, d loglik_i = tr(G_i dSigma))."""
    p = len(mean)
    W, _ = patterns.inverses(cov)
    _, weighted = patterns.weighted_deviations(W, mean)
    d_mean, G = np.zeros((n, p)), np.zeros((n, p, p))
    d_mean[patterns.case_rows] = weighted
    G[patterns.case_rows] = 0.5 * (weighted[:, :, None] * weighted[:, None, :] - W[patterns.case_pattern])
    return d_mean, G


def em_moments(frame: pd.DataFrame, *, tol: float = 1e-10, max_iter: int = 5000) -> tuple[pd.Series, pd.DataFrame]:
    """Maximum-likelihood means and covariance matrix (divisor n) of incomplete normal data by
    EM (Dempster, Laird & Rubin 1977), as lavaan's h1 model under ``missing = "ml"``; rows with
    no observed value are ignored.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> frame = pd.DataFrame(rng.multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], size=400), columns=["a", "b"])
    >>> frame.loc[frame.a > 1, "b"] = np.nan                # missing at random, given a
    >>> means, cov = em_moments(frame)
    >>> means.round(3).tolist(), round(float(cov.loc["a", "b"]), 3), round(float(frame.b.mean()), 3)
    ([0.055, 0.114], 0.658, -0.075)
    """
    mean, cov = em_estimates(missing_patterns(frame.to_numpy(dtype=float)), ", ".join(map(str, frame.columns)),
                             tol=tol, max_iter=max_iter)
    return pd.Series(mean, index=frame.columns), pd.DataFrame(cov, index=frame.columns, columns=frame.columns)


def em_estimates(patterns: Patterns, where: str, *, tol: float = 1e-10,
                 max_iter: int = 5000) -> tuple[np.ndarray, np.ndarray]:
    """:func:`em_moments` on data already grouped into patterns; ``where`` names the data in errors.

    >>> import numpy as np
    >>> values = np.array([[1.0, 2.0], [2.0, np.nan], [3.0, 3.5], [4.0, 5.0], [2.5, 2.0]])
    >>> mean, cov = em_estimates(missing_patterns(values), "data")
    >>> mean.round(3).tolist()
    [2.5, 3.0]
    """
    p, n = patterns.width, patterns.counts.sum()
    counts, mean, variance = patterns.marginal_moments()
    if np.any(counts < 2):
        raise InputError(f"{where}: a variable has fewer than two observed values; drop it")
    cov = np.diag(np.maximum(variance, 1e-8))
    for _ in range(max_iter):
        first, second = np.zeros(p), np.zeros((p, p))
        for pattern in patterns:
            o, m = pattern.observed, pattern.missing
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
