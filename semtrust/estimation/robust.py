"""FIML estimation and the robust (MLR) corrections, on top of a compiled RAM model.

* FIML: the casewise normal likelihood over the missing-data patterns (Arbuckle 1996), with
  expected information for Fisher scoring and observed information for the standard errors,
  as lavaan's ``missing = "ml"``.
* MLR: Huber-White sandwich standard errors ``A^-1 B A^-1 / n`` (A observed information, B the
  cross-product of the casewise scores) and the Yuan-Bentler scaling factor in its Mplus form,
  ``c = [tr(A1^-1 B1) - tr(A0^-1 B0)] / df`` with the unstructured saturated model as h1 (lavaan's
  ``test = "yuan.bentler.mplus"``).

All information matrices are per case.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from semtrust.estimation.missing import (
    LOG_2PI,
    Patterns,
    casewise_scores,
    loglik,
    loglik_derivatives,
)

__all__ = []


def numerical_hessian(gradient, theta: np.ndarray) -> np.ndarray:
    """Symmetrized central-difference Jacobian of an analytic gradient (lavaan also
    differentiates its gradient numerically for the observed information)."""
    k = len(theta)
    hessian = np.empty((k, k))
    for j in range(k):
        h = 1e-5 * max(1.0, abs(theta[j]))
        up, down = theta.copy(), theta.copy()
        up[j] += h
        down[j] -= h
        hessian[:, j] = (gradient(up) - gradient(down)) / (2 * h)
    return (hessian + hessian.T) / 2


class CaseLikelihood:
    """-2/n times the casewise log-likelihood of a model with a mean structure, as a function
    of the free parameters, for :func:`semtrust.estimation.compiled.fisher_scoring`."""

    def __init__(self, compiled, patterns: Patterns, n: int):
        self.compiled, self.patterns, self.n = compiled, patterns, n

    def moments(self, theta):
        sigma, _, _ = self.compiled.implied(theta)
        return self.compiled.implied_mean(theta), sigma

    def loglik(self, theta) -> float:
        return loglik(self.patterns, *self.moments(theta))

    def objective(self, theta) -> float:
        return -2.0 / self.n * self.loglik(theta)

    def gradient(self, theta) -> np.ndarray:
        try:
            d_mean, G = loglik_derivatives(self.patterns, *self.moments(theta))
        except np.linalg.LinAlgError:
            return np.full(self.compiled.n_free, np.nan)
        return -2.0 / self.n * self.compiled.contract(theta, G, d_mean)

    def information(self, theta) -> np.ndarray:
        """The complete-data expected information: it guides Fisher scoring (BFGS finishes the
        optimisation), at a fraction of the cost of the pattern-wise information; the standard
        errors use the observed information."""
        return self.compiled.information(theta)


def _saturated_information(patterns: Patterns, n: int, mean: np.ndarray, cov: np.ndarray, *,
                          observed: bool) -> np.ndarray:
    """Information per case of the saturated normal model in the coordinates (mean, vech Sigma),
    summed over the missing-data patterns: expected, or observed (the negative Hessian of the
    casewise log-likelihood, which differs from the expected one away from the estimates or
    with incomplete data).

    Each pattern contributes products of entries of its (zero-padded) inverse block W and of
    V = W (sum d d') W; summed over patterns these are entries of the p^2 x p^2 matrices
    sum_k n_k vec(W_k) vec(W_k)' and sum_k vec(W_k) vec(V_k)', one matrix product each."""
    p = len(mean)
    a, b = np.tril_indices(p)
    s = np.where(a == b, 1.0, 2.0)
    ss = np.outer(s, s) / 4
    ab, ba = a * p + b, b * p + a
    W, _ = patterns.inverses(cov)
    weights, inverses = patterns.counts, W.reshape(len(W), -1)
    M = (inverses.T * weights) @ inverses

    def entries(matrix, *row_pairs):
        """sum over (x, z) in ``row_pairs`` of sum_k X_k[x_i, y_j] Y_k[z_i, w_j] for the vech pairs
        i = (a_i, b_i), j = (a_j, b_j) with (y, w) = (a, b) plus the same with (y, w) = (b, a):
        the rows (x_i, z_i) of the matrix's four-index form are gathered once for both."""
        four = matrix.reshape(p, p, p, p)
        picked = sum(four[x, :, z, :] for x, z in row_pairs).reshape(len(a), p * p)
        return picked[:, ab] + picked[:, ba]

    # sum_k n_k 1/2 tr(W E_i W E_j) with the symmetric unit matrices E of the vech elements
    block = ss * entries(M, (a, b))
    info = np.zeros((p + len(a), p + len(a)))
    info[:p, :p] = (inverses.T @ weights).reshape(p, p)
    if observed:
        totals, cross = patterns.deviations(mean)
        M2 = inverses.T @ (W @ cross @ W).reshape(len(W), -1)
        block = ss * entries(M2, (b, a), (a, b)) - block
        # d^2 loglik / d mean_e d sigma_ab = -(W E_ab W sum(d))_e, summed over patterns
        N = (inverses.T @ np.einsum("kij,kj->ki", W, totals)).reshape(p, p, p)   # N[e, x, y] = sum_k W_k[e, x] (W_k d_k)[y]
        mixed = s / 2 * (N[:, a, b] + N[:, b, a])
        info[:p, p:] = mixed
        info[p:, :p] = mixed.T
    info[p:, p:] = block
    return info / n


def model_scores(compiled, theta: np.ndarray, patterns: Patterns, n: int,
                 sample_mean: np.ndarray | None = None) -> np.ndarray:
    """Casewise scores (n, free parameters). Without a mean structure the means are the sample
    means (``sample_mean``) and only the covariance part enters, as in lavaan."""
    sigma, _, _ = compiled.implied(theta)
    mean = sample_mean if not compiled.has_means else compiled.implied_mean(theta)
    d_mean, G = casewise_scores(patterns, n, mean, sigma)
    scores = G.reshape(n, -1) @ compiled.jacobian(theta).reshape(len(compiled.used), -1).T
    if compiled.has_means:
        scores += d_mean @ compiled.mean_jacobian(theta).T
    full = np.zeros((n, compiled.n_free))
    full[:, compiled.used] = scores
    return full


def h1_information(patterns: Patterns, n: int, mean: np.ndarray, cov: np.ndarray,
                   meanstructure: bool, complete: bool) -> tuple[np.ndarray, np.ndarray]:
    """(A1, B1) of the unrestricted model at its estimates, in the coordinates (mean, vech
    Sigma): A1 the observed information per case (equal to the expected one for complete
    data), B1 the mean cross-product of the casewise scores."""
    p = len(mean)
    rows, cols = np.tril_indices(p)
    d_mean, G = casewise_scores(patterns, n, mean, cov)
    # d loglik / d sigma_ab: G_aa on the diagonal, 2 G_ab off it (sigma_ab appears twice)
    vech_scores = G[:, rows, cols] * np.where(rows == cols, 1.0, 2.0)
    scores = np.hstack([d_mean, vech_scores]) if meanstructure else vech_scores
    B1 = scores.T @ scores / n
    A1 = _saturated_information(patterns, n, mean, cov, observed=not complete)
    return (A1 if meanstructure else A1[p:, p:]), B1


def h1_trace(A1: np.ndarray, B1: np.ndarray) -> float:
    """tr(A1^-1 B1), the saturated model's share of :func:`scaling_factor` (it depends on the
    data alone, so a model and its baseline can share it)."""
    return float(np.sum(B1 * np.linalg.inv(A1).T))


def scaling_factor(trace_h1: float, A0_inverse: np.ndarray, B0: np.ndarray, df: int) -> float:
    """Yuan-Bentler (Mplus) scaling factor of the chi-square from the saturated model's
    :func:`h1_trace`; ``A0_inverse`` is the model's (constrained) inverse observed information."""
    if df <= 0:
        return math.nan
    trace_h0 = np.sum(B0 * A0_inverse.T)
    value = (trace_h1 - trace_h0) / df
    return value if value > 0 else math.nan


def independence_loglik(patterns: Patterns) -> float:
    """FIML log-likelihood of the independence model: it factors into one normal per variable,
    each estimated from that variable's observed values."""
    counts, _, variance = patterns.marginal_moments()
    return float(-0.5 * counts @ (LOG_2PI + np.log(variance) + 1))


def _moment_jacobian(compiled, theta: np.ndarray) -> np.ndarray:
    """d (mean, vech Sigma) / d theta, shape (free parameters, p + p(p+1)/2): lavaan's Delta in
    the coordinates of :func:`_saturated_information`."""
    rows, cols = np.tril_indices(compiled.p)
    local = np.hstack([compiled.mean_jacobian(theta), compiled.jacobian(theta)[:, rows, cols]])
    delta = np.zeros((compiled.n_free, local.shape[1]))
    delta[compiled.used] = local
    return delta


@dataclass
class FimlPart:
    """One group's share of :func:`fiml_corrected`: the model's Jacobian (parameters x the
    group's moments), the group's size, its complete-data statistic against the EM moments,
    the EM moments and the h1 information (Wm observed, Jm first-order) of its incomplete data.
    ``cache`` keeps what depends on the data alone (shared by a model and its baseline)."""

    delta: np.ndarray
    n: int
    statistic: float
    mean: np.ndarray
    cov: np.ndarray
    h1: tuple[np.ndarray, np.ndarray]
    cache: dict = field(default_factory=dict, repr=False)

    def h1_pieces(self, keep: np.ndarray) -> tuple:
        """The data's matrices behind the corrected statistic, once per set of kept moments:
        Wm, Wc (the complete-data information at the EM moments), H = Wm^-1 Jm, and the traces
        tr(Wc Wm^-1) and tr(Wc Wm^-1 Jm Wm^-1)."""
        key = keep.tobytes()
        if key not in self.cache:
            Wm, Jm = (h[np.ix_(keep, keep)] for h in self.h1)
            Wc = _saturated_information(Patterns(np.zeros((1, len(self.mean)))), 1, self.mean, self.cov,
                                        observed=False)[np.ix_(keep, keep)]
            Wm_inv = np.linalg.inv(Wm)
            H = Wm_inv @ Jm
            Wc_Wm_inv = Wc @ Wm_inv
            self.cache[key] = (Wm, Wc, H, np.trace(Wc_Wm_inv), np.sum(Wc * (H @ Wm_inv).T))
        return self.cache[key]


def fiml_part(compiled, theta: np.ndarray, n: int, mean: np.ndarray, cov: np.ndarray,
              h1: tuple[np.ndarray, np.ndarray], width: int | None = None, offset: int = 0,
              cache: dict | None = None) -> FimlPart:
    """A group's :class:`FimlPart`; its parameters sit at ``offset`` in a vector of ``width``
    (separate models per group, as the multi-group baseline). Pass the same ``cache`` for fits
    to the same data (a model and its baseline) to compute the data's share once."""
    delta = _moment_jacobian(compiled, theta)
    if width is not None:
        delta = np.vstack([np.zeros((offset, delta.shape[1])), delta,
                           np.zeros((width - offset - len(delta), delta.shape[1]))])
    statistic = n * compiled.objective(theta, cov, np.linalg.slogdet(cov)[1], mean)
    return FimlPart(delta, n, statistic, mean, cov, h1, {} if cache is None else cache)


def fiml_corrected(parts: list[FimlPart], df: int, *, scaled: bool, inverse=np.linalg.inv,
                   covariates: list[int] = ()) -> tuple[float, float]:
    """lavaan's missing-data corrected statistic behind the robust RMSEA, CFI and TLI under FIML
    (Savalei 2018, lavaan's FIML-C): the complete-data ML chi-square of the FIML estimates
    against the EM (h1) moments, and its scaling factor, the trace of the h1 information as if
    the data were complete (Wc) against the incomplete-data one (Wm, with first-order
    information Jm), over df; with a scaled test (MLR) lavaan's version 3, else version 6.
    Groups enter as blocks weighted by their share of the cases. ``inverse`` inverts the
    model's information (the constrained inverse under constraints). The covariates' own
    moments (fixed.x) take no part, as in lavaan. Returns (statistic, scaling factor).

    With the model's projection U = Wm - V K V' (V = Wm Delta', K = inverse(Delta V)) and
    Gamma = Wm^-1 Jm Wm^-1, the traces tr(U Wm^-1 Wc Wm^-1 U Gamma) (scaled) and
    tr(Wc Wm^-1 U Wm^-1) expand into the data's traces (cached) minus terms in the thin
    matrices V, Wc Delta' and Wm^-1 Jm Delta' (group shares cancel blockwise), so no product
    of two p* x p* matrices is formed per model."""
    if df <= 0:
        return math.nan, math.nan
    total = sum(part.n for part in parts)
    V_all, WcD_all, HD_all, deltas = [], [], [], []
    trace_E = trace_Wc_gamma = 0.0
    for part in parts:
        share = part.n / total
        keep = ~covariate_moments(len(part.mean), list(covariates), True)
        Wm, Wc, H, trace_e, trace_wg = part.h1_pieces(keep)
        delta_t = part.delta[:, keep].T
        V_all.append(share * (Wm @ delta_t))
        WcD_all.append(share * (Wc @ delta_t))
        HD_all.append(H @ delta_t)          # Gamma V: Gamma's 1/share cancels V's share
        deltas.append(part.delta[:, keep])
        trace_E += trace_e
        trace_Wc_gamma += trace_wg
    V, WcD, HD = (np.vstack(blocks) for blocks in (V_all, WcD_all, HD_all))
    delta = np.hstack(deltas)
    K = inverse(delta @ V)
    if scaled:
        # tr(Wc Gamma) - tr(K WcD' HD) - tr(K HD' WcD) + tr(K (Delta WcD) K (V' HD))
        cross = WcD.T @ HD
        trace = (trace_Wc_gamma - np.sum(K * cross.T) - np.sum(K * cross)
                 + np.sum((K @ (delta @ WcD)) * (K @ (V.T @ HD)).T))
    else:
        trace = trace_E - np.sum(K * (delta @ WcD).T)
    return sum(part.statistic for part in parts), trace / df


def covariate_moments(p: int, covariates: list[int], meanstructure: bool) -> np.ndarray:
    """Mask of the saturated model's moments (mean, vech Sigma) that belong to the covariates
    alone: their means, variances and covariances, fixed at the sample values under fixed.x.

    >>> covariate_moments(2, [1], True).tolist()
    [False, True, False, False, True]
    """
    rows, cols = np.tril_indices(p)
    in_x = np.isin(np.arange(p), covariates)
    vech = in_x[rows] & in_x[cols]
    return np.concatenate([in_x, vech]) if meanstructure else vech
