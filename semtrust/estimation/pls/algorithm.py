"""The PLS path-modelling algorithm (Wold; Lohmöller 1989) and PLSc, on stacks of correlation matrices.

Stage: estimation. With standardized indicators every PLS quantity is a function of the
indicator correlation matrix: scores Y = X W have correlations W'SW, item–score correlations
SW, so the algorithm runs on S alone. It runs on a stack of B matrices at once (B = 1 for
the estimate, a chunk of resamples for the bootstrap), so a bootstrap is a few batched numpy
operations per iteration instead of a Python loop per resample. Each matrix in the stack
stops updating once its own weights have converged, so its result does not depend on the
other matrices in the stack.

Settings follow SmartPLS and seminr: unit starting weights, stop when the summed absolute
change of the outer weights falls below 1e-7, at most 300 iterations, scores scaled to unit
variance, no sign changes. Inner weighting: "path" (regression coefficients for a construct's
predecessors, correlations for its successors), "factorial" (correlations) or "centroid"
(signs of correlations). PLSc (Dijkstra & Henseler 2015) divides the construct correlations
by √(ρ_A,i ρ_A,j) for mode A constructs and rescales their loadings to √ρ_A · w / (w'w).

>>> from semtrust.estimation.pls.model import parse_pls_model
>>> model = parse_pls_model("A =~ a1 + a2\\nB =~ b1 + b2\\nB ~ A")
>>> r = np.array([[1, .5, .3, .3], [.5, 1, .3, .3], [.3, .3, 1, .6], [.3, .3, .6, 1.]])
>>> fit = solve_stack(r[None], Layout.of(model))
>>> round(float(fit.paths[0, 0, 1]), 4), bool(fit.converged[0])
(0.3873, True)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from semtrust.errors import InputError
from semtrust.estimation.pls.model import PLSModel

__all__ = []

WEIGHTING = ("path", "factorial", "centroid")
STOP_CRITERION = 1e-7
MAX_ITERATIONS = 300


@dataclass(frozen=True)
class Layout:
    """Index arrays the batched algorithm needs, compiled once from a :class:`PLSModel`."""

    membership: np.ndarray                 # slots × constructs
    path_matrix: np.ndarray                # constructs × constructs, [source, target]
    blocks: tuple[np.ndarray, ...]         # slot indices per construct
    formative: tuple[int, ...]             # constructs in mode B
    predecessors: tuple[tuple[int, np.ndarray], ...]   # (endogenous, its predecessors)

    @classmethod
    def of(cls, model: PLSModel) -> "Layout":
        index = {c: k for k, c in enumerate(model.constructs)}
        return cls(model.membership, model.path_matrix,
                   tuple(model.block(c) for c in model.constructs),
                   tuple(index[c] for c in model.constructs if model.modes[c] == "B"),
                   tuple((index[c], np.array([index[p] for p in model.predecessors(c)])) for c in model.endogenous))


@dataclass
class Fit:
    """Stacked results: one leading axis entry per correlation matrix."""

    weights: np.ndarray        # B × slots × constructs (zero outside own block)
    item_cor: np.ndarray       # B × slots × constructs: correlation of every slot with every score
    construct_cor: np.ndarray  # B × constructs × constructs (PLSc-corrected when consistent)
    paths: np.ndarray          # B × constructs × constructs, [source, target]
    r2: np.ndarray             # B × constructs (0 for exogenous)
    rho_a: np.ndarray          # B × constructs
    loadings: np.ndarray       # B × slots × constructs (own block; PLSc-corrected when consistent)
    iterations: np.ndarray     # B
    converged: np.ndarray      # B


def _normalise(weights: np.ndarray, cor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weights scaled to unit score variance, and the slot–score correlations S W that gives."""
    item_cov = cor @ weights
    scale = 1.0 / np.sqrt((weights * item_cov).sum(axis=1))[:, None, :]
    return weights * scale, item_cov * scale


def regression(cor: np.ndarray, layout: Layout) -> tuple[np.ndarray, np.ndarray]:
    """Standardized OLS paths (B × K × K, [source, target]) and R² (B × K) from construct correlations."""
    paths = np.zeros_like(cor)
    r2 = np.zeros(cor.shape[:2])
    for target, preds in layout.predecessors:
        xx = cor[:, preds[:, None], preds[None, :]]
        xy = cor[:, preds, target]
        beta = np.linalg.solve(xx, xy[..., None])[..., 0]
        paths[:, preds, target] = beta
        r2[:, target] = np.einsum("bi,bi->b", beta, xy)
    return paths, r2


def _inner_weights(cor: np.ndarray, layout: Layout, weighting: str) -> np.ndarray:
    adjacent = layout.path_matrix + layout.path_matrix.T
    if weighting == "factorial":
        return cor * adjacent
    if weighting == "centroid":
        return np.sign(cor) * adjacent
    # path weighting: successors enter with their correlation, predecessors with their regression weight
    inner = cor * layout.path_matrix.T
    inner += regression(cor, layout)[0]
    return inner


def _outer_update(cor: np.ndarray, weights: np.ndarray, item_cor: np.ndarray, layout: Layout, weighting: str,
                  formative_inverse: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    construct_cor = np.swapaxes(weights, 1, 2) @ item_cor
    proxy_cov = item_cor @ _inner_weights(construct_cor, layout, weighting)   # cov(slots, inner proxies)
    new = proxy_cov * layout.membership
    for k, inverse in zip(layout.formative, formative_inverse):
        block = layout.blocks[k]
        new[:, block, k] = (inverse @ proxy_cov[:, block, k, None])[..., 0]
    return _normalise(new, cor)


def _inverse_or_nan(matrices: np.ndarray) -> np.ndarray:
    """Inverses of a stack; a singular matrix (a bootstrap resample of a formative block can be one)
    gets NaN, so that resample fails on its own instead of stopping the whole stack."""
    try:
        return np.linalg.inv(matrices)
    except np.linalg.LinAlgError:
        out = np.full_like(matrices, np.nan)
        for b, matrix in enumerate(matrices):
            try:
                out[b] = np.linalg.inv(matrix)
            except np.linalg.LinAlgError:
                continue
        return out


def _iterate(cor: np.ndarray, layout: Layout, weighting: str, tol: float, max_iter: int):
    stack = len(cor)
    formative_inverse = [_inverse_or_nan(cor[:, block[:, None], block[None, :]])
                         for block in (layout.blocks[k] for k in layout.formative)]
    if stack == 1 and not all(np.isfinite(inverse).all() for inverse in formative_inverse):
        raise InputError("a formative (<~) block has perfectly collinear indicators; drop one of them")
    weights, item_cor = _normalise(np.repeat(layout.membership[None], stack, axis=0), cor)
    iterations = np.zeros(stack, int)
    converged = np.zeros(stack, bool)
    active = np.arange(stack)
    for iteration in range(1, max_iter + 1):
        everyone = len(active) == stack   # skip the copies while no matrix has converged yet
        subset = (lambda a: a) if everyone else (lambda a: a[active])
        new, new_item_cor = _outer_update(subset(cor), subset(weights), subset(item_cor), layout, weighting,
                                          [subset(inv) for inv in formative_inverse])
        change = np.abs(new - subset(weights)).sum(axis=(1, 2))
        weights[active] = new
        item_cor[active] = new_item_cor
        iterations[active] = iteration
        converged[active[change < tol]] = True
        done = ~(change >= tol)   # converged, or failed (NaN: a singular block or a constant item)
        active = active[~done]
        if len(active) == 0:
            break
    return weights, item_cor, iterations, converged


def rho_a(cor: np.ndarray, weights: np.ndarray, layout: Layout) -> np.ndarray:
    """Dijkstra–Henseler ρ_A per construct (B × K); 1 for mode B and single-item constructs."""
    out = np.ones(weights.shape[::2])
    for k, block in enumerate(layout.blocks):
        if k in layout.formative or len(block) < 2:
            continue
        w = weights[:, block, k]
        within = cor[:, block[:, None], block[None, :]]
        off_diagonal = np.einsum("bi,bij,bj->b", w, within, w) - np.einsum("bi,bi,bii->b", w, w, within)
        wtw = np.einsum("bi,bi->b", w, w)
        out[:, k] = wtw ** 2 * off_diagonal / (wtw ** 2 - np.einsum("bi->b", w ** 4))
    return out


def solve_stack(cor: np.ndarray, layout: Layout, *, weighting: str = "path", consistent: bool = False,
                tol: float = STOP_CRITERION, max_iter: int = MAX_ITERATIONS) -> Fit:
    """Run PLS (and PLSc when ``consistent``) on each slot-correlation matrix in the stack ``cor``."""
    if weighting not in WEIGHTING:
        raise InputError(f"unknown inner weighting '{weighting}'; use one of {', '.join(WEIGHTING)}")
    weights, item_cor, iterations, converged = _iterate(cor, layout, weighting, tol, max_iter)
    construct_cor = np.swapaxes(weights, 1, 2) @ item_cor
    reliability = rho_a(cor, weights, layout)
    loadings = item_cor * layout.membership
    if consistent:
        scale = np.sqrt(reliability)
        construct_cor = construct_cor / (scale[:, :, None] * scale[:, None, :])
        diagonal = np.arange(construct_cor.shape[1])
        construct_cor[:, diagonal, diagonal] = 1.0
        wtw = np.einsum("bpk,bpk->bk", weights, weights)
        reflective = [k for k, block in enumerate(layout.blocks) if k not in layout.formative and len(block) > 1]
        loadings[:, :, reflective] = (weights * (scale / wtw)[:, None, :])[:, :, reflective]
    paths, r2 = regression(construct_cor, layout)
    return Fit(weights, item_cor, construct_cor, paths, r2, reliability, loadings, iterations, converged)
