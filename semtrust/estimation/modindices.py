"""Estimation stage: modification indices (score tests), as lavaan's ``modindices()``."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from semtrust.estimation.compiled import CompiledModel
from semtrust.estimation.constraints import projected_inverse
from semtrust.estimation.ml import SEMResults
from semtrust.model.partable import ParameterTable, Row, parameter_key

__all__ = ["modification_indices"]


def modification_indices(results: SEMResults) -> pd.DataFrame:
    """Score tests for the parameters lavaan's ``modindices()`` considers: cross-loadings and
    residual covariances among observed variables not in the model. ``mi`` is the expected drop
    in chi-square when the parameter is freed, ``epc`` its expected value, ``sepc_all`` that
    value standardized (Sorbom 1989; Saris, Satorra & van der Veen 2009).

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(300, 1))
    >>> data = pd.DataFrame(f @ [[1, 0.8, 0.9, 0.5]] + rng.normal(size=(300, 4)), columns=["x1", "x2", "x3", "y"])
    >>> from semtrust.estimation.ml import SEM
    >>> data["x4"] = data.x3 + rng.normal(size=300)     # shares x3's unique part
    >>> fit = SEM("F =~ x1 + x2 + x3 + x4").fit(data)
    >>> modification_indices(fit).sort_values("mi", ascending=False).head(2)[["lhs", "op", "rhs", "mi", "epc"]].round(3)
      lhs  op rhs      mi    epc
    5  x3  ~~  x4  26.145  2.383
    0  x1  ~~  x2  26.145  0.416
    """
    table = results.compiled.table   # with the mean structure, when the model has one
    present = {parameter_key(r.lhs, r.op, r.rhs) for r in table.rows}
    loads = {(r.lhs, r.rhs) for r in table.rows if r.op == "=~"}
    indicators = [v for v in table.observed if any(v == rhs for _, rhs in loads)]
    candidates = [Row(lv, "=~", ov, free=0, user=False) for lv in table.latent for ov in indicators
                  if (lv, ov) not in loads and ov not in table.latent]
    observed = [v for v in table.observed if v not in table.covariates]
    candidates += [Row(a, "~~", b, free=0, user=False) for i, a in enumerate(observed) for b in observed[i + 1:]
                   if parameter_key(a, "~~", b) not in present]
    if not candidates:
        return pd.DataFrame(columns=["lhs", "op", "rhs", "mi", "epc", "sepc_all"])
    k = results.compiled.n_free
    for offset, row in enumerate(candidates):
        row.free = k + offset
    extended = CompiledModel(ParameterTable(table.rows + candidates, table.observed, table.latent,
                                            table.covariates, []), results.compiled.observed)
    theta = np.concatenate([results.theta, np.zeros(len(candidates))])
    grad = extended.gradient(theta, results.sample_cov, results.sample_mean)[k:]
    info = extended.information(theta)
    if results.constraints is None:
        solved = np.linalg.solve(info[:k, :k], info[:k, k:])
    else:   # the model's parameters move only as its constraints allow
        solved = projected_inverse(info[:k, :k], results.constraint_jacobian) @ info[:k, k:]
    schur = info[k:, k:] - info[k:, :k] @ solved
    # lavaan: a parameter whose score has (almost) no variance is not identified when freed
    # (e.g. the residual covariance of a two-indicator factor's items): its MI is NA, not infinite
    variance = np.diag(schur).copy()
    variance[~(variance >= np.finfo(float).eps ** (1 / 3))] = np.nan
    mi = results.n * grad ** 2 / (4 * variance)
    epc = -grad / (2 * variance)
    names = results.compiled.names
    sd = np.sqrt(np.clip(np.diag(results.total_cov), 0, None))
    _, S = results.compiled.matrices(results.theta)
    records = []
    for row, m, e in zip(candidates, mi, epc):
        i, j = names.index(row.lhs), names.index(row.rhs)
        # a Heywood case (negative residual variance) has no standardized EPC: NaN, as lavaan
        scale = sd[i] / sd[j] if row.op == "=~" else 1 / math.sqrt(S[i, i] * S[j, j]) if S[i, i] * S[j, j] > 0 \
            else math.nan
        records.append(dict(lhs=row.lhs, op=row.op, rhs=row.rhs, mi=float(m), epc=float(e), sepc_all=float(e * scale)))
    return pd.DataFrame(records)
