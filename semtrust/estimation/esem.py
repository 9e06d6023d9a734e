"""Estimation stage: exploratory SEM, the ``efa("block")*F1 + efa("block")*F2 =~ x1 + ...``
blocks of lavaan 0.6-14, with its default rotation.

A block's factors load on all of its indicators. The model is first fitted with each block
identified by an echelon pattern (the block's factors uncorrelated with unit variance, factor k's
loadings on the block's first k - 1 indicators zero); any other rotation of those loadings fits
equally well, and the reported one is lavaan's default: oblique geomin (epsilon .001) of the
loadings of the indicators standardized by their model-implied SDs, by gradient projection (GPA,
Bernaards & Jennrich 2005) from 30 starts (the identity and seeded random orthogonal matrices),
the columns reflected to positive sums and ordered by the mean position of their salient
loadings (|loading| >= .8 of the column's largest). The factors keep unit variance and
correlate. The standard errors are lavaan's "bordered" ones: the expected information of the
rotated parameterization, constrained by the rotation's stationarity conditions.

>>> L = np.array([[0.8, 0.1], [0.7, 0.0], [0.1, 0.6], [0.0, 0.7]])
>>> round(geomin(L)[0], 4)
0.1913
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from semtrust.errors import EstimationError, InputError
from semtrust.estimation.constraints import numerical_jacobian
from semtrust.model.syntax import ModelSyntax, Statement

EPSILON = 0.001       # lavaan's rotation.args geomin.epsilon
STARTS = 30           # rotation.args rstarts
GPA_TOLERANCE = 1e-5  # rotation.args gpa.tol
MAX_ITERATIONS = 10000
SEED = 20261206       # the random starts: the same rotation on every run

# the ML engine's ESEM parts (semtrust.estimation.ml); users fit ESEM through SEM / st.sem
__all__: list[str] = []


def efa_blocks(spec: ModelSyntax) -> dict[str, list[str]]:
    """Each efa() block's factors, in the order the model writes them.

    >>> from semtrust.model.syntax import parse_model
    >>> efa_blocks(parse_model('efa("b")*F1 + efa("b")*F2 =~ x1 + x2 + x3 + x4\\nG =~ y1 + y2 + y3'))
    {'b': ['F1', 'F2']}
    """
    blocks: dict[str, list[str]] = {}
    for s in spec.statements:
        if s.efa and s.lhs not in blocks.setdefault(s.efa, []):
            blocks[s.efa].append(s.lhs)
    factors = {f for fs in blocks.values() for f in fs}
    for s in spec.statements:
        if s.op == "~" and s.lhs in factors:
            raise InputError(f"{spec.source}, line {s.line}: an efa() factor as an outcome ('{s.lhs} ~ {s.rhs}') is "
                             "not supported yet; efa() factors can predict other variables")
        if s.efa and (s.fixed is not None or s.label or s.per_group):
            raise InputError(f"{spec.source}, line {s.line}: the loadings of an efa() block are all free; drop the "
                             f"modifier on '{s.lhs} =~ {s.rhs}'")
    return blocks


def _block_statements(spec: ModelSyntax, echelon: bool) -> ModelSyntax:
    """The model with each efa() block written out: every loading free, the block's factors with
    unit variance; ``echelon``: also uncorrelated, factor k without loadings on the first k - 1
    indicators (the unrotated fit)."""
    blocks = efa_blocks(spec)
    statements, extra = [], []
    for s in spec.statements:
        if not s.efa:
            statements.append(s)
            continue
        factors = blocks[s.efa]
        indicators = list(dict.fromkeys(t.rhs for t in spec.statements if t.efa == s.efa))
        k = factors.index(s.lhs)
        if echelon and indicators.index(s.rhs) < k:
            statements.append(replace(s, efa="", fixed=0.0))
        else:
            statements.append(replace(s, efa="", free=True))
    for factors in blocks.values():
        extra += [Statement(f, "~~", f, fixed=1.0) for f in factors]
        if echelon:
            extra += [Statement(a, "~~", b, fixed=0.0) for i, a in enumerate(factors) for b in factors[i + 1:]]
    return ModelSyntax(statements + extra, list(spec.definitions), spec.source, list(spec.constraints))


def rotated_syntax(spec: ModelSyntax) -> ModelSyntax:
    """The parameterization lavaan reports: every block loading free, unit factor variances,
    the factors correlated."""
    return _block_statements(spec, echelon=False)


def unrotated_syntax(spec: ModelSyntax) -> ModelSyntax:
    """The echelon-identified model that is fitted before the rotation."""
    return _block_statements(spec, echelon=True)


def geomin(loadings: np.ndarray, epsilon: float = EPSILON) -> tuple[float, np.ndarray]:
    """The geomin criterion sum_i (prod_j (l_ij^2 + epsilon))^(1/m) and its gradient."""
    m = loadings.shape[1]
    squares = loadings ** 2 + epsilon
    row = np.exp(np.log(squares).sum(axis=1) / m)
    return float(row.sum()), (2.0 / m) * loadings / squares * row[:, None]


def gpa_oblique(A: np.ndarray, start: np.ndarray) -> tuple[np.ndarray, float]:
    """Oblique rotation by gradient projection (Bernaards & Jennrich 2005): the matrix T with
    unit-length columns that minimises geomin(A T'^-1); returns (T, criterion)."""
    T = start.copy()
    L = A @ np.linalg.inv(T).T
    value, Gq = geomin(L)
    G = -(L.T @ Gq @ np.linalg.inv(T)).T
    step = 1.0
    for _ in range(MAX_ITERATIONS):
        projected = G - T * np.sum(T * G, axis=0)
        size = np.sqrt(np.sum(projected ** 2))
        if size < GPA_TOLERANCE:
            break
        step *= 2.0
        for _ in range(11):
            X = T - step * projected
            candidate = X / np.sqrt(np.sum(X ** 2, axis=0))
            L = A @ np.linalg.inv(candidate).T
            new_value, new_Gq = geomin(L)
            if new_value < value - 0.5 * size ** 2 * step:
                break
            step /= 2.0
        T, value, Gq = candidate, new_value, new_Gq
        G = -(L.T @ Gq @ np.linalg.inv(T)).T
    return T, value


def rotate(A: np.ndarray, variances: np.ndarray) -> np.ndarray:
    """lavaan's rotation matrix of a block's unrotated loadings ``A`` (indicators x factors) with
    the indicators' model-implied ``variances``: the best geomin rotation of the standardized
    loadings over the starts, reflected and ordered (see the module docstring). The rotated
    loadings are A ROT'^-1 and the factor correlations ROT' ROT."""
    m = A.shape[1]
    standardized = A / np.sqrt(variances)[:, None]
    generator = np.random.default_rng(SEED)
    starts = [np.eye(m)] + [np.linalg.qr(generator.normal(size=(m, m)))[0] for _ in range(STARTS - 1)]
    rotation, best = None, np.inf
    for start in starts:
        T, value = gpa_oblique(standardized, start)
        if value < best - 1e-12:
            rotation, best = T, value
    loadings = A @ np.linalg.inv(rotation).T
    rotation = rotation * np.where(loadings.sum(axis=0) < 0, -1.0, 1.0)
    loadings = A @ np.linalg.inv(rotation).T
    largest = np.abs(loadings).max(axis=0)
    position = [np.mean(np.flatnonzero(np.abs(loadings[:, j]) >= 0.8 * largest[j]) + 1) for j in range(m)]
    return rotation[:, np.argsort(position, kind="stable")]


def _block_indices(compiled, blocks: dict[str, list[str]]) -> list[tuple[np.ndarray, np.ndarray]]:
    """(indicator positions, factor positions) of each block in the compiled model's variables."""
    table, names = compiled.table, compiled.names
    out = []
    for factors in blocks.values():
        indicators = list(dict.fromkeys(r.rhs for r in table.rows if r.op == "=~" and r.lhs in factors))
        out.append((np.array([names.index(v) for v in indicators]), np.array([names.index(f) for f in factors])))
    return out


def rotated_theta(unrotated, theta: np.ndarray, compiled, blocks: dict[str, list[str]]) -> np.ndarray:
    """The rotated model's parameter vector from the unrotated fit (``unrotated`` compiled at
    ``theta``): each block's loadings times ROT'^-1 and the latent covariances ROT' Psi ROT."""
    A, S = unrotated.matrices(theta)
    latent = np.arange(unrotated.p, unrotated.n_vars)
    H = np.eye(unrotated.n_vars)
    for indicators, factors in _block_indices(unrotated, blocks):
        L = A[np.ix_(indicators, factors)]
        variances = np.diag(L @ L.T + S[np.ix_(indicators, indicators)])
        H[np.ix_(factors, factors)] = rotate(L, variances)
    A = A.copy()
    A[:, latent] = A[:, latent] @ np.linalg.inv(H[np.ix_(latent, latent)]).T
    S = S.copy()
    S[np.ix_(latent, latent)] = H[np.ix_(latent, latent)].T @ S[np.ix_(latent, latent)] @ H[np.ix_(latent, latent)]
    position = {v: i for i, v in enumerate(unrotated.names)}
    out = np.zeros(compiled.n_free)
    for r, (matrix, i, j) in zip(compiled.table.rows, compiled.row_positions):
        if r.free >= 0:
            a, b = position[compiled.names[i]], position[compiled.names[j]]
            out[r.free] = A[a, b] if matrix == "A" else S[a, b]
    return out


class RotationConstraints:
    """The rotation's stationarity conditions as equality constraints on the rotated model's
    parameters, as lavaan borders the information with them: per block, the off-diagonal
    elements of Z - Psi diag(Z), Z = L' dQ/dL of the geomin criterion Q at the loadings L
    standardized by diag(L L' + Theta)^1/2."""

    def __init__(self, compiled, blocks: dict[str, list[str]]):
        self.compiled = compiled
        self.blocks = _block_indices(compiled, blocks)
        self.equalities = [None] * sum(len(f) * (len(f) - 1) for _, f in self.blocks)

    def values(self, theta: np.ndarray) -> np.ndarray:
        A, S = self.compiled.matrices(theta)
        out = []
        for indicators, factors in self.blocks:
            L = A[np.ix_(indicators, factors)]
            scale = np.sqrt(np.diag(L @ L.T + S[np.ix_(indicators, indicators)]))
            standardized = L / scale[:, None]
            Z = standardized.T @ geomin(standardized)[1]
            conditions = Z - S[np.ix_(factors, factors)] * np.diag(Z)[:, None]
            out.append(conditions[~np.eye(len(factors), dtype=bool)])
        return np.concatenate(out)

    def jacobian(self, theta: np.ndarray, active=()) -> np.ndarray:
        """Central-difference Jacobian of :meth:`values` (lavaan differentiates them numerically too)."""
        jacobian = numerical_jacobian(self.values, theta).reshape(-1, len(theta))
        if not np.all(np.isfinite(jacobian)):
            raise EstimationError("the rotation's conditions are not finite at the estimates")
        return jacobian
