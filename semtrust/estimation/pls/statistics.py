"""Every PLS statistic that is reported with a bootstrap interval, computed on a stack of fits.

Stage: assessment (shared by the estimate and the bootstrap). One function,
:func:`statistic_values`, turns a stack of fits into a B × m matrix whose columns are named by
:func:`statistic_keys`: outer loadings and weights, paths, R², total, total indirect and specific indirect effects, f²,
HTMT and HTMT2, Cronbach's α, ρ_A, ρ_C and AVE. The estimate is row 0 of the same function on
the sample, so a bootstrap draw and its estimate are computed by the same code.

Definitions (Hair et al. 2022, as seminr and SmartPLS): α = k/(k−1)·(1 − k/ΣR) on the item
correlations R; ρ_C = (Σλ)²/((Σλ)² + Σ(1−λ²)); AVE = mean λ² (single items: 1); HTMT = mean
heterotrait |r| / √(mean monotrait |r|ᵢ · mean monotrait |r|ⱼ) (Henseler, Ringle & Sarstedt
2015), HTMT2 the same with geometric means (Roemer, Schuberth & Henseler 2021); total effects
B(I − B)⁻¹; f² = (R²incl − R²excl)/(1 − R²incl), R²excl from the same construct scores without
the predictor.

>>> from semtrust.estimation.pls.model import parse_pls_model
>>> model = parse_pls_model("A =~ a1 + a2\\nB =~ b1 + b2\\nB ~ A")
>>> [key for key in statistic_keys(model) if key[0] in ("path", "htmt")]
[('path', 'B', '~', 'A'), ('htmt', 'A', 'htmt', 'B')]
"""
from __future__ import annotations

import numpy as np

from semtrust.estimation.pls.algorithm import Fit, Layout
from semtrust.estimation.pls.model import PLSModel

__all__ = []

RELIABILITY = ("alpha", "rho_a", "rho_c", "ave")


def reachability(path_matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Boolean [source, target] matrices: any chain of paths, and chains of two or more paths."""
    power, total, indirect = path_matrix.copy(), np.zeros_like(path_matrix), np.zeros_like(path_matrix)
    for length in range(1, len(path_matrix) + 1):
        total += power
        if length > 1:
            indirect += power
        power = power @ path_matrix
    return total > 0, indirect > 0


def chains(model: PLSModel) -> list[tuple[str, ...]]:
    """Every chain of two or more paths (source, mediators..., target): the specific indirect effects."""
    found = []

    def extend(chain: tuple[str, ...]) -> None:
        for source, target in model.paths:
            if source == chain[-1]:
                if len(chain) > 1:
                    found.append(chain + (target,))
                extend(chain + (target,))

    for construct in model.constructs:
        extend((construct,))
    return found


def statistic_keys(model: PLSModel) -> list[tuple[str, str, str, str]]:
    """(part, lhs, op, rhs) naming each column of :func:`statistic_values`."""
    keys = [("loading", c, "=~", item) for c, item in model.slots]
    keys += [("weight", c, "<~", item) for c, item in model.slots]
    keys += [("path", target, "~", source) for source, target in model.paths]
    keys += [("r2", c, "r2", c) for c in model.endogenous]
    total, indirect = reachability(model.path_matrix)
    names = model.constructs
    keys += [("total", names[j], "total", names[i]) for i, j in zip(*np.nonzero(total))]
    keys += [("indirect", names[j], "indirect", names[i]) for i, j in zip(*np.nonzero(indirect))]
    keys += [("specific", chain[-1], "specific", " -> ".join(chain)) for chain in chains(model)]
    keys += [("f2", target, "f2", source) for source, target in model.paths]
    for part in ("htmt", "htmt2"):
        keys += [(part, names[i], part, names[j]) for i in range(len(names)) for j in range(i + 1, len(names))]
    keys += [(part, c, part, c) for part in RELIABILITY for c in names]
    return keys


def _block_means(values: np.ndarray, membership: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean over heterotrait blocks (B × K × K) and over monotrait off-diagonal cells (B × K)."""
    sizes = membership.sum(axis=0)
    sums = membership.T @ values @ membership
    hetero = sums / np.outer(sizes, sizes)
    within = np.einsum("bkk->bk", sums) - np.einsum("bpp,pk->bk", values, membership)
    with np.errstate(invalid="ignore", divide="ignore"):
        mono = np.where(sizes > 1, within / (sizes * (sizes - 1)), np.nan)
    return hetero, mono


def htmt(cor: np.ndarray, membership: np.ndarray, geometric: bool = False) -> np.ndarray:
    """HTMT (or HTMT2 when ``geometric``) for every construct pair, B × K × K."""
    values = np.abs(cor)
    if geometric:   # a zero correlation makes the geometric mean 0, not NaN (-inf · 0 in the block sums)
        values = np.log(np.maximum(values, np.finfo(float).tiny))
    hetero, mono = _block_means(values, membership)
    if geometric:
        hetero, mono = np.exp(hetero), np.exp(mono)
    mono = np.where(np.isnan(mono), 1.0, mono)   # single items count as 1, as seminr
    return hetero / np.sqrt(mono[:, :, None] * mono[:, None, :])


def reliability(cor: np.ndarray, fit: Fit, membership: np.ndarray) -> dict[str, np.ndarray]:
    """α, ρ_A, ρ_C and AVE per construct (each B × K); single items get 1."""
    sizes = membership.sum(axis=0)
    block_sum = (membership * (cor @ membership)).sum(axis=1)
    lam = fit.loadings
    total, squares = lam.sum(axis=1), (lam ** 2).sum(axis=1)
    single = sizes < 2
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = sizes / (sizes - 1) * (1 - sizes / block_sum)
        rho_c = total ** 2 / (total ** 2 + sizes - squares)
        ave = squares / sizes
    return {name: np.where(single, 1.0, values)
            for name, values in (("alpha", alpha), ("rho_a", fit.rho_a), ("rho_c", rho_c), ("ave", ave))}


def total_effects(paths: np.ndarray) -> np.ndarray:
    """B(I − B)⁻¹ for a stack of [source, target] path matrices (recursive models)."""
    identity = np.eye(paths.shape[1])
    return paths @ np.linalg.inv(identity - paths)


def f_squared(fit: Fit, model: PLSModel) -> np.ndarray:
    """f² per path (B × paths) from the construct correlations, without re-estimating the model."""
    names = model.constructs
    out = np.zeros((len(fit.r2), len(model.paths)))
    for column, (source, target) in enumerate(model.paths):
        j = names.index(target)
        rest = np.array([names.index(p) for p in model.predecessors(target) if p != source], int)
        excluded = np.zeros(len(fit.r2))
        if len(rest):
            xy = fit.construct_cor[:, rest, j]
            beta = np.linalg.solve(fit.construct_cor[:, rest[:, None], rest[None, :]], xy[..., None])[..., 0]
            excluded = np.einsum("bi,bi->b", beta, xy)
        out[:, column] = (fit.r2[:, j] - excluded) / (1 - fit.r2[:, j])
    return out


def statistic_values(cor: np.ndarray, fit: Fit, model: PLSModel, layout: Layout) -> np.ndarray:
    """B × m matrix of the statistics named by :func:`statistic_keys`, for a stack of fits."""
    names = model.constructs
    slot = np.arange(len(model.slots))
    own = np.array([names.index(c) for c, _ in model.slots])
    columns = [fit.loadings[:, slot, own], fit.weights[:, slot, own]]
    sources = np.array([names.index(s) for s, _ in model.paths], int)
    targets = np.array([names.index(t) for _, t in model.paths], int)
    columns.append(fit.paths[:, sources, targets])
    columns.append(fit.r2[:, [names.index(c) for c in model.endogenous]])
    total = total_effects(fit.paths)
    reach_total, reach_indirect = reachability(model.path_matrix)
    columns.append(total[:, reach_total])
    columns.append((total - fit.paths)[:, reach_indirect])
    for chain in chains(model):
        steps = [(names.index(a), names.index(b)) for a, b in zip(chain, chain[1:])]
        columns.append(np.prod([fit.paths[:, a, b] for a, b in steps], axis=0)[:, None])
    columns.append(f_squared(fit, model))
    upper = np.triu_indices(len(names), 1)
    for geometric in (False, True):
        columns.append(htmt(cor, layout.membership, geometric)[:, upper[0], upper[1]])
    measures = reliability(cor, fit, layout.membership)
    columns += [measures[name] for name in RELIABILITY]
    return np.concatenate(columns, axis=1)
