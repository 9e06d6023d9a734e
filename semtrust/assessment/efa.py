"""Exploratory factor analysis, part of the measurement stage: sampling adequacy (KMO),
Bartlett's test of sphericity, parallel analysis, and a rotated factor solution with
cross-loadings flagged against the model's constructs.

The extraction follows psych's ``fa()`` (minres or ML with the same start values, bounds and
gradients), the rotations are factor-analyzer's (GPA oblimin, equal to GPArotation) and psych's
``Promax``; factors are reflected and sorted as psych does, so the loadings match
``psych::fa(fm = "minres", rotate = "oblimin")`` up to the optimizer's tolerance.

Three variables on one factor are just identified, so λ₁ = √(r₁₂ r₁₃ / r₂₃):

>>> import numpy as np
>>> r = np.array([[1, .5, .4], [.5, 1, .3], [.4, .3, 1]])
>>> round(float(extract_factors(r, 1)[0, 0]), 3), round(float(np.sqrt(.5 * .4 / .3)), 3)
(0.816, 0.816)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment, minimize
from scipy.stats import chi2

from semtrust.errors import InputError

__all__ = ["exploratory_factor_analysis", "EFAResult", "ParallelAnalysis", "kmo", "bartlett_sphericity",
           "parallel_analysis", "factor_analysis", "extract_factors", "variance_explained"]

METHODS = ("minres", "ml")
ROTATIONS = ("oblimin", "promax", "varimax", "none")
# Cross-loading and salience cut-offs of the loading table (Hair et al. 2019; Tabachnick & Fidell 2013)
CROSS_LOADING = 0.30
# Kaiser (1974): KMO >= .60 mediocre, >= .70 middling, >= .80 meritorious
KMO_MINIMUM = 0.60
PARALLEL_ITERATIONS = 20      # psych::fa.parallel's n.iter
PARALLEL_QUANTILE = 0.95      # psych::fa.parallel's quant


@dataclass
class ParallelAnalysis:
    """Horn's parallel analysis as psych's ``fa.parallel(fa = "both")``: observed eigenvalues of
    the correlation matrix (components) and of the one-factor reduced matrix (factors), against
    the ``quantile`` of those of ``iterations`` seeded normal data sets of the same size.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(7)
    >>> f = rng.normal(size=(300, 2)) @ np.array([[1.0, 0.4], [0.0, 0.9]])
    >>> data = pd.DataFrame({f"x{i + 1}": f[:, i // 3] + rng.normal(scale=0.7, size=300) for i in range(6)})
    >>> groups = {"F1": ["x1", "x2", "x3"], "F2": ["x4", "x5", "x6"]}
    >>> pa = parallel_analysis(data, seed=1, iterations=5)
    >>> pa.factors, pa.components, pa.eigenvalues.round(2).head(2).to_dict("records")
    (2, 2, [{'position': 1, 'observed_pc': 3.06, 'simulated_pc': 1.23, 'observed_fa': 2.48, 'simulated_fa': 0.88}, {'position': 2, 'observed_pc': 1.36, 'simulated_pc': 1.12, 'observed_fa': 0.77, 'simulated_fa': 0.14}])
    """

    eigenvalues: pd.DataFrame   # position, observed_pc, simulated_pc, observed_fa, simulated_fa
    factors: int
    components: int
    iterations: int
    quantile: float
    seed: int


@dataclass
class EFAResult:
    """The exploratory factor analysis of the model's items: KMO, Bartlett, parallel analysis, the
    rotated solution matched to the constructs; ``to_dict()`` is results.json ``efa``.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(7)
    >>> f = rng.normal(size=(300, 2)) @ np.array([[1.0, 0.4], [0.0, 0.9]])
    >>> data = pd.DataFrame({f"x{i + 1}": f[:, i // 3] + rng.normal(scale=0.7, size=300) for i in range(6)})
    >>> groups = {"F1": ["x1", "x2", "x3"], "F2": ["x4", "x5", "x6"]}
    >>> efa = exploratory_factor_analysis(data, groups, seed=1)
    >>> round(efa.kmo, 3), efa.parallel.factors, efa.factor_constructs
    (0.778, 2, {'F1': 'F2', 'F2': 'F1'})
    """
    n: int
    kmo: float
    kmo_items: pd.Series
    bartlett: dict               # chisq, df, pvalue
    parallel: ParallelAnalysis
    method: str
    rotation: str
    loadings: pd.DataFrame       # items x factors (F1..Fk, sorted by variance explained)
    phi: pd.DataFrame | None     # factor correlations (oblique rotations)
    communalities: pd.Series
    variance: pd.DataFrame       # factor, ss_loadings, proportion, cumulative
    factor_constructs: dict      # factor -> construct it was matched to (None without a model)
    items: pd.DataFrame          # item, construct, factor, loading, own_factor, own_loading, cross_loadings, flag

    def to_dict(self) -> dict:
        return {
            "n": self.n,
            "kmo": {"overall": self.kmo, "items": self.kmo_items.to_dict(), "minimum": KMO_MINIMUM},
            "bartlett": self.bartlett,
            "parallel_analysis": {
                "suggested_factors": self.parallel.factors, "suggested_components": self.parallel.components,
                "iterations": self.parallel.iterations, "quantile": self.parallel.quantile,
                "seed": self.parallel.seed, "eigenvalues": self.parallel.eigenvalues.to_dict(orient="records")},
            "method": self.method, "rotation": self.rotation, "n_factors": self.loadings.shape[1],
            "cross_loading_cutoff": CROSS_LOADING,
            "loadings": {item: row.to_dict() for item, row in self.loadings.iterrows()},
            "factor_correlations": None if self.phi is None else
            {f: row.to_dict() for f, row in self.phi.iterrows()},
            "communalities": self.communalities.to_dict(),
            "variance": self.variance.to_dict(orient="records"),
            "factor_constructs": self.factor_constructs,
            "items": self.items.to_dict(orient="records"),
        }


def kmo(data: pd.DataFrame) -> tuple[float, pd.Series]:
    """Kaiser–Meyer–Olkin measure of sampling adequacy, overall and per item (psych::KMO).

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(7)
    >>> f = rng.normal(size=(300, 2)) @ np.array([[1.0, 0.4], [0.0, 0.9]])
    >>> data = pd.DataFrame({f"x{i + 1}": f[:, i // 3] + rng.normal(scale=0.7, size=300) for i in range(6)})
    >>> groups = {"F1": ["x1", "x2", "x3"], "F2": ["x4", "x5", "x6"]}
    >>> overall, per_item = kmo(data)
    >>> round(overall, 3), per_item.round(3).tolist()
    (0.778, [0.763, 0.745, 0.821, 0.792, 0.789, 0.771])
    """
    from factor_analyzer.factor_analyzer import calculate_kmo

    per_item, overall = calculate_kmo(data)
    return float(overall), pd.Series(per_item, index=data.columns, name="kmo")


def bartlett_sphericity(data: pd.DataFrame) -> dict:
    """Bartlett's test that the correlation matrix is an identity (psych::cortest.bartlett).

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(7)
    >>> f = rng.normal(size=(300, 2)) @ np.array([[1.0, 0.4], [0.0, 0.9]])
    >>> data = pd.DataFrame({f"x{i + 1}": f[:, i // 3] + rng.normal(scale=0.7, size=300) for i in range(6)})
    >>> groups = {"F1": ["x1", "x2", "x3"], "F2": ["x4", "x5", "x6"]}
    >>> {k: round(float(v), 3) for k, v in bartlett_sphericity(data).items()}
    {'chisq': 690.691, 'df': 15.0, 'pvalue': 0.0}
    """
    n, p = data.shape
    _, logdet = np.linalg.slogdet(np.corrcoef(data.to_numpy(float), rowvar=False))
    statistic = -(n - 1 - (2 * p + 5) / 6) * logdet
    df = p * (p - 1) // 2
    return {"chisq": float(statistic), "df": df, "pvalue": float(chi2.sf(statistic, df))}


def _smc(r: np.ndarray) -> np.ndarray:
    """Squared multiple correlations of each variable with all others."""
    return 1 - 1 / np.diag(np.linalg.inv(r))


def _top_eigen(matrix: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    values, vectors = np.linalg.eigh(matrix)
    return values[::-1][:k], vectors[:, ::-1][:, :k]


def _minres_objective(psi, r, k):
    """psych's fit.residuals(fm = "minres"): squared off-diagonal residuals of the k-factor model."""
    reduced = r.copy()
    np.fill_diagonal(reduced, 1 - psi)
    values, vectors = _top_eigen(reduced, k)
    loadings = vectors * np.sqrt(np.maximum(values, 100 * np.finfo(float).eps))
    residual = r - loadings @ loadings.T
    return float(np.sum(np.tril(residual, -1) ** 2))


def _minres_gradient(psi, r, k):
    """psych's FAgr.minres."""
    values, vectors = _top_eigen(r - np.diag(psi), k)
    loadings = vectors * np.sqrt(np.maximum(values, 0))
    return np.diag(loadings @ loadings.T) + psi - np.diag(r)


def _ml_objective(psi, r, k):
    """psych's FAfn (as factanal): the ML discrepancy concentrated on the uniquenesses."""
    scale = 1 / np.sqrt(psi)
    values = np.linalg.eigvalsh(r * np.outer(scale, scale))[::-1][k:]
    return float(-(np.sum(np.log(values) - values) - k + len(r)))


def _ml_gradient(psi, r, k):
    """psych's FAgr."""
    scale = 1 / np.sqrt(psi)
    values, vectors = _top_eigen(r * np.outer(scale, scale), k)
    loadings = np.sqrt(psi)[:, None] * vectors * np.sqrt(np.maximum(values - 1, 0))
    return (np.diag(loadings @ loadings.T) + psi - np.diag(r)) / psi ** 2


def extract_factors(r: np.ndarray, n_factors: int, method: str = "minres") -> np.ndarray:
    """Unrotated loadings of ``n_factors`` common factors of the correlation matrix ``r``,
    by minimum residuals (psych's default) or maximum likelihood, as psych's ``fa()``:
    uniquenesses start at 1 − SMC and are bounded to [.005, 1] (L-BFGS-B).

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(7)
    >>> f = rng.normal(size=(300, 2)) @ np.array([[1.0, 0.4], [0.0, 0.9]])
    >>> data = pd.DataFrame({f"x{i + 1}": f[:, i // 3] + rng.normal(scale=0.7, size=300) for i in range(6)})
    >>> groups = {"F1": ["x1", "x2", "x3"], "F2": ["x4", "x5", "x6"]}
    >>> extract_factors(data.corr().to_numpy(), 2).shape
    (6, 2)
    """
    r = np.asarray(r, float)
    start = np.diag(r) - _smc(r)
    objective, gradient = {"minres": (_minres_objective, _minres_gradient),
                           "ml": (_ml_objective, _ml_gradient)}[method]
    # psych scales the parameters by 0.01 (parscale); scaling psi by 100 does the same here
    solution = minimize(lambda x: objective(x / 100, r, n_factors), start * 100, method="L-BFGS-B",
                        jac=lambda x: gradient(x / 100, r, n_factors) / 100,
                        bounds=[(0.5, 100.0)] * len(r), options={"gtol": 0})   # R's pgtol = 0
    psi = solution.x / 100
    if method == "ml":
        scale = 1 / np.sqrt(psi)
        values, vectors = _top_eigen(r * np.outer(scale, scale), n_factors)
        return np.sqrt(psi)[:, None] * vectors * np.sqrt(np.maximum(values - 1, 0))
    values, vectors = _top_eigen(r - np.diag(psi), n_factors)
    return vectors * np.sqrt(np.maximum(values, 0))


def _rotate(loadings: np.ndarray, rotation: str = "oblimin") -> tuple[np.ndarray, np.ndarray | None]:
    """Rotated loadings and factor correlations (None for orthogonal rotations).
    ``oblimin`` is GPArotation's (gamma 0, no Kaiser normalization, as psych calls it);
    ``promax`` is psych's ``kaiser(rotate = "Promax")``: power 4 on Kaiser-normalized varimax."""
    from factor_analyzer import Rotator

    if rotation == "none" or loadings.shape[1] < 2:
        return loadings, None
    rotator = Rotator(method=rotation, normalize=rotation != "oblimin")
    rotated = rotator.fit_transform(loadings)
    return rotated, rotator.phi_


def _order_factors(loadings: np.ndarray, phi: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    """psych's convention: reflect each factor so its loadings sum positive, then sort the
    factors by the variance they explain."""
    signs = np.where(loadings.sum(axis=0) < 0, -1.0, 1.0)
    loadings = loadings * signs
    if phi is not None:
        phi = phi * np.outer(signs, signs)
    order = np.argsort(-_sums_of_squares(loadings, phi), kind="stable")
    return loadings[:, order], None if phi is None else phi[np.ix_(order, order)]


def _sums_of_squares(loadings: np.ndarray, phi: np.ndarray | None) -> np.ndarray:
    """Variance each factor explains: column sums of squared loadings, or with correlated
    factors diag(Φ Λ'Λ) as psych reports it."""
    if phi is None:
        return (loadings ** 2).sum(axis=0)
    return np.diag(phi @ loadings.T @ loadings)


def variance_explained(loadings: pd.DataFrame, phi: pd.DataFrame | None) -> pd.DataFrame:
    """SS loadings, proportion of the total variance and cumulative proportion per factor.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(7)
    >>> f = rng.normal(size=(300, 2)) @ np.array([[1.0, 0.4], [0.0, 0.9]])
    >>> data = pd.DataFrame({f"x{i + 1}": f[:, i // 3] + rng.normal(scale=0.7, size=300) for i in range(6)})
    >>> groups = {"F1": ["x1", "x2", "x3"], "F2": ["x4", "x5", "x6"]}
    >>> loadings, phi = factor_analysis(data, 2)
    >>> variance_explained(loadings, phi).round(3)
      factor  ss_loadings  proportion  cumulative
    0     F1        1.875       0.312       0.312
    1     F2        1.767       0.295       0.607
    """
    ss = _sums_of_squares(loadings.to_numpy(), None if phi is None else phi.to_numpy())
    proportion = ss / loadings.shape[0]
    return pd.DataFrame({"factor": loadings.columns, "ss_loadings": ss, "proportion": proportion,
                         "cumulative": np.cumsum(proportion)})


def parallel_analysis(data: pd.DataFrame, seed: int, iterations: int = PARALLEL_ITERATIONS,
                      quantile: float = PARALLEL_QUANTILE) -> ParallelAnalysis:
    """Number of factors and components whose observed eigenvalues exceed the ``quantile`` of
    those from normal data of the same n and p (psych's ``fa.parallel(fm = "minres")``). The
    simulated data come from ``numpy.random.default_rng(seed)``, so the suggestion is
    reproducible, though not R's draws.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(7)
    >>> f = rng.normal(size=(300, 2)) @ np.array([[1.0, 0.4], [0.0, 0.9]])
    >>> data = pd.DataFrame({f"x{i + 1}": f[:, i // 3] + rng.normal(scale=0.7, size=300) for i in range(6)})
    >>> groups = {"F1": ["x1", "x2", "x3"], "F2": ["x4", "x5", "x6"]}
    >>> parallel_analysis(data, seed=1, iterations=5).factors
    2
    """
    n, p = data.shape
    r = np.corrcoef(data.to_numpy(float), rowvar=False)
    observed_pc, observed_fa = _eigenvalues(r)
    rng = np.random.default_rng(seed)
    simulated = np.array([_eigenvalues(np.corrcoef(rng.standard_normal((n, p)), rowvar=False))
                          for _ in range(iterations)])
    limit_pc, limit_fa = np.quantile(simulated, quantile, axis=0)

    def retained(observed, limit):
        below = np.flatnonzero(~(observed > limit))
        return int(below[0]) if below.size else len(observed)

    table = pd.DataFrame({"position": np.arange(1, p + 1), "observed_pc": observed_pc, "simulated_pc": limit_pc,
                          "observed_fa": observed_fa, "simulated_fa": limit_fa})
    return ParallelAnalysis(table, retained(observed_fa, limit_fa), retained(observed_pc, limit_pc),
                            iterations, quantile, seed)


def _eigenvalues(r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues of r, and of r with the one-factor minres communalities on its diagonal
    (psych's ``fa(r, 1)$values``)."""
    loadings = extract_factors(r, 1)
    reduced = r.copy()
    np.fill_diagonal(reduced, (loadings ** 2).sum(axis=1))
    return np.linalg.eigvalsh(r)[::-1], np.linalg.eigvalsh(reduced)[::-1]


def _match_factors(loadings: pd.DataFrame, groups: dict[str, list[str]]) -> dict:
    """factor -> construct, the one-to-one assignment that maximizes the summed absolute
    loadings of each construct's items on its factor (Hungarian algorithm)."""
    constructs = list(groups)
    weight = np.array([[loadings.loc[items, factor].abs().sum() for factor in loadings.columns]
                       for items in groups.values()])
    rows, cols = linear_sum_assignment(-weight)
    matched = {loadings.columns[c]: constructs[r] for r, c in zip(rows, cols)}
    return {factor: matched.get(factor) for factor in loadings.columns}


def _item_flags(loadings: pd.DataFrame, groups: dict[str, list[str]], factor_constructs: dict,
               cutoff: float = CROSS_LOADING) -> pd.DataFrame:
    """Per item: its highest-loading factor, its loading on its own construct's factor, the
    other factors it loads ≥ ``cutoff`` on, and a flag (``cross-loading``, ``off-factor``
    when it loads highest on another construct's factor, ``weak`` when its own loading is
    below ``cutoff``)."""
    own_factor = {c: f for f, c in factor_constructs.items() if c is not None}
    construct_of = {item: c for c, items in groups.items() for item in items}
    records = []
    for item, row in loadings.iterrows():
        construct = construct_of.get(item)
        top = row.abs().idxmax()
        own = own_factor.get(construct)
        own_loading = None if own is None else float(row[own])
        cross = {f: float(v) for f, v in row.items() if f != (own or top) and abs(v) >= cutoff}
        flags = []
        if own is not None and top != own:
            flags.append("off-factor")
        if cross:
            flags.append("cross-loading")
        if own_loading is not None and abs(own_loading) < cutoff:
            flags.append("weak")
        records.append(dict(item=item, construct=construct, factor=top, loading=float(row[top]),
                            own_factor=own, own_loading=own_loading, cross_loadings=cross,
                            flag=", ".join(flags) or None))
    return pd.DataFrame(records)


def factor_analysis(data: pd.DataFrame, n_factors: int, method: str = "minres",
                    rotation: str = "oblimin") -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Rotated loadings (items x F1..Fk, psych's reflection and order) and factor correlations.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(7)
    >>> f = rng.normal(size=(300, 2)) @ np.array([[1.0, 0.4], [0.0, 0.9]])
    >>> data = pd.DataFrame({f"x{i + 1}": f[:, i // 3] + rng.normal(scale=0.7, size=300) for i in range(6)})
    >>> groups = {"F1": ["x1", "x2", "x3"], "F2": ["x4", "x5", "x6"]}
    >>> loadings, phi = factor_analysis(data, 2)
    >>> loadings.round(2)
          F1    F2
    x1 -0.01  0.77
    x2  0.00  0.84
    x3  0.01  0.69
    x4  0.79  0.01
    x5  0.78 -0.01
    x6  0.81 -0.00
    >>> phi.round(2)
          F1    F2
    F1  1.00  0.47
    F2  0.47  1.00
    """
    if method not in METHODS:
        raise InputError(f"EFA extraction '{method}': use one of {', '.join(METHODS)}")
    if rotation not in ROTATIONS:
        raise InputError(f"EFA rotation '{rotation}': use one of {', '.join(ROTATIONS)}")
    if not 1 <= n_factors < data.shape[1]:
        raise InputError(f"EFA with {n_factors} factors needs more than {n_factors} items; "
                         f"the data have {data.shape[1]}")
    r = np.corrcoef(data.to_numpy(float), rowvar=False)
    loadings, phi = _order_factors(*_rotate(extract_factors(r, n_factors, method), rotation))
    names = [f"F{i + 1}" for i in range(n_factors)]
    return (pd.DataFrame(loadings, index=data.columns, columns=names),
            None if phi is None else pd.DataFrame(phi, index=names, columns=names))


def exploratory_factor_analysis(data: pd.DataFrame, groups: dict[str, list[str]] | None = None, *,
                                n_factors: int | None = None, method: str = "minres",
                                rotation: str = "oblimin", seed: int = 0) -> EFAResult:
    """KMO, Bartlett, parallel analysis and the rotated solution. By default as many factors as
    the model has constructs (``groups``: construct -> items), minres + oblimin as SPSS/JASP
    users expect; the parallel-analysis suggestion is reported beside it.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(7)
    >>> f = rng.normal(size=(300, 2)) @ np.array([[1.0, 0.4], [0.0, 0.9]])
    >>> data = pd.DataFrame({f"x{i + 1}": f[:, i // 3] + rng.normal(scale=0.7, size=300) for i in range(6)})
    >>> groups = {"F1": ["x1", "x2", "x3"], "F2": ["x4", "x5", "x6"]}
    >>> efa = exploratory_factor_analysis(data, groups, seed=1)
    >>> efa.items[["item", "construct", "factor", "flag"]].head(3)
      item construct factor  flag
    0   x1        F1     F2  None
    1   x2        F1     F2  None
    2   x3        F1     F2  None
    """
    if n_factors is None:
        n_factors = len(groups) if groups else None
    parallel = parallel_analysis(data, seed)
    if n_factors is None:
        n_factors = max(parallel.factors, 1)
    overall, per_item = kmo(data)
    loadings, phi = factor_analysis(data, n_factors, method, rotation)
    factor_constructs = _match_factors(loadings, groups) if groups else {f: None for f in loadings.columns}
    return EFAResult(n=len(data), kmo=overall, kmo_items=per_item, bartlett=bartlett_sphericity(data),
                     parallel=parallel, method=method, rotation=rotation, loadings=loadings, phi=phi,
                     communalities=pd.Series(_communalities(loadings, phi), index=data.columns),
                     variance=variance_explained(loadings, phi), factor_constructs=factor_constructs,
                     items=_item_flags(loadings, groups or {}, factor_constructs))


def _communalities(loadings: pd.DataFrame, phi: pd.DataFrame | None) -> np.ndarray:
    """h² = diag(Λ Φ Λ') (Φ = I for orthogonal factors)."""
    lam = loadings.to_numpy()
    return np.einsum("ij,jk,ik->i", lam, np.eye(lam.shape[1]) if phi is None else phi.to_numpy(), lam)
